/**
 * Bounded Levenberg–Marquardt with an analytic Jacobian, generic over a model callback.
 *
 * Step: `(JᵀJ + λ·diag(JᵀJ)) δ = −Jᵀr` (Marquardt scaling, as midas_peakfit), λ₀ = 1e-3,
 * ÷10 on an accepted step, ×10 on a rejected one. Box constraints by **projection with an
 * active set**: a parameter sitting on a bound whose gradient pushes it outwards is frozen for
 * that iteration (its row/column removed from the normal equations), and the trial point is
 * clamped into the box. Unlike the sigmoid transform of midas_peakfit this keeps the Jacobian
 * exact at the bounds, so a parameter can leave a bound it started on. A step is accepted iff the
 * cost decreases.
 *
 * Stops (codes follow NLopt, which MIDAS C writes to `returnCode`):
 * 3 = ftol (relative cost change ≤ ftolRel), 4 = xtol (‖Δx‖ ≤ xtolRel·(‖x‖ + xtolRel)),
 * 5 = maxIter, 1 = exact fit (zero free gradient, or Σr² ≤ 1e-14 × its starting value — this
 * ends underdetermined fits of 2-pixel regions, which otherwise creep towards zero cost until
 * maxIter), −1 = non-finite residuals at the start.
 *
 * The inner loop allocates nothing: all buffers come from an {@link LmWorkspace} that may be
 * reused across fits of up to its capacity.
 *
 * @example
 * ```ts
 * import { levenbergMarquardt } from "./levenberg_marquardt.ts";
 * // Fit y = a·x to (1, 2), (2, 4).
 * const res = levenbergMarquardt({
 *   nParams: 1,
 *   nResiduals: 2,
 *   evaluate(x, r, J) {
 *     r[0] = x[0] * 1 - 2; r[1] = x[0] * 2 - 4;
 *     if (J) { J[0] = 1; J[1] = 2; }
 *   },
 * }, new Float64Array([0]));
 * res.x[0]; // ≈ 2
 * ```
 * @module
 */

/** A least-squares problem: minimise ½‖r(x)‖². */
export interface LeastSquaresProblem {
  nParams: number;
  nResiduals: number;
  /**
   * Writes the residuals r (length nResiduals) at x and, when `jac` is non-null, the Jacobian
   * ∂r/∂x column by column: ∂rₖ/∂xᵢ at `jac[i·nResiduals + k]`. Must not keep references to the
   * buffers.
   */
  evaluate(x: Float64Array, r: Float64Array, jac: Float64Array | null): void;
}

/** Options of {@link levenbergMarquardt}. */
export interface LmOptions {
  /** Lower bounds (length nParams); default −∞. */
  lower?: ArrayLike<number>;
  /** Upper bounds (length nParams); default +∞. */
  upper?: ArrayLike<number>;
  /** Maximum number of iterations (Jacobian evaluations); default 200. */
  maxIter?: number;
  /** Relative cost-change tolerance; default 1e-8 (MIDAS py uses 1e-5). */
  ftolRel?: number;
  /** Relative step tolerance; default 1e-8. */
  xtolRel?: number;
  /** Initial damping; default 1e-3. */
  lambda0?: number;
  /** Reusable buffers; allocated if absent or too small. */
  workspace?: LmWorkspace;
}

/** Result of {@link levenbergMarquardt}. `x` is a fresh copy. */
export interface LmResult {
  x: Float64Array;
  /** Σ r² at `x`. */
  ssr: number;
  iterations: number;
  /** NLopt-style status (see module doc). */
  status: number;
}

/** Preallocated buffers for problems up to `maxParams` × `maxResiduals`. */
export class LmWorkspace {
  readonly maxParams: number;
  readonly maxResiduals: number;
  r: Float64Array;
  rTrial: Float64Array;
  jac: Float64Array;
  x: Float64Array;
  xTrial: Float64Array;
  g: Float64Array;
  a: Float64Array;
  chol: Float64Array;
  step: Float64Array;
  free: Uint8Array;
  constructor(maxParams: number, maxResiduals: number) {
    this.maxParams = maxParams;
    this.maxResiduals = maxResiduals;
    this.r = new Float64Array(maxResiduals);
    this.rTrial = new Float64Array(maxResiduals);
    this.jac = new Float64Array(maxParams * maxResiduals);
    this.x = new Float64Array(maxParams);
    this.xTrial = new Float64Array(maxParams);
    this.g = new Float64Array(maxParams);
    this.a = new Float64Array(maxParams * maxParams);
    this.chol = new Float64Array(maxParams * maxParams);
    this.step = new Float64Array(maxParams);
    this.free = new Uint8Array(maxParams);
  }
}

function sumSq(r: Float64Array, m: number): number {
  let s = 0;
  for (let i = 0; i < m; i++) s += r[i] * r[i];
  return s;
}

/**
 * Solves (A + λ·diag A) δ = −g over the free parameters by Cholesky, in place.
 * Returns false if the damped matrix is not positive definite.
 */
function dampedSolve(ws: LmWorkspace, n: number, lambda: number): boolean {
  const { a, chol, g, step, free } = ws;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let v: number;
      if (!free[i] || !free[j]) v = i === j ? 1 : 0;
      else {
        v = a[i * n + j];
        if (i === j) v += lambda * Math.max(a[i * n + i], 1e-12);
      }
      chol[i * n + j] = v;
    }
  }
  for (let j = 0; j < n; j++) {
    let d = chol[j * n + j];
    for (let k = 0; k < j; k++) d -= chol[j * n + k] * chol[j * n + k];
    if (!(d > 0)) return false;
    d = Math.sqrt(d);
    chol[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      let s = chol[i * n + j];
      for (let k = 0; k < j; k++) s -= chol[i * n + k] * chol[j * n + k];
      chol[i * n + j] = s / d;
    }
  }
  for (let i = 0; i < n; i++) {
    let s = free[i] ? -g[i] : 0;
    for (let k = 0; k < i; k++) s -= chol[i * n + k] * step[k];
    step[i] = s / chol[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = step[i];
    for (let k = i + 1; k < n; k++) s -= chol[k * n + i] * step[k];
    step[i] = s / chol[i * n + i];
  }
  return true;
}

/**
 * Normal equations of a column-major Jacobian: A = JᵀJ (lower triangle, row-major n × n) and
 * g = Jᵀr. Every entry is a dot product over the residuals in order, in 2 × 2 blocks, so each
 * column is read once per block and the four sums stay in registers: this is most of a region
 * fit's time (m ≈ 200 pixels × n ≈ 17 parameters). Summed in the same order as entry by entry.
 */
export function normalEquations(
  jac: Float64Array,
  r: Float64Array,
  m: number,
  n: number,
  a: Float64Array,
  g: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    const oi = i * m;
    let s = 0;
    for (let k = 0; k < m; k++) s += jac[oi + k] * r[k];
    g[i] = s;
  }
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const oi = i * m, oi1 = oi + m;
    for (let j = 0; j < i; j += 2) {
      const oj = j * m, oj1 = oj + m;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (let k = 0; k < m; k++) {
        const a0 = jac[oi + k], a1 = jac[oi1 + k], b0 = jac[oj + k], b1 = jac[oj1 + k];
        s00 += a0 * b0;
        s01 += a0 * b1;
        s10 += a1 * b0;
        s11 += a1 * b1;
      }
      a[i * n + j] = s00;
      a[i * n + j + 1] = s01;
      a[(i + 1) * n + j] = s10;
      a[(i + 1) * n + j + 1] = s11;
    }
    // The diagonal block: (i, i), (i + 1, i), (i + 1, i + 1).
    let s00 = 0, s10 = 0, s11 = 0;
    for (let k = 0; k < m; k++) {
      const a0 = jac[oi + k], a1 = jac[oi1 + k];
      s00 += a0 * a0;
      s10 += a1 * a0;
      s11 += a1 * a1;
    }
    a[i * n + i] = s00;
    a[(i + 1) * n + i] = s10;
    a[(i + 1) * n + i + 1] = s11;
  }
  if (i < n) {
    const oi = i * m;
    for (let j = 0; j <= i; j++) {
      const oj = j * m;
      let s = 0;
      for (let k = 0; k < m; k++) s += jac[oi + k] * jac[oj + k];
      a[i * n + j] = s;
    }
  }
}

/** Minimises ½‖r(x)‖² within [lower, upper] from `x0` (clamped into the box first). */
export function levenbergMarquardt(
  problem: LeastSquaresProblem,
  x0: ArrayLike<number>,
  opts: LmOptions = {},
): LmResult {
  const n = problem.nParams, m = problem.nResiduals;
  if (x0.length !== n) {
    throw new Error(`levenbergMarquardt: x0 has ${x0.length} values, expected ${n}`);
  }
  let ws = opts.workspace;
  if (!ws || ws.maxParams < n || ws.maxResiduals < m) ws = new LmWorkspace(n, m);
  const lo = opts.lower, hi = opts.upper;
  const maxIter = opts.maxIter ?? 200;
  const ftol = opts.ftolRel ?? 1e-8, xtol = opts.xtolRel ?? 1e-8;
  let lambda = opts.lambda0 ?? 1e-3;
  const x = ws.x.subarray(0, n), xt = ws.xTrial.subarray(0, n);
  const r = ws.r.subarray(0, m), rt = ws.rTrial.subarray(0, m);
  const jac = ws.jac.subarray(0, m * n);
  const { g, a, step, free } = ws;
  const clamp = (v: number, i: number) => {
    if (lo && v < lo[i]) v = lo[i];
    if (hi && v > hi[i]) v = hi[i];
    return v;
  };
  for (let i = 0; i < n; i++) x[i] = clamp(x0[i], i);
  problem.evaluate(x, r, jac);
  let ssr = sumSq(r, m);
  if (!Number.isFinite(ssr)) return { x: x.slice(), ssr, iterations: 0, status: -1 };
  const ssrFloor = 1e-14 * ssr;
  let status = 5;
  let it = 0;
  let needJac = false;
  outer: for (; it < maxIter; it++) {
    if (needJac) problem.evaluate(x, r, jac);
    needJac = false;
    normalEquations(jac, r, m, n, a, g);
    let gmax = 0;
    for (let i = 0; i < n; i++) {
      const atLo = lo !== undefined && x[i] <= lo[i] && g[i] > 0;
      const atHi = hi !== undefined && x[i] >= hi[i] && g[i] < 0;
      free[i] = atLo || atHi ? 0 : 1;
      if (free[i]) gmax = Math.max(gmax, Math.abs(g[i]));
    }
    if (gmax === 0 || ssr <= ssrFloor) {
      status = 1;
      break;
    }
    // Inner loop: raise λ until a step lowers the cost.
    for (let tries = 0; tries < 40; tries++) {
      if (!dampedSolve(ws, n, lambda)) {
        lambda *= 10;
        continue;
      }
      let dx2 = 0, x2 = 0;
      for (let i = 0; i < n; i++) {
        xt[i] = clamp(x[i] + step[i], i);
        const d = xt[i] - x[i];
        dx2 += d * d;
        x2 += x[i] * x[i];
      }
      if (Math.sqrt(dx2) <= xtol * (Math.sqrt(x2) + xtol)) {
        status = 4;
        it++;
        break outer;
      }
      problem.evaluate(xt, rt, null);
      const ssrT = sumSq(rt, m);
      if (ssrT < ssr) {
        const rel = (ssr - ssrT) / Math.max(ssr, 1e-300);
        x.set(xt);
        ssr = ssrT;
        lambda = Math.max(lambda / 10, 1e-12);
        needJac = true;
        if (rel <= ftol) {
          status = 3;
          it++;
          break outer;
        }
        continue outer;
      }
      lambda *= 10;
      if (lambda > 1e16) {
        status = 3; // no further decrease possible at working precision
        it++;
        break outer;
      }
    }
    status = 3;
    it++;
    break;
  }
  return { x: x.slice(), ssr, iterations: it, status };
}
