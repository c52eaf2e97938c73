/**
 * The forward pass shared by the inference and the training-step graphs: per layer ORT Conv on
 * NCHW, ORT's NCHWc Conv (training graphs, where weights are inputs), or Winograd / im2col on
 * HWNC ({@link planConvAlgos}), over {@link Val}s that carry a tensor in whichever layouts have
 * been made of it.
 *
 * @example
 * ```ts
 * import { parseArch } from "./arch.ts";
 * import { emitForwardLayers, nchwOf } from "./forward.ts";
 * import { GraphBuilder } from "./onnx_proto.ts";
 * const arch = parseArch("4-3-r_1-3-s");
 * const g = new GraphBuilder("fwd");
 * const x = g.input("x", ["N", 1, "H", "W"]);
 * const params = ["W0", "B0", "W1", "B1"].map((n, i) => g.input(n, [[4, 1, 3, 3], [4], [1, 4, 3, 3], [1]][i]));
 * const { output } = emitForwardLayers(g, arch, x, params, 1, 0, ["direct", "direct"]);
 * g.output(nchwOf(g, output), ["N", 1, "H", "W"], "y");
 * ```
 * @module
 */
import { type Activation, type Arch, layerShapes } from "./arch.ts";
import { type ConvAlgo, emitUnfold, emitUnfoldWeights, HWNC_PERM, winogradTile } from "./hwnc.ts";
import type { GraphBuilder } from "./onnx_proto.ts";
import {
  emitWinogradFilter,
  emitWinogradInput,
  emitWinogradOutput,
  emitWinogradProduct,
  type WinogradMatrices,
  winogradMatrices,
  type WinogradShape,
} from "./winograd.ts";

const ACT_OP: Record<Activation, string | null> = {
  r: "Relu",
  s: "Sigmoid",
  lr: "LeakyRelu",
  t: "Tanh",
  n: null,
};

/** Appends activation `act` (sr-midas codes) to `z`; identity for `n`. */
export function emitAct(g: GraphBuilder, act: Activation, z: string): string {
  const op = ACT_OP[act];
  return op ? g.op(op, [z], op === "LeakyRelu" ? { alpha: 0.01 } : {}) : z;
}

const NCHWC = "com.microsoft.nchwc";

/**
 * A tensor in NCHW, ORT's blocked NCHWc layout ([N, C/B, H, W, B] data under the shape
 * [N, C, H, W]) and/or HWNC; a missing one is made on first use (ReorderOutput / ReorderInput /
 * Transpose) and kept.
 */
export interface Val {
  c: number;
  nchw?: string;
  blk?: string;
  hwnc?: string;
}

export function nchwOf(g: GraphBuilder, v: Val): string {
  v.nchw ??= v.blk
    ? g.opIn(NCHWC, "ReorderOutput", [v.blk], { channels: { int: v.c } })
    : g.op("Transpose", [v.hwnc!], { perm: HWNC_PERM });
  return v.nchw;
}

export function hwncOf(g: GraphBuilder, v: Val): string {
  v.hwnc ??= g.op("Transpose", [nchwOf(g, v)], { perm: HWNC_PERM });
  return v.hwnc;
}

function blockedOf(g: GraphBuilder, v: Val): string {
  v.blk ??= g.opIn(NCHWC, "ReorderInput", [nchwOf(g, v)]);
  return v.blk;
}

/**
 * Whether a cin→cout conv can run as NCHWc Conv: cout a multiple of the block and cin either a
 * multiple (blocked input, filter OIHWBiBo) or below 8 (NCHW input, filter OIHWBo), as in ORT's
 * own NchwcTransformer.
 */
export function blockable(block: number, cin: number, cout: number): boolean {
  return block > 0 && cout % block === 0 && (cin < 8 || cin % block === 0);
}

/** W [Cout, Cin, K, K] reordered into the NCHWc Conv's filter layout (shape kept nominal). */
function reorderFilter(
  g: GraphBuilder,
  w: string,
  cout: number,
  cin: number,
  k: number,
  block: number,
): string {
  const ob = cout / block;
  const split = cin < 8 ? [ob, block, cin, k, k] : [ob, block, cin / block, block, k, k];
  // OIHWBo: [Co/B, Ci, K, K, Bo]; OIHWBiBo: [Co/B, Ci/B, K, K, Bi, Bo].
  const perm = cin < 8 ? [0, 2, 3, 4, 1] : [0, 2, 4, 5, 3, 1];
  const t = g.op("Transpose", [g.op("Reshape", [w, g.constInt64("shape", split)])], { perm });
  return g.op("Reshape", [t, g.constInt64("shape", [cout, cin, k, k])]);
}

const FUSED_ACT: Record<Activation, Record<string, string | number[]> | null> = {
  r: { activation: "Relu" },
  s: { activation: "Sigmoid" },
  t: { activation: "Tanh" },
  lr: { activation: "LeakyRelu", activation_params: [0.01] },
  n: null,
};

/** NCHWc Conv (+ fused activation) of `x`; returns the blocked output. */
export function blockedConv(
  g: GraphBuilder,
  x: Val,
  w: string,
  b: string | null,
  cin: number,
  cout: number,
  k: number,
  act: Activation,
  block: number,
): Val {
  const p = (k - 1) >> 1;
  const input = cin < 8 ? nchwOf(g, x) : blockedOf(g, x);
  const inputs = [input, reorderFilter(g, w, cout, cin, k, block)];
  if (b) inputs.push(b);
  const y = g.opIn(NCHWC, "Conv", inputs, {
    kernel_shape: [k, k],
    pads: [p, p, p, p],
    ...(FUSED_ACT[act] ?? {}),
  });
  return { c: cout, blk: y };
}

/** One layer of {@link emitForwardLayers}; `saved`/`wino` are what a backward pass needs. */
export interface ForwardLayer {
  input: Val;
  output: Val;
  /** HWNC layers: the Winograd input tiles V, or the unfolded input, kept for dW. */
  saved?: string;
  /** HWNC layers: the Winograd matrices and geometry. */
  wino?: { wm: WinogradMatrices; shape: WinogradShape };
}

/**
 * The forward pass over {@link Val}s: `winograd` / `unfold` layers of `plan` on HWNC (they
 * need the input patch `size`), blocked convs where {@link blockable} (`block` > 0, training
 * graphs), else ORT Conv on NCHW. With block 0 and an all-direct plan it is the plain
 * any-size inference graph.
 */
export function emitForwardLayers(
  g: GraphBuilder,
  arch: Arch,
  x: string,
  params: string[],
  inChannels: number,
  block: number,
  plan: ConvAlgo[],
  size?: { h: number; w: number },
): { output: Val; layers: ForwardLayer[] } {
  const shapes = layerShapes(arch, inChannels);
  let a: Val = { c: inChannels, nchw: x };
  let pi = 0;
  const layers: ForwardLayer[] = [];
  arch.layers.forEach((l, li) => {
    const input = a;
    if (l.kind === "conv") {
      const cin = shapes[li].cin;
      const res = shapes[li].scale;
      const algo = plan[li] ?? "direct";
      if (algo !== "direct") {
        const h = size!.h * res;
        const w = size!.w * res;
        let z: string;
        let saved: string;
        let wino: ForwardLayer["wino"];
        if (algo === "winograd") {
          const wm = winogradMatrices(winogradTile(l.kernel), l.kernel);
          const shape = { cin, cout: l.outChannels, h, w };
          saved = emitWinogradInput(g, hwncOf(g, a), wm, shape);
          const u = emitWinogradFilter(g, params[pi], l.outChannels, cin, wm);
          const prod = emitWinogradProduct(g, saved, u, wm, shape);
          z = emitWinogradOutput(g, prod, params[pi + 1], wm, shape);
          wino = { wm, shape };
        } else {
          saved = emitUnfold(g, hwncOf(g, a), cin, l.kernel, h, w);
          const wmat = emitUnfoldWeights(g, params[pi], l.outChannels);
          z = g.op("Add", [g.op("MatMul", [saved, wmat]), params[pi + 1]]);
        }
        a = { c: l.outChannels, hwnc: emitAct(g, l.act, z) };
        layers.push({ input, output: a, saved, wino });
        pi += 2;
        return;
      }
      if (blockable(block, cin, l.outChannels)) {
        a = blockedConv(
          g,
          a,
          params[pi],
          params[pi + 1],
          cin,
          l.outChannels,
          l.kernel,
          l.act,
          block,
        );
      } else {
        const p = (l.kernel - 1) >> 1;
        const z = g.op("Conv", [nchwOf(g, a), params[pi], params[pi + 1]], {
          kernel_shape: [l.kernel, l.kernel],
          pads: [p, p, p, p],
        });
        a = { c: l.outChannels, nchw: emitAct(g, l.act, z) };
      }
      pi += 2;
    } else {
      const z = g.op("DepthToSpace", [nchwOf(g, a)], { blocksize: l.factor, mode: "CRD" });
      a = { c: shapes[li].cout, nchw: z };
    }
    layers.push({ input, output: a });
  });
  return { output: a, layers };
}
