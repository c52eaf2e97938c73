/**
 * onnxruntime-node session wrappers: a thin typed {@link OrtSession} and a {@link Predictor} that
 * runs a patch network over many patches in memory-bounded batches.
 *
 * Needs `--allow-ffi --allow-read` (ORT is an N-API addon). The first `run()` of a session is
 * 2–3× slower (arena allocation), hence {@link Predictor.warmUp}.
 *
 * @example
 * ```ts
 * import { parseArch, paramSpecs } from "./arch.ts";
 * import { Predictor } from "./session.ts";
 * const arch = parseArch("4-3-r_1-3-s");
 * const weights = paramSpecs(arch, 1).map((p) => new Float32Array(p.dims.reduce((a, b) => a * b)));
 * const pred = await Predictor.create(arch, 1, weights, { threads: 2 });
 * const y = await pred.predict(new Float32Array(10 * 40 * 40), 10, 40, 40); // 10 patches
 * pred.release();
 * ```
 * @module
 */
import * as ort from "onnxruntime-node";
import { type Arch, archCost, paramSpecs, parseArch } from "./arch.ts";
import { buildInferenceModel, checkWeights } from "./infer_graph.ts";
import { type ConvAlgo, planConvAlgos, winogradSizes } from "./hwnc.ts";
import { onnxPathOf, readModelCard } from "./model_card.ts";
import { decodeFloatInitializers, GraphBuilder } from "./onnx_proto.ts";

/** A float32 tensor crossing the ORT boundary. */
export interface F32 {
  data: Float32Array;
  dims: number[];
}

/** Options of {@link OrtSession.create}. */
export interface SessionOptions {
  /** ORT intra-op threads (default 2, this machine's core count). */
  threads?: number;
}

/** A typed onnxruntime-node inference session over float32 tensors. */
export class OrtSession {
  private constructor(private readonly session: ort.InferenceSession) {}

  /** Loads a model from bytes or a file path. */
  static async create(model: Uint8Array | string, opts: SessionOptions = {}): Promise<OrtSession> {
    const so: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: opts.threads ?? 2,
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
      executionMode: "sequential",
    };
    const s = typeof model === "string"
      ? await ort.InferenceSession.create(model, so)
      : await ort.InferenceSession.create(model, so);
    return new OrtSession(s);
  }

  /** Input names the model declares. */
  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  /** Runs the model; returns only the requested outputs (all if omitted). */
  async run(feeds: Record<string, F32>, outputs?: string[]): Promise<Record<string, F32>> {
    const f: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) f[k] = new ort.Tensor("float32", v.data, v.dims);
    const r = outputs ? await this.session.run(f, outputs) : await this.session.run(f);
    const out: Record<string, F32> = {};
    for (const [k, t] of Object.entries(r)) {
      out[k] = { data: t.data as Float32Array, dims: t.dims.map(Number) };
    }
    return out;
  }

  /** Frees native memory. */
  async release(): Promise<void> {
    await this.session.release();
  }
}

let blockProbe: Promise<number> | undefined;

/**
 * ORT's NCHWc block size on this CPU (16 with AVX-512, 8 with AVX2), found by running a tiny
 * `com.microsoft.nchwc` ReorderInput model once per process; 0 if that op is unavailable. Feeds
 * `TrainGraphOptions.nchwcBlock`.
 */
export function nchwcBlockSize(): Promise<number> {
  blockProbe ??= (async () => {
    const g = new GraphBuilder("nchwc_probe");
    const x = g.input("x", [1, 4, 1, 1]);
    g.output(g.opIn("com.microsoft.nchwc", "ReorderInput", [x]), [1, "C", 1, 1], "y");
    try {
      const s = await OrtSession.create(g.toModel(), { threads: 1 });
      try {
        const r = await s.run({ x: { data: new Float32Array(4), dims: [1, 4, 1, 1] } });
        return r.y.dims[1];
      } finally {
        await s.release();
      }
    } catch {
      return 0;
    }
  })();
  return blockProbe;
}

/**
 * Patches per forward batch at h×w: twice the largest layer output plus input and output per
 * patch (an estimate of ORT's arena use) must fit `maxBatchBytes` (default 1 GiB); at most
 * `maxBatch` (default 256), at least 1. With a fast `plan` ({@link planConvAlgos}), a Winograd
 * layer holds its tiled input twice and its tiled output once, (n/m)² times the plain sizes.
 */
export function memoryBoundedBatch(
  arch: Arch,
  inChannels: number,
  h: number,
  w: number,
  opts: { maxBatchBytes?: number; maxBatch?: number; plan?: ConvAlgo[] } = {},
): number {
  const c = archCost(arch, inChannels, h, w);
  let perPatch = 2 * c.peakActivationBytes +
    4 * h * w * (inChannels + c.outChannels * c.upscale ** 2);
  for (const t of opts.plan ? winogradSizes(arch, inChannels, h, w, opts.plan) : []) {
    perPatch = Math.max(perPatch, 4 * t.tilePoints * (2 * t.cin + t.cout));
  }
  const byMem = Math.floor((opts.maxBatchBytes ?? 2 ** 30) / perPatch);
  return Math.max(1, Math.min(opts.maxBatch ?? 256, byMem));
}

/**
 * A {@link Predictor}'s default activation budget per batch. Batches sized to fill memory ran
 * slower than small ones, with the same outputs bit for bit: on this 2-core machine the bundled
 * x4→x8 stage took 0.71–0.75 ms a patch in batches of 400 (1 GiB) and 0.55–0.60 in batches of 18
 * (32 MiB); sr-midas's 7-layer net at 40², 14–18 ms in one batch of 48 and 7 in batches of 2;
 * `process`'s cascade over 80 frames 1.44–1.52 ms a patch and 1.14–1.15, its first batch 1.0–2.5 s
 * and 0.6 s (bench/RESULTS.md). 8 and 16 MiB were as fast for the small stages, slower for the
 * 7-layer net (batches of one).
 */
export const PREDICT_BATCH_BYTES = 2 ** 25;

/** Options of {@link Predictor.create}. */
export interface PredictorOptions extends SessionOptions {
  /**
   * Upper bound on activation memory per batch, in bytes (default {@link PREDICT_BATCH_BYTES},
   * 32 MiB).
   */
  maxBatchBytes?: number;
  /** Upper bound on patches per batch (default 256). */
  maxBatch?: number;
  /**
   * `auto` (default): when the weights are known ({@link Predictor.create}) and
   * {@link planConvAlgos} finds wide convolutions, build one model per patch size with Winograd
   * and HWNC layers (2.1× faster on the seed's 7-layer net); `direct`: one model for all sizes,
   * ORT Conv throughout.
   */
  convAlgo?: "auto" | "direct";
}

/** The fast layer plan for `arch` under `opts`, or null when every layer stays on ORT Conv. */
function fastPlan(arch: Arch, inChannels: number, opts: PredictorOptions): ConvAlgo[] | null {
  if ((opts.convAlgo ?? "auto") !== "auto") return null;
  const plan = planConvAlgos(arch, inChannels);
  return plan.some((a) => a !== "direct") ? plan : null;
}

/** Runs a patch network over N patches with a memory-bounded batch size. */
export class Predictor {
  /** Fixed-size fast models by "h×w", built on first use (only with `fast`). */
  private readonly bySize = new Map<string, Promise<OrtSession>>();

  private constructor(
    readonly arch: Arch,
    readonly inChannels: number,
    private readonly session: OrtSession | null,
    private readonly opts: PredictorOptions,
    private readonly fast?: { weights: Float32Array[]; plan: ConvAlgo[] },
  ) {}

  /**
   * A predictor for `weights` (paramSpecs order, baked in as initializers); with
   * `convAlgo: "auto"` and wide layers, one Winograd/HWNC model per patch size.
   */
  static create(
    arch: Arch,
    inChannels: number,
    weights: Float32Array[],
    opts: PredictorOptions = {},
  ): Promise<Predictor> {
    const plan = fastPlan(arch, inChannels, opts);
    if (plan) {
      checkWeights(arch, inChannels, weights, "Predictor.create");
      return Promise.resolve(new Predictor(arch, inChannels, null, opts, { weights, plan }));
    }
    return Predictor.fromModel(
      arch,
      inChannels,
      buildInferenceModel(arch, inChannels, { weights }),
      opts,
    );
  }

  private sessionFor(h: number, w: number): Promise<OrtSession> {
    if (this.session) return Promise.resolve(this.session);
    const key = `${h}×${w}`;
    let s = this.bySize.get(key);
    if (!s) {
      s = OrtSession.create(
        buildInferenceModel(this.arch, this.inChannels, {
          weights: this.fast!.weights,
          fixedSize: { h, w },
          convAlgos: this.fast!.plan,
        }),
        this.opts,
      );
      this.bySize.set(key, s);
    }
    return s;
  }

  /**
   * Wraps an existing inference model (bytes or .onnx path) whose architecture is known. With
   * `convAlgo: "auto"` and wide layers, its weights (initializers named like paramSpecs: W0,
   * B0, …) are read back and the fast per-size models are built from them; a model whose
   * weights can't be found that way runs as it is.
   */
  static async fromModel(
    arch: Arch,
    inChannels: number,
    model: Uint8Array | string,
    opts: PredictorOptions = {},
  ): Promise<Predictor> {
    const plan = fastPlan(arch, inChannels, opts);
    if (plan) {
      const bytes = typeof model === "string" ? await Deno.readFile(model) : model;
      const inits = decodeFloatInitializers(bytes);
      const weights = paramSpecs(arch, inChannels).map((sp) => {
        const t = inits.get(sp.name);
        return t && t.dims.join() === sp.dims.join() ? t.data : null;
      });
      if (weights.every((w) => w !== null)) {
        return new Predictor(arch, inChannels, null, opts, {
          weights: weights as Float32Array[],
          plan,
        });
      }
    }
    return new Predictor(arch, inChannels, await OrtSession.create(model, opts), opts);
  }

  /** Loads an exported model from its card (`model.json`, with `model.onnx` beside it). */
  static async fromCard(cardPath: string, opts: PredictorOptions = {}): Promise<Predictor> {
    const card = await readModelCard(cardPath);
    return Predictor.fromModel(parseArch(card.arch), card.inChannels, onnxPathOf(cardPath), opts);
  }

  /** Patches per batch at h×w, see {@link memoryBoundedBatch}. */
  batchSize(h: number, w: number): number {
    const plan = this.fast?.plan, maxBatchBytes = this.opts.maxBatchBytes ?? PREDICT_BATCH_BYTES;
    return memoryBoundedBatch(this.arch, this.inChannels, h, w, {
      ...this.opts,
      maxBatchBytes,
      plan,
    });
  }

  /** One throw-away run at the production batch size, so timed runs see a warm arena. */
  async warmUp(h: number, w: number): Promise<void> {
    const b = this.batchSize(h, w);
    await this.predict(new Float32Array(b * this.inChannels * h * w), b, h, w);
  }

  /**
   * Predicts N patches: `x` is [N, C, h, w] float32; returns [N, Cout, h·s, w·s].
   * `onBatch` reports progress after each batch.
   */
  async predict(
    x: Float32Array,
    n: number,
    h: number,
    w: number,
    onBatch?: (done: number, total: number) => void,
  ): Promise<Float32Array> {
    const per = this.inChannels * h * w;
    if (x.length !== n * per) {
      throw new Error(
        `Predictor.predict: x has ${x.length} values, expected N·C·H·W = ${n}·${this.inChannels}·${h}·${w}`,
      );
    }
    const c = archCost(this.arch, this.inChannels, h, w);
    const perOut = c.outChannels * h * w * c.upscale ** 2;
    const out = new Float32Array(n * perOut);
    const b = this.batchSize(h, w);
    const session = await this.sessionFor(h, w);
    for (let s = 0; s < n; s += b) {
      const m = Math.min(b, n - s);
      const r = await session.run({
        x: { data: x.subarray(s * per, (s + m) * per), dims: [m, this.inChannels, h, w] },
      });
      out.set(r.y.data, s * perOut);
      onBatch?.(s + m, n);
    }
    return out;
  }

  /** Frees native memory. */
  async release(): Promise<void> {
    await this.session?.release();
    for (const s of this.bySize.values()) await (await s).release();
    this.bySize.clear();
  }
}
