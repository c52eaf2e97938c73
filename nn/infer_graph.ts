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
import { type Activation, type Arch, archIO, layerShapes, paramSpecs } from "./arch.ts";
import { GraphBuilder } from "./onnx_proto.ts";
import { type ConvAlgo, emitUnfoldConv, HWNC_PERM, planConvAlgos, winogradTile } from "./hwnc.ts";
import { emitWinogradConv, emitWinogradFilter, winogradMatrices } from "./winograd.ts";

/** What {@link emitForward} records per layer (needed by the backward pass). */
export interface ForwardLayer {
  /** Value name of the layer's input. */
  input: string;
  /** Value name of the layer's output (after activation). */
  output: string;
}

const ACT_OP: Record<Activation, string | null> = {
  r: "Relu",
  s: "Sigmoid",
  lr: "LeakyRelu",
  t: "Tanh",
  n: null,
};

/** Appends the forward pass to `g`; `params` are value names in paramSpecs order. */
export function emitForward(
  g: GraphBuilder,
  arch: Arch,
  x: string,
  params: string[],
): { output: string; layers: ForwardLayer[] } {
  let a = x;
  let pi = 0;
  const layers: ForwardLayer[] = [];
  for (const l of arch.layers) {
    const input = a;
    if (l.kind === "conv") {
      const p = (l.kernel - 1) >> 1;
      a = g.op("Conv", [a, params[pi], params[pi + 1]], {
        kernel_shape: [l.kernel, l.kernel],
        pads: [p, p, p, p],
      });
      pi += 2;
      const op = ACT_OP[l.act];
      if (op) a = g.op(op, [a], op === "LeakyRelu" ? { alpha: 0.01 } : {});
    } else {
      a = g.op("DepthToSpace", [a], { blocksize: l.factor, mode: "CRD" });
    }
    layers.push({ input, output: a });
  }
  return { output: a, layers };
}

/** Appends activation `act` (sr-midas codes) to `z`; identity for `n`. */
export function emitAct(g: GraphBuilder, act: Activation, z: string): string {
  const op = ACT_OP[act];
  return op ? g.op(op, [z], op === "LeakyRelu" ? { alpha: 0.01 } : {}) : z;
}

/**
 * The forward pass with per-layer {@link ConvAlgo}s at a fixed patch size h×w (any batch):
 * runs of `unfold`/`winograd` layers compute on HWNC, everything else as {@link emitForward}.
 * Same result as {@link emitForward} up to float32 rounding (Winograd's error is ~1e-6
 * relative).
 */
export function emitForwardFast(
  g: GraphBuilder,
  arch: Arch,
  x: string,
  params: string[],
  inChannels: number,
  h: number,
  w: number,
  plan: ConvAlgo[] = planConvAlgos(arch, inChannels),
): string {
  const shapes = layerShapes(arch, inChannels);
  let a = x;
  let hwnc = false;
  let pi = 0;
  arch.layers.forEach((l, li) => {
    const algo = plan[li];
    const fast = algo !== "direct";
    if (fast !== hwnc) {
      a = g.op("Transpose", [a], { perm: HWNC_PERM });
      hwnc = fast;
    }
    const res = shapes[li].scale / (l.kind === "shuffle" ? l.factor : 1);
    if (l.kind === "shuffle") {
      a = g.op("DepthToSpace", [a], { blocksize: l.factor, mode: "CRD" });
      return;
    }
    const cin = shapes[li].cin;
    const [wv, bv] = [params[pi], params[pi + 1]];
    pi += 2;
    if (algo === "winograd") {
      const wm = winogradMatrices(winogradTile(l.kernel), l.kernel);
      const u = emitWinogradFilter(g, wv, l.outChannels, cin, wm);
      a = emitWinogradConv(g, a, u, bv, wm, { cin, cout: l.outChannels, h: h * res, w: w * res });
    } else if (algo === "unfold") {
      a = emitUnfoldConv(g, a, wv, bv, cin, l.outChannels, l.kernel, h * res, w * res);
    } else {
      const p = (l.kernel - 1) >> 1;
      a = g.op("Conv", [a, wv, bv], { kernel_shape: [l.kernel, l.kernel], pads: [p, p, p, p] });
    }
    a = emitAct(g, l.act, a);
  });
  return hwnc ? g.op("Transpose", [a], { perm: HWNC_PERM }) : a;
}

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
  const names = specs.map((s, i) => {
    if (opts.weightsAsInputs) return g.input(s.name, s.dims);
    const w = opts.weights![i];
    const n = s.dims.reduce((a, b) => a * b, 1);
    if (!w || w.length !== n) {
      throw new Error(
        `buildInferenceModel: weight ${s.name} needs ${n} values [${s.dims}], got ${w?.length}`,
      );
    }
    return g.initializer(s.name, w, s.dims);
  });
  const output = opts.fixedSize
    ? emitForwardFast(
      g,
      arch,
      x,
      names,
      inChannels,
      opts.fixedSize.h,
      opts.fixedSize.w,
      opts.convAlgos,
    )
    : emitForward(g, arch, x, names).output;
  const io = archIO(arch, inChannels);
  g.output(output, ["N", io.outChannels, "Hout", "Wout"], "y");
  return g.toModel({ docString: opts.docString ?? `srmidas ${arch.text}` });
}
