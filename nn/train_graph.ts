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
 *   `auto`: `conv` when Cin = 1, else shift whichever of input / dZ has fewer channels.
 * - ReLU backward is `dA·Sign(A)` (A ≥ 0 after ReLU), sigmoid `dA·A·(1−A)`, tanh `dA·(1−A²)`.
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
import { emitForward } from "./infer_graph.ts";
import { GraphBuilder } from "./onnx_proto.ts";
import type { LossKind } from "./reference.ts";

/** Weight-gradient formulation (see module doc). */
export type WGrad = "auto" | "conv" | "shiftA" | "shiftDz";
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
}

const BIG = Number.MAX_SAFE_INTEGER;

function emitActBackward(g: GraphBuilder, act: Activation, a: string, da: string): string {
  switch (act) {
    case "r":
      return g.op("Mul", [da, g.op("Sign", [a])]);
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
  const at = g.op("Transpose", [a], { perm: [1, 0, 2, 3] }); // [Cin, N, H, W]
  const apad = p === 0 ? at : g.op("Pad", [at, g.constInt64("pads", [0, 0, p, p, 0, 0, p, p])]);
  const dzt = g.op("Transpose", [dz], { perm: [1, 0, 2, 3] }); // [Cout, N, H, W]
  const kind = mode === "auto" ? (cin === 1 ? "conv" : cin <= cout ? "shiftA" : "shiftDz") : mode;
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

function emitInputGrad(g: GraphBuilder, mode: DGrad, w: string, dz: string, k: number): string {
  const p = (k - 1) >> 1;
  const pads = [p, p, p, p];
  if (mode === "convT") return g.op("ConvTranspose", [dz, w], { pads });
  const wt = g.op("Transpose", [w], { perm: [1, 0, 2, 3] });
  const wf = g.op("Slice", [
    wt,
    g.constInt64("starts", [-1, -1]),
    g.constInt64("ends", [-BIG, -BIG]),
    g.constInt64("axes", [2, 3]),
    g.constInt64("steps", [-1, -1]),
  ]);
  return g.op("Conv", [dz, wf], { pads });
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

  const fwd = emitForward(g, arch, x, names);
  const pred = fwd.output;

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
  let da = dP;
  let pi = specs.length;
  for (let li = arch.layers.length - 1; li >= firstConv; li--) {
    const l = arch.layers[li];
    const { input, output } = fwd.layers[li];
    if (l.kind === "shuffle") {
      da = emitShuffleBackward(g, da, l.factor, shapes[li].cout);
      continue;
    }
    pi -= 2;
    const dz = emitActBackward(g, l.act, output, da);
    grads[pi + 1] = g.op("ReduceSum", [dz, g.constInt64("axes", [0, 2, 3])], { keepdims: 0 });
    grads[pi] = emitWeightGrad(
      g,
      opts.wgrad ?? "auto",
      input,
      dz,
      shapes[li].cin,
      l.outChannels,
      l.kernel,
    );
    if (li > firstConv) da = emitInputGrad(g, opts.dgrad ?? "flip", names[pi], dz, l.kernel);
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
