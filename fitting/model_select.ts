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
 * //   threshold: 10, noise: { gain: 1, readSigma: 4 }, minSigmaPx: 0.5, split: true });
 * // choice?.kept.length; // 1 or 2 …
 * ```
 * @module
 */
import { pseudoVoigt } from "../peaks/pseudo_voigt.ts";
import {
  fitOutOfLorentzianCorner,
  fitPseudoVoigtRegion,
  type FittedPeak,
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
  /**
   * BIC path only: after backward elimination, also try **adding** peaks — each fitted peak
   * split in two, and a partner where the residual most looks like a spot — and keep a split
   * while BIC falls (see {@link splitForward}). Seeds can only say where peaks may be; two peaks
   * closer than a peak width leave one maximum on any smooth image, so the second seed has to
   * come from the fit itself.
   */
  split?: boolean | SplitOptions;
}

/** Options of the forward (splitting) steps of the BIC path. */
export interface SplitOptions {
  /** A region ends with at most this many peaks (default 5). */
  maxPeaks?: number;
  /** Half the separation of a symmetric split, px (default 0.45). */
  halfSepPx?: number;
  /** Split only the brightest this many peaks of a fit (default 2). */
  peaksTried?: number;
  /**
   * Seeds that may gain peaks — their peak split, or a partner at a residual nearest it (default
   * all): a seed that only models a neighbour's flank, whose peak the caller drops, is not worth
   * the search's fits.
   */
  splittable?: (seed: number) => boolean;
  /**
   * The two halves of a split keep one shape (pv_fit.ts `shapeGroups`; default true): a
   * single spot's skew must not pass as two spots of different shapes. Other peaks of the
   * region, and a peak added at the residual, keep their own shapes: a neighbour from another
   * grain has its own widths, and forcing them on it leaves a misfit that more peaks absorb.
   */
  shareShape?: boolean;
  /**
   * Candidates are screened with this many optimizer iterations and only the best
   * `finalists` are fitted to convergence (defaults 8 and 2). Screening ranks candidates only:
   * on 783 regions of two held-out scans, 8 iterations instead of 12 picked the same finalists
   * everywhere (identical peaks) with 13 % fewer iterations in all; 1 finalist instead of 2
   * changed 2 regions for 15 % fewer.
   */
  screenIter?: number;
  finalists?: number;
  /**
   * A finalist is fitted to convergence only when its screened BIC is within this of winning
   * (at most `current BIC − minGain + finalGate`; default 5). The fit to convergence continues
   * from the screened solution, and on the 783 regions above the remaining iterations lowered
   * BIC by a median 0.02–0.06 (p99 17–20): most candidates sit at the margin's 3·ln m above
   * the current fit and cannot win. With the warm continuation a gate of 20 cut the re-fit's LM
   * iterations by 28 % and changed one region, where it kept one false split fewer; 5 instead
   * of 20 fits 1.7 k finalists instead of 11.1 k on the acceptance scan's replay (pairs and
   * own-frame matches unchanged, 94 unmatched peaks instead of 95) in 12 % less time.
   */
  finalGate?: number;
  /**
   * Every peak of a split candidate must stand this many background σ above the background
   * (IMax / √(gain·BG + readσ²); default 3): below that the oracle resolves almost nothing, so
   * a fainter "partner" is noise or the model's mismatch.
   */
  minSnr?: number;
  /** BIC must fall by more than this to accept a split (default 0). */
  minGain?: number;
  /**
   * Peaks descending from one seed may differ in IMax by at most this factor (default 12): a
   * "partner" far fainter than its spot sits in the wings, where the model's mismatch, not a
   * second spot, is the likelier cause (and the oracle resolves few such pairs).
   */
  maxRatio?: number;
  /**
   * `maxRatio` binds only within this distance (px) of the seed's brightest peak (default 4):
   * a wing misfit sits on the spot, while a faint peak farther out is another spot on the
   * bright one's wing (a shoulder with no summit of its own, which only the fit's residual
   * finds).
   */
  ratioRadiusPx?: number;
  /**
   * Try all four split directions (radial, azimuthal, diagonals) instead of the one axis along
   * which the fit's weighted residual is most spread (default false: 4× fewer fits).
   */
  allDirections?: boolean;
  /**
   * All four directions only on fits whose χ² lies at least this many σ above its expectation
   * ({@link misfitZ}); the one residual axis elsewhere (default: `allDirections` everywhere or
   * nowhere). A fit at its noise floor seldom gains a split at all, so the extra directions are
   * spent where a split is likely.
   */
  allDirectionsMinMisfitZ?: number;
  /**
   * Search only while the current fit misfits: its χ² must exceed the expected ν = m − p by at
   * least this many standard deviations √(2ν) ({@link misfitZ}; default −∞, always search). A
   * fit at or below its noise floor seldom leaves structure a second peak explains by the BIC
   * margin, and most regions are such fits (thresholded regions run below ν: the cut drops the
   * low tail). A speed knob: −2 skipped a third of the searches and lost 1 pair in 52.
   */
  minMisfitZ?: number;
}

/** One candidate on the elimination path. */
export interface PeakCountCandidate {
  /** Per fitted peak, its seed's index (as {@link PeakCountChoice.kept}). */
  kept: number[];
  /**
   * Split search only: per fitted peak, its shape group (pv_fit.ts `shapeGroups`) — the two
   * halves of a split share one, a peak added at the residual gets its own.
   */
  shapes?: number[];
  fit: RegionFit;
  /** BIC (BIC path) or the F of dropping this candidate's weakest peak (F path, NaN at k = 1). */
  score: number;
}

/** The chosen fit. */
export interface PeakCountChoice {
  /**
   * Per fitted peak, the index of the seed it descends from: `fit.peaks[j]` belongs to
   * `kept[j]`. Ascending without splits; a split peak's two halves repeat its seed's index.
   */
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

/** `seed` started at an earlier fit's peak (centre, IMax and shape); its bounds stay the seed's. */
const startedAt = (seed: PeakSeed, p: FittedPeak): PeakSeed => ({ ...seed, start: p, shape: p });

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
  // Fits escape the Lorentzian corner (pv_fit.ts; all but the split search's screens, below): a
  // noisy Gaussian spot trapped at µ = 1 misfits its core, and two Lorentzians then beat it by
  // BIC. On the acceptance scan's replay 7 k of its 72 k fits ended there, and 86 % of those
  // fitted better from a Gaussian start.
  const tryFit = (
    s: readonly PeakSeed[],
    extra: Partial<PvFitOptions> = {},
    fit = fitOutOfLorentzianCorner,
  ) => {
    try {
      return fit(px, s, { ...o, ...extra });
    } catch {
      return null;
    }
  };
  const fitOf = (keep: readonly number[], weights?: Float64Array) =>
    tryFit(keep.map((k) => seeds[k]), { weights });
  /** Each seed's box (its `seedBoundPx` bounds): its own, until {@link fewerFit} moves it. */
  const near = [...seeds];
  /**
   * The seeds `keep` (a subset of `from`'s, in order) started at `from`'s solution in their
   * boxes: a re-fit under new weights or with a peak fewer converges in a few steps.
   */
  const warmFit = (keep: readonly number[], from: PeakCountCandidate, weights: Float64Array) =>
    tryFit(
      keep.map((k) => startedAt(near[k], from.fit.peaks[from.kept.indexOf(k)])),
      { weights, bgStart: from.fit.bg },
    );
  const bound = o.seedBoundPx ?? 1;
  const onEdge = (fit: RegionFit, keep: readonly number[]) =>
    fit.peaks.some((p, j) => {
      const s = near[keep[j]];
      return Math.abs(p.r - s.r) > bound - 0.02 ||
        Math.abs(p.r * wrapDeg(p.eta - s.eta) / RAD2DEG) > bound - 0.02;
    });
  /**
   * {@link warmFit} with a peak fewer than `from`. The kept peaks must now take the dropped one's
   * flux, and may have to move farther than their seeds' boxes allow: two SR seeds ±2 px either
   * side of one elongated spot leave the spot outside both ±1 px boxes, so its one-peak fit
   * stopped on a box's edge 0.5 px short, lost by BIC to two peaks 4 px apart, and neither peak
   * matched the spot. While a peak ends on its box's edge, the boxes are re-centred on the fit
   * and the fit continued (at most twice, kept only while χ² falls).
   */
  const fewerFit = (keep: readonly number[], from: PeakCountCandidate, weights: Float64Array) => {
    let fit = warmFit(keep, from, weights);
    for (let i = 0; i < 2 && fit && onEdge(fit, keep); i++) {
      const moved = fit.peaks.map((p): PeakSeed => ({ r: p.r, eta: p.eta, value: p.iMax }));
      const again = tryFit(moved.map((s, j) => startedAt(s, fit!.peaks[j])), {
        weights,
        bgStart: fit.bg,
      });
      if (!again || !(again.retVal < fit.retVal)) break;
      keep.forEach((k, j) => (near[k] = moved[j]));
      fit = again;
    }
    return fit;
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
  let prev: PeakCountCandidate = { kept: keep, fit: first, score: NaN };
  let fit = warmFit(keep, prev, w);
  while (fit) {
    prev = { kept: keep, fit, score: fit.retVal ** 2 + fit.nParams * lnM };
    path.push(prev);
    if (keep.length === 1) break;
    const drop = weakest(fit);
    keep = keep.filter((_, j) => j !== drop);
    fit = fewerFit(keep, prev, w);
  }
  if (path.length === 0) return null;
  let best = path.reduce((a, b) => (b.score < a.score ? b : a));
  if (o.split) {
    const so = o.split === true ? {} : o.split;
    const fitWith = (
      s: readonly PeakSeed[],
      shapes: readonly number[],
      maxIter?: number,
      bgStart?: number,
    ) =>
      tryFit(
        s,
        {
          weights: w,
          shapeGroups: so.shareShape === false ? undefined : shapes,
          maxIter: maxIter ?? o.maxIter,
          bgStart,
        },
        // A screen (a few iterations) only ranks candidates, and a finalist goes on from it to
        // convergence out of the corner: escaping it on every screen too cost 8 % more time on
        // the replays for the same pairs.
        maxIter === undefined ? fitOutOfLorentzianCorner : fitPseudoVoigtRegion,
      );
    best = splitForward(px, w, best, fitWith, lnM, so, o.noise, path);
  }
  return { kept: best.kept, fit: best.fit, criterion: "bic", path };
}

const RAD2DEG = 180 / Math.PI;

/**
 * How far a weighted fit's χ² lies above its expectation ν = m − p (m pixels, p free
 * parameters), in standard deviations √(2ν) of the χ²(ν) distribution.
 */
export function misfitZ(fit: Pick<RegionFit, "retVal" | "nParams">, nPixels: number): number {
  const nu = Math.max(nPixels - fit.nParams, 1);
  return (fit.retVal ** 2 - nu) / Math.sqrt(2 * nu);
}

/** Split directions in (R, arc) px: radial, azimuthal and the two diagonals. */
const SPLIT_DIRS: readonly (readonly [number, number])[] = [
  [1, 0],
  [0, 1],
  [Math.SQRT1_2, Math.SQRT1_2],
  [Math.SQRT1_2, -Math.SQRT1_2],
];

/**
 * The axis (unit vector in (R, arc) px) along which a one-peak fit under-explains the data most:
 * the leading eigenvector of the second moment, about the peak, of the χ-weighted residual
 * (value − model)·w² within 3 px. Two unresolved peaks leave positive residual at both ends of
 * their axis and negative across it.
 */
export function splitAxis(
  px: RegionPixels,
  mu: Float64Array,
  w: Float64Array,
  p: FittedPeak,
): [number, number] {
  let mrr = 0, maa = 0, mra = 0;
  for (let i = 0; i < mu.length; i++) {
    const dR = px.r[i] - p.r, dA = p.r * wrapDeg(px.eta[i] - p.eta) / RAD2DEG;
    if (dR * dR + dA * dA > 9) continue;
    const q = (px.value[i] - mu[i]) * w[i] * w[i];
    mrr += q * dR * dR;
    maa += q * dA * dA;
    mra += q * dR * dA;
  }
  // Leading eigenvector of [[mrr, mra], [mra, maa]].
  const theta = 0.5 * Math.atan2(2 * mra, mrr - maa);
  return [Math.cos(theta), Math.sin(theta)];
}

/**
 * A Gaussian spot's matched filter over a region's pixels under fixed weights `w` (1/σ per
 * pixel): per pixel i its neighbours j within 3σ (in (R, arc) px), their kernel values gᵢⱼ, and
 * `Σⱼ gᵢⱼ²·wⱼ²`. The weights stay fixed through a model selection, so this is built once.
 */
export interface SpotFilter {
  /** Pixel i's neighbours are `nbr[start[i] … start[i + 1])`, their kernel values in `g`. */
  start: Int32Array;
  nbr: Int32Array;
  g: Float64Array;
  den: Float64Array;
}

/** {@link SpotFilter} of a spot of width `sigmaPx` (default 1 px, the spots' typical σ). */
export function spotFilter(px: RegionPixels, w: ArrayLike<number>, sigmaPx = 1): SpotFilter {
  const m = px.value.length, eta0 = px.eta[0], arc = new Float64Array(m);
  for (let j = 0; j < m; j++) arc[j] = px.r[j] * wrapDeg(px.eta[j] - eta0) / RAD2DEG;
  const cut2 = 9 * sigmaPx * sigmaPx, k = -0.5 / (sigmaPx * sigmaPx);
  const start = new Int32Array(m + 1), nbr: number[] = [], g: number[] = [];
  const den = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const dr = px.r[j] - px.r[i], da = arc[j] - arc[i], d2 = dr * dr + da * da;
      if (d2 > cut2) continue;
      const gij = Math.exp(k * d2);
      nbr.push(j);
      g.push(gij);
      den[i] += gij * gij * w[j] * w[j];
    }
    start[i + 1] = nbr.length;
  }
  return { start, nbr: Int32Array.from(nbr), g: Float64Array.from(g), den };
}

/**
 * Where one more spot would best explain a fit's residual: the pixel that maximizes the matched
 * filter of a spot ({@link spotFilter}) on the weighted residual,
 * `S(i) = Σⱼ gᵢⱼ·(vⱼ − μⱼ)·wⱼ² / √(Σⱼ gᵢⱼ²·wⱼ²)` (the spot's SNR there), with the spot's
 * least-squares height `Σⱼ gᵢⱼ·(vⱼ − μⱼ)·wⱼ² / Σⱼ gᵢⱼ²·wⱼ²`. A faint spot spreads its excess over
 * a dozen pixels of 2–3 σ each, while the single largest weighted residual is as often one noisy
 * pixel. Null when no pixel has a positive height.
 */
export function residualPeak(
  px: RegionPixels,
  mu: ArrayLike<number>,
  w: ArrayLike<number>,
  filter: SpotFilter = spotFilter(px, w),
): { index: number; height: number; snr: number } | null {
  const m = mu.length, q = new Float64Array(m);
  for (let j = 0; j < m; j++) q[j] = (px.value[j] - mu[j]) * w[j] * w[j];
  const { start, nbr, g, den } = filter;
  let best: { index: number; height: number; snr: number } | null = null;
  for (let i = 0; i < m; i++) {
    if (q[i] <= 0 || den[i] <= 0) continue;
    let num = 0;
    for (let n = start[i]; n < start[i + 1]; n++) num += g[n] * q[nbr[n]];
    if (num <= 0) continue;
    const snr = num / Math.sqrt(den[i]);
    if (!best || snr > best.snr) best = { index: i, height: num / den[i], snr };
  }
  return best;
}

/**
 * Forward steps after backward elimination: for the brightest peaks of the current fit, try it
 * as two peaks — split symmetrically (equal halves ±`halfSepPx`) and asymmetrically (a strong
 * peak nearly in place and a weak partner 2×`halfSepPx` away, both sides) along its
 * {@link splitAxis} (or all four directions) — and try one more peak where the residual most
 * looks like a spot ({@link residualPeak}). Every candidate is screened with a few iterations
 * under the same weights; the best few are fitted to convergence (their boxes re-centred on the
 * screened solution), implausible ones (too faint, or too much fainter than their sibling)
 * dropped, and the least BIC kept while it beats the current fit by `minGain`.
 * Candidates record, per fitted peak, the seed it descends from (a split repeats its parent's).
 */
function splitForward(
  px: RegionPixels,
  w: Float64Array,
  start: PeakCountCandidate,
  fitWith: (
    seeds: readonly PeakSeed[],
    shapes: readonly number[],
    maxIter?: number,
    bgStart?: number,
  ) => RegionFit | null,
  lnM: number,
  so: SplitOptions,
  noise: { gain: number; readSigma: number },
  path: PeakCountCandidate[],
): PeakCountCandidate {
  const maxPeaks = so.maxPeaks ?? 5, h = so.halfSepPx ?? 0.45, nTried = so.peaksTried ?? 2;
  const minSnr = so.minSnr ?? 3, maxRatio = so.maxRatio ?? 12, ratioR = so.ratioRadiusPx ?? 4;
  const seedOf = (p: FittedPeak, dR = 0, dArc = 0, scale = 1): PeakSeed => ({
    r: p.r + dR,
    eta: p.eta + RAD2DEG * dArc / Math.max(p.r, 1),
    value: p.iMax * scale,
  });
  const bic = (fit: RegionFit) => fit.retVal ** 2 + fit.nParams * lnM;
  // Too faint to be a spot, or too much fainter than a nearby peak of the same seed.
  const implausible = (fit: RegionFit, seedOfPeak: readonly number[]) => {
    const sigma = Math.sqrt(noise.gain * Math.max(fit.bg, 0) + noise.readSigma ** 2);
    const brightest = new Map<number, FittedPeak>();
    fit.peaks.forEach((p, j) => {
      const b = brightest.get(seedOfPeak[j]);
      if (!b || p.iMax > b.iMax) brightest.set(seedOfPeak[j], p);
    });
    return fit.peaks.some((p, j) => {
      if (p.iMax < minSnr * sigma) return true;
      const b = brightest.get(seedOfPeak[j])!;
      return p.iMax * maxRatio < b.iMax &&
        Math.hypot(p.r - b.r, p.r * wrapDeg(p.eta - b.eta) / RAD2DEG) < ratioR;
    });
  };
  const minMisfitZ = so.minMisfitZ ?? -Infinity, m = px.value.length;
  let best = start, filter: SpotFilter | undefined;
  while (best.fit.peaks.length < maxPeaks && misfitZ(best.fit, m) >= minMisfitZ) {
    const peaks = best.fit.peaks, from = best.kept, shapes = best.shapes ?? best.kept;
    const cands: { seeds: PeakSeed[]; from: number[]; shapes: number[] }[] = [];
    const order = peaks.map((_, j) => j)
      .filter((j) => so.splittable?.(from[j]) ?? true)
      .sort((a, b) => peaks[b].iMax - peaks[a].iMax)
      .slice(0, nTried);
    const mu = regionModel(px, best.fit);
    const allDirs = so.allDirectionsMinMisfitZ === undefined
      ? so.allDirections
      : misfitZ(best.fit, m) >= so.allDirectionsMinMisfitZ;
    for (const j of order) {
      const others = peaks.flatMap((p, k) => (k === j ? [] : [seedOf(p)]));
      const fromOthers = from.filter((_, k) => k !== j);
      const p = peaks[j], parent = [...fromOthers, from[j], from[j]];
      const twin = [...shapes.filter((_, k) => k !== j), shapes[j], shapes[j]];
      const dirs = allDirs ? SPLIT_DIRS : [splitAxis(px, mu, w, p)];
      for (const [ur, ua] of dirs) {
        cands.push({
          seeds: [...others, seedOf(p, h * ur, h * ua, 0.6), seedOf(p, -h * ur, -h * ua, 0.6)],
          from: parent,
          shapes: twin,
        });
        for (const sign of [1, -1]) {
          const a = -0.25 * h * sign, b = 2 * h * sign;
          cands.push({
            seeds: [...others, seedOf(p, a * ur, a * ua, 0.9), seedOf(p, b * ur, b * ua, 0.2)],
            from: parent,
            shapes: twin,
          });
        }
      }
    }
    const res = residualPeak(px, mu, w, filter ??= spotFilter(px, w));
    if (res) {
      let near = 0, dBest = Infinity;
      peaks.forEach((p, j) => {
        const d = (p.r - px.r[res.index]) ** 2 +
          (p.r * wrapDeg(p.eta - px.eta[res.index]) / RAD2DEG) ** 2;
        if (d < dBest) [dBest, near] = [d, j];
      });
      if (so.splittable?.(from[near]) ?? true) {
        cands.push({
          seeds: [
            ...peaks.map((p) => seedOf(p)),
            { r: px.r[res.index], eta: px.eta[res.index], value: res.height },
          ],
          from: [...from, from[near]],
          shapes: [...shapes, Math.max(...shapes) + 1],
        });
      }
    }
    const minGain = so.minGain ?? 0, gate = best.score - minGain + (so.finalGate ?? 5);
    const screened = cands.flatMap((c) => {
      const fit = fitWith(c.seeds, c.shapes, so.screenIter ?? 8);
      return fit ? [{ c, fit, score: bic(fit) }] : [];
    }).sort((a, b) => a.score - b.score).slice(0, so.finalists ?? 2);
    let next: PeakCountCandidate | null = null;
    for (const { c, fit: screen, score: screenScore } of screened) {
      if (screenScore > gate) continue;
      // Continue from the screened solution, its bounds (±1 px, IMax ½–5×) re-centred there: a
      // partner seeded 0.9 px out of the one-peak fit, which sits between the spots, stopped at
      // its bound short of a 2.5–3 px partner (offline pair bench: 252 → 265 of 360 pairs).
      const warm = c.seeds.map((_, j) => startedAt(seedOf(screen.peaks[j]), screen.peaks[j]));
      const fit = fitWith(warm, c.shapes, undefined, screen.bg);
      if (!fit || implausible(fit, c.from)) continue;
      const score = bic(fit);
      if (!next || score < next.score) next = { kept: c.from, shapes: c.shapes, fit, score };
    }
    if (!next || !(next.score < best.score - minGain)) break;
    // A split may only beat a parent fit that stopped in a poor local minimum (a flat µ–σL
    // valley): re-fit the parent's peaks started from the split's solution, the new peak
    // merged back, and keep the split only if it still wins.
    const again = refitParent(next);
    if (again && !(next.score < again.score - minGain)) {
      if (again.score < best.score) {
        path.push(again);
        best = again;
      }
      break;
    }
    path.push(next);
    best = next;
  }
  return best;

  /** The candidate's parent peaks (its last peak merged into the one it came from), re-fitted. */
  function refitParent(c: PeakCountCandidate): PeakCountCandidate | null {
    const ps = c.fit.peaks, n = ps.length, shapes = c.shapes ?? c.kept;
    const withShape = (p: FittedPeak): PeakSeed => ({ ...seedOf(p), shape: p });
    const seeds = ps.slice(0, n - 1).map(withShape);
    // A split's halves are its last two peaks; an added peak's parent is elsewhere.
    const twin = shapes[n - 1] === shapes[n - 2] && c.kept[n - 1] === c.kept[n - 2];
    if (twin) {
      const a = ps[n - 2], b = ps[n - 1], wa = a.iMax / (a.iMax + b.iMax);
      seeds[n - 2] = {
        r: a.r + (1 - wa) * (b.r - a.r),
        eta: a.eta + (1 - wa) * wrapDeg(b.eta - a.eta),
        value: a.iMax + b.iMax,
        shape: wa >= 0.5 ? a : b,
      };
    }
    const fit = fitWith(seeds, shapes.slice(0, n - 1));
    return fit &&
      { kept: c.kept.slice(0, n - 1), shapes: shapes.slice(0, n - 1), fit, score: bic(fit) };
  }
}
