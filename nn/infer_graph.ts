/**
 * The inference ONNX graph of an architecture: `x` [N, C, H, W] → `y` [N, Cout, H·s, W·s].
 *
 * Weights go in as initializers by default: ORT then prepacks them and uses its NCHWc kernels,
 * 1.65× faster than weights as graph inputs (deno-stack §1). `weightsAsInputs` builds the
 * variant used for validation during training, where weights change every epoch.
 *
 * @example
 * ```ts
 * import { parseArch, paramSpecs } from "./arch.ts";
 * import { buildInferenceModel } from "./infer_graph.ts";
 * const arch = parseArch("4-3-r_1-3-s");
 * const weights = paramSpecs(arch, 1).map((p) => new Float32Array(p.dims.reduce((a, b) => a * b)));
 * const onnxBytes = buildInferenceModel(arch, 1, { weights });
 * ```
 * @module
 */
import { type Arch, archIO, paramSpecs } from "./arch.ts";
import { emitForwardLayers, nchwOf } from "./forward.ts";
import { type ConvAlgo, planConvAlgos } from "./hwnc.ts";
import { GraphBuilder } from "./onnx_proto.ts";

/** Options of {@link buildInferenceModel}. */
export interface InferenceModelOptions {
  /** Float32 weights in paramSpecs order, baked in as initializers. */
  weights?: Float32Array[];
  /** Declare the weights as graph inputs named like paramSpecs (W0, B0, …) instead. */
  weightsAsInputs?: boolean;
  /**
   * Build for this patch size (input h×w) with {@link planConvAlgos}' fast algorithms: the
   * model then only accepts that size. Unset: one model for any size, ORT Conv throughout.
   */
  fixedSize?: { h: number; w: number };
  /** Per-layer algorithms with `fixedSize` (default {@link planConvAlgos}; tests force them). */
  convAlgos?: ConvAlgo[];
  docString?: string;
}

/** Throws, naming `who` and the tensor, unless `weights` has paramSpecs' count and sizes. */
export function checkWeights(
  arch: Arch,
  inChannels: number,
  weights: ArrayLike<number>[],
  who: string,
): void {
  for (const [i, s] of paramSpecs(arch, inChannels).entries()) {
    const w = weights[i];
    const n = s.dims.reduce((a, b) => a * b, 1);
    if (!w || w.length !== n) {
      throw new Error(`${who}: weight ${s.name} needs ${n} values [${s.dims}], got ${w?.length}`);
    }
  }
}

/** Encodes the inference model. Exactly one of `weights` / `weightsAsInputs` must be given. */
export function buildInferenceModel(
  arch: Arch,
  inChannels: number,
  opts: InferenceModelOptions,
): Uint8Array {
  const specs = paramSpecs(arch, inChannels);
  const g = new GraphBuilder("srmidas_infer");
  const x = g.input("x", ["N", inChannels, "H", "W"]);
  if (opts.weightsAsInputs === (opts.weights !== undefined)) {
    throw new Error("buildInferenceModel: pass exactly one of weights or weightsAsInputs");
  }
  if (opts.weights) checkWeights(arch, inChannels, opts.weights, "buildInferenceModel");
  const names = specs.map((s, i) =>
    opts.weightsAsInputs ? g.input(s.name, s.dims) : g.initializer(s.name, opts.weights![i], s.dims)
  );
  // Fixed size: the planned fast layers (Winograd / unfold on HWNC); else ORT Conv throughout,
  // any size. Constant weights get ORT's NCHWc kernels from its own optimizer (block 0 here).
  const plan = opts.fixedSize
    ? (opts.convAlgos ?? planConvAlgos(arch, inChannels))
    : arch.layers.map((): ConvAlgo => "direct");
  const fwd = emitForwardLayers(g, arch, x, names, inChannels, 0, plan, opts.fixedSize);
  const output = nchwOf(g, fwd.output);
  const io = archIO(arch, inChannels);
  g.output(output, ["N", io.outChannels, "Hout", "Wout"], "y");
  return g.toModel({ docString: opts.docString ?? `srmidas ${arch.text}` });
}
