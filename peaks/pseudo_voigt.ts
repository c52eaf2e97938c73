/**
 * 2-D pseudo-Voigt peak shapes, exactly MIDAS's model (sr-midas `pseudoVoigt2d_diffLGwidth`).
 *
 * The coordinates (u, v) are (R px, Eta deg) when rendering diffraction spots, or (Y, Z) px.
 * `PV = mu·L(γu, γv) + (1 − mu)·G(σu, σv)`, scaled so the value at the centre is `iMax`.
 * The Lorentzian is the separable product of two 1-D Lorentzians, as in MIDAS.
 *
 * @example
 * ```ts
 * import { pseudoVoigt } from "./pseudo_voigt.ts";
 * const p = { u0: 100, v0: 45, sigmaGU: 1, sigmaGV: 0.5, sigmaLU: 1, sigmaLV: 0.5, mu: 0.3, iMax: 1000 };
 * pseudoVoigt(p, 100, 45); // 1000
 * ```
 * @module
 */

/** Parameters of one pseudo-Voigt peak (MIDAS names in comments). */
export interface PseudoVoigtParams {
  /** Centre along u (Radius(px) when u = R). */
  u0: number;
  /** Centre along v (Eta(degrees) when v = Eta). */
  v0: number;
  /** Gaussian σ along u (SigmaGR). */
  sigmaGU: number;
  /** Gaussian σ along v (SigmaGEta). */
  sigmaGV: number;
  /** Lorentzian half-width along u (SigmaLR). */
  sigmaLU: number;
  /** Lorentzian half-width along v (SigmaLEta). */
  sigmaLV: number;
  /** Lorentz fraction (MU), 0 … 1. */
  mu: number;
  /** Peak value at the centre (IMax). */
  iMax: number;
}

/** Value of one pseudo-Voigt peak at (u, v). Point-sampled: no integration over the pixel. */
export function pseudoVoigt(p: PseudoVoigtParams, u: number, v: number): number {
  const du = u - p.u0;
  const dv = v - p.v0;
  const xg = du / p.sigmaGU;
  const yg = dv / p.sigmaGV;
  const xl = du / p.sigmaLU;
  const yl = dv / p.sigmaLV;
  const g = Math.exp(-0.5 * (xg * xg + yg * yg));
  const l = 1 / ((1 + xl * xl) * (1 + yl * yl));
  return p.iMax * (p.mu * l + (1 - p.mu) * g);
}

/**
 * Adds `scale ×` a pseudo-Voigt peak to `out` over paired coordinate grids `uu`, `vv`
 * (same length as `out`, e.g. the RR and EE grids of a patch). Returns `out`.
 */
export function addPseudoVoigt(
  out: Float32Array | Float64Array,
  uu: ArrayLike<number>,
  vv: ArrayLike<number>,
  p: PseudoVoigtParams,
  scale = 1,
): Float32Array | Float64Array {
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] += scale * pseudoVoigt(p, uu[i], vv[i]);
  return out;
}
