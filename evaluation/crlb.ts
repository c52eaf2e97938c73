/**
 * The Cramér–Rao lower bound on a spot's centre (Y, Z): the best precision any unbiased
 * estimator can reach on the simulator's pixels, given the spot's true shape, its brightness in
 * the frame and the detector noise (issue #12: the yardstick for localization efficiency).
 *
 * Model per pixel i of the spot's box: `μ_i = B + h·v_i(Y, Z)`, with v the simulator's
 * pixel-integrated pseudo-Voigt of unit IMax (synthesis/render.ts, same sub-sampling), h the
 * peak height in the frame (IMax × the frame's ω weight) and B the flat background. The noise is
 * the simulator's (synthesis/noise_model.ts): Poisson counts times a gain plus signal-independent
 * read noise, so
 * `var_i = gain·μ_i + readSigma²` (Gaussian approximation of Poisson + read noise, exact in the
 * first two moments). Fisher information over θ = (Y, Z, h, B):
 * `F_jk = Σ_i ∂μ_i/∂θ_j · ∂μ_i/∂θ_k / var_i`; the bound is the (Y, Z) block of F⁻¹. (The term
 * of the variance's own dependence on θ is left out, as usual: it matters only below ~1 count.)
 *
 * The localization error the evaluation reports is the distance |found − truth|, so besides σY
 * and σZ the bound is given as {@link CrlbResult.medianPx}: the median distance of an efficient
 * estimator (a 2-D Gaussian with the bound's covariance). Median error / medianPx is then the
 * localization efficiency, 1 at the bound.
 *
 * @example
 * ```ts
 * import { spotCrlb } from "./crlb.ts";
 * const r = 1000, arcDeg = 180 / (Math.PI * r);
 * const shape = { yPx: 1022 + r, zPx: 1022, rPx: r, etaDeg: 90, iMax: 500, mu: 0,
 *   sigmaGRPx: 1.5, sigmaGEtaDeg: 1.5 * arcDeg, sigmaLRPx: 1.5, sigmaLEtaDeg: 1.5 * arcDeg };
 * const b = spotCrlb(shape, 1022, 1022, { background: 2, gain: 1, readSigma: 4 });
 * b.sigmaY < 0.05; // true: a bright spot is localized to a few hundredths of a pixel
 * ```
 * @module
 */
import {
  integratedSpotJacobian,
  type IntegrateOptions,
  spotHalfWidthPx,
  type SpotShape,
} from "../synthesis/render.ts";
import { type NoiseModel, pixelVariance } from "../synthesis/noise_model.ts";

export { type NoiseModel, pixelVariance, simulatorNoise } from "../synthesis/noise_model.ts";

/** Options of {@link spotCrlb}. */
export interface CrlbOptions extends IntegrateOptions {
  /** Fraction of IMax in this frame (the ω weight; default 1). */
  frameWeight?: number;
  /** Detector size, to clip the spot's box at the edges (default: no clipping). */
  nY?: number;
  nZ?: number;
}

/** The bound for one spot. */
export interface CrlbResult {
  /** √ of the bound on var(Y), var(Z) (px). */
  sigmaY: number;
  sigmaZ: number;
  /** √(var Y + var Z): the bound on the RMS distance error (px). */
  rmsPx: number;
  /** Median distance error of an efficient estimator (px): the yardstick for median errors. */
  medianPx: number;
  /** Peak height in the frame h (counts) over the background's noise σ: the spot's SNR. */
  snr: number;
  /** Σ of the spot's expected signal over its box (counts). */
  signal: number;
}

/**
 * Inverse of a symmetric positive-definite n×n matrix (row-major) by Gauss–Jordan with partial
 * pivoting; null when singular.
 */
export function invertMatrix(a: ArrayLike<number>, n: number): Float64Array | null {
  const m = Float64Array.from(a);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[p * n + c])) p = r;
    const piv = m[p * n + c];
    if (!(Math.abs(piv) > 1e-300)) return null;
    if (p !== c) {
      for (let k = 0; k < n; k++) {
        [m[c * n + k], m[p * n + k]] = [m[p * n + k], m[c * n + k]];
        [inv[c * n + k], inv[p * n + k]] = [inv[p * n + k], inv[c * n + k]];
      }
    }
    for (let k = 0; k < n; k++) {
      m[c * n + k] /= piv;
      inv[c * n + k] /= piv;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * n + c];
      if (f === 0) continue;
      for (let k = 0; k < n; k++) {
        m[r * n + k] -= f * m[c * n + k];
        inv[r * n + k] -= f * inv[c * n + k];
      }
    }
  }
  return inv;
}

/**
 * Median of |x| for x ~ N(0, Σ) in 2-D, Σ = [[a, c], [c, b]]: P(|x| ≤ ρ) is integrated over the
 * angle of the whitened vector and ρ found by bisection. Isotropic σ: σ·√(2 ln 2).
 */
export function medianDistance2d(a: number, b: number, c: number): number {
  const tr = a + b, det = a * b - c * c;
  const disc = Math.sqrt(Math.max(0, tr * tr / 4 - det));
  const l1 = Math.max(0, tr / 2 + disc), l2 = Math.max(0, tr / 2 - disc);
  if (!(l1 > 0)) return 0;
  const nPhi = 128;
  const cdf = (rho: number) => {
    let s = 0;
    for (let k = 0; k < nPhi; k++) {
      const phi = ((k + 0.5) / nPhi) * Math.PI * 2;
      const q = l1 * Math.cos(phi) ** 2 + l2 * Math.sin(phi) ** 2;
      s += 1 - Math.exp(-(rho * rho) / (2 * q));
    }
    return s / nPhi;
  };
  let lo = 0, hi = 3 * Math.sqrt(l1 + l2);
  for (let it = 0; it < 60; it++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) < 0.5) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Cramér–Rao bound on the centre of one spot of shape `shape` (its `iMax` at full ω weight,
 * scaled by `frameWeight`) about beam centre (ybc, zbc), with position, height and background
 * free. NaN fields when the spot has no signal in the frame.
 */
export function spotCrlb(
  shape: SpotShape,
  ybc: number,
  zbc: number,
  noise: NoiseModel,
  o: CrlbOptions = {},
): CrlbResult {
  const h = shape.iMax * (o.frameWeight ?? 1);
  const hw = spotHalfWidthPx(shape, o.maxHalfPx);
  const yc = Math.round(shape.yPx), zc = Math.round(shape.zPx);
  const box = {
    y0: o.nY === undefined ? yc - hw : Math.max(0, yc - hw),
    y1: o.nY === undefined ? yc + hw : Math.min(o.nY - 1, yc + hw),
    z0: o.nZ === undefined ? zc - hw : Math.max(0, zc - hw),
    z1: o.nZ === undefined ? zc + hw : Math.min(o.nZ - 1, zc + hw),
  };
  const nan: CrlbResult = {
    sigmaY: NaN,
    sigmaZ: NaN,
    rmsPx: NaN,
    medianPx: NaN,
    snr: NaN,
    signal: 0,
  };
  if (!(h > 0) || box.y1 < box.y0 || box.z1 < box.z0) return nan;
  const jac = integratedSpotJacobian(ybc, zbc, { ...shape, iMax: 1 }, box, o);
  const F = new Float64Array(16);
  const d = new Float64Array(4);
  let signal = 0, peak = 0;
  for (let i = 0; i < jac.values.length; i++) {
    const v = jac.values[i];
    signal += h * v;
    peak = Math.max(peak, h * v);
    d[0] = h * jac.dY[i];
    d[1] = h * jac.dZ[i];
    d[2] = v;
    d[3] = 1;
    const w = 1 / pixelVariance(noise.background + h * v, noise);
    for (let j = 0; j < 4; j++) {
      for (let k = 0; k <= j; k++) F[j * 4 + k] += d[j] * d[k] * w;
    }
  }
  for (let j = 0; j < 4; j++) for (let k = j + 1; k < 4; k++) F[j * 4 + k] = F[k * 4 + j];
  const C = invertMatrix(F, 4);
  if (!C) return { ...nan, signal };
  const vy = C[0], vz = C[5], cyz = C[1];
  return {
    sigmaY: Math.sqrt(vy),
    sigmaZ: Math.sqrt(vz),
    rmsPx: Math.sqrt(vy + vz),
    medianPx: medianDistance2d(vy, vz, cyz),
    snr: h / Math.sqrt(pixelVariance(noise.background, noise)),
    signal,
  };
}
