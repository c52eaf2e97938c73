/**
 * Convolutions on the HWNC layout ([H, W, N, C]) and the per-layer choice between them and ORT's
 * Conv on NCHW: Winograd for wide 5×5 / 7×7 layers (winograd.ts) and im2col ("unfold") for the
 * thin layer that feeds them, so wide activations never pay an NCHW↔HWNC transpose.
 *
 * @example
 * ```ts
 * import { parseArch } from "./arch.ts";
 * import { planConvAlgos } from "./hwnc.ts";
 * planConvAlgos(parseArch("256-5-r_128-5-r_64-5-r_32-5-r_16-5-r_8-5-r_1-5-s"), 1);
 * // ["unfold", "winograd", "winograd", "winograd", "direct", "direct", "direct"]
 * ```
 * @module
 */
import { type Arch, layerShapes } from "./arch.ts";
import type { GraphBuilder } from "./onnx_proto.ts";

/**
 * How each layer's convolution is computed (infer_graph.ts, train_graph.ts): `direct` (ORT Conv on
 * NCHW), `winograd` (F(4×4, K×K) on HWNC, see winograd.ts) or `unfold` (im2col on HWNC: one
 * GEMM with K²·Cin inner size, for a thin-input layer that feeds a Winograd run so the wide
 * activations never need an NCHW↔HWNC transpose). Shuffle layers are `direct`.
 */
export type ConvAlgo = "direct" | "winograd" | "unfold";

/**
 * Cin·Cout·K² (MAC per output pixel) from which a K ≥ 5 layer starts a Winograd run in an
 * inference model, and from which a neighbouring layer joins it (instead of paying an
 * NCHW↔HWNC transpose). Measured at 40×40, batch 64 (bench/RESULTS.md, "Winograd"): the seed's
 * 7-layer net 2.09× faster with 256→128, 128→64 and 64→32 in the run; `128-5-r_64-5-r_1-5-s`
 * 1.14×; but `64-5-r_32-5-r_1-5-s` 0.73× and `128-3-r_128-3-r_1-3-s` 0.72× (3×3 convs save 4×
 * fewer MACs than 5×5 ones while the tile transforms cost as much), so those stay direct.
 */
export const WINOGRAD_SEED_MACS = 2 ** 17;
/**
 * The training step's seed threshold: its weight gradient in the transform domain saves 6× too,
 * so Winograd pays off earlier (`64-5-r_32-5-r_1-5-s` trains 1.15× / 1.05× / 1.05× faster at
 * 40 / 80 / 160 px with its 64→32 layer as Winograd).
 */
export const WINOGRAD_SEED_MACS_TRAIN = 2 ** 15;
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

/**
 * Per-layer {@link ConvAlgo}s: Winograd for wide convs, unfold for the thin layer before them.
 * `purpose: "train"` plans a training step (lower threshold, {@link WINOGRAD_SEED_MACS_TRAIN}).
 */
export function planConvAlgos(
  arch: Arch,
  inChannels: number,
  purpose: "infer" | "train" = "infer",
): ConvAlgo[] {
  const seed = purpose === "train" ? WINOGRAD_SEED_MACS_TRAIN : WINOGRAD_SEED_MACS;
  const shapes = layerShapes(arch, inChannels);
  const macs = arch.layers.map((l, i) =>
    l.kind === "conv" && l.kernel >= 5 && l.kernel <= 7 && shapes[i].cin >= 8 &&
      l.outChannels >= 8
      ? shapes[i].cin * l.outChannels * l.kernel ** 2
      : 0
  );
  const plan: ConvAlgo[] = macs.map((m) => (m >= seed ? "winograd" : "direct"));
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

/** One Winograd layer's tiled size per patch: n²·Th·Tw tile points, and its channel counts. */
export interface WinogradLayerSize {
  layer: number;
  tilePoints: number;
  cin: number;
  cout: number;
}

/** The tiled sizes of `plan`'s Winograd layers for an h×w input patch (memory estimates). */
export function winogradSizes(
  arch: Arch,
  inChannels: number,
  h: number,
  w: number,
  plan: ConvAlgo[],
): WinogradLayerSize[] {
  const shapes = layerShapes(arch, inChannels);
  const out: WinogradLayerSize[] = [];
  arch.layers.forEach((l, i) => {
    if (plan[i] !== "winograd" || l.kind !== "conv") return;
    const m = winogradTile(l.kernel);
    const res = shapes[i].scale;
    const tiles = Math.ceil((h * res) / m) * Math.ceil((w * res) / m);
    out.push({
      layer: i,
      tilePoints: tiles * (m + l.kernel - 1) ** 2,
      cin: shapes[i].cin,
      cout: shapes[i].cout,
    });
  });
  return out;
}

/**
 * Bytes a training step's Winograd layers hold per sample: each keeps its input tiles for the
 * weight gradient and, in the backward pass, the output gradient's tiles and the input
 * gradient's transformed input (a bound, not ORT's exact arena).
 */
export function winogradTrainBytesPerSample(sizes: WinogradLayerSize[]): number {
  return sizes.reduce((a, t) => a + 4 * t.tilePoints * (t.cin + 2 * t.cout), 0);
}

/** NCHW ⇄ HWNC (the same permutation both ways). */
export const HWNC_PERM = [2, 3, 0, 1];

/**
 * Im2col on HWNC: [H, W, N, Cin] → [H, W, N, K·K·Cin] (channel (ky·K + kx)·Cin + i holds the
 * input at (y + ky − p, x + kx − p)), as two tap Gathers and one transpose of the K²·Cin-wide
 * result (cheap for the thin inputs it is planned for).
 */
export function emitUnfold(
  g: GraphBuilder,
  x: string,
  cin: number,
  k: number,
  h: number,
  w: number,
): string {
  const p = (k - 1) >> 1;
  const idx = (len: number) =>
    g.constInt64(
      "taps",
      Array.from({ length: len * k }, (_, q) => Math.floor(q / k) + (q % k)),
      [len, k],
    );
  const padded = g.op("Pad", [x, g.constInt64("pads", [p, p, 0, 0, p, p, 0, 0])]);
  const rows = g.op("Gather", [padded, idx(h)], { axis: 0 }); // [H, ky, Wp, N, C]
  const taps = g.op("Gather", [rows, idx(w)], { axis: 2 }); // [H, ky, W, kx, N, C]
  const t = g.op("Transpose", [taps], { perm: [0, 2, 4, 1, 3, 5] }); // [H, W, N, ky, kx, C]
  return g.op("Reshape", [t, g.constInt64("shape", [h, w, -1, k * k * cin])]);
}

/** `w` [Cout, Cin, K, K] as the [K·K·Cin, Cout] matrix that multiplies {@link emitUnfold}. */
export function emitUnfoldWeights(g: GraphBuilder, w: string, cout: number): string {
  const wt = g.op("Transpose", [w], { perm: [2, 3, 1, 0] }); // [ky, kx, Cin, Cout]
  return g.op("Reshape", [wt, g.constInt64("shape", [-1, cout])]);
}
