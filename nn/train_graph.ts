/**
 * The training-step ONNX graph (deno-stack §2a): forward + hand-derived backward + Adam, run by
 * onnxruntime-node. One `run()` is one optimizer step.
 *
 * Inputs: `X` [N, Cin, H, W], `Y` [N, Cout, H·s, W·s], `lr_t` [1], `eps_t` [1], every parameter
 * (W0, B0, … in paramSpecs order) and its Adam moments `m_<name>`, `v_<name>`.
 * Outputs: `loss` (scalar), `<name>_new`, `m_<name>_new`, `v_<name>_new`; optionally `pred` (the
 * prediction before the update) and `grad_<name>` (for tests).
 *
 * Bias correction is folded into the scalars computed by {@link adamScalars}:
 * `lr_t = lr·√(1−β2^t)/(1−β1^t)`, `eps_t = eps·√(1−β2^t)`, so the graph computes exactly
 * PyTorch's Adam: `w −= lr_t · m / (√v + eps_t)`.
 *
 * Backward formulations (all give the same gradients; `auto`/`flip` is the fastest measured):
 * - input gradient `flip`: Conv(dZ, spatially flipped Wᵀ); `convT`: ConvTranspose(dZ, W).
 * - weight gradient `conv`: Conv of batch-transposed tensors (cheap when Cin = 1); `shiftA`:
 *   K² shifted slices of the padded input + one Gemm; `shiftDz`: K² padded shifts of dZ + Gemm;
 *   `shiftK`: K column shifts of the input and K row shifts of dZ (each one grouped Conv with
 *   constant one-hot kernels) + one batched MatMul whose (ky, kx) blocks are all of dW, so only
 *   K·(Cin+Cout) instead of K²·min(Cin, Cout) shifted channels are written (1.5× faster at
 *   64→32, 1.3× at 256→128); `unfoldA` / `unfoldDz`: all K² shifts of the input (or of dZ)
 *   as one grouped one-hot Conv + a MatMul batched over n with the other tensor as is (K²·Cin or
 *   K²·Cout shifted channels, no transposes: for Cin = 1 or Cout = 1); `auto`: whichever of
 *   `shiftK` / `unfoldA` / `unfoldDz` writes the fewest shifted channels.
 * - ReLU backward is `dA·Cast(A > 0)`, sigmoid `dA·A·(1−A)`, tanh `dA·(1−A²)`.
 * - `nchwcBlock` (onnxruntime CPU only): forward and `flip` input-gradient convs whose channel
 *   counts are multiples of the block run as ORT's NCHWc Conv (activation fused), with the
 *   weights reordered in the graph; activations stay blocked between such convs and are
 *   reordered to NCHW only where a weight gradient, bias gradient or shuffle needs them.
 *
 * - `fixedSize` (with {@link planConvAlgos}' `"train"` plan): wide 5×5 layers run as Winograd
 *   F(4×4, 5×5) on HWNC (winograd.ts, hwnc.ts): forward and input gradient as Winograd convs
 *   (the latter with the flipped Wᵀ), the weight gradient in the transform domain from the
 *   saved input tiles, dU = Σ Vᵀ·dM then dW = Gᵀ·dU·G; a thin layer before them as one im2col
 *   GEMM. The seed's 7-layer net trains 2.3× faster than with ORT Conv (2.04× PyTorch).
 *
 * Measured (bench/RESULTS.md "Neural engine", 40×40 b64, 64-5-r_32-5-r_1-5-s): the old
 * `shiftDz` Pad+Concat chain was 46% of a step; `shiftK`/`unfold*` and NCHWc make training
 * 1.2–1.4× faster (samples/s) across 40–160 px and the 7-layer seed net.
 *
 * @example
 * ```ts
 * import { parseArch } from "./arch.ts";
 * import { buildTrainModel } from "./train_graph.ts";
 * const onnxBytes = buildTrainModel(parseArch("64-5-r_32-5-r_1-5-s"), 1, { loss: "mse" });
 * ```
 * @module
 */
import { type Activation, type Arch, archIO, layerShapes, paramSpecs } from "./arch.ts";
import { blockable, blockedConv, emitForwardLayers, hwncOf, nchwOf, type Val } from "./forward.ts";
import { type ConvAlgo, HWNC_PERM, planConvAlgos } from "./hwnc.ts";
import { GraphBuilder } from "./onnx_proto.ts";
import type { LossKind } from "./reference.ts";
import {
  emitWinogradConv,
  emitWinogradFilter,
  emitWinogradOutputAdjoint,
  emitWinogradWeightGrad,
  type WinogradMatrices,
  type WinogradShape,
} from "./winograd.ts";

/** Weight-gradient formulation (see module doc). */
export type WGrad =
  | "auto"
  | "conv"
  | "shiftA"
  | "shiftDz"
  | "shiftK"
  | "unfoldA"
  | "unfoldDz";
/** Input-gradient formulation (see module doc). */
export type DGrad = "flip" | "convT";

/** Options of {@link buildTrainModel}. */
export interface TrainGraphOptions {
  loss: LossKind;
  wgrad?: WGrad;
  dgrad?: DGrad;
  beta1?: number;
  beta2?: number;
  /** Also output `pred` (forward prediction before the update), for training error statistics. */
  outputPrediction?: boolean;
  /** Also output `grad_<name>` for every parameter (gradient tests). */
  outputGradients?: boolean;
  /**
   * ORT's NCHWc block size ({@link nchwcBlockSize} in session.ts; 0 or unset = portable graph).
   * When set, convolutions whose channel counts fit the blocked layout (forward and input
   * gradient) run as ORT's `com.microsoft.nchwc` Conv with the weights reordered in the graph,
   * the kernels ORT uses for inference with constant weights (1.3–1.4× faster than Conv with
   * weights as inputs). Such a graph only runs on onnxruntime's CPU provider.
   */
  nchwcBlock?: number;
  /**
   * Build for this input patch size (training batches all share it) so that wide layers run as
   * Winograd on HWNC ({@link planConvAlgos}): forward and input gradient as Winograd
   * convolutions, the weight gradient in the transform domain from the saved tiles. Unset: the
   * graph takes any size and uses Conv throughout.
   */
  fixedSize?: { h: number; w: number };
  /** Per-layer algorithms with `fixedSize` (default {@link planConvAlgos}; tests force them). */
  convAlgos?: ConvAlgo[];
}

const BIG = Number.MAX_SAFE_INTEGER;

function emitActBackward(g: GraphBuilder, act: Activation, a: string, da: string): string {
  switch (act) {
    case "r": {
      // Cast(A > 0), not Sign(A): same mask, but ORT's Sign is ~3× slower (single-threaded).
      const pos = g.op("Greater", [a, g.constFloat("zero", [0], [])]);
      return g.op("Mul", [da, g.op("Cast", [pos], { to: 1 })]);
    }
    case "s":
      return g.op("Mul", [da, g.op("Mul", [a, g.op("Sub", [g.constFloat("one", [1], []), a])])]);
    case "t":
      return g.op("Mul", [da, g.op("Sub", [g.constFloat("one", [1], []), g.op("Mul", [a, a])])]);
    case "lr": {
      const pos = g.op("Greater", [a, g.constFloat("zero", [0], [])]);
      return g.op("Where", [pos, da, g.op("Mul", [da, g.constFloat("slope", [0.01], [])])]);
    }
    default:
      return da;
  }
}

/** dL/dW [Cout, Cin, K, K] of a same-padded conv from its input `a` and output gradient `dz`. */
function emitWeightGrad(
  g: GraphBuilder,
  mode: WGrad,
  a: string,
  dz: string,
  cin: number,
  cout: number,
  k: number,
): string {
  const p = (k - 1) >> 1;
  // Shifted channels each formulation writes (the cost that dominated in the profiles).
  const costs: [WGrad, number][] = [
    ["shiftK", k * (cin + cout)],
    ["unfoldA", k * k * cin],
    ["unfoldDz", k * k * cout],
  ];
  const kind = mode !== "auto" ? mode : costs.reduce((a, b) => (b[1] < a[1] ? b : a))[0];
  if (kind === "shiftK") return emitWeightGradShiftK(g, a, dz, cin, cout, k);
  if (kind === "unfoldA" || kind === "unfoldDz") {
    return emitWeightGradUnfold(g, kind, a, dz, cin, cout, k);
  }
  const at = g.op("Transpose", [a], { perm: [1, 0, 2, 3] }); // [Cin, N, H, W]
  const apad = p === 0 ? at : g.op("Pad", [at, g.constInt64("pads", [0, 0, p, p, 0, 0, p, p])]);
  const dzt = g.op("Transpose", [dz], { perm: [1, 0, 2, 3] }); // [Cout, N, H, W]
  if (kind === "conv") {
    // Batch acts as the reduction channel: [Cin, N, Hp, Wp] ⋆ [Cout, N, H, W] → [Cin, Cout, K, K].
    const dwt = g.op("Conv", [apad, dzt]);
    return g.op("Transpose", [dwt], { perm: [1, 0, 2, 3] });
  }
  const shifts: string[] = [];
  for (let ky = 0; ky < k; ky++) {
    for (let kx = 0; kx < k; kx++) {
      if (kind === "shiftA") {
        const ends = [ky - 2 * p || BIG, kx - 2 * p || BIG];
        shifts.push(g.op("Slice", [
          apad,
          g.constInt64("starts", [ky, kx]),
          g.constInt64("ends", ends),
          g.constInt64("axes", [2, 3]),
        ]));
      } else {
        const pads = [0, 0, ky, kx, 0, 0, 2 * p - ky, 2 * p - kx];
        shifts.push(
          pads.every((v) => v === 0) ? dzt : g.op("Pad", [dzt, g.constInt64("pads", pads)]),
        );
      }
    }
  }
  const stack = shifts.length === 1 ? shifts[0] : g.op("Concat", shifts, { axis: 0 });
  const k2 = k * k;
  if (kind === "shiftA") {
    const sm = g.op("Reshape", [stack, g.constInt64("shape", [k2 * cin, -1])]);
    const dzm = g.op("Reshape", [dzt, g.constInt64("shape", [cout, -1])]);
    const gm = g.op("Gemm", [dzm, sm], { transB: 1 }); // [Cout, K²·Cin], column (ky·K+kx)·Cin+i
    const r = g.op("Reshape", [gm, g.constInt64("shape", [cout, k2, cin])]);
    const t = g.op("Transpose", [r], { perm: [0, 2, 1] });
    return g.op("Reshape", [t, g.constInt64("shape", [cout, cin, k, k])]);
  }
  const sm = g.op("Reshape", [stack, g.constInt64("shape", [k2 * cout, -1])]);
  const am = g.op("Reshape", [apad, g.constInt64("shape", [cin, -1])]);
  const gm = g.op("Gemm", [sm, am], { transB: 1 }); // [K²·Cout, Cin], row (ky·K+kx)·Cout+o
  const r = g.op("Reshape", [gm, g.constInt64("shape", [k2, cout, cin])]);
  const t = g.op("Transpose", [r], { perm: [1, 2, 0] });
  return g.op("Reshape", [t, g.constInt64("shape", [cout, cin, k, k])]);
}

/**
 * `shiftK` weight gradient. With Hp = H + 2p rows: AX[n, (i,kx), yp, x] = Apad[n, i, yp, x+kx]
 * and DY[n, (o,ky), yp, x] = dZ[n, o, yp−ky, x] (zero outside), so
 * Σ_{n,yp,x} DY[n,(o,ky),·]·AX[n,(i,kx),·] = dW[o, i, ky, kx]. The shifts are grouped Convs with
 * constant one-hot kernels (one pass each, no Pad/Concat chains); the contraction is a MatMul
 * batched over n (no batch transposes) and a ReduceSum over n.
 */
function emitWeightGradShiftK(
  g: GraphBuilder,
  a: string,
  dz: string,
  cin: number,
  cout: number,
  k: number,
): string {
  const p = (k - 1) >> 1;
  const ex = new Float32Array(cin * k * k); // [Cin·K, 1, 1, K]: channel i·K+kx picks column kx
  for (let i = 0; i < cin; i++) for (let kx = 0; kx < k; kx++) ex[(i * k + kx) * k + kx] = 1;
  const ax = g.op("Conv", [a, g.initializer(g.fresh("c_shiftx"), ex, [cin * k, 1, 1, k])], {
    group: cin,
    kernel_shape: [1, k],
    pads: [p, p, p, p],
  }); // [N, Cin·K, Hp, W]
  const ey = new Float32Array(cout * k * k); // [Cout·K, 1, K, 1]: channel o·K+ky picks row 2p−ky
  for (let o = 0; o < cout; o++) {
    for (let ky = 0; ky < k; ky++) ey[(o * k + ky) * k + 2 * p - ky] = 1;
  }
  const dy = g.op("Conv", [dz, g.initializer(g.fresh("c_shifty"), ey, [cout * k, 1, k, 1])], {
    group: cout,
    kernel_shape: [k, 1],
    pads: [2 * p, 0, 2 * p, 0],
  }); // [N, Cout·K, Hp, W]
  const flat = (v: string, c: number) => g.op("Reshape", [v, g.constInt64("shape", [0, c, -1])]);
  const axT = g.op("Transpose", [flat(ax, cin * k)], { perm: [0, 2, 1] }); // fused into MatMul
  const prod = g.op("MatMul", [flat(dy, cout * k), axT]); // [N, Cout·K, Cin·K]
  const sum = g.op("ReduceSum", [prod, g.constInt64("axes", [0])], { keepdims: 0 });
  const r = g.op("Reshape", [sum, g.constInt64("shape", [cout, k, cin, k])]); // [o, ky, i, kx]
  return g.op("Transpose", [r], { perm: [0, 2, 1, 3] });
}

/**
 * `unfoldA`: AU[n, (i,ky,kx), y, x] = Apad[n, i, y+ky, x+kx] (one grouped one-hot Conv), then
 * dW[o, (i,ky,kx)] = Σ_n dZ[n, o, ·]·AU[n, (i,ky,kx), ·] — already OIHW order. `unfoldDz`:
 * DU[n, (o,ky,kx), u, v] = dZ[n, o, u+p−ky, v+p−kx] (zero outside), then
 * dW[(o,ky,kx), i] = Σ_n DU[n, (o,ky,kx), ·]·A[n, i, ·].
 */
function emitWeightGradUnfold(
  g: GraphBuilder,
  kind: "unfoldA" | "unfoldDz",
  a: string,
  dz: string,
  cin: number,
  cout: number,
  k: number,
): string {
  const p = (k - 1) >> 1;
  const k2 = k * k;
  const c = kind === "unfoldA" ? cin : cout;
  const e = new Float32Array(c * k2 * k2); // [C·K², 1, K, K]
  for (let ch = 0; ch < c; ch++) {
    for (let ky = 0; ky < k; ky++) {
      for (let kx = 0; kx < k; kx++) {
        const tap = kind === "unfoldA" ? ky * k + kx : (2 * p - ky) * k + 2 * p - kx;
        e[(ch * k2 + ky * k + kx) * k2 + tap] = 1;
      }
    }
  }
  const unfolded = g.op(
    "Conv",
    [kind === "unfoldA" ? a : dz, g.initializer(g.fresh(`c_${kind}`), e, [c * k2, 1, k, k])],
    { group: c, kernel_shape: [k, k], pads: [p, p, p, p] },
  );
  const flat = (v: string, ch: number) => g.op("Reshape", [v, g.constInt64("shape", [0, ch, -1])]);
  const [lhs, rhs] = kind === "unfoldA"
    ? [flat(dz, cout), flat(unfolded, cin * k2)]
    : [flat(unfolded, cout * k2), flat(a, cin)];
  const prod = g.op("MatMul", [lhs, g.op("Transpose", [rhs], { perm: [0, 2, 1] })]);
  const sum = g.op("ReduceSum", [prod, g.constInt64("axes", [0])], { keepdims: 0 });
  if (kind === "unfoldA") return g.op("Reshape", [sum, g.constInt64("shape", [cout, cin, k, k])]);
  const r = g.op("Reshape", [sum, g.constInt64("shape", [cout, k, k, cin])]);
  return g.op("Transpose", [r], { perm: [0, 3, 1, 2] });
}

/** W [Cout, Cin, K, K] → spatially flipped Wᵀ [Cin, Cout, K, K]: the input gradient's filter. */
function flippedTranspose(g: GraphBuilder, w: string): string {
  const wt = g.op("Transpose", [w], { perm: [1, 0, 2, 3] });
  return g.op("Slice", [
    wt,
    g.constInt64("starts", [-1, -1]),
    g.constInt64("ends", [-BIG, -BIG]),
    g.constInt64("axes", [2, 3]),
    g.constInt64("steps", [-1, -1]),
  ]);
}

function emitInputGrad(g: GraphBuilder, mode: DGrad, w: string, dz: string, k: number): string {
  const p = (k - 1) >> 1;
  const pads = [p, p, p, p];
  if (mode === "convT") return g.op("ConvTranspose", [dz, w], { pads });
  return g.op("Conv", [dz, flippedTranspose(g, w)], { pads });
}

/** Input gradient as an NCHWc Conv of dZ with the flipped, transposed W (`flip` blocked). */
function emitInputGradBlocked(
  g: GraphBuilder,
  w: string,
  dz: Val,
  cin: number,
  cout: number,
  k: number,
  block: number,
): Val {
  // [Cin, Cout, K, K]: a conv from Cout to Cin channels.
  return blockedConv(g, dz, flippedTranspose(g, w), null, cout, cin, k, "n", block);
}

/** Input gradient of a Winograd layer: the same Winograd conv, Cout → Cin, flipped Wᵀ. */
function emitWinogradInputGrad(
  g: GraphBuilder,
  w: string,
  dz: string,
  { wm, shape }: { wm: WinogradMatrices; shape: WinogradShape },
): string {
  const u = emitWinogradFilter(g, flippedTranspose(g, w), shape.cin, shape.cout, wm);
  return emitWinogradConv(g, dz, u, null, wm, { ...shape, cin: shape.cout, cout: shape.cin });
}

/** dW of an unfold layer: unfoldedᵀ · dZ over all (y, x, n), back to [Cout, Cin, K, K]. */
function emitUnfoldWeightGrad(
  g: GraphBuilder,
  unfolded: string,
  dz: string,
  cin: number,
  cout: number,
  k: number,
): string {
  const flat = (v: string, c: number) => g.op("Reshape", [v, g.constInt64("shape", [-1, c])]);
  const t = g.op("Transpose", [flat(unfolded, k * k * cin)], { perm: [1, 0] }); // fused
  const dw = g.op("MatMul", [t, flat(dz, cout)]); // [(ky, kx, i), o]
  const r = g.op("Reshape", [dw, g.constInt64("shape", [k, k, cin, cout])]);
  return g.op("Transpose", [r], { perm: [3, 2, 0, 1] });
}

/** Inverse of DepthToSpace(CRD): SpaceToDepth gives DCR channel order, Gather reorders it. */
function emitShuffleBackward(g: GraphBuilder, dy: string, r: number, cOut: number): string {
  const s2d = g.op("SpaceToDepth", [dy], { blocksize: r });
  const idx: number[] = [];
  for (let c = 0; c < cOut; c++) {
    for (let q = 0; q < r * r; q++) idx.push(q * cOut + c); // CRD c·r²+q ← DCR q·C+c
  }
  return g.op("Gather", [s2d, g.constInt64("crd", idx)], { axis: 1 });
}

/** Encodes the training-step model. */
export function buildTrainModel(
  arch: Arch,
  inChannels: number,
  opts: TrainGraphOptions,
): Uint8Array {
  const specs = paramSpecs(arch, inChannels);
  const shapes = layerShapes(arch, inChannels);
  const io = archIO(arch, inChannels);
  const b1 = opts.beta1 ?? 0.9;
  const b2 = opts.beta2 ?? 0.999;
  const g = new GraphBuilder("srmidas_train");
  const x = g.input("X", ["N", inChannels, "H", "W"]);
  const y = g.input("Y", ["N", io.outChannels, "Hout", "Wout"]);
  const lrT = g.input("lr_t", [1]);
  const epsT = g.input("eps_t", [1]);
  const names = specs.map((s) => g.input(s.name, s.dims));
  const ms = specs.map((s) => g.input(`m_${s.name}`, s.dims));
  const vs = specs.map((s) => g.input(`v_${s.name}`, s.dims));

  const block = opts.nchwcBlock ?? 0;
  const plan = opts.fixedSize
    ? (opts.convAlgos ?? planConvAlgos(arch, inChannels, "train"))
    : arch.layers.map((): ConvAlgo => "direct");
  const fwd = emitForwardLayers(g, arch, x, names, inChannels, block, plan, opts.fixedSize);
  const pred = nchwOf(g, fwd.output);

  // Loss and dL/dP; numel from the runtime shape so any N, H, W works.
  const d = g.op("Sub", [pred, y]);
  const numel = g.op("ReduceProd", [g.op("Cast", [g.op("Shape", [pred])], { to: 1 })], {
    keepdims: 0,
  });
  let dP: string;
  let loss: string;
  if (opts.loss === "mse") {
    loss = g.op("ReduceMean", [g.op("Mul", [d, d])], { keepdims: 0 });
    dP = g.op("Mul", [d, g.op("Div", [g.constFloat("two", [2], []), numel])]);
  } else if (opts.loss === "mae") {
    loss = g.op("ReduceMean", [g.op("Abs", [d])], { keepdims: 0 });
    dP = g.op("Div", [g.op("Sign", [d]), numel]);
  } else {
    throw new Error(
      `buildTrainModel: loss must be "mse" or "mae", got ${JSON.stringify(opts.loss)}`,
    );
  }

  // Layers at or before the first conv need no input gradient.
  const firstConv = arch.layers.findIndex((l) => l.kind === "conv");
  const grads: string[] = new Array(specs.length);
  let da: Val = { c: io.outChannels, nchw: dP };
  let pi = specs.length;
  for (let li = arch.layers.length - 1; li >= firstConv; li--) {
    const l = arch.layers[li];
    const { input, output } = fwd.layers[li];
    const cin = shapes[li].cin;
    if (l.kind === "shuffle") {
      da = { c: cin, nchw: emitShuffleBackward(g, nchwOf(g, da), l.factor, shapes[li].cout) };
      continue;
    }
    pi -= 2;
    const layer = fwd.layers[li];
    if (plan[li] !== "direct") {
      const dz = emitActBackward(g, l.act, output.hwnc!, hwncOf(g, da));
      grads[pi + 1] = g.op("ReduceSum", [dz, g.constInt64("axes", [0, 1, 2])], { keepdims: 0 });
      grads[pi] = layer.wino
        ? emitWinogradWeightGrad(
          g,
          layer.saved!,
          emitWinogradOutputAdjoint(g, dz, layer.wino.wm, layer.wino.shape),
          layer.wino.wm,
          layer.wino.shape,
        )
        : emitUnfoldWeightGrad(g, layer.saved!, dz, cin, l.outChannels, l.kernel);
      if (li > firstConv) {
        da = layer.wino ? { c: cin, hwnc: emitWinogradInputGrad(g, names[pi], dz, layer.wino) } : {
          c: cin,
          nchw: emitInputGrad(
            g,
            "flip",
            names[pi],
            g.op("Transpose", [dz], { perm: HWNC_PERM }),
            l.kernel,
          ),
        };
      }
      continue;
    }
    // Elementwise in the blocked layout when both operands have it (same element order).
    const dz: Val = da.blk && output.blk
      ? { c: l.outChannels, blk: emitActBackward(g, l.act, output.blk, da.blk) }
      : { c: l.outChannels, nchw: emitActBackward(g, l.act, nchwOf(g, output), nchwOf(g, da)) };
    const dzN = nchwOf(g, dz);
    grads[pi + 1] = g.op("ReduceSum", [dzN, g.constInt64("axes", [0, 2, 3])], { keepdims: 0 });
    grads[pi] = emitWeightGrad(
      g,
      opts.wgrad ?? "auto",
      nchwOf(g, input),
      dzN,
      cin,
      l.outChannels,
      l.kernel,
    );
    if (li > firstConv) {
      const dgrad = opts.dgrad ?? "flip";
      da = dgrad === "flip" && blockable(block, l.outChannels, cin)
        ? emitInputGradBlocked(g, names[pi], dz, cin, l.outChannels, l.kernel, block)
        : { c: cin, nchw: emitInputGrad(g, dgrad, names[pi], dzN, l.kernel) };
    }
  }

  g.output(loss, [], "loss");
  if (opts.outputPrediction) g.output(pred, ["N", io.outChannels, "Hout", "Wout"], "pred");
  const c1 = g.constFloat("b1", [b1], []);
  const c1m = g.constFloat("1mb1", [1 - b1], []);
  const c2 = g.constFloat("b2", [b2], []);
  const c2m = g.constFloat("1mb2", [1 - b2], []);
  specs.forEach((s, i) => {
    const gr = grads[i];
    if (opts.outputGradients) g.output(gr, s.dims, `grad_${s.name}`);
    const m = g.op("Add", [g.op("Mul", [ms[i], c1]), g.op("Mul", [gr, c1m])]);
    const v = g.op("Add", [g.op("Mul", [vs[i], c2]), g.op("Mul", [g.op("Mul", [gr, gr]), c2m])]);
    const step = g.op("Div", [g.op("Mul", [m, lrT]), g.op("Add", [g.op("Sqrt", [v]), epsT])]);
    g.output(g.op("Sub", [names[i], step]), s.dims, `${s.name}_new`);
    g.output(m, s.dims, `m_${s.name}_new`);
    g.output(v, s.dims, `v_${s.name}_new`);
  });
  return g.toModel({ docString: `srmidas training step ${arch.text} loss=${opts.loss}` });
}

/** Bias-corrected Adam scalars for step t (1-based), see the module doc. */
export function adamScalars(
  lr: number,
  t: number,
  eps = 1e-8,
  beta1 = 0.9,
  beta2 = 0.999,
): { lrT: number; epsT: number } {
  const c2 = Math.sqrt(1 - beta2 ** t);
  return { lrT: (lr * c2) / (1 - beta1 ** t), epsT: eps * c2 };
}
