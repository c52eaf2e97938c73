/**
 * Float64 reference forward and backward pass for parsed architectures, used only to check the
 * ONNX training graph's gradients (slow: plain loops, NCHW).
 *
 * Parameters are passed in {@link paramSpecs} order (W0, B0, W1, B1, …), weights OIHW.
 *
 * @example
 * ```ts
 * import { parseArch } from "./arch.ts";
 * import { referenceLossAndGrads } from "./reference.ts";
 * const arch = parseArch("2-3-r_1-3-s");
 * const params = [new Float64Array(18).fill(0.1), new Float64Array(2), new Float64Array(18).fill(0.1), new Float64Array(1)];
 * const x = new Float64Array(16).fill(1), y = new Float64Array(16).fill(0.5);
 * const { loss, grads } = referenceLossAndGrads(arch, 1, params, x, y, 1, 4, 4, "mse");
 * ```
 * @module
 */
import type { Activation, Arch } from "./arch.ts";
import { layerShapes } from "./arch.ts";

/** Training losses: mean squared or mean absolute error over all elements. */
export type LossKind = "mse" | "mae";

/** An NCHW float64 tensor. */
export interface Tensor4 {
  data: Float64Array;
  n: number;
  c: number;
  h: number;
  w: number;
}

/** Same-padded 2-D cross-correlation with bias (PyTorch Conv2d, stride 1, padding K/2). */
export function conv2dSame(
  x: Tensor4,
  wt: ArrayLike<number>,
  b: ArrayLike<number>,
  cout: number,
  k: number,
): Tensor4 {
  const { n, c: cin, h, w } = x;
  const p = (k - 1) >> 1;
  const out = new Float64Array(n * cout * h * w);
  for (let ni = 0; ni < n; ni++) {
    for (let o = 0; o < cout; o++) {
      const ob = (ni * cout + o) * h * w;
      for (let i = 0; i < h * w; i++) out[ob + i] = b[o];
      for (let ci = 0; ci < cin; ci++) {
        const ib = (ni * cin + ci) * h * w;
        for (let ky = 0; ky < k; ky++) {
          for (let kx = 0; kx < k; kx++) {
            const wv = wt[((o * cin + ci) * k + ky) * k + kx];
            for (let yy = 0; yy < h; yy++) {
              const sy = yy + ky - p;
              if (sy < 0 || sy >= h) continue;
              for (let xx = 0; xx < w; xx++) {
                const sx = xx + kx - p;
                if (sx < 0 || sx >= w) continue;
                out[ob + yy * w + xx] += wv * x.data[ib + sy * w + sx];
              }
            }
          }
        }
      }
    }
  }
  return { data: out, n, c: cout, h, w };
}

/** Backward of {@link conv2dSame}: gradients w.r.t. input, weight and bias. */
export function conv2dSameBackward(
  x: Tensor4,
  wt: ArrayLike<number>,
  dz: Tensor4,
  k: number,
): { dx: Tensor4; dw: Float64Array; db: Float64Array } {
  const { n, c: cin, h, w } = x;
  const cout = dz.c;
  const p = (k - 1) >> 1;
  const dx = new Float64Array(x.data.length);
  const dw = new Float64Array(cout * cin * k * k);
  const db = new Float64Array(cout);
  for (let ni = 0; ni < n; ni++) {
    for (let o = 0; o < cout; o++) {
      const ob = (ni * cout + o) * h * w;
      for (let i = 0; i < h * w; i++) db[o] += dz.data[ob + i];
      for (let ci = 0; ci < cin; ci++) {
        const ib = (ni * cin + ci) * h * w;
        for (let ky = 0; ky < k; ky++) {
          for (let kx = 0; kx < k; kx++) {
            const wi = ((o * cin + ci) * k + ky) * k + kx;
            let acc = 0;
            for (let yy = 0; yy < h; yy++) {
              const sy = yy + ky - p;
              if (sy < 0 || sy >= h) continue;
              for (let xx = 0; xx < w; xx++) {
                const sx = xx + kx - p;
                if (sx < 0 || sx >= w) continue;
                const g = dz.data[ob + yy * w + xx];
                acc += g * x.data[ib + sy * w + sx];
                dx[ib + sy * w + sx] += g * wt[wi];
              }
            }
            dw[wi] += acc;
          }
        }
      }
    }
  }
  return { dx: { ...x, data: dx }, dw, db };
}

/** Element-wise activation of pre-activations z. */
export function activate(act: Activation, z: Float64Array): Float64Array {
  const f: (v: number) => number = {
    r: (v: number) => (v > 0 ? v : 0),
    s: (v: number) => 1 / (1 + Math.exp(-v)),
    lr: (v: number) => (v > 0 ? v : 0.01 * v),
    t: Math.tanh,
    n: (v: number) => v,
  }[act];
  return z.map(f);
}

/** dL/dz from dL/da and the pre-activation z (PyTorch's conventions at z = 0). */
export function activateBackward(act: Activation, z: Float64Array, da: Float64Array): Float64Array {
  return da.map((g, i) => {
    const v = z[i];
    switch (act) {
      case "r":
        return v > 0 ? g : 0;
      case "lr":
        return v > 0 ? g : 0.01 * g;
      case "s": {
        const s = 1 / (1 + Math.exp(-v));
        return g * s * (1 - s);
      }
      case "t": {
        const t = Math.tanh(v);
        return g * (1 - t * t);
      }
      default:
        return g;
    }
  });
}

/** PyTorch PixelShuffle(r) / ONNX DepthToSpace(CRD). `inverse` maps gradients back. */
export function pixelShuffle(x: Tensor4, r: number, inverse = false): Tensor4 {
  const c = inverse ? x.c * r * r : x.c / (r * r);
  const h = inverse ? x.h / r : x.h * r;
  const w = inverse ? x.w / r : x.w * r;
  const out = new Float64Array(x.data.length);
  const small = inverse ? { c, h, w } : x; // the low-resolution side
  const big = inverse ? x : { c, h, w };
  for (let ni = 0; ni < x.n; ni++) {
    for (let ci = 0; ci < small.c; ci++) {
      const co = Math.floor(ci / (r * r));
      const i = Math.floor(ci / r) % r;
      const j = ci % r;
      for (let yy = 0; yy < small.h; yy++) {
        for (let xx = 0; xx < small.w; xx++) {
          const s = ((ni * small.c + ci) * small.h + yy) * small.w + xx;
          const bI = ((ni * big.c + co) * big.h + yy * r + i) * big.w + xx * r + j;
          if (inverse) out[s] = x.data[bI];
          else out[bI] = x.data[s];
        }
      }
    }
  }
  return { data: out, n: x.n, c, h, w };
}

/** Forward pass; returns every layer's input and (for convs) pre-activation. */
export function referenceForward(
  arch: Arch,
  inChannels: number,
  params: ArrayLike<number>[],
  x: Float64Array,
  n: number,
  h: number,
  w: number,
): { output: Tensor4; inputs: Tensor4[]; pre: (Tensor4 | null)[] } {
  layerShapes(arch, inChannels); // validates divisibility
  let a: Tensor4 = { data: x, n, c: inChannels, h, w };
  const inputs: Tensor4[] = [];
  const pre: (Tensor4 | null)[] = [];
  let pi = 0;
  for (const l of arch.layers) {
    inputs.push(a);
    if (l.kind === "conv") {
      const z = conv2dSame(a, params[pi], params[pi + 1], l.outChannels, l.kernel);
      pi += 2;
      pre.push(z);
      a = { ...z, data: activate(l.act, z.data) };
    } else {
      pre.push(null);
      a = pixelShuffle(a, l.factor);
    }
  }
  return { output: a, inputs, pre };
}

/** Loss value and dL/dP for predictions p against targets y. */
export function lossAndGrad(
  kind: LossKind,
  p: Float64Array,
  y: ArrayLike<number>,
): { loss: number; dp: Float64Array } {
  const m = p.length;
  let loss = 0;
  const dp = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const d = p[i] - y[i];
    if (kind === "mse") {
      loss += d * d;
      dp[i] = (2 * d) / m;
    } else {
      loss += Math.abs(d);
      dp[i] = Math.sign(d) / m;
    }
  }
  return { loss: loss / m, dp };
}

/** Loss and gradients of every parameter (paramSpecs order). */
export function referenceLossAndGrads(
  arch: Arch,
  inChannels: number,
  params: ArrayLike<number>[],
  x: Float64Array,
  y: ArrayLike<number>,
  n: number,
  h: number,
  w: number,
  loss: LossKind,
): { loss: number; grads: Float64Array[]; output: Tensor4 } {
  const f = referenceForward(arch, inChannels, params, x, n, h, w);
  const lg = lossAndGrad(loss, f.output.data, y);
  let g: Tensor4 = { ...f.output, data: lg.dp };
  const grads: Float64Array[] = new Array(params.length);
  let pi = params.length;
  for (let li = arch.layers.length - 1; li >= 0; li--) {
    const l = arch.layers[li];
    if (l.kind === "shuffle") {
      g = pixelShuffle(g, l.factor, true);
      continue;
    }
    pi -= 2;
    const z = f.pre[li]!;
    const dz: Tensor4 = { ...z, data: activateBackward(l.act, z.data, g.data) };
    const b = conv2dSameBackward(f.inputs[li], params[pi], dz, l.kernel);
    grads[pi] = b.dw;
    grads[pi + 1] = b.db;
    g = b.dx;
  }
  return { loss: lg.loss, grads, output: f.output };
}
