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

/**
 * How each layer's convolution is computed by {@link emitForwardFast}: `direct` (ORT Conv on
 * NCHW), `winograd` (F(4×4, K×K) on HWNC, see winograd.ts) or `unfold` (im2col on HWNC: one
 * GEMM with K²·Cin inner size, for a thin-input layer that feeds a Winograd run so the wide
 * activations never need an NCHW↔HWNC transpose). Shuffle layers are `direct`.
 */
export type ConvAlgo = "direct" | "winograd" | "unfold";

/**
 * Cin·Cout·K² (MAC per output pixel) from which a K ≥ 5 layer starts a Winograd run, and from
 * which a neighbouring layer joins it (instead of paying an NCHW↔HWNC transpose). Measured at
 * 40×40, batch 64 (bench/RESULTS.md, "Winograd"): the seed's 7-layer net 2.09× faster with
 * 256→128, 128→64 and 64→32 in the run; `128-5-r_64-5-r_1-5-s` 1.14×; but
 * `64-5-r_32-5-r_1-5-s` 0.73× and `128-3-r_128-3-r_1-3-s` 0.72× (3×3 convs save 4× fewer
 * MACs than 5×5 ones while the tile transforms cost as much), so those stay direct.
 */
export const WINOGRAD_SEED_MACS = 2 ** 17;
/** See {@link WINOGRAD_SEED_MACS}. */
export const WINOGRAD_JOIN_MACS = 2 ** 14;

/**
 * Output tile size m of the F(m×m, K×K) used for a K×K kernel: input tiles of n = m + K − 1 ≤ 8
 * points keep float32 error near 1e-6 relative (F(4,7), n = 10, is 2.6e-5), so 4 for K ≤ 5 and
 * 2 for K = 7; larger kernels stay direct.
 */
export function winogradTile(kernel: number): number {
  return Math.min(4, 9 - kernel);
}

/** Per-layer {@link ConvAlgo}s: Winograd for wide convs, unfold for the thin layer before them. */
export function planConvAlgos(arch: Arch, inChannels: number): ConvAlgo[] {
  const shapes = layerShapes(arch, inChannels);
  const macs = arch.layers.map((l, i) =>
    l.kind === "conv" && l.kernel >= 5 && l.kernel <= 7 && shapes[i].cin >= 8 &&
      l.outChannels >= 8
      ? shapes[i].cin * l.outChannels * l.kernel ** 2
      : 0
  );
  const plan: ConvAlgo[] = macs.map((m) => (m >= WINOGRAD_SEED_MACS ? "winograd" : "direct"));
  const join = (i: number, from: number) => {
    for (; i >= 0 && i < plan.length && plan[i] === "direct"; i += from) {
      if (macs[i] < WINOGRAD_JOIN_MACS) return;
      plan[i] = "winograd";
    }
  };
  plan.forEach((a, i) => {
    if (a === "winograd" && plan[i + 1] === "direct") join(i + 1, 1);
  });
  for (let i = plan.length - 1; i > 0; i--) {
    if (plan[i] === "winograd" && plan[i - 1] === "direct") join(i - 1, -1);
  }
  plan.forEach((a, i) => {
    const prev = arch.layers[i - 1];
    if (a === "winograd" && prev?.kind === "conv" && plan[i - 1] === "direct") {
      if (shapes[i - 1].cin * prev.kernel ** 2 <= 64) plan[i - 1] = "unfold";
    }
  });
  return plan;
}

/** NCHW ⇄ HWNC (the same permutation both ways). */
const HWNC_PERM = [2, 3, 0, 1];

/**
 * Im2col convolution on HWNC: [H, W, N, Cin] → [H, W, N, Cout] + bias, as two tile Gathers, a
 * transpose of the K²·Cin-wide unfolded input and one GEMM with W as [K·K·Cin, Cout].
 */
function emitUnfoldConv(
  g: GraphBuilder,
  x: string,
  w: string,
  b: string,
  cin: number,
  cout: number,
  k: number,
  h: number,
  wd: number,
): string {
  const p = (k - 1) >> 1;
  const idx = (len: number) =>
    g.constInt64("taps", Array.from({ length: len * k }, (_, q) => Math.floor(q / k) + (q % k)), [
      len,
      k,
    ]);
  const padded = g.op("Pad", [x, g.constInt64("pads", [p, p, 0, 0, p, p, 0, 0])]);
  const rows = g.op("Gather", [padded, idx(h)], { axis: 0 }); // [H, ky, Wp, N, C]
  const taps = g.op("Gather", [rows, idx(wd)], { axis: 2 }); // [H, ky, W, kx, N, C]
  const t = g.op("Transpose", [taps], { perm: [0, 2, 4, 1, 3, 5] }); // [H, W, N, ky, kx, C]
  const shape = (dims: number[]) => g.constInt64("shape", dims);
  const wmat = g.op("Reshape", [g.op("Transpose", [w], { perm: [2, 3, 1, 0] }), shape([-1, cout])]);
  const y = g.op("MatMul", [g.op("Reshape", [t, shape([h, wd, -1, k * k * cin])]), wmat]);
  return g.op("Add", [y, b]);
}

function emitAct(g: GraphBuilder, act: Activation, z: string): string {
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
