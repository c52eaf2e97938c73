/**
 * Peak-finding quality against a simulation's truth (issue #6): recall, precision, localization
 * error, intensity error and close-pair resolution. Pure functions over typed arrays.
 *
 * Definitions (all positions in px, frames 0-based):
 * - **Counted truth**: spots whose `frame` lies in the peak table's frame range and whose
 *   intensity ≥ `minTruthIntensity` (spots with no intensity count only when that is 0).
 * - **Recall** = counted truth spots matched (matching.ts) in their own `frame` / counted spots;
 *   `recallAnyFrame` accepts a match in any frame of the spot's ω spread.
 * - **Precision** = peaks matched to a truth spot present in their frame / all peaks. Unmatched
 *   peaks that still lie within the radius of a present truth spot are counted as *split*
 *   (a second peak on one spot); the rest are spurious.
 * - **Localization error** = distance of the centre-frame match; reported for all counted
 *   matches and for *isolated* ones (no other truth spot present in the frame within
 *   `isolationPx`, default 4). Percentiles interpolate linearly between order statistics
 *   (numpy's default), so p50 of [1, 2, 3, 4] is 2.5.
 * - **Intensity error**: a truth spot's measured intensity is the sum of IntegratedIntensity over
 *   every peak matched to it in any frame (the truth integrates over frames). Truth units differ
 *   from detector counts (gain, ω spread, MIDAS-mode scaling), so one global scale s is fitted:
 *   s = 1 / median(measured/true), i.e. the median spot is scaled exact; the relative error is
 *   s·measured/true − 1, summarised by the median and p95 of its absolute value.
 * - **Close pairs**: two counted truth spots with the same `frame` and separation < the last
 *   bin edge (default bins [0,1), [1,2), [2,4) px). A pair is *resolved* when two distinct peaks
 *   of that frame lie within `pairResolvePx` (default 0.5) of A and of B respectively — decided
 *   on the peaks directly, independent of the greedy matching.
 *
 * @example
 * ```ts
 * import { evaluatePeaks } from "./metrics.ts";
 * import { parseTruthTable } from "./truth_table.ts";
 * const truth = parseTruthTable("frame\tY\tZ\tintensity\n0\t10\t10\t100\n0\t11\t10\t100\n");
 * const peaks = {
 *   n: 2, nFrames: 1, frame: Int32Array.of(0, 0),
 *   y: Float64Array.of(10.1, 11.2), z: Float64Array.of(10, 10), intensity: Float64Array.of(5, 5),
 * };
 * const ev = evaluatePeaks(truth, peaks);
 * ev.metrics.recall; // 1
 * ev.metrics.pairs.bins[1].resolved; // 1  (the pair at 1 px)
 * ```
 * @module
 */
import {
  groupBy,
  type Matching,
  matchPeaks,
  pairsWithin,
  type PeakPoints,
  truthByFrame,
} from "./matching.ts";
import type { TruthSpots } from "./truth_table.ts";

/** Peaks to evaluate: centres, IntegratedIntensity and the table's frame count. */
export interface EvaluatedPeaks extends PeakPoints {
  intensity: Float64Array;
  nFrames: number;
}

/** Options of {@link evaluatePeaks} (defaults in {@link DEFAULT_EVALUATE_OPTIONS}). */
export interface EvaluateOptions {
  matchRadiusPx?: number;
  pairResolvePx?: number;
  isolationPx?: number;
  minTruthIntensity?: number;
  /** Separation bin edges for the close-pair table, ascending from 0. */
  pairBinEdgesPx?: readonly number[];
  /** Bin width of the resolved-fraction-vs-separation curve. */
  curveBinPx?: number;
}

export const DEFAULT_EVALUATE_OPTIONS: Readonly<Required<EvaluateOptions>> = {
  matchRadiusPx: 1.5,
  pairResolvePx: 0.5,
  isolationPx: 4,
  minTruthIntensity: 0,
  pairBinEdgesPx: [0, 1, 2, 4],
  curveBinPx: 0.5,
};

/** Summary of a set of errors; all NaN when `n` is 0. */
export interface ErrorStats {
  n: number;
  mean: number;
  median: number;
  p95: number;
  max: number;
}

/** Close pairs in one separation bin [loPx, hiPx). `fraction` is NaN for an empty bin. */
export interface PairBin {
  loPx: number;
  hiPx: number;
  n: number;
  resolved: number;
  fraction: number;
}

/** One close truth pair. */
export interface TruthPair {
  a: number;
  b: number;
  frame: number;
  separationPx: number;
  resolved: boolean;
}

/** The numbers of one evaluation (this is what metrics.json holds per run). */
export interface EvaluationMetrics {
  nTruth: number;
  nTruthCounted: number;
  nPeaks: number;
  nMatchedTruth: number;
  nMatchedPeaks: number;
  /** Unmatched peaks within matchRadiusPx of a present truth spot (split or duplicate peaks). */
  nSplitPeaks: number;
  recall: number;
  recallAnyFrame: number;
  precision: number;
  f1: number;
  localizationPx: { all: ErrorStats; isolated: ErrorStats };
  intensity: { n: number; scale: number; medianAbsRelError: number; p95AbsRelError: number };
  pairs: { bins: PairBin[]; curve: PairBin[] };
  options: Required<EvaluateOptions>;
}

/** Metrics plus the per-item detail the plots need. */
export interface Evaluation {
  metrics: EvaluationMetrics;
  matching: Matching;
  /** Counted truth spots (indices into the truth table). */
  counted: Uint8Array;
  isolated: Uint8Array;
  errorsPx: number[];
  isolatedErrorsPx: number[];
  pairs: TruthPair[];
}

/**
 * The q-th percentile (0…100) with linear interpolation between order statistics; NaN if empty.
 *
 * @example
 * ```ts
 * import { percentile } from "./metrics.ts";
 * percentile([4, 1, 3, 2], 50); // 2.5
 * ```
 */
export function percentile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) return Number.NaN;
  const s = Float64Array.from(values).sort();
  const h = ((s.length - 1) * q) / 100;
  const lo = Math.floor(h), hi = Math.ceil(h);
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}

/** n, mean, median, p95 and max of `values`. */
export function errorStats(values: ArrayLike<number>): ErrorStats {
  const n = values.length;
  if (n === 0) return { n, mean: NaN, median: NaN, p95: NaN, max: NaN };
  let sum = 0, max = -Infinity;
  for (let i = 0; i < n; i++) {
    sum += values[i];
    max = Math.max(max, values[i]);
  }
  return { n, mean: sum / n, median: percentile(values, 50), p95: percentile(values, 95), max };
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);

/** Evaluates `peaks` against `truth` (see module doc for every definition). */
export function evaluatePeaks(
  truth: TruthSpots,
  peaks: EvaluatedPeaks,
  options: EvaluateOptions = {},
): Evaluation {
  const o: Required<EvaluateOptions> = { ...DEFAULT_EVALUATE_OPTIONS, ...options };
  const edges = o.pairBinEdgesPx;
  if (edges.length < 2 || edges.some((e, i) => i > 0 && !(e > edges[i - 1]))) {
    throw new Error(`evaluatePeaks: pairBinEdgesPx must ascend, got [${edges.join(", ")}]`);
  }
  const matching = matchPeaks(truth, peaks, o.matchRadiusPx);

  const counted = new Uint8Array(truth.n);
  for (let i = 0; i < truth.n; i++) {
    const I = truth.intensity[i];
    const bright = Number.isNaN(I) ? o.minTruthIntensity <= 0 : I >= o.minTruthIntensity;
    counted[i] = truth.frame[i] < peaks.nFrames && bright ? 1 : 0;
  }

  // Isolation: no other truth spot present in the spot's own frame within isolationPx.
  const isolated = counted.slice();
  const present = truthByFrame(truth);
  for (const [f, ts] of present) {
    const c = pairsWithin(
      ts,
      truth.y,
      truth.z,
      ts,
      truth.y,
      truth.z,
      o.isolationPx * (1 + 1e-12),
      true,
    );
    for (let k = 0; k < c.length; k += 3) {
      if (truth.frame[c[k]] === f) isolated[c[k]] = 0;
      if (truth.frame[c[k + 1]] === f) isolated[c[k + 1]] = 0;
    }
  }

  let nCounted = 0, nMatched = 0, nAny = 0;
  const errorsPx: number[] = [], isolatedErrorsPx: number[] = [];
  for (let i = 0; i < truth.n; i++) {
    if (!counted[i]) continue;
    nCounted++;
    if (matching.matchedAnyFrame[i]) nAny++;
    if (matching.centrePeak[i] < 0) continue;
    nMatched++;
    errorsPx.push(matching.centreDist[i]);
    if (isolated[i]) isolatedErrorsPx.push(matching.centreDist[i]);
  }
  let nMatchedPeaks = 0, nSplitPeaks = 0;
  for (let p = 0; p < peaks.n; p++) {
    if (matching.peakTruth[p] >= 0) nMatchedPeaks++;
    else if (matching.peakNearTruth[p]) nSplitPeaks++;
  }

  const intensity = intensityError(truth, peaks, matching, counted);
  const pairs = closePairs(truth, peaks, counted, edges[edges.length - 1], o.pairResolvePx);
  const recall = ratio(nMatched, nCounted), precision = ratio(nMatchedPeaks, peaks.n);
  const curveEdges: number[] = [];
  for (let e = 0; e < edges[edges.length - 1] - 1e-9; e += o.curveBinPx) curveEdges.push(e);
  curveEdges.push(edges[edges.length - 1]);
  return {
    metrics: {
      nTruth: truth.n,
      nTruthCounted: nCounted,
      nPeaks: peaks.n,
      nMatchedTruth: nMatched,
      nMatchedPeaks,
      nSplitPeaks,
      recall,
      recallAnyFrame: ratio(nAny, nCounted),
      precision,
      f1: recall + precision > 0 ? (2 * recall * precision) / (recall + precision) : Number.NaN,
      localizationPx: { all: errorStats(errorsPx), isolated: errorStats(isolatedErrorsPx) },
      intensity,
      pairs: { bins: binPairs(pairs, edges), curve: binPairs(pairs, curveEdges) },
      options: o,
    },
    matching,
    counted,
    isolated,
    errorsPx,
    isolatedErrorsPx,
    pairs,
  };
}

/** Global-scale relative intensity error over counted, centre-matched spots. */
function intensityError(
  truth: TruthSpots,
  peaks: EvaluatedPeaks,
  m: Matching,
  counted: Uint8Array,
): EvaluationMetrics["intensity"] {
  const measured = new Float64Array(truth.n);
  for (let p = 0; p < peaks.n; p++) {
    if (m.peakTruth[p] >= 0) measured[m.peakTruth[p]] += peaks.intensity[p];
  }
  const r: number[] = [];
  for (let i = 0; i < truth.n; i++) {
    if (!counted[i] || m.centrePeak[i] < 0) continue;
    const t = truth.intensity[i];
    if (t > 0 && measured[i] > 0 && Number.isFinite(measured[i])) r.push(measured[i] / t);
  }
  if (r.length === 0) {
    return { n: 0, scale: NaN, medianAbsRelError: NaN, p95AbsRelError: NaN };
  }
  const scale = 1 / percentile(r, 50);
  const abs = r.map((x) => Math.abs(scale * x - 1));
  return {
    n: r.length,
    scale,
    medianAbsRelError: percentile(abs, 50),
    p95AbsRelError: percentile(abs, 95),
  };
}

/** Counted truth pairs in the same frame closer than `maxSepPx`, with their resolution. */
function closePairs(
  truth: TruthSpots,
  peaks: EvaluatedPeaks,
  counted: Uint8Array,
  maxSepPx: number,
  resolvePx: number,
): TruthPair[] {
  const out: TruthPair[] = [];
  const peaksByFrame = groupBy(peaks.frame);
  const byFrame = groupBy(truth.frame);
  for (const [f, all] of [...byFrame].sort((a, b) => a[0] - b[0])) {
    const ts = all.filter((i) => counted[i]);
    const c = pairsWithin(ts, truth.y, truth.z, ts, truth.y, truth.z, maxSepPx, true);
    if (c.length === 0) continue;
    // Peaks within resolvePx of each truth spot of this frame (inclusive).
    const near = new Map<number, number[]>();
    const ps = peaksByFrame.get(f) ?? [];
    const hits = pairsWithin(ts, truth.y, truth.z, ps, peaks.y, peaks.z, resolvePx * (1 + 1e-12));
    for (let k = 0; k < hits.length; k += 3) {
      const list = near.get(hits[k]);
      if (list) list.push(hits[k + 1]);
      else near.set(hits[k], [hits[k + 1]]);
    }
    const frame: TruthPair[] = [];
    for (let k = 0; k < c.length; k += 3) {
      const a = Math.min(c[k], c[k + 1]), b = Math.max(c[k], c[k + 1]);
      const resolved = pairResolved(near.get(a) ?? [], near.get(b) ?? []);
      frame.push({ a, b, frame: f, separationPx: c[k + 2], resolved });
    }
    frame.sort((p, q) => p.a - q.a || p.b - q.b);
    out.push(...frame);
  }
  return out;
}

/**
 * The close-pair rule on the peaks lying within `pairResolvePx` of truth spot A (`nearA`) and of
 * B (`nearB`): resolved when both lists are non-empty and hold two distinct peaks between them.
 *
 * @example
 * ```ts
 * import { pairResolved } from "./metrics.ts";
 * pairResolved([0], [1]); // true
 * pairResolved([0], [0]); // false: one peak for both spots
 * ```
 */
export function pairResolved(nearA: readonly number[], nearB: readonly number[]): boolean {
  return nearA.length > 0 && nearB.length > 0 && new Set([...nearA, ...nearB]).size >= 2;
}

/** Counts pairs per separation bin [edges[i], edges[i+1]). */
export function binPairs(pairs: readonly TruthPair[], edges: readonly number[]): PairBin[] {
  const bins: PairBin[] = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    const inBin = pairs.filter((p) => p.separationPx >= edges[i] && p.separationPx < edges[i + 1]);
    const resolved = inBin.filter((p) => p.resolved).length;
    bins.push({
      loPx: edges[i],
      hiPx: edges[i + 1],
      n: inBin.length,
      resolved,
      fraction: ratio(resolved, inBin.length),
    });
  }
  return bins;
}
