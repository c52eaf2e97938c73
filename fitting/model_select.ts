/**
 * How many peaks does a region hold? Backward elimination over joint pseudo-Voigt fits
 * (pv_fit.ts): fit all seeds, drop the weakest (smallest fitted IMax), refit, and compare.
 *
 * Two criteria:
 * - **BIC with the known noise** (when `noise` is given): weights 1/σᵢ from the detector's
 *   variance model `σᵢ² = gain·max(μᵢ, 0) + readSigma² + (modelError·μᵢ)²`, μ the fit with all
 *   seeds (fixed for every candidate, so their χ² compare on one scale); every count k on the
 *   elimination path is fitted and the k with the least `χ²ₖ + pₖ·ln(m)` wins (p free parameters,
 *   m pixels). The `modelError` term (default 3 %) is the model's own mismatch: the fit
 *   point-samples a pseudo-Voigt while the detector integrates over pixels and ω, and at high
 *   counts that mismatch, not the noise, would otherwise buy a spurious second peak.
 * - **F-test without a noise model** (sr-midas's raw re-fit): elimination stops when removing
 *   the weakest peak raises the residual sum of squares by F ≥ `minF` against the per-pixel
 *   residual variance of the larger fit.
 *
 * @example
 * ```ts
 * import { selectPeakCount } from "./model_select.ts";
 * // const choice = selectPeakCount({ r, eta, value }, seeds, {
 * //   threshold: 10, noise: { gain: 1, readSigma: 4 }, shareRadialWidth: true });
 * // choice?.kept.length; // 1 or 2 …
 * ```
 * @module
 */
import { pseudoVoigt } from "../peaks/pseudo_voigt.ts";
import {
  fitPseudoVoigtRegion,
  type PeakSeed,
  type PvFitOptions,
  type RegionFit,
  type RegionPixels,
  wrapDeg,
} from "./pv_fit.ts";

/** Default F threshold of the F-test path (see process/sr_peaks.ts for its calibration). */
export const DEFAULT_MIN_F = 12;

/** Options of {@link selectPeakCount}. */
export interface PeakCountOptions extends Omit<PvFitOptions, "weights"> {
  /** Known detector noise of the pixel values (counts above the pedestal): selects BIC. */
  noise?: { gain: number; readSigma: number };
  /** Relative model error added to the variance in the BIC path (default 0.03). */
  modelError?: number;
  /** F threshold of the F-test path (default {@link DEFAULT_MIN_F}). */
  minF?: number;
}

/** One candidate on the elimination path. */
export interface PeakCountCandidate {
  /** Seed indices fitted. */
  kept: number[];
  fit: RegionFit;
  /** BIC (BIC path) or the F of dropping this candidate's weakest peak (F path, NaN at k = 1). */
  score: number;
}

/** The chosen fit. */
export interface PeakCountChoice {
  /** Indices into the seeds of the peaks kept, ascending; `fit.peaks[j]` belongs to `kept[j]`. */
  kept: number[];
  fit: RegionFit;
  criterion: "bic" | "f";
  path: PeakCountCandidate[];
}

/** The fitted model's value at every pixel of the region. */
export function regionModel(px: RegionPixels, fit: RegionFit): Float64Array {
  const n = px.value.length;
  const out = new Float64Array(n).fill(fit.bg);
  for (const p of fit.peaks) {
    const pv = {
      u0: p.r,
      v0: p.eta,
      sigmaGU: p.sigmaGR,
      sigmaGV: p.sigmaGEta,
      sigmaLU: p.sigmaLR,
      sigmaLV: p.sigmaLEta,
      mu: p.mu,
      iMax: p.iMax,
    };
    for (let i = 0; i < n; i++) {
      out[i] += pseudoVoigt(pv, px.r[i], p.eta + wrapDeg(px.eta[i] - p.eta));
    }
  }
  return out;
}

const weakest = (fit: RegionFit) => {
  let w = 0;
  for (let j = 1; j < fit.peaks.length; j++) if (fit.peaks[j].iMax < fit.peaks[w].iMax) w = j;
  return w;
};

/**
 * Chooses the number of peaks among `seeds` (all of them down to 1, weakest dropped first).
 * Null when the fit with all seeds fails (too few pixels, bad input).
 */
export function selectPeakCount(
  px: RegionPixels,
  seeds: readonly PeakSeed[],
  o: PeakCountOptions,
): PeakCountChoice | null {
  if (seeds.length === 0) return null;
  const m = px.value.length;
  const fitOf = (keep: readonly number[], weights?: Float64Array) => {
    try {
      return fitPseudoVoigtRegion(px, keep.map((k) => seeds[k]), { ...o, weights });
    } catch {
      return null;
    }
  };
  let keep = seeds.map((_, k) => k);
  const first = fitOf(keep);
  if (!first) return null;

  if (!o.noise) {
    const minF = o.minF ?? DEFAULT_MIN_F;
    let fit = first;
    const path: PeakCountCandidate[] = [{ kept: keep, fit, score: NaN }];
    while (keep.length > 1) {
      const drop = weakest(fit);
      const fewer = keep.filter((_, j) => j !== drop);
      const alt = fitOf(fewer);
      if (!alt) break;
      const dof = m - fit.nParams;
      const ssr = fit.retVal ** 2, ssrFewer = alt.retVal ** 2;
      const dp = fit.nParams - alt.nParams;
      const f = dof > 0 && ssr > 0 ? ((ssrFewer - ssr) / dp) / (ssr / dof) : Infinity;
      path[path.length - 1].score = f;
      if (f >= minF) break;
      keep = fewer;
      fit = alt;
      path.push({ kept: keep, fit, score: NaN });
    }
    return { kept: keep, fit, criterion: "f", path };
  }

  const { gain, readSigma } = o.noise;
  const eps = o.modelError ?? 0.03;
  const mu = regionModel(px, first);
  const w = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const v = gain * Math.max(mu[i], 0) + readSigma * readSigma + (eps * mu[i]) ** 2;
    w[i] = 1 / Math.sqrt(v);
  }
  const lnM = Math.log(m);
  const path: PeakCountCandidate[] = [];
  let fit = fitOf(keep, w);
  while (fit) {
    path.push({ kept: keep, fit, score: fit.retVal ** 2 + fit.nParams * lnM });
    if (keep.length === 1) break;
    const drop = weakest(fit);
    keep = keep.filter((_, j) => j !== drop);
    fit = fitOf(keep, w);
  }
  if (path.length === 0) return null;
  const best = path.reduce((a, b) => (b.score < a.score ? b : a));
  return { kept: best.kept, fit: best.fit, criterion: "bic", path };
}
