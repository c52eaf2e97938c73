/**
 * The CNN training loop (sr-midas-seed §7.2) over an abstract sample source, driven by the
 * ONNX training-step graph ({@link buildTrainModel}) on onnxruntime-node.
 *
 * Differences from sr-midas, on purpose:
 * - seeded everything: init, train/val split (shuffled by default; `shuffleSplit: false` gives
 *   sr-midas's "first floor(frac·N) are train") and per-epoch shuffling;
 * - the convergence phase (`ecItr`/`ecVal`) has a retry cap and then throws;
 * - checkpoints hold weights + Adam state + RNG state + epoch, every N epochs plus `last` and
 *   `best`; resuming from `last` continues bit-identically to an uninterrupted run;
 * - validation loss is the exact mean over all validation elements.
 *
 * Initialization (sr-midas §6.1, PyTorch conventions): weights Kaiming-normal with fan_in and
 * ReLU gain, std = √(2/fan_in), fan_in = C_in·K²; biases U(−1/√fan_in, 1/√fan_in) (PyTorch's
 * default Conv2d bias init).
 *
 * The source is sample-indexed (`read(indices)`) rather than batch-indexed so the trainer owns
 * the seeded split and shuffle; {@link arraySource} wraps in-memory arrays.
 *
 * @example
 * ```ts
 * import { arraySource, train } from "./trainer.ts";
 * const n = 64;
 * const src = arraySource(new Float32Array(n * 100), new Float32Array(n * 100), n, [1, 10, 10], [1, 10, 10]);
 * const r = await train(src, { arch: "8-3-r_1-3-s", batchSize: 16, epochs: 2, lr: 1e-3 });
 * console.log(r.history.at(-1)?.valLoss);
 * ```
 * @module
 */
import { type Arch, archIO, paramSpecs, parseArch } from "./arch.ts";
import { readCheckpoint, writeCheckpoint } from "./checkpoint.ts";
import { AbsErrorStats, type ErrorSummary } from "./error_stats.ts";
import { planConvAlgos, winogradSizes, winogradTrainBytesPerSample } from "./hwnc.ts";
import { buildInferenceModel } from "./infer_graph.ts";
import type { LossKind } from "./reference.ts";
import { Rng } from "./rng.ts";
import { type F32, memoryBoundedBatch, nchwcBlockSize, OrtSession } from "./session.ts";
import { adamScalars, buildTrainModel, type DGrad, type WGrad } from "./train_graph.ts";

/** A batch of samples, contiguous: x [k, C, H, W], y [k, Cout, Ho, Wo]. */
export interface Batch {
  x: Float32Array;
  y: Float32Array;
}

/** Random-access training samples. */
export interface SampleSource {
  size: number;
  /** [C, H, W] of one input sample. */
  inShape: readonly [number, number, number];
  /** [Cout, Ho, Wo] of one target sample. */
  outShape: readonly [number, number, number];
  /** Reads the samples `indices` (any order) into one contiguous batch. */
  read(indices: readonly number[]): Batch | Promise<Batch>;
}

/** A {@link SampleSource} over in-memory arrays. */
export function arraySource(
  x: Float32Array,
  y: Float32Array,
  n: number,
  inShape: readonly [number, number, number],
  outShape: readonly [number, number, number],
): SampleSource {
  const pi = inShape[0] * inShape[1] * inShape[2];
  const po = outShape[0] * outShape[1] * outShape[2];
  if (x.length !== n * pi || y.length !== n * po) {
    throw new Error(
      `arraySource: x/y have ${x.length}/${y.length} values, expected ${n}·${pi} / ${n}·${po}`,
    );
  }
  return {
    size: n,
    inShape,
    outShape,
    read(indices) {
      const bx = new Float32Array(indices.length * pi);
      const by = new Float32Array(indices.length * po);
      indices.forEach((s, k) => {
        bx.set(x.subarray(s * pi, (s + 1) * pi), k * pi);
        by.set(y.subarray(s * po, (s + 1) * po), k * po);
      });
      return { x: bx, y: by };
    },
  };
}

/**
 * The sr-midas convergence phase: retry fresh inits until the last batch loss is small. It runs
 * its `epochs` in full even when they exceed {@link TrainOptions.epochs}, as sr-midas's
 * `for epoch in range(ecItr)` does before its main loop `range(ecItr, maxItr)`.
 */
export interface ConvergenceCheck {
  /** Epochs per attempt (sr-midas `ecItr`). */
  epochs: number;
  /** Success if the last mini-batch loss of the attempt is below this (sr-midas `ecVal`). */
  maxLoss: number;
  /** Attempts before giving up with an Error (default 5; sr-midas has no cap). */
  maxAttempts?: number;
}

/** Options of {@link train}. */
export interface TrainOptions {
  arch: string;
  loss?: LossKind;
  /** Adam learning rate (default 1e-4 as sr-midas). */
  lr?: number;
  batchSize: number;
  /**
   * Total epochs including the convergence phase (sr-midas `maxItr`); a longer convergence
   * phase still runs to its end, so the run has max(epochs, convergence.epochs) epochs.
   */
  epochs: number;
  trainFrac?: number;
  seed?: number;
  /** Seeded shuffled split (default true); false = first floor(frac·N) samples train. */
  shuffleSplit?: boolean;
  /** Validation batch; default memory-bounded (1 GiB of activations, at most 256). */
  valBatchSize?: number;
  threads?: number;
  /** Where `last.ckpt`, `best.ckpt` and `epoch-NNNNN.ckpt` go; none written if unset. */
  checkpointDir?: string;
  /** Also keep `epoch-NNNNN.ckpt` every this many epochs (0 = never). */
  checkpointEvery?: number;
  /** Continue from `checkpointDir/last.ckpt` if it exists. */
  resume?: boolean;
  convergence?: ConvergenceCheck;
  /** Start (and every convergence retry) from these weights instead of a fresh init (sr-midas `loadChkpt`). */
  initialWeights?: Float32Array[];
  wgrad?: WGrad;
  dgrad?: DGrad;
  /**
   * Run blocked convolutions through ORT's NCHWc kernels (default true where this onnxruntime
   * has them, see `TrainGraphOptions.nchwcBlock`); false builds the portable graph.
   */
  nchwc?: boolean;
  /**
   * `auto` (default): build the step and validation graphs for the source's patch size, so wide
   * 5×5 layers train as Winograd on HWNC ({@link planConvAlgos}; 2.5× faster on the seed's
   * 7-layer net); `direct`: ORT Conv throughout. Architectures without wide layers build the
   * same graph either way.
   */
  convAlgo?: "auto" | "direct";
  /**
   * With `convAlgo: "auto"`, the most bytes a step's Winograd tiles may take (batch × layers ×
   * 4× input tiles; default 6 GiB of this 24 GiB machine); above it the step runs on ORT Conv.
   */
  maxWinogradBytes?: number;
  /**
   * Called with each epoch's end-of-epoch weights (paramSpecs order), before the epoch is
   * recorded as done in `last.ckpt`: what it writes (sr-midas's `mod-it{N}.pth`) is never
   * missing after a resume. A failed convergence attempt's epochs are reported too (sr-midas
   * overwrites their checkpoints on the next attempt).
   */
  onEpochWeights?: (m: EpochMetrics, weights: readonly Float32Array[]) => Promise<void> | void;
  onEpoch?: (m: EpochMetrics) => void;
  /** Checked after every epoch (after its checkpoint): stops cleanly with `stopped: true`. */
  signal?: AbortSignal;
}

/** What one epoch reports. */
export interface EpochMetrics {
  epoch: number;
  attempt: number;
  steps: number;
  /** Mean of the mini-batch losses. */
  trainLoss: number;
  lastBatchLoss: number;
  /** Mean loss over all validation elements (NaN without validation samples). */
  valLoss: number;
  /** |gt − pred| of the predictions made during the epoch, before each step's update. */
  train: ErrorSummary;
  /** |gt − pred| on the validation split with the end-of-epoch weights. */
  val: ErrorSummary;
  seconds: number;
}

/** Thrown when every allowed convergence attempt ended with a last mini-batch loss ≥ the bound. */
export class ConvergenceError extends Error {
  constructor(
    /** Attempts made. */
    readonly attempts: number,
    /** Epochs per attempt. */
    readonly epochs: number,
    /** The bound (sr-midas `ecVal`). */
    readonly maxLoss: number,
    /** The last mini-batch loss of each attempt. */
    readonly lastLosses: number[],
  ) {
    super(
      `train: no convergence after ${attempts} attempts of ${epochs} epochs (last mini-batch losses ${
        lastLosses.map((l) => l.toPrecision(4)).join(", ")
      }, each ≥ ${maxLoss})`,
    );
    this.name = "ConvergenceError";
  }
}

/** What {@link train} returns. */
export interface TrainResult {
  arch: Arch;
  inChannels: number;
  weights: Float32Array[];
  /** Weights of the best epoch (lowest val loss, or train loss without validation). */
  bestWeights: Float32Array[];
  best: EpochMetrics | null;
  history: EpochMetrics[];
  /** True when `signal` stopped the run before its last epoch. */
  stopped: boolean;
  trainCount: number;
  valCount: number;
}

/** Fresh parameters in paramSpecs order (see the module doc for the distributions). */
export function initParams(arch: Arch, inChannels: number, rng: Rng): Float32Array[] {
  return paramSpecs(arch, inChannels).map((s) => {
    const n = s.dims.reduce((a, b) => a * b, 1);
    const out = new Float32Array(n);
    const isWeight = s.dims.length === 4;
    const std = Math.sqrt(2 / s.fanIn);
    const bound = 1 / Math.sqrt(s.fanIn);
    for (let i = 0; i < n; i++) out[i] = isWeight ? std * rng.normal() : rng.uniform(-bound, bound);
    return out;
  });
}

/** Seeded split of 0…n−1 into train (floor(frac·n)) and validation indices. */
export function splitIndices(
  n: number,
  trainFrac: number,
  seed: number,
  shuffle = true,
): { train: number[]; val: number[] } {
  if (!(trainFrac > 0 && trainFrac <= 1)) {
    throw new Error(`trainFrac must be in (0, 1], got ${trainFrac}`);
  }
  const idx = Array.from({ length: n }, (_, i) => i);
  if (shuffle) new Rng(seed ^ 0x5eed5).shuffle(idx);
  const k = Math.floor(trainFrac * n);
  return { train: idx.slice(0, k), val: idx.slice(k) };
}

interface TrainState {
  params: Float32Array[];
  m: Float32Array[];
  v: Float32Array[];
  t: number;
  epoch: number;
  attempt: number;
  converged: boolean;
  rng: Rng;
  history: EpochMetrics[];
  best: EpochMetrics | null;
  bestParams: Float32Array[];
}

function freshState(
  arch: Arch,
  cin: number,
  rng: Rng,
  keep?: TrainState,
  init?: Float32Array[],
): TrainState {
  const params = init ? init.map((p) => p.slice()) : initParams(arch, cin, rng);
  return {
    params,
    m: params.map((p) => new Float32Array(p.length)),
    v: params.map((p) => new Float32Array(p.length)),
    t: 0,
    epoch: 0,
    attempt: keep ? keep.attempt + 1 : 0,
    converged: false,
    rng,
    history: keep?.history ?? [],
    best: null,
    bestParams: params.map((p) => p.slice()),
  };
}

/** Fields that must match between a checkpoint and the options resuming it. */
function runIdentity(opts: TrainOptions, arch: Arch, cin: number, n: number) {
  return {
    arch: arch.text,
    inChannels: cin,
    loss: opts.loss ?? "mse",
    lr: opts.lr ?? 1e-4,
    batchSize: opts.batchSize,
    seed: opts.seed ?? 0,
    trainFrac: opts.trainFrac ?? 0.8,
    shuffleSplit: opts.shuffleSplit ?? true,
    samples: n,
  };
}

async function saveState(
  path: string,
  s: TrainState,
  identity: Record<string, unknown>,
  names: string[],
) {
  const tensors: Record<string, Float32Array> = {};
  names.forEach((nm, i) => {
    tensors[nm] = s.params[i];
    tensors[`m_${nm}`] = s.m[i];
    tensors[`v_${nm}`] = s.v[i];
    tensors[`best_${nm}`] = s.bestParams[i];
  });
  await writeCheckpoint(path, {
    format: "srmidas-train-ckpt/1",
    identity,
    t: s.t,
    epoch: s.epoch,
    attempt: s.attempt,
    converged: s.converged,
    rng: s.rng.state(),
    history: s.history,
    best: s.best,
  }, tensors);
}

async function loadState(
  path: string,
  identity: Record<string, unknown>,
  names: string[],
): Promise<TrainState> {
  const { meta, tensors } = await readCheckpoint(path);
  const saved = meta.identity as Record<string, unknown>;
  for (const [k, v] of Object.entries(identity)) {
    if (saved?.[k] !== v) {
      throw new Error(
        `${path}: cannot resume, field ${k} is ${
          JSON.stringify(saved?.[k])
        } in the checkpoint but ${JSON.stringify(v)} now`,
      );
    }
  }
  const get = (nm: string) => {
    const t = tensors[nm];
    if (!t) throw new Error(`${path}: checkpoint lacks tensor ${nm}`);
    return t;
  };
  return {
    params: names.map(get),
    m: names.map((n) => get(`m_${n}`)),
    v: names.map((n) => get(`v_${n}`)),
    bestParams: names.map((n) => get(`best_${n}`)),
    t: meta.t as number,
    epoch: meta.epoch as number,
    attempt: meta.attempt as number,
    converged: meta.converged as boolean,
    rng: Rng.fromState(meta.rng as number[]),
    history: meta.history as EpochMetrics[],
    best: meta.best as EpochMetrics | null,
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Trains a network on `source`; see {@link TrainOptions}. */
export async function train(source: SampleSource, opts: TrainOptions): Promise<TrainResult> {
  const arch = parseArch(opts.arch, { source: "train option arch" });
  const [cin, h, w] = source.inShape;
  const io = archIO(arch, cin);
  const [cout, ho, wo] = source.outShape;
  if (cout !== io.outChannels || ho !== h * io.upscale || wo !== w * io.upscale) {
    throw new Error(
      `train: source targets are [${source.outShape}] but arch "${arch.text}" on [${source.inShape}] gives [${io.outChannels},${
        h * io.upscale
      },${w * io.upscale}]`,
    );
  }
  const loss = opts.loss ?? "mse";
  const lr = opts.lr ?? 1e-4;
  const bs = opts.batchSize;
  const specs = paramSpecs(arch, cin);
  const names = specs.map((s) => s.name);
  const { train: trainIdx, val: valIdx } = splitIndices(
    source.size,
    opts.trainFrac ?? 0.8,
    opts.seed ?? 0,
    opts.shuffleSplit ?? true,
  );
  const steps = Math.floor(trainIdx.length / bs);
  if (steps < 1) throw new Error(`train: ${trainIdx.length} training samples < batchSize ${bs}`);
  const identity = runIdentity(opts, arch, cin, source.size);
  const dir = opts.checkpointDir;
  if (dir) await Deno.mkdir(dir, { recursive: true });
  const lastPath = dir ? `${dir}/last.ckpt` : "";

  let s: TrainState = opts.resume && dir && (await exists(lastPath))
    ? await loadState(lastPath, identity, names)
    : freshState(arch, cin, new Rng(opts.seed ?? 0), undefined, opts.initialWeights);

  // Winograd keeps 4× larger tiles per wide layer: past the budget, train on ORT Conv.
  const trainPlan = planConvAlgos(arch, cin, "train");
  const tileBytes = bs * winogradTrainBytesPerSample(winogradSizes(arch, cin, h, w, trainPlan));
  const fast = (opts.convAlgo ?? "auto") === "auto" &&
    tileBytes <= (opts.maxWinogradBytes ?? 6 * 2 ** 30);
  const fixedSize = fast ? { h, w } : undefined;
  const valPlan = fast ? planConvAlgos(arch, cin) : undefined;
  const valBatch = opts.valBatchSize ?? memoryBoundedBatch(arch, cin, h, w, { plan: valPlan });
  const stepSession = await OrtSession.create(
    buildTrainModel(arch, cin, {
      loss,
      wgrad: opts.wgrad,
      dgrad: opts.dgrad,
      nchwcBlock: opts.nchwc === false ? 0 : await nchwcBlockSize(),
      outputPrediction: true,
      fixedSize,
      convAlgos: trainPlan,
    }),
    { threads: opts.threads },
  );
  const valSession = valIdx.length
    ? await OrtSession.create(
      buildInferenceModel(arch, cin, { weightsAsInputs: true, fixedSize, convAlgos: valPlan }),
      { threads: opts.threads },
    )
    : null;
  const conv = opts.convergence;
  const total = Math.max(opts.epochs, conv?.epochs ?? 0);
  let stopped = false;
  try {
    while (s.epoch < total) {
      const t0 = performance.now();
      const perm = s.rng.shuffle(trainIdx.slice());
      const trainStats = new AbsErrorStats();
      let lossSum = 0;
      let lastLoss = NaN;
      for (let k = 0; k < steps; k++) {
        const batch = await source.read(perm.slice(k * bs, (k + 1) * bs));
        s.t++;
        const { lrT, epsT } = adamScalars(lr, s.t);
        const feeds: Record<string, F32> = {
          X: { data: batch.x, dims: [bs, cin, h, w] },
          Y: { data: batch.y, dims: [bs, cout, ho, wo] },
          lr_t: { data: new Float32Array([lrT]), dims: [1] },
          eps_t: { data: new Float32Array([epsT]), dims: [1] },
        };
        specs.forEach((sp, i) => {
          feeds[sp.name] = { data: s.params[i], dims: sp.dims };
          feeds[`m_${sp.name}`] = { data: s.m[i], dims: sp.dims };
          feeds[`v_${sp.name}`] = { data: s.v[i], dims: sp.dims };
        });
        const out = await stepSession.run(feeds);
        names.forEach((nm, i) => {
          s.params[i] = out[`${nm}_new`].data;
          s.m[i] = out[`m_${nm}_new`].data;
          s.v[i] = out[`v_${nm}_new`].data;
        });
        lastLoss = out.loss.data[0];
        lossSum += lastLoss;
        trainStats.add(out.pred.data, batch.y);
      }
      const val = await validate(
        valSession,
        source,
        valIdx,
        valBatch,
        s.params,
        specs,
        loss,
      );
      const m: EpochMetrics = {
        epoch: s.epoch,
        attempt: s.attempt,
        steps,
        trainLoss: lossSum / steps,
        lastBatchLoss: lastLoss,
        valLoss: val.loss,
        train: trainStats.summary(),
        val: val.stats,
        seconds: (performance.now() - t0) / 1000,
      };
      s.history.push(m);
      await opts.onEpochWeights?.(m, s.params);
      s.epoch++;
      const score = (e: EpochMetrics) => (Number.isFinite(e.valLoss) ? e.valLoss : e.trainLoss);
      const improved = !s.best || score(m) < score(s.best);
      if (improved) {
        s.best = m;
        s.bestParams = s.params.map((p) => p.slice());
      }
      if (conv && !s.converged && s.epoch === conv.epochs) {
        if (lastLoss < conv.maxLoss) {
          s.converged = true;
        } else if (s.attempt + 1 >= (conv.maxAttempts ?? 5)) {
          const ends = s.history.filter((h) => h.epoch === conv.epochs - 1);
          throw new ConvergenceError(
            s.attempt + 1,
            conv.epochs,
            conv.maxLoss,
            ends.map((h) => h.lastBatchLoss),
          );
        } else {
          s = freshState(arch, cin, s.rng, s, opts.initialWeights);
        }
      }
      if (dir) {
        await saveState(lastPath, s, identity, names);
        if (improved && s.best === m) await saveState(`${dir}/best.ckpt`, s, identity, names);
        const every = opts.checkpointEvery ?? 0;
        if (every > 0 && s.epoch % every === 0) {
          await saveState(
            `${dir}/epoch-${String(s.epoch).padStart(5, "0")}.ckpt`,
            s,
            identity,
            names,
          );
        }
      }
      opts.onEpoch?.(m);
      if (opts.signal?.aborted && s.epoch < total) {
        stopped = true;
        break;
      }
    }
  } finally {
    await stepSession.release();
    await valSession?.release();
  }
  return {
    arch,
    inChannels: cin,
    weights: s.params,
    bestWeights: s.bestParams,
    best: s.best,
    history: s.history,
    stopped,
    trainCount: trainIdx.length,
    valCount: valIdx.length,
  };
}

async function validate(
  session: OrtSession | null,
  source: SampleSource,
  idx: number[],
  batch: number,
  params: Float32Array[],
  specs: { name: string; dims: number[] }[],
  loss: LossKind,
): Promise<{ loss: number; stats: ErrorSummary }> {
  const stats = new AbsErrorStats();
  if (!session) return { loss: NaN, stats: stats.summary() };
  const [cin, h, w] = source.inShape;
  let sum = 0;
  let count = 0;
  for (let k = 0; k < idx.length; k += batch) {
    const part = idx.slice(k, k + batch);
    const b = await source.read(part);
    const feeds: Record<string, F32> = { x: { data: b.x, dims: [part.length, cin, h, w] } };
    specs.forEach((sp, i) => (feeds[sp.name] = { data: params[i], dims: sp.dims }));
    const p = (await session.run(feeds, ["y"])).y.data;
    for (let i = 0; i < p.length; i++) {
      const d = p[i] - b.y[i];
      sum += loss === "mse" ? d * d : Math.abs(d);
    }
    count += p.length;
    stats.add(p, b.y);
  }
  return { loss: sum / count, stats: stats.summary() };
}

/** sr-midas's per-epoch error log line, e.g. `[Valid] @ 00005 l2-norm of   200 samples: …`. */
export function formatErrorLine(
  tag: "Train" | "Valid",
  epoch: number,
  samples: number,
  e: ErrorSummary,
): string {
  const f = (v: number, d: number) => v.toFixed(d);
  return `[${tag}] @ ${String(epoch).padStart(5, "0")} l2-norm of ${
    String(samples).padStart(5)
  } samples: Avg.: ${f(e.mean, 4)}, 50th: ${f(e.p50, 3)}, 75th: ${f(e.p75, 3)}, 95th: ${
    f(e.p95, 3)
  }, 99.5th: ${f(e.p995, 3)}`;
}
