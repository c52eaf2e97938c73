/**
 * Joint multi-peak pseudo-Voigt fit of one connected region with a shared flat background —
 * MIDAS's model (midas-formats §3.2), initial values and bounds (C `fit2DPeaks`), solved by the
 * bounded Levenberg–Marquardt of `levenberg_marquardt.ts` with an analytic Jacobian.
 *
 * Model per region pixel i: `I_i = BG + Σ_j PV_j(R_i, Eta_i)` with `PV` the shared
 * `peaks/pseudo_voigt.ts` shape (u = R px, v = Eta deg). Parameter vector (MIDAS order):
 * `[BG, then per peak IMax, R, Eta, MU, σGR, σLR, σGEta, σLEta]`.
 *
 * Seam safety (fixes sr-midas §12 item 8): Eta is fitted in local coordinates
 * ΔEta = wrap(Eta − EtaRef) ∈ (−180, 180] around the first seed, so a spot straddling the ±180°
 * seam is one smooth blob; the fitted Eta is wrapped back to (−180, 180].
 *
 * @example
 * ```ts
 * import { fitPseudoVoigtRegion } from "./pv_fit.ts";
 * const r = [99, 100, 101, 100, 100], eta = [10, 10, 10, 9.5, 10.5];
 * const value = [60, 100, 60, 60, 60];
 * const fit = fitPseudoVoigtRegion({ r, eta, value }, [{ r: 100, eta: 10, value: 100 }], {
 *   threshold: 50,
 * });
 * fit.peaks[0].r; // ≈ 100
 * ```
 * @module
 */
import { pseudoVoigt, type PseudoVoigtParams } from "../peaks/pseudo_voigt.ts";
import { addPseudoVoigtRegion } from "./pv_gradient.ts";
import { levenbergMarquardt, type LmWorkspace } from "./levenberg_marquardt.ts";

const RAD2DEG = 180 / Math.PI;

/** Pixels of one region in polar coordinates. */
export interface RegionPixels {
  /** Radius of each pixel from the beam centre (px). */
  r: ArrayLike<number>;
  /** Azimuth of each pixel (deg, any branch; differences are wrapped). */
  eta: ArrayLike<number>;
  /** Corrected intensity of each pixel. */
  value: ArrayLike<number>;
}

/** A seed (regional maximum) for one peak. */
export interface PeakSeed {
  r: number;
  eta: number;
  /** Intensity at the seed pixel. */
  value: number;
  /**
   * Start the widths and µ here instead of at the region's moments (a re-fit started from an
   * earlier fit's shape). Bounds are unchanged.
   */
  shape?: Pick<FittedPeak, "mu" | "sigmaGR" | "sigmaLR" | "sigmaGEta" | "sigmaLEta">;
  /**
   * Start the centre and IMax here (clamped into the seed's box) instead of at the seed: a re-fit
   * of an earlier fit's peaks under other weights or with a peak fewer starts at its solution,
   * while its bounds stay those of the seed, so no re-fit lets a centre drift further.
   */
  start?: Pick<FittedPeak, "r" | "eta" | "iMax">;
}

/** Options of {@link fitPseudoVoigtRegion}. */
export interface PvFitOptions {
  /** The region's ring threshold (BG start threshold/2, bounds [0, threshold]). */
  threshold: number;
  maxIter?: number;
  ftolRel?: number;
  xtolRel?: number;
  workspace?: LmWorkspace;
  /**
   * Per-pixel weights 1/σᵢ (weighted least squares with a known noise model); default 1. The
   * fit's `retVal` is then √χ².
   */
  weights?: ArrayLike<number>;
  /**
   * One radial width for all peaks: σGR and σLR of every peak are tied to the first peak's.
   * Where the radial width is instrumental (one width per ring), sharing it keeps a weak
   * partner from trading width for position; where grains differ (the simulator's σR spans
   * 0.7–2 px), the tie misfits neighbours, so `process` leaves it off.
   */
  shareRadialWidth?: boolean;
  /**
   * Per peak, a shape group: peaks of one group share every width and µ (tied to the group's
   * first peak), peaks of different groups keep their own. The two halves of a split peak are
   * one spot's shape twice, while a neighbouring spot of another grain has its own; tying
   * those too leaves a misfit that further peaks then absorb.
   */
  shapeGroups?: ArrayLike<number>;
  /**
   * Half-size of each centre's box around its seed, in px (R ± b, Eta ± b px of arc); default 1
   * (MIDAS `fit2DPeaks`). Smaller keeps a weak peak of a pair from drifting onto its partner.
   */
  seedBoundPx?: number;
  /** Start the background here (clamped into [0, threshold]) instead of at threshold/2. */
  bgStart?: number;
  /**
   * Floor on every width, in px (Eta widths in px of arc); default none (MIDAS's 0.01). A
   * detector pixel integrates its spot, so no spot is narrower than about half a pixel; without
   * a floor an extra peak can shrink onto one noisy pixel and buy its χ² back.
   */
  minSigmaPx?: number;
}

/** One fitted peak, in detector polar coordinates. */
export interface FittedPeak {
  r: number;
  /** Fitted azimuth, wrapped to (−180, 180]. */
  eta: number;
  iMax: number;
  sigmaGR: number;
  sigmaLR: number;
  sigmaGEta: number;
  sigmaLEta: number;
  mu: number;
  /** Σ over region pixels of this peak's term, plus BG where the term exceeds BG (MIDAS). */
  integratedIntensity: number;
  /** Region pixels where this peak's term exceeds BG (MIDAS `NrPixels`). */
  nrPixels: number;
}

/** Result of a region fit. */
export interface RegionFit {
  peaks: FittedPeak[];
  bg: number;
  /** NLopt-style code from the optimiser (3 ftol, 4 xtol, 5 maxIter, 1 exact, <0 failure). */
  returnCode: number;
  /** √(Σ residual²) of the region fit (MIDAS `retVal` = `FitRMSE`). */
  retVal: number;
  iterations: number;
  /** Number of fitted parameters (1 + 8 per peak, fewer with shared widths). */
  nParams: number;
}

/** Start point and box in MIDAS order, with Eta local to `etaRef`. */
export interface InitialGuess {
  x0: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  etaRef: number;
}

/** Wraps an angle difference to (−180, 180]. */
export function wrapDeg(d: number): number {
  d = d % 360;
  if (d > 180) d -= 360;
  else if (d <= -180) d += 360;
  return d;
}

/** MIDAS `fit2DPeaks` initial values and bounds (midas-formats §3.2), Eta local to seed 0. */
export function midasInitialGuess(
  px: RegionPixels,
  seeds: readonly PeakSeed[],
  threshold: number,
  seedBoundPx = 1,
  minSigmaPx = 0,
): InitialGuess {
  const n = px.value.length, np = seeds.length;
  if (np === 0) throw new Error("midasInitialGuess: seeds must contain at least one peak");
  if (px.r.length !== n || px.eta.length !== n) {
    throw new Error("midasInitialGuess: r, eta and value must have the same length");
  }
  const etaRef = seeds[0].eta;
  let rMin = Infinity, rMax = -Infinity, eMin = Infinity, eMax = -Infinity;
  for (let i = 0; i < n; i++) {
    const e = wrapDeg(px.eta[i] - etaRef);
    rMin = Math.min(rMin, px.r[i]);
    rMax = Math.max(rMax, px.r[i]);
    eMin = Math.min(eMin, e);
    eMax = Math.max(eMax, e);
  }
  const maxRWidth = Math.max(0.1, (rMax - rMin) / 2 + 1);
  const maxEtaWidth = Math.max(
    0.1,
    (eMax - eMin) / 2 + (rMax + rMin > 0 ? RAD2DEG * Math.atan(2 / (rMax + rMin)) : 0),
  );
  const width = Math.min(Math.sqrt(n / np), maxRWidth);
  // Moment estimate of σ per Voronoi cell (nearest seed in (R, Eta)), weights above threshold/2.
  const sumW = new Float64Array(np), sumR2 = new Float64Array(np), sumE2 = new Float64Array(np);
  const seedE = seeds.map((s) => wrapDeg(s.eta - etaRef));
  const bgEst = threshold / 2;
  for (let i = 0; i < n; i++) {
    const w = px.value[i] - bgEst;
    if (!(w > 0)) continue;
    const e = wrapDeg(px.eta[i] - etaRef);
    let best = 0, bestD = Infinity;
    for (let j = 0; j < np; j++) {
      const dr = px.r[i] - seeds[j].r, de = e - seedE[j];
      const d = dr * dr + de * de;
      if (d < bestD) {
        bestD = d;
        best = j;
      }
    }
    const dr = px.r[i] - seeds[best].r, de = e - seedE[best];
    sumW[best] += w;
    sumR2[best] += w * dr * dr;
    sumE2[best] += w * de * de;
  }
  const nPar = 1 + 8 * np;
  const x0 = new Float64Array(nPar), lower = new Float64Array(nPar), upper = new Float64Array(nPar);
  x0[0] = threshold / 2;
  lower[0] = 0;
  upper[0] = threshold;
  for (let j = 0; j < np; j++) {
    let sR = width, sE = width;
    if (sumW[j] > 0) {
      sR = Math.min(Math.max(Math.sqrt(sumR2[j] / sumW[j]), 0.1), maxRWidth);
      sE = Math.max(Math.sqrt(sumE2[j] / sumW[j]), 0.1);
    }
    const dEta = RAD2DEG * Math.atan(1 / Math.max(seeds[j].r, 1e-9));
    const b = 1 + 8 * j;
    const s = seeds[j];
    const sh = s.shape;
    const st = s.start;
    x0.set(
      sh
        ? [s.value, s.r, seedE[j], sh.mu, sh.sigmaGR, sh.sigmaLR, sh.sigmaGEta, sh.sigmaLEta]
        : [s.value, s.r, seedE[j], 0.5, sR, sR, sE, sE],
      b,
    );
    if (st) x0.set([st.iMax, st.r, wrapDeg(st.eta - etaRef)], b);
    const bR = seedBoundPx, bE = seedBoundPx * dEta;
    const minR = Math.max(0.01, minSigmaPx), minE = Math.max(0.005, minSigmaPx * dEta);
    lower.set([s.value / 2, s.r - bR, seedE[j] - bE, 0, minR, minR, minE, minE], b);
    upper.set([
      s.value * 5,
      s.r + bR,
      seedE[j] + bE,
      1,
      2 * maxRWidth,
      2 * maxRWidth,
      2 * maxEtaWidth,
      2 * maxEtaWidth,
    ], b);
  }
  for (let i = 0; i < nPar; i++) {
    upper[i] = Math.max(upper[i], lower[i]);
    x0[i] = Math.min(Math.max(x0[i], lower[i]), upper[i]);
  }
  return { x0, lower, upper, etaRef };
}

function peakParams(x: ArrayLike<number>, j: number, out: PseudoVoigtParams): PseudoVoigtParams {
  const b = 1 + 8 * j;
  out.iMax = x[b];
  out.u0 = x[b + 1];
  out.v0 = x[b + 2];
  out.mu = x[b + 3];
  out.sigmaGU = x[b + 4];
  out.sigmaLU = x[b + 5];
  out.sigmaGV = x[b + 6];
  out.sigmaLV = x[b + 7];
  return out;
}

/** Fits all seeds of a region jointly (see module doc). Pure; no I/O. */
export function fitPseudoVoigtRegion(
  px: RegionPixels,
  seeds: readonly PeakSeed[],
  opts: PvFitOptions,
): RegionFit {
  const guess = midasInitialGuess(px, seeds, opts.threshold, opts.seedBoundPx, opts.minSigmaPx);
  if (opts.bgStart !== undefined) {
    guess.x0[0] = Math.min(Math.max(opts.bgStart, guess.lower[0]), guess.upper[0]);
  }
  const n = px.value.length, np = seeds.length, nPar = 1 + 8 * np;
  const wts = opts.weights;
  if (wts && wts.length !== n) {
    throw new Error(`fitPseudoVoigtRegion: ${wts.length} weights for ${n} pixels`);
  }
  const etaLocal = new Float64Array(n);
  for (let i = 0; i < n; i++) etaLocal[i] = wrapDeg(px.eta[i] - guess.etaRef);
  const p: PseudoVoigtParams = {
    u0: 0,
    v0: 0,
    sigmaGU: 1,
    sigmaGV: 1,
    sigmaLU: 1,
    sigmaLV: 1,
    mu: 0,
    iMax: 0,
  };
  // The region fits of one model selection share these arrays: copied only if not typed already.
  const f64 = (a: ArrayLike<number>) => a instanceof Float64Array ? a : Float64Array.from(a);
  const rPx = f64(px.r), value = f64(px.value), w = wts ? f64(wts) : undefined;
  // Peak j's Jacobian columns in PV_GRAD order (u0, v0, σGU, σGV, σLU, σLV, µ, IMax), in the
  // MIDAS parameter order [IMax, R, Eta, MU, σGR, σLR, σGEta, σLEta] at 1 + 8j.
  const columns = Array.from({ length: np }, (_, j) => {
    const b = 1 + 8 * j;
    return Int32Array.of(b + 1, b + 2, b + 4, b + 6, b + 5, b + 7, b + 3, b);
  });
  const full = {
    nParams: nPar,
    nResiduals: n,
    evaluate(x: Float64Array, r: Float64Array, jac: Float64Array | null) {
      for (let i = 0; i < n; i++) r[i] = x[0] - value[i];
      if (jac) { for (let i = 0; i < n; i++) jac[i] = w ? w[i] : 1; }
      for (let j = 0; j < np; j++) {
        addPseudoVoigtRegion(peakParams(x, j, p), rPx, etaLocal, n, r, jac, columns[j], w);
      }
      if (w) { for (let i = 0; i < n; i++) r[i] *= w[i]; }
    },
  };
  const tie = np > 1 ? tiedPeakOf(np, opts) : null;
  const tied = tie ? tieParams(full, guess, tie) : undefined;
  const res = levenbergMarquardt(tied?.problem ?? full, tied?.x0 ?? guess.x0, {
    lower: tied?.lower ?? guess.lower,
    upper: tied?.upper ?? guess.upper,
    maxIter: opts.maxIter ?? 200,
    ftolRel: opts.ftolRel,
    xtolRel: opts.xtolRel,
    workspace: opts.workspace,
  });
  const x = tied ? tied.expand(res.x) : res.x, bg = x[0];
  const peaks: FittedPeak[] = [];
  for (let j = 0; j < np; j++) {
    peakParams(x, j, p);
    let integ = 0, nrPx = 0;
    for (let i = 0; i < n; i++) {
      const v = pseudoVoigt(p, px.r[i], etaLocal[i]);
      integ += v;
      if (v > bg) {
        integ += bg;
        nrPx++;
      }
    }
    peaks.push({
      r: p.u0,
      eta: wrapDeg(guess.etaRef + p.v0),
      iMax: p.iMax,
      sigmaGR: p.sigmaGU,
      sigmaLR: p.sigmaLU,
      sigmaGEta: p.sigmaGV,
      sigmaLEta: p.sigmaLV,
      mu: p.mu,
      integratedIntensity: integ,
      nrPixels: nrPx,
    });
  }
  return {
    peaks,
    bg,
    returnCode: res.status,
    retVal: Math.sqrt(res.ssr),
    iterations: res.iterations,
    nParams: tied ? tied.x0.length : nPar,
  };
}

/** µ from which a fitted peak is taken to sit in the Lorentzian corner ({@link fitOutOfLorentzianCorner}). */
export const LORENTZIAN_CORNER_MU = 0.98;

/**
 * {@link fitPseudoVoigtRegion}, fitted once more from a Gaussian start where a peak ends in the
 * Lorentzian corner (µ ≥ {@link LORENTZIAN_CORNER_MU}), the better χ² kept. At µ = 1 the
 * Gaussian term is gone, so its widths get no gradient and drift (σGR 7–28 px were seen), and a
 * step back down in µ brings in a Gaussian of those widths, which only misfits: the optimizer
 * cannot leave. A noisy, mostly Gaussian spot (the simulator's µ 0–0.3) in a region with much
 * background ends there from MIDAS's start (µ 0.5, moment widths), fitted as a pure Lorentzian
 * that misses its core, and two Lorentzians then beat it by BIC: a false split. The re-fit starts
 * those peaks at µ 0 with their Gaussian widths set to their fitted Lorentzian ones, centres and
 * IMax where the fit ended (bounds unchanged). The other corner, µ = 0, is left alone: there the
 * drifting Lorentzian widths sit on a term of weight 0 in a spot the Gaussian already fits, and
 * re-fitting it too found no more pairs on a tuning scan, for 8 % more time (bench/RESULTS.md).
 *
 * @example
 * ```ts
 * import { fitOutOfLorentzianCorner } from "./pv_fit.ts";
 * const r = [99, 100, 101, 100, 100], eta = [10, 10, 10, 9.5, 10.5];
 * const fit = fitOutOfLorentzianCorner({ r, eta, value: [60, 100, 60, 60, 60] }, [
 *   { r: 100, eta: 10, value: 100 },
 * ], { threshold: 50 });
 * fit.peaks[0].r; // ≈ 100
 * ```
 */
export function fitOutOfLorentzianCorner(
  px: RegionPixels,
  seeds: readonly PeakSeed[],
  opts: PvFitOptions,
): RegionFit {
  const fit = fitPseudoVoigtRegion(px, seeds, opts);
  if (!fit.peaks.some((p) => p.mu >= LORENTZIAN_CORNER_MU)) return fit;
  const gaussian = seeds.map((s, j): PeakSeed => {
    const p = fit.peaks[j];
    if (p.mu < LORENTZIAN_CORNER_MU) return s;
    const shape = {
      mu: 0,
      sigmaGR: p.sigmaLR,
      sigmaLR: p.sigmaLR,
      sigmaGEta: p.sigmaLEta,
      sigmaLEta: p.sigmaLEta,
    };
    return { ...s, start: p, shape };
  });
  const again = fitPseudoVoigtRegion(px, gaussian, { ...opts, bgStart: fit.bg });
  return again.retVal < fit.retVal ? again : fit;
}

/** Per-peak parameter offsets (MIDAS order) tied by `shareRadialWidth`: σGR, σLR. */
const RADIAL_OFFSETS: ReadonlySet<number> = new Set([4, 5]);
/** Offsets tied within a shape group: MU and all four widths. */
const SHAPE_OFFSETS: ReadonlySet<number> = new Set([3, 4, 5, 6, 7]);

/**
 * Which peak's parameter each peak's parameter at a per-peak offset (0…7) is: itself, or the
 * first peak of its shape group (`shapeGroups`); σGR and σLR go to peak 0 under
 * `shareRadialWidth`. Null when nothing is tied.
 */
function tiedPeakOf(
  np: number,
  o: Pick<PvFitOptions, "shapeGroups" | "shareRadialWidth">,
): ((j: number, off: number) => number) | null {
  const group = o.shapeGroups;
  if (!group && !o.shareRadialWidth) return null;
  if (group && group.length !== np) {
    throw new Error(`fitPseudoVoigtRegion: ${group.length} shape groups for ${np} peaks`);
  }
  const first = new Int32Array(np);
  let shared = false;
  for (let j = 0; j < np; j++) {
    first[j] = j;
    for (let k = 0; group && k < j; k++) {
      if (group[k] === group[j]) {
        first[j] = k;
        shared = true;
        break;
      }
    }
  }
  // Every peak its own group: nothing to tie, so no reduced problem to pay for.
  if (!shared && !o.shareRadialWidth) return null;
  return (j, off) => {
    if (o.shareRadialWidth && RADIAL_OFFSETS.has(off)) return 0;
    return SHAPE_OFFSETS.has(off) ? first[j] : j;
  };
}

/**
 * The region problem over a reduced vector in which each peak's parameter at a per-peak offset
 * is `tiedPeak(j, offset)`'s (tied Jacobian columns summed into it); bounds of a shared
 * parameter are intersected.
 */
function tieParams(
  full: {
    nParams: number;
    nResiduals: number;
    evaluate(x: Float64Array, r: Float64Array, jac: Float64Array | null): void;
  },
  guess: InitialGuess,
  tiedPeak: (j: number, off: number) => number,
) {
  const nPar = full.nParams, n = full.nResiduals;
  const map = new Int32Array(nPar);
  let nRed = 0;
  for (let i = 0; i < nPar; i++) {
    const j = Math.floor((i - 1) / 8), off = (i - 1) % 8;
    const t = i > 0 ? tiedPeak(j, off) : j;
    map[i] = t !== j ? map[1 + 8 * t + off] : nRed++;
  }
  const x0 = new Float64Array(nRed), lower = new Float64Array(nRed).fill(-Infinity);
  const upper = new Float64Array(nRed).fill(Infinity);
  for (let i = nPar - 1; i >= 0; i--) x0[map[i]] = guess.x0[i];
  for (let i = 0; i < nPar; i++) {
    lower[map[i]] = Math.max(lower[map[i]], guess.lower[i]);
    upper[map[i]] = Math.min(upper[map[i]], guess.upper[i]);
  }
  for (let k = 0; k < nRed; k++) x0[k] = Math.min(Math.max(x0[k], lower[k]), upper[k]);
  const xf = new Float64Array(nPar), jf = new Float64Array(n * nPar);
  const expand = (xr: ArrayLike<number>) => {
    const out = new Float64Array(nPar);
    for (let i = 0; i < nPar; i++) out[i] = xr[map[i]];
    return out;
  };
  return {
    x0,
    lower,
    upper,
    expand,
    problem: {
      nParams: nRed,
      nResiduals: n,
      evaluate(xr: Float64Array, r: Float64Array, jac: Float64Array | null) {
        for (let i = 0; i < nPar; i++) xf[i] = xr[map[i]];
        full.evaluate(xf, r, jac ? jf : null);
        if (!jac) return;
        jac.fill(0, 0, n * nRed);
        for (let i = 0; i < nPar; i++) {
          const o = map[i] * n, oi = i * n;
          for (let k = 0; k < n; k++) jac[o + k] += jf[oi + k];
        }
      },
    },
  };
}
