/**
 * Analytic gradient of the shared pseudo-Voigt model (`peaks/pseudo_voigt.ts`) with respect to
 * its parameters, for Levenberg–Marquardt. Same parameter type, same formula.
 *
 * With du = u − u0, Lu = 1/(1 + du²/σLU²), Lv likewise, L = Lu·Lv, G = exp(−½(du²/σGU² + dv²/σGV²)):
 * ∂f/∂u0 = I·(μ·L·Lu·2du/σLU² + (1−μ)·G·du/σGU²), ∂f/∂σGU = I·(1−μ)·G·du²/σGU³,
 * ∂f/∂σLU = I·μ·L·Lu·2du²/σLU³, ∂f/∂μ = I·(L − G), ∂f/∂I = μL + (1−μ)G (v likewise).
 *
 * @example
 * ```ts
 * import { pseudoVoigtGradient, PV_GRAD } from "./pv_gradient.ts";
 * const p = { u0: 0, v0: 0, sigmaGU: 1, sigmaGV: 1, sigmaLU: 1, sigmaLV: 1, mu: 0.5, iMax: 10 };
 * const g = new Float64Array(8);
 * pseudoVoigtGradient(p, 0, 0, g); // 10
 * g[PV_GRAD.iMax]; // 1
 * ```
 * @module
 */
import type { PseudoVoigtParams } from "../peaks/pseudo_voigt.ts";

/** Slot of each parameter in the gradient array written by {@link pseudoVoigtGradient}. */
export const PV_GRAD = {
  u0: 0,
  v0: 1,
  sigmaGU: 2,
  sigmaGV: 3,
  sigmaLU: 4,
  sigmaLV: 5,
  mu: 6,
  iMax: 7,
} as const;

/** Value of the peak at (u, v); writes the 8 partial derivatives into `grad[offset …]` (PV_GRAD order). */
export function pseudoVoigtGradient(
  p: PseudoVoigtParams,
  u: number,
  v: number,
  grad: Float64Array,
  offset = 0,
): number {
  const du = u - p.u0, dv = v - p.v0;
  const igu = 1 / p.sigmaGU, igv = 1 / p.sigmaGV, ilu = 1 / p.sigmaLU, ilv = 1 / p.sigmaLV;
  const xg = du * igu, yg = dv * igv, xl = du * ilu, yl = dv * ilv;
  const g = Math.exp(-0.5 * (xg * xg + yg * yg));
  const lu = 1 / (1 + xl * xl), lv = 1 / (1 + yl * yl);
  const l = lu * lv;
  const mu = p.mu, im = p.iMax;
  const aL = im * mu * l, aG = im * (1 - mu) * g;
  grad[offset + 0] = aL * lu * 2 * xl * ilu + aG * xg * igu;
  grad[offset + 1] = aL * lv * 2 * yl * ilv + aG * yg * igv;
  grad[offset + 2] = aG * xg * xg * igu;
  grad[offset + 3] = aG * yg * yg * igv;
  grad[offset + 4] = aL * lu * 2 * xl * xl * ilu;
  grad[offset + 5] = aL * lv * 2 * yl * yl * ilv;
  grad[offset + 6] = im * (l - g);
  grad[offset + 7] = mu * l + (1 - mu) * g;
  return aL + aG;
}

/**
 * One peak over a region's pixels, for a least-squares fit: adds its value at every pixel
 * (`u[k]`, `v[k]`), k < m, into `model` and, when `jac` is given, writes its eight derivatives
 * times `w[k]` into a column-major Jacobian (`jac[c·m + k]`), `columns[s]` being the column of
 * {@link PV_GRAD} slot s. The expressions are {@link pseudoVoigtGradient}'s, with the peak's
 * reciprocal widths taken out of the pixel loop, so the two agree bit for bit: a region fit
 * evaluates every peak at every pixel for every step it tries.
 *
 * @example
 * ```ts
 * import { addPseudoVoigtRegion } from "./pv_gradient.ts";
 * const p = { u0: 0, v0: 0, sigmaGU: 1, sigmaGV: 1, sigmaLU: 1, sigmaLV: 1, mu: 0.5, iMax: 10 };
 * const model = new Float64Array(2);
 * addPseudoVoigtRegion(p, Float64Array.of(0, 1), Float64Array.of(0, 0), 2, model, null);
 * model[0]; // 10
 * ```
 */
export function addPseudoVoigtRegion(
  p: PseudoVoigtParams,
  u: Float64Array,
  v: Float64Array,
  m: number,
  model: Float64Array,
  jac: Float64Array | null,
  columns: ArrayLike<number> = [0, 1, 2, 3, 4, 5, 6, 7],
  w?: Float64Array,
): void {
  const u0 = p.u0, v0 = p.v0, mu = p.mu, im = p.iMax;
  const igu = 1 / p.sigmaGU, igv = 1 / p.sigmaGV, ilu = 1 / p.sigmaLU, ilv = 1 / p.sigmaLV;
  const c = (slot: number) => (jac ? columns[slot] * m : 0);
  const cU = c(PV_GRAD.u0), cV = c(PV_GRAD.v0), cGU = c(PV_GRAD.sigmaGU);
  const cGV = c(PV_GRAD.sigmaGV), cLU = c(PV_GRAD.sigmaLU), cLV = c(PV_GRAD.sigmaLV);
  const cMu = c(PV_GRAD.mu), cI = c(PV_GRAD.iMax);
  for (let k = 0; k < m; k++) {
    const du = u[k] - u0, dv = v[k] - v0;
    const xg = du * igu, yg = dv * igv, xl = du * ilu, yl = dv * ilv;
    const g = Math.exp(-0.5 * (xg * xg + yg * yg));
    const lu = 1 / (1 + xl * xl), lv = 1 / (1 + yl * yl);
    const l = lu * lv;
    const aL = im * mu * l, aG = im * (1 - mu) * g;
    model[k] += aL + aG;
    // Most evaluations are trial steps that need the value only.
    if (!jac) continue;
    const wk = w ? w[k] : 1;
    jac[cU + k] = (aL * lu * 2 * xl * ilu + aG * xg * igu) * wk;
    jac[cV + k] = (aL * lv * 2 * yl * ilv + aG * yg * igv) * wk;
    jac[cGU + k] = aG * xg * xg * igu * wk;
    jac[cGV + k] = aG * yg * yg * igv * wk;
    jac[cLU + k] = aL * lu * 2 * xl * xl * ilu * wk;
    jac[cLV + k] = aL * lv * 2 * yl * yl * ilv * wk;
    jac[cMu + k] = im * (l - g) * wk;
    jac[cI + k] = (mu * l + (1 - mu) * g) * wk;
  }
}
