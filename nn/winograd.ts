/**
 * Winograd minimal filtering F(m×m, r×r) for the wide "same" convolutions of sr-midas's networks,
 * as plain ONNX ops (Pad, strided Conv for the tile transforms, one batched MatMul, MatMuls for
 * the inverse transform). For a 5×5 kernel, F(4×4, 5×5) does 64 multiplications per 16 outputs
 * instead of 400 (6.25× fewer), which is what makes the seed's 7-layer network fast: its
 * 256→128 layer is 75% of its work and runs near the CPU's FMA peak as a direct convolution.
 *
 * Matrices come from Cook–Toom interpolation at the points `0, ±1, ±2, ±1/2, …` (Lavin & Gray,
 * "Fast Algorithms for Convolutional Neural Networks", 2016): `Aᵀ` and `G` are Vandermonde rows
 * with the point at infinity appended; `Bᵀ` is solved from the defining identity
 * `Σ_j Aᵀ[i,j]·G[j,k]·Bᵀ[j,l] = δ(l, i+k)`, so any point set works and is checked on build.
 *
 * @example
 * ```ts
 * import { winogradMatrices } from "./winograd.ts";
 * const { AT, G, BT, n } = winogradMatrices(4, 5); // n = 8: 8×8 input tiles, 4×4 output tiles
 * ```
 * @module
 */
import type { GraphBuilder } from "./onnx_proto.ts";

/** Row-major Winograd matrices of F(m, r): `AT` [m×n], `G` [n×r], `BT` [n×n], n = m + r − 1. */
export interface WinogradMatrices {
  m: number;
  r: number;
  n: number;
  AT: Float64Array;
  G: Float64Array;
  BT: Float64Array;
}

/** Interpolation points in the order that keeps fp32 error lowest (Lavin; Barabasz et al.). */
const POINTS = [0, 1, -1, 2, -2, 0.5, -0.5, 3, -3, 1 / 3, -1 / 3];

/** Solves the square system `M·x = b` in float64 (partial pivoting); M is row-major n×n. */
function solve(M: Float64Array, b: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(M);
  const x = Float64Array.from(b);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]) > Math.abs(a[piv * n + c])) piv = r;
    if (Math.abs(a[piv * n + c]) < 1e-12) throw new Error("winograd: singular system");
    for (let k = 0; k < n; k++) [a[c * n + k], a[piv * n + k]] = [a[piv * n + k], a[c * n + k]];
    [x[c], x[piv]] = [x[piv], x[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r * n + c] / a[c * n + c];
      if (f === 0) continue;
      for (let k = c; k < n; k++) a[r * n + k] -= f * a[c * n + k];
      x[r] -= f * x[c];
    }
  }
  for (let c = 0; c < n; c++) x[c] /= a[c * n + c];
  return x;
}

/** Winograd matrices of F(m, r) (see the module doc); throws if the identity does not hold. */
export function winogradMatrices(m: number, r: number): WinogradMatrices {
  const n = m + r - 1;
  if (m < 1 || r < 1 || n - 1 > POINTS.length) {
    throw new Error(`winograd: F(${m}, ${r}) is not supported`);
  }
  const p = POINTS.slice(0, n - 1);
  // f_j = Π_{l≠j} (p_j − p_l): the Lagrange denominators, folded into G.
  const f = p.map((pj, j) => p.reduce((acc, pl, l) => (l === j ? acc : acc * (pj - pl)), 1));
  const AT = new Float64Array(m * n);
  const G = new Float64Array(n * r);
  for (let j = 0; j < n - 1; j++) {
    for (let i = 0; i < m; i++) AT[i * n + j] = p[j] ** i;
    for (let k = 0; k < r; k++) G[j * r + k] = p[j] ** k / f[j];
  }
  AT[(m - 1) * n + n - 1] = 1;
  G[(n - 1) * r + r - 1] = 1;
  // Bᵀ column l: Σ_j (Aᵀ[i,j]·G[j,k])·Bᵀ[j,l] = δ(l, i+k) over all (i, k); least squares via the
  // normal equations (the system is consistent, so this is exact up to rounding).
  const rows = m * r;
  const K = new Float64Array(rows * n);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < r; k++) {
      for (let j = 0; j < n; j++) K[(i * r + k) * n + j] = AT[i * n + j] * G[j * r + k];
    }
  }
  const KtK = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      let s = 0;
      for (let q = 0; q < rows; q++) s += K[q * n + a] * K[q * n + b];
      KtK[a * n + b] = s;
    }
  }
  const BT = new Float64Array(n * n);
  for (let l = 0; l < n; l++) {
    const rhs = new Float64Array(n);
    for (let i = 0; i < m; i++) {
      for (let k = 0; k < r; k++) {
        if (i + k !== l) continue;
        for (let j = 0; j < n; j++) rhs[j] += K[(i * r + k) * n + j];
      }
    }
    const col = solve(KtK, rhs, n);
    for (let j = 0; j < n; j++) BT[j * n + l] = Math.abs(col[j]) < 1e-12 ? 0 : col[j];
  }
  // Check the identity exactly as the convolution uses it.
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < r; k++) {
      for (let l = 0; l < n; l++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += AT[i * n + j] * G[j * r + k] * BT[j * n + l];
        if (Math.abs(s - (i + k === l ? 1 : 0)) > 1e-9) {
          throw new Error(`winograd: F(${m}, ${r}) matrices fail the identity (${s})`);
        }
      }
    }
  }
  return { m, r, n, AT, G, BT };
}

/**
 * Transformed filters `U[k, l, i, o] = (G·w[o,i]·Gᵀ)[k, l]` (k: row, l: column) for weights
 * w [Cout, Cin, r, r], computed in float64: the `u` input of {@link emitWinogradConv}, shape
 * [n, n, Cin, Cout].
 */
export function winogradFilter(
  w: ArrayLike<number>,
  cout: number,
  cin: number,
  wm: WinogradMatrices,
): Float32Array {
  const { r, n, G } = wm;
  const U = new Float32Array(n * n * cout * cin);
  const t = new Float64Array(n * r);
  for (let o = 0; o < cout; o++) {
    for (let i = 0; i < cin; i++) {
      const base = (o * cin + i) * r * r;
      for (let k = 0; k < n; k++) {
        for (let c = 0; c < r; c++) {
          let s = 0;
          for (let q = 0; q < r; q++) s += G[k * r + q] * w[base + q * r + c];
          t[k * r + c] = s;
        }
      }
      for (let k = 0; k < n; k++) {
        for (let l = 0; l < n; l++) {
          let s = 0;
          for (let c = 0; c < r; c++) s += t[k * r + c] * G[l * r + c];
          U[((k * n + l) * cin + i) * cout + o] = s;
        }
      }
    }
  }
  return U;
}

/**
 * The same transform as {@link winogradFilter}, in the graph: `w` [Cout, Cin, r, r] →
 * [n, n, Cin, Cout]. For constant weights ORT folds it at session creation; in the training
 * graph it runs every step (r·n·(r+n)·Cin·Cout MACs, negligible next to the convolution).
 */
export function emitWinogradFilter(
  g: GraphBuilder,
  w: string,
  cout: number,
  cin: number,
  wm: WinogradMatrices,
): string {
  const { r, n } = wm;
  const shape = (dims: number[]) => g.constInt64("shape", dims);
  const gm = g.constFloat(`wino_g${wm.m}_${r}`, Array.from(wm.G), [n, r]);
  const wt = g.op("Transpose", [w], { perm: [2, 3, 1, 0] }); // [a, b, Cin, Cout]
  const rows = g.op("MatMul", [gm, g.op("Reshape", [wt, shape([r, -1])])]); // [k, (b, i, o)]
  const both = g.op("MatMul", [gm, g.op("Reshape", [rows, shape([n, r, -1])])]); // [k, l, (i, o)]
  return g.op("Reshape", [both, shape([n, n, cin, cout])]);
}

/** Geometry of a Winograd "same" convolution at a fixed input size. */
export interface WinogradShape {
  cin: number;
  cout: number;
  h: number;
  w: number;
}

/** Tile counts and padded input size of F(m, r) over an h×w image. */
function tiling(wm: WinogradMatrices, h: number, w: number) {
  const th = Math.ceil(h / wm.m);
  const tw = Math.ceil(w / wm.m);
  return { th, tw, hp: (th - 1) * wm.m + wm.n, wp: (tw - 1) * wm.m + wm.n };
}

/**
 * The input transform on HWNC: `x` [H, W, N, Cin] → V [n(k), Th, n(l), Tw·N, Cin], the
 * operand of {@link emitWinogradProduct} (and, in training, of the weight gradient).
 */
export function emitWinogradInput(
  g: GraphBuilder,
  x: string,
  wm: WinogradMatrices,
  s: WinogradShape,
): string {
  const { m, r, n } = wm;
  const p = (r - 1) >> 1;
  const { th, tw, hp, wp } = tiling(wm, s.h, s.w);
  const shape = (dims: number[]) => g.constInt64("shape", dims);
  // Tile rows m·ty + k (k < n): indices [n, T] for Gather.
  const tileIdx = (t: number) =>
    g.constInt64(
      "tiles",
      Array.from({ length: n * t }, (_, q) => Math.floor(q / t) + m * (q % t)),
      [n, t],
    );
  const bt = g.constFloat(`wino_bt${m}_${r}`, Array.from(wm.BT), [n, n]);
  const padded = g.op("Pad", [
    x,
    g.constInt64("pads", [p, p, 0, 0, hp - s.h - p, wp - s.w - p, 0, 0]),
  ]);
  // Bᵀ over rows: gather [k, Th, Wp, N, C], one MatMul over k.
  const rowsIn = g.op("Gather", [padded, tileIdx(th)], { axis: 0 });
  const rowsT = g.op("MatMul", [bt, g.op("Reshape", [rowsIn, shape([n, -1])])]);
  // B over columns: gather [k·Th, l, Tw, N·C], MatMul over l batched by k·Th.
  const colsIn = g.op("Gather", [
    g.op("Reshape", [rowsT, shape([n * th, wp, -1])]),
    tileIdx(tw),
  ], { axis: 1 });
  const v = g.op("MatMul", [bt, g.op("Reshape", [colsIn, shape([n * th, n, -1])])]);
  return g.op("Reshape", [v, shape([n, th, n, -1, s.cin])]);
}

/**
 * The products in the transform domain: V [k, Th, l, Tw·N, Cin] × U [k, l, Cin, Cout] →
 * [k, Th, l, Tw·N, Cout], one GEMM per (k, ty, l) with U broadcast over ty.
 */
export function emitWinogradProduct(
  g: GraphBuilder,
  v: string,
  u: string,
  wm: WinogradMatrices,
  s: WinogradShape,
): string {
  const { n } = wm;
  return g.op("MatMul", [v, g.op("Reshape", [u, g.constInt64("shape", [n, 1, n, s.cin, s.cout])])]);
}

/** The inverse transform Aᵀ·M·A: [k, Th, l, Tw·N, Cout] → [H, W, N, Cout] (+ bias). */
export function emitWinogradOutput(
  g: GraphBuilder,
  prod: string,
  bias: string | null,
  wm: WinogradMatrices,
  s: WinogradShape,
): string {
  const { m, r, n } = wm;
  const { th, tw } = tiling(wm, s.h, s.w);
  const shape = (dims: number[]) => g.constInt64("shape", dims);
  // Over k as one MatMul, then over l batched by i·Th.
  const at = g.constFloat(`wino_at${m}_${r}`, Array.from(wm.AT), [m, n]);
  const mk = g.op("MatMul", [at, g.op("Reshape", [prod, shape([n, -1])])]); // [i, Th, l, R]
  const y = g.op("MatMul", [at, g.op("Reshape", [mk, shape([m * th, n, -1])])]); // [i·Th, j, R]
  const yt = g.op("Transpose", [g.op("Reshape", [y, shape([m, th, m, tw, -1])])], {
    perm: [1, 0, 3, 2, 4],
  }); // [Th, i, Tw, j, N·Cout]
  let out = g.op("Reshape", [yt, shape([th * m, tw * m, -1, s.cout])]);
  if (th * m !== s.h || tw * m !== s.w) {
    out = g.op("Slice", [
      out,
      g.constInt64("starts", [0, 0]),
      g.constInt64("ends", [s.h, s.w]),
      g.constInt64("axes", [0, 1]),
    ]);
  }
  return bias ? g.op("Add", [out, bias]) : out;
}

/**
 * The adjoint of {@link emitWinogradOutput} (without bias): the output gradient dZ
 * [H, W, N, Cout] → dM [k, Th, l, Tw·N, Cout] = A·dZ_tile·Aᵀ per (non-overlapping) tile.
 */
export function emitWinogradOutputAdjoint(
  g: GraphBuilder,
  dz: string,
  wm: WinogradMatrices,
  s: WinogradShape,
): string {
  const { m, r, n } = wm;
  const { th, tw } = tiling(wm, s.h, s.w);
  const shape = (dims: number[]) => g.constInt64("shape", dims);
  const padded = th * m === s.h && tw * m === s.w
    ? dz
    : g.op("Pad", [dz, g.constInt64("pads", [0, 0, 0, 0, th * m - s.h, tw * m - s.w, 0, 0])]);
  const t = g.op("Transpose", [g.op("Reshape", [padded, shape([th, m, tw, m, -1])])], {
    perm: [1, 0, 3, 2, 4],
  }); // [i, Th, j, Tw, N·C]
  const a = g.constFloat(`wino_a${m}_${r}`, Array.from(transpose(wm.AT, m, n)), [n, m]);
  const dl = g.op("MatMul", [a, g.op("Reshape", [t, shape([m * th, m, -1])])]); // [i·Th, l, R]
  const dk = g.op("MatMul", [a, g.op("Reshape", [dl, shape([m, -1])])]); // [k, Th·l·R]
  return g.op("Reshape", [dk, shape([n, th, n, -1, s.cout])]);
}

/**
 * The weight gradient of a Winograd layer from its saved input transform V and the output
 * gradient's dM: dU[k, l] = Σ_{ty, (tx, n)} V[k, ty, l]ᵀ·dM[k, ty, l], then dW = Gᵀ·dU·G
 * ([Cout, Cin, r, r]). (n/m)² = 4 MACs per output pixel and channel pair instead of 25.
 */
export function emitWinogradWeightGrad(
  g: GraphBuilder,
  v: string,
  dm: string,
  wm: WinogradMatrices,
  s: WinogradShape,
): string {
  const { m, r, n } = wm;
  const shape = (dims: number[]) => g.constInt64("shape", dims);
  const vt = g.op("Transpose", [v], { perm: [0, 1, 2, 4, 3] }); // fused into the MatMul
  const du = g.op("ReduceSum", [g.op("MatMul", [vt, dm]), g.constInt64("axes", [1])], {
    keepdims: 0,
  }); // [k, l, Cin, Cout]
  const gt = g.constFloat(`wino_gt${m}_${r}`, Array.from(transpose(wm.G, n, r)), [r, n]);
  const rows = g.op("MatMul", [gt, g.op("Reshape", [du, shape([n, -1])])]); // [a, (l, i, o)]
  const both = g.op("MatMul", [gt, g.op("Reshape", [rows, shape([r, n, -1])])]); // [a, b, (i, o)]
  return g.op("Transpose", [g.op("Reshape", [both, shape([r, r, s.cin, s.cout])])], {
    perm: [3, 2, 0, 1],
  });
}

function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
  return t;
}

/**
 * Appends a same-padded r×r convolution computed with F(m, r) on the HWNC layout: `x` is
 * [H, W, N, Cin], the result [H, W, N, Cout] (bias added, no activation). `u` is the
 * transformed filter [n, n, Cin, Cout] (an initializer from {@link winogradFilter} or
 * {@link emitWinogradFilter} in the graph), `bias` [Cout] or null.
 *
 * Why HWNC: every tile gather and every transform then moves contiguous N·C blocks, and the
 * product for each of the n² tile points is a plain GEMM ([Tw·N, Cin] × [Cin, Cout]) batched by
 * broadcasting, so no transpose of the n²/m²-times larger transformed input is needed; chains of
 * such layers stay in HWNC (bias and activation broadcast over the last axis). H and W are
 * static (the tiling is built for them); the batch is not.
 */
export function emitWinogradConv(
  g: GraphBuilder,
  x: string,
  u: string,
  bias: string | null,
  wm: WinogradMatrices,
  s: WinogradShape,
): string {
  const v = emitWinogradInput(g, x, wm, s);
  return emitWinogradOutput(g, emitWinogradProduct(g, v, u, wm, s), bias, wm, s);
}
