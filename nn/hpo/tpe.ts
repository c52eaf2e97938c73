/**
 * A small hyper-parameter study engine in the spirit of Optuna's defaults (as sr-midas's
 * `run_hp_optimize` uses them, seed spec §7.3): a univariate TPE sampler, a median pruner and a
 * JSON-serialisable study so an interrupted search resumes where it stopped.
 *
 * TPE: the finished trials are split into the best γ(n) = min(⌈0.1·n⌉, 25) ("good") and the rest;
 * each parameter gets a Parzen estimator l(x) on the good and g(x) on the bad values (Gaussian
 * kernels in the parameter's (log-)space with a wide prior kernel; categorical: smoothed counts),
 * and the candidate (of `nCandidates` drawn from l) maximising l(x)/g(x) is chosen. The first
 * `nStartupTrials` trials sample uniformly. Sampling is seeded per (seed, trial, parameter), so a
 * resumed study draws the same values.
 *
 * @example
 * ```ts
 * import { MedianPruner, newStudy, TpeSampler } from "./tpe.ts";
 * const study = newStudy("demo", 1);
 * const sampler = new TpeSampler({ seed: 1 });
 * const t = { number: 0, state: "running" as const, params: {}, intermediate: [] };
 * const lr = sampler.sample(study, t, "lr", { kind: "float", low: 1e-5, high: 1e-1, log: true });
 * new MedianPruner().shouldPrune(study, t, 3);
 * ```
 * @module
 */
import { Rng } from "../rng.ts";

/** A parameter's search distribution. */
export type Distribution =
  | { kind: "int"; low: number; high: number; log?: boolean }
  | { kind: "float"; low: number; high: number; log?: boolean }
  | { kind: "categorical"; choices: readonly (string | number)[] };

/** Trial states as Optuna names them. */
export type TrialState = "running" | "complete" | "pruned" | "failed";

/** One trial of a study. */
export interface Trial {
  number: number;
  state: TrialState;
  params: Record<string, string | number>;
  /** Reported value per step (epoch); `null` where none was reported. */
  intermediate: (number | null)[];
  value?: number;
  error?: string;
  seconds?: number;
  [extra: string]: unknown;
}

/** A study; minimisation only (sr-midas minimises validation loss). */
export interface Study {
  format: "srmidas-study/1";
  name: string;
  seed: number;
  direction: "minimize";
  trials: Trial[];
}

/** A fresh, empty study. */
export function newStudy(name: string, seed: number): Study {
  return { format: "srmidas-study/1", name, seed, direction: "minimize", trials: [] };
}

/** Reads a study file; undefined if absent; Error naming the file if it is not a study. */
export async function loadStudy(path: string): Promise<Study | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
  const s = JSON.parse(text);
  if (s?.format !== "srmidas-study/1" || !Array.isArray(s.trials)) {
    throw new Error(`${path}: field format must be "srmidas-study/1" with a trials list`);
  }
  return s as Study;
}

/** Writes a study atomically (temporary file + rename); synchronous so epoch callbacks can call it. */
export function saveStudy(path: string, study: Study): void {
  const tmp = `${path}.tmp-${Deno.pid}`;
  Deno.writeTextFileSync(tmp, JSON.stringify(study, null, 1) + "\n");
  Deno.renameSync(tmp, path);
}

/** The value a finished trial is ranked by: its value, or a pruned trial's best report. */
function rankValue(t: Trial): number | undefined {
  if (t.state === "complete") return t.value;
  if (t.state === "pruned") {
    const v = t.intermediate.filter((x): x is number => x !== null && Number.isFinite(x));
    return v.length ? Math.min(...v) : undefined;
  }
  return undefined;
}

function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** log of a Gaussian-kernel mixture (equal weights) at x. */
function logMixture(x: number, mus: number[], sigmas: number[]): number {
  let m = -Infinity;
  const terms = mus.map((mu, i) => {
    const z = (x - mu) / sigmas[i];
    const t = -0.5 * z * z - Math.log(sigmas[i]) - LOG_SQRT_2PI;
    if (t > m) m = t;
    return t;
  });
  if (m === -Infinity) return m;
  return m + Math.log(terms.reduce((s, t) => s + Math.exp(t - m), 0) / mus.length);
}

/** Kernel centres and widths for observations in [lo, hi], plus the prior kernel. */
function parzen(obs: number[], lo: number, hi: number): { mus: number[]; sigmas: number[] } {
  const span = hi - lo || 1;
  const sorted = [...obs].sort((a, b) => a - b);
  const mus = [...sorted, (lo + hi) / 2];
  const minSigma = span / Math.min(100, 1 + sorted.length);
  const sigmas = sorted.map((x, i) => {
    const left = i > 0 ? x - sorted[i - 1] : x - lo;
    const right = i < sorted.length - 1 ? sorted[i + 1] - x : hi - x;
    return Math.min(span, Math.max(minSigma, left, right));
  });
  sigmas.push(span);
  return { mus, sigmas };
}

/** Options of {@link TpeSampler}. */
export interface TpeOptions {
  seed?: number;
  /** Uniform random trials before TPE starts (Optuna default 10). */
  nStartupTrials?: number;
  /** Candidates drawn from l(x) per parameter (Optuna default 24). */
  nCandidates?: number;
}

/** Univariate TPE; see the module doc. */
export class TpeSampler {
  readonly seed: number;
  readonly nStartupTrials: number;
  readonly nCandidates: number;

  constructor(opts: TpeOptions = {}) {
    this.seed = opts.seed ?? 0;
    this.nStartupTrials = opts.nStartupTrials ?? 10;
    this.nCandidates = opts.nCandidates ?? 24;
  }

  /** Samples (and records in `trial.params`) parameter `name`; a recorded value is returned as is. */
  sample(study: Study, trial: Trial, name: string, dist: Distribution): string | number {
    if (name in trial.params) return trial.params[name];
    const rng = new Rng((this.seed ^ Math.imul(trial.number + 1, 0x9e3779b1) ^ hash32(name)) >>> 0);
    const done = study.trials
      .filter((t) => t.number !== trial.number && name in t.params)
      .map((t) => ({ v: rankValue(t), x: t.params[name] }))
      .filter((o): o is { v: number; x: string | number } =>
        o.v !== undefined && Number.isFinite(o.v)
      )
      .sort((a, b) => a.v - b.v);
    const value = done.length < this.nStartupTrials
      ? uniform(dist, rng)
      : this.#tpe(dist, done.map((o) => o.x), Math.min(Math.ceil(0.1 * done.length), 25), rng);
    trial.params[name] = value;
    return value;
  }

  #tpe(dist: Distribution, xs: (string | number)[], nGood: number, rng: Rng): string | number {
    const good = xs.slice(0, nGood), bad = xs.slice(nGood);
    if (dist.kind === "categorical") {
      const k = dist.choices.length;
      const weights = (obs: (string | number)[]) => {
        const w = dist.choices.map((c) => 1 / k + obs.filter((o) => o === c).length);
        const s = w.reduce((a, b) => a + b, 0);
        return w.map((x) => x / s);
      };
      const l = weights(good), g = weights(bad);
      let best = 0, bestScore = -Infinity;
      for (let c = 0; c < this.nCandidates; c++) {
        let u = rng.next(), i = 0;
        while (i < k - 1 && u >= l[i]) u -= l[i++];
        const score = Math.log(l[i]) - Math.log(g[i]);
        if (score > bestScore) (bestScore = score, best = i);
      }
      return dist.choices[best];
    }
    const fwd = (x: number) => (dist.log ? Math.log(x) : x);
    const back = (y: number) => (dist.log ? Math.exp(y) : y);
    const lo = fwd(dist.low), hi = fwd(dist.high);
    const l = parzen(good.map((x) => fwd(Number(x))), lo, hi);
    const g = parzen(bad.map((x) => fwd(Number(x))), lo, hi);
    let best = lo, bestScore = -Infinity;
    for (let c = 0; c < this.nCandidates; c++) {
      const j = rng.int(l.mus.length);
      let y = l.mus[j] + l.sigmas[j] * rng.normal();
      for (let tries = 0; (y < lo || y > hi) && tries < 20; tries++) {
        y = l.mus[j] + l.sigmas[j] * rng.normal();
      }
      y = Math.min(hi, Math.max(lo, y));
      const score = logMixture(y, l.mus, l.sigmas) - logMixture(y, g.mus, g.sigmas);
      if (score > bestScore) (bestScore = score, best = y);
    }
    return finish(dist, back(best));
  }
}

function finish(dist: Distribution, x: number): number {
  if (dist.kind === "int") return Math.min(dist.high, Math.max(dist.low, Math.round(x)));
  return Math.min((dist as { high: number }).high, Math.max((dist as { low: number }).low, x));
}

function uniform(dist: Distribution, rng: Rng): string | number {
  if (dist.kind === "categorical") return dist.choices[rng.int(dist.choices.length)];
  if (dist.kind === "int" && !dist.log) return dist.low + rng.int(dist.high - dist.low + 1);
  const lo = dist.log ? Math.log(dist.low) : dist.low;
  const hi = dist.log ? Math.log(dist.high) : dist.high;
  const y = rng.uniform(lo, hi);
  return finish(dist, dist.log ? Math.exp(y) : y);
}

/** Options of {@link MedianPruner} (Optuna defaults 5 and 0; sr-midas uses 5 and 10). */
export interface MedianPrunerOptions {
  /** No pruning until this many trials have finished. */
  nStartupTrials?: number;
  /** No pruning before this step. */
  nWarmupSteps?: number;
}

/** Prunes a trial whose best value so far is worse than the median of the others at this step. */
export class MedianPruner {
  readonly nStartupTrials: number;
  readonly nWarmupSteps: number;

  constructor(opts: MedianPrunerOptions = {}) {
    this.nStartupTrials = opts.nStartupTrials ?? 5;
    this.nWarmupSteps = opts.nWarmupSteps ?? 0;
  }

  shouldPrune(study: Study, trial: Trial, step: number): boolean {
    if (step < this.nWarmupSteps) return false;
    const finished = study.trials.filter((t) =>
      t.number !== trial.number && (t.state === "complete" || t.state === "pruned")
    );
    if (finished.filter((t) => t.state === "complete").length < this.nStartupTrials) return false;
    const own = trial.intermediate.slice(0, step + 1).filter((v): v is number => v !== null);
    if (!own.length) return false;
    const others = finished
      .map((t) => t.intermediate[step])
      .filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v))
      .sort((a, b) => a - b);
    if (!others.length) return false;
    const mid = others.length >> 1;
    const median = others.length % 2 ? others[mid] : (others[mid - 1] + others[mid]) / 2;
    const best = Math.min(...own);
    return !Number.isFinite(best) || best > median;
  }
}
