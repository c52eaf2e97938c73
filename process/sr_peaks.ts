/**
 * Peak localization on super-resolved patches (sr-midas-seed §10.4) → 29-column MIDAS rows, one
 * code path for every backend (§12 item 2). Modes from `fitPeakShapePV`:
 * - `com`: the fitting library's `comPatchPeaks` (edge cut, crop centre of mass, watershed);
 * - `pv`: multi-peak pseudo-Voigt fit (`fitPseudoVoigtRegion`) of the patch pixels above
 *   `pvfit_int_thresh/s²`, seeded by `peakLocalMax`, in polar coordinates relative to the beam
 *   centre with wrapped Eta (no ±180° seam problem, §12 item 8);
 * - `auto`: COM when the patch has exactly one maximum, PV when it has more.
 *
 * Coordinates: every SR pixel is placed on the **physically centred** grid
 * `origin − ½ + (m + ½)/s`, so YCen/ZCen and Radius/Eta are consistent and no `shift_YZ_pos`
 * is applied (§12 item 3). Patches are expected in detector counts (the cascade rescales the
 * final level to the raw sum), so intensities are counts for every srfac (§12 item 4).
 * `nPeaks` is the number of rows the patch emits (§12 item 10), and `RawSumIntensity` is
 * apportioned among a patch's peaks by IMax, as MIDAS does.
 *
 * @example
 * ```ts
 * import { srPatchRows } from "./sr_peaks.ts";
 * const s = 2, n = 40, patch = new Float64Array(n * n);
 * patch[20 * n + 20] = 10; patch[20 * n + 21] = 10;
 * const rows = srPatchRows(patch, {
 *   s, lowResSize: 20, y00: 100, z00: 50, ybc: 0, zbc: 0, omega: 0, nPx: 3, rawMax: 9, rawSum: 20,
 *   mode: "com", args: { minDistance: 2, thresholdRel: 0.2, peakCropSize: 8, pvfitIntThresh: 20 },
 * });
 * rows[0].yCen; // 110
 * ```
 * @module
 */
import { comPatchPeaks } from "../fitting/patch_peaks.ts";
import { fractionOf, peakLocalMax } from "../fitting/local_max.ts";
import {
  fitPseudoVoigtRegion,
  type FittedPeak,
  type PeakSeed,
  type RegionFit,
  wrapDeg,
} from "../fitting/pv_fit.ts";
import {
  type PeakCountChoice,
  selectPeakCount,
  type SplitOptions,
} from "../fitting/model_select.ts";
import { type PeakRecord, pixelREta } from "../fitting/native_search.ts";
import { poolNeighbourFrames, refitHeights } from "../fitting/omega_pool.ts";
import type { ComponentCentres } from "./spots.ts";

/** Per-patch inputs of {@link srPatchRows}. */
export interface SrPatchInput {
  s: number;
  lowResSize: number;
  /** Detector origin of the patch. */
  y00: number;
  z00: number;
  ybc: number;
  zbc: number;
  omega: number;
  /** Whole component size. */
  nPx: number;
  /** max and Σ of the raw x1 patch. */
  rawMax: number;
  rawSum: number;
  mode: "com" | "pv" | "auto";
  args: {
    minDistance: number;
    thresholdRel: number;
    peakCropSize: number;
    pvfitIntThresh: number;
    edgeBoundCutoffFac?: number;
  };
  /** Flat detector pixel list of the component (shared by the patch's rows). */
  pixels?: Int32Array;
  /**
   * Whether a peak at detector (y, z) is this patch's to report (process/spots.ts
   * `ownsPosition`: a component cut into several patches reports each spot once). Default: all.
   */
  owns?: (yCen: number, zCen: number) => boolean;
  /**
   * Re-fit on the raw counts (`refine_on_raw`): the x1 patch ([lowResSize²], the component's
   * thresholded corrected values, 0 elsewhere) and its ring threshold. See {@link refineOnRaw}.
   */
  raw?: RawRefit;
}

/**
 * The raw counts a patch's peaks are re-fitted on. With `noise` (the detector's variance model of
 * these counts), the peak count is chosen by BIC, each seed with its own shape and widths of at
 * least {@link MIN_SPOT_SIGMA_PX} (fitting/model_select.ts); without it, by the F-test below.
 */
export interface RawRefit {
  patch: Float64Array;
  threshold: number;
  noise?: { gain: number; readSigma: number };
  /** With `noise`: also try splitting peaks (fitting/model_select.ts `split`). */
  split?: SplitOptions;
  /**
   * [lowResSize²] corrected values of below-threshold pixels fitted with the component
   * (process/spots.ts `ring`), NaN where not: with only the pixels over the threshold, a faint
   * spot's fit follows the noise that lifted them over it.
   */
  ring?: Float64Array;
  /**
   * [lowResSize²] corrected counts of the patch's pixels in the neighbouring frames (f − 1,
   * f + 1, those the scan has): the model is selected on the frames' sum where it raises the
   * SNR ({@link selectRegionPeaks}).
   */
  neighbours?: Float64Array[];
  /** Called with each region's model-selection input, to replay it offline ({@link RefitRegion}). */
  onRegion?: (region: RefitRegion) => void;
}

/**
 * Everything one raw re-fit's model selection ({@link selectRegionPeaks}) depends on: the
 * pixels in (R px, η°) with their corrected counts, the seeds and, per seed, whether it is the
 * patch's own (it may be split) or only models a neighbour's flank, the threshold, the noise and
 * the split options. `process --saveRefitRegions` writes them ({@link formatRefitRegion}) and
 * `bench/refit_replay.ts` re-runs a changed model selection on a real scan's regions in a
 * minute instead of re-running the scan.
 */
export interface RefitRegion {
  r: Float64Array;
  eta: Float64Array;
  value: Float64Array;
  seeds: PeakSeed[];
  own: boolean[];
  threshold: number;
  noise?: { gain: number; readSigma: number };
  /**
   * The model's relative error in the BIC weights on summed frames (fitting/model_select.ts
   * `modelError`; default one frame's, 3 %), for experiments (bench/refit_replay.ts).
   */
  pooledModelError?: number;
  split?: SplitOptions;
  /**
   * The same pixels' corrected counts in the neighbouring frames (f − 1, f + 1): with `noise`,
   * the model is selected on the frames' sum ({@link selectRegionPeaks}).
   */
  neighbours?: Float64Array[];
}

/**
 * The model selection of the raw re-fit (see {@link refineOnRaw}) on one region. With
 * neighbouring frames' counts (`g.neighbours`) and BIC, on the sum of the frames that raise
 * the region's SNR (fitting/omega_pool.ts), with read noise ×√n and threshold ×n; the chosen
 * peaks' heights and background are then re-fitted on frame f's own counts, centres and shapes
 * held, and peaks under {@link MIN_FRAME_SNR} σ of the frame's background dropped (a spot of the
 * sum that has faded by frame f). With the split search along all four directions on fits that
 * misfit (process/sr_config.ts `SPLIT_ALL_DIRECTIONS_MISFIT_Z`), one frame's model error (3 %)
 * serves the sum too: along the residual axis alone the sum's false splits of spots spread over
 * many frames needed 6 % (bench/RESULTS.md).
 */
export function selectRegionPeaks(g: RefitRegion): PeakCountChoice | null {
  if (!g.noise || !g.neighbours?.length) return selectOneFrame(g);
  const own = Uint8Array.from(g.value, (v) => (v > g.threshold ? 1 : 0));
  const { value, frames: n } = poolNeighbourFrames(g.value, own, g.neighbours);
  if (n === 1) return selectOneFrame(g);
  const m = g.value.length;
  const seeds = g.seeds.map((s) => {
    let best = 0, d2 = Infinity;
    for (let i = 0; i < m; i++) {
      const d = (g.r[i] - s.r) ** 2 + (g.r[i] * wrapDeg(g.eta[i] - s.eta) * DEG2RAD) ** 2;
      if (d < d2) [d2, best] = [d, i];
    }
    return { ...s, value: Math.max(value[best], n * g.threshold) };
  });
  const choice = selectOneFrame({
    ...g,
    value,
    seeds,
    threshold: n * g.threshold,
    noise: { gain: g.noise.gain, readSigma: g.noise.readSigma * Math.sqrt(n) },
  }, g.pooledModelError);
  if (!choice) return null;
  const { bg, iMax } = refitHeights(g, choice.fit, g.value);
  const sigma = Math.sqrt(g.noise.gain * Math.max(bg, 0) + g.noise.readSigma ** 2);
  const kept: number[] = [], peaks: FittedPeak[] = [];
  choice.fit.peaks.forEach((p, j) => {
    if (!(iMax[j] > MIN_FRAME_SNR * sigma)) return;
    kept.push(choice.kept[j]);
    // The frame's share of the sum's peak: the same shape at its own height.
    const share = iMax[j] / p.iMax;
    peaks.push({ ...p, iMax: iMax[j], integratedIntensity: p.integratedIntensity * share });
  });
  // Nothing of the sum stands out in frame f: judge the frame alone.
  if (peaks.length === 0) return selectOneFrame(g);
  return { ...choice, kept, fit: { ...choice.fit, bg, peaks } };
}

/**
 * A peak of the summed frames stays only if its height in frame f is at least this many σ of
 * the frame's background noise (the split search's `minSnr`).
 */
export const MIN_FRAME_SNR = 3;

function selectOneFrame(g: RefitRegion, modelError?: number): PeakCountChoice | null {
  const bic = g.noise !== undefined;
  return selectPeakCount({ r: g.r, eta: g.eta, value: g.value }, g.seeds, {
    threshold: g.threshold,
    ftolRel: bic ? BIC_FTOL_REL : undefined,
    minF: EXTRA_PEAK_MIN_F,
    noise: g.noise,
    modelError,
    // Each seed keeps its own shape: neighbours in one patch are often other grains' spots with
    // other widths (the radial σ varies 0.7–2 px between grains), and one tied width left a
    // misfit that extra peaks absorbed (precision 0.912 → 0.954 untied, on the held-out scan).
    // Seeds that only model another patch's spot are never split.
    split: bic && g.split
      ? (g.own.every(Boolean) ? g.split : { ...g.split, splittable: (k) => g.own[k] })
      : undefined,
    minSigmaPx: bic ? MIN_SPOT_SIGMA_PX : undefined,
  });
}

/**
 * Where a saved region came from: its frame, its patch's corner and, for a component cut into
 * several patches, the patches' centres (process/spots.ts `ownsAmong`: the patch reports only
 * the peaks nearer its own centre).
 */
export interface RefitRegionSource {
  frame: number;
  y00: number;
  z00: number;
  centres?: ComponentCentres;
}

/** One JSON line of a region and its {@link RefitRegionSource}. */
export function formatRefitRegion(g: RefitRegion, at: RefitRegionSource): string {
  return JSON.stringify({
    ...at,
    ...g,
    r: [...g.r],
    eta: [...g.eta],
    value: [...g.value],
    neighbours: g.neighbours?.map((v) => [...v]),
  });
}

/** Parses a line of {@link formatRefitRegion}; throws naming the field that is missing. */
export function parseRefitRegion(line: string): RefitRegion & RefitRegionSource {
  const o = JSON.parse(line);
  for (const k of ["frame", "y00", "z00", "r", "eta", "value", "seeds", "own", "threshold"]) {
    if (o[k] === undefined) throw new Error(`refit region: no '${k}' in ${line.slice(0, 80)}…`);
  }
  return {
    ...o,
    r: Float64Array.from(o.r),
    eta: Float64Array.from(o.eta),
    value: Float64Array.from(o.value),
    neighbours: o.neighbours?.map((v: number[]) => Float64Array.from(v)),
  };
}

const DEG2RAD = Math.PI / 180;
/**
 * An SR peak stays in the raw re-fit only if removing it raises the residual sum of squares by
 * F ≥ 12 (its 8 parameters against the per-pixel residual variance). A pure-noise test would use
 * ≈4 (F(8, ∞) at p ≈ 10⁻⁴ is 3.7), but real spots are pixel- and ω-integrated, so the model is
 * not exact and a second peak always absorbs some of the mismatch. On the campaign's held-out
 * scan (single x1_x8 model) F 4 → 12 took precision 0.84 → 0.91 at the same isolated error.
 */
export const EXTRA_PEAK_MIN_F = 12;
/**
 * Width floor (px) of the BIC re-fit's peaks (pv_fit.ts `minSigmaPx`): a pixel integrates its
 * spot, so no spot is much narrower than half a pixel (MIDAS's example spots have σ ≈ 1 px),
 * and a narrower "peak" is one noisy pixel bought back in χ². On the 40-frame held-out scan the
 * floor, with each seed's own shape, took precision 0.912 → 0.954 (bench/RESULTS.md).
 */
export const MIN_SPOT_SIGMA_PX = 0.5;
/**
 * Relative χ² change at which the BIC re-fit's optimizer stops (`levenberg_marquardt.ts`
 * `ftolRel`; its default is 1e-8). The counts are chosen on χ² differences of a few units, and
 * 1e-6 of a region's χ² (≈ 200) is 2e-4: over 332 regions of the pair-dense held-out scan every
 * region kept its peak count, 99 % of the peaks moved < 0.04 px, and the fits took 27 % fewer
 * iterations.
 */
export const BIC_FTOL_REL = 1e-6;
/**
 * At most this many SR peaks (the brightest) seed the raw re-fit of one component: the training
 * patches hold 1–5 peaks, and a poorly trained model's ripples must not turn one spot into a
 * 100-parameter fit.
 */
export const MAX_REFINE_PEAKS = 5;

/** Rows of one SR patch (SpotID is left 0; the caller numbers rows per frame). Pure. */
export function srPatchRows(patch: Float64Array, o: SrPatchInput): PeakRecord[] {
  const { s, lowResSize: lr } = o;
  const n = lr * s;
  let mode = o.mode;
  const ref = ownedMax(patch, o);
  if (mode === "auto") {
    const maxima = peakLocalMax(patch, n, n, maximaOptions(o, ref));
    if (maxima.length === 0) return [];
    mode = maxima.length === 1 ? "com" : "pv";
  }
  const found = mode === "com" ? comRows(patch, o, ref) : pvRows(patch, o, ref);
  const flank = o.raw && found.length > 0 ? neighbourFlank(o, o.raw) : [];
  const fitted = o.raw && found.length > 0
    ? refineOnRaw([...found, ...flank], o, o.raw, found.length)
    : found;
  const rows = o.owns ? fitted.filter((r) => o.owns!(r.yCen, r.zCen)) : fitted;
  let iMaxSum = 0;
  for (const r of rows) iMaxSum += r.iMax;
  for (const r of rows) {
    r.nPeaks = rows.length;
    r.rawSumIntensity = rows.length > 1 && iMaxSum > 0 ? o.rawSum * r.iMax / iMaxSum : o.rawSum;
  }
  return rows;
}

function baseRecord(o: SrPatchInput, yCen: number, zCen: number): PeakRecord {
  const [radius, eta] = pixelREta(yCen, zCen, o.ybc, o.zbc);
  return {
    spotId: 0,
    integratedIntensity: 0,
    omega: o.omega,
    yCen,
    zCen,
    iMax: 0,
    radius,
    eta,
    sigmaR: 1,
    sigmaEta: 1,
    nrPixels: 0,
    nrPxTot: o.nPx,
    nPeaks: 0,
    maxY: 0,
    maxZ: 0,
    diffY: 0,
    diffZ: 0,
    rawIMax: o.rawMax,
    returnCode: 0,
    retVal: 0,
    bg: 0,
    sigmaGR: 1,
    sigmaLR: 0,
    sigmaGEta: 1,
    sigmaLEta: 0,
    mu: 0,
    rawSumIntensity: o.rawSum,
    maskTouched: 0,
    fitRmse: 0,
    pixels: o.pixels ?? new Int32Array(0),
  };
}

/**
 * The maximum of the SR patch over the detector pixels the patch reports (`owns`), or undefined
 * when it reports all of them. The seeds' `thresh_rel` is a fraction of it: a patch cut around a
 * faint spot of a wide component has its bright neighbour's flank at its edge, and a fraction of
 * that flank's value put the faint spot under the threshold (a 200-count spot 11 px from a
 * 2,000-count one was never seeded).
 */
function ownedMax(patch: Float64Array, o: SrPatchInput): number | undefined {
  if (!o.owns) return undefined;
  const { s, lowResSize: lr } = o, n = lr * s;
  const owned = new Uint8Array(lr * lr);
  let all = true;
  for (let r = 0; r < lr; r++) {
    for (let c = 0; c < lr; c++) {
      owned[r * lr + c] = o.owns(o.y00 + c, o.z00 + r) ? 1 : 0;
      all &&= owned[r * lr + c] === 1;
    }
  }
  if (all) return undefined;
  let mx = -Infinity;
  for (let i = 0; i < n * n; i++) {
    const row = (i / n) | 0, col = i - row * n;
    if (owned[((row / s) | 0) * lr + ((col / s) | 0)] && patch[i] > mx) mx = patch[i];
  }
  return mx > -Infinity ? mx : undefined;
}

/**
 * A seed row for a brighter spot of the same component that another patch reports: when the raw
 * patch's brightest pixel is not this patch's (`owns`), it is that spot's flank at the patch
 * edge. The re-fit needs a peak there, or it bends this patch's own peaks into the flank (a
 * faint spot 11 px from a bright one came out 3.7 px off with σR 8 px); the owns filter drops
 * the flank's row afterwards.
 */
function neighbourFlank(o: SrPatchInput, raw: RawRefit): PeakRecord[] {
  if (!o.owns) return [];
  let top = 0;
  for (let i = 1; i < raw.patch.length; i++) if (raw.patch[i] > raw.patch[top]) top = i;
  const lr = o.lowResSize, row = (top / lr) | 0, col = top - row * lr;
  if (!(raw.patch[top] > 0) || o.owns(o.y00 + col, o.z00 + row)) return [];
  const rec = baseRecord(o, o.y00 + col, o.z00 + row);
  rec.iMax = raw.patch[top];
  return [rec];
}

/** peakLocalMax's options: `thresh_rel` of the patch maximum, or of `ref`. */
const maximaOptions = (o: SrPatchInput, ref: number | undefined) => ({
  minDistance: o.args.minDistance,
  ...fractionOf(o.args.thresholdRel, ref),
});

function comRows(patch: Float64Array, o: SrPatchInput, ref?: number): PeakRecord[] {
  const { peaks } = comPatchPeaks(patch, o.s, {
    minDistance: o.args.minDistance,
    thresholdRel: o.args.thresholdRel,
    referenceMax: ref,
    peakCropSize: o.args.peakCropSize,
    edgeBoundCutoffFac: o.args.edgeBoundCutoffFac,
    lowResSize: o.lowResSize,
  });
  return peaks.map((p) => {
    const rec = baseRecord(o, o.y00 + p.detCol, o.z00 + p.detRow);
    rec.integratedIntensity = p.integratedIntensity;
    rec.iMax = p.iMax;
    rec.nrPixels = p.nrPixels;
    rec.maxY = o.y00 + p.maxCol;
    rec.maxZ = o.z00 + p.maxRow;
    rec.diffY = rec.maxY - rec.yCen;
    rec.diffZ = rec.maxZ - rec.zCen;
    return rec;
  });
}

function pvRows(patch: Float64Array, o: SrPatchInput, ref?: number): PeakRecord[] {
  const { s, lowResSize: lr } = o;
  const n = lr * s;
  const maxima = peakLocalMax(patch, n, n, maximaOptions(o, ref));
  if (maxima.length === 0) return [];
  const cut = o.args.pvfitIntThresh / (s * s);
  const idx: number[] = [];
  for (let i = 0; i < patch.length; i++) if (patch[i] > cut) idx.push(i);
  const m = idx.length;
  if (m < 9 * maxima.length) return [];
  const r = new Float64Array(m), eta = new Float64Array(m), value = new Float64Array(m);
  // Physically centred SR grid: SR pixel (row, col) sits at detector origin − ½ + (k + ½)/s.
  const det = (k: number) => -0.5 + (k + 0.5) / s;
  for (let j = 0; j < m; j++) {
    const i = idx[j], row = (i / n) | 0, col = i - row * n;
    [r[j], eta[j]] = pixelREta(o.y00 + det(col), o.z00 + det(row), o.ybc, o.zbc);
    value[j] = patch[i];
  }
  const seeds = maxima.map((p) => {
    const [sr, se] = pixelREta(o.y00 + det(p.col), o.z00 + det(p.row), o.ybc, o.zbc);
    return { r: sr, eta: se, value: p.value };
  });
  let fit;
  try {
    fit = fitPseudoVoigtRegion({ r, eta, value }, seeds, { threshold: cut });
  } catch {
    return [];
  }
  return fit.peaks.map((p, j) => {
    // The fitted IMax is per SR pixel; ×s² is the x1-pixel peak value for a smooth peak.
    const rec = withFit(baseRecord(o, 0, 0), p, fit!, o, s * s);
    const mx = maxima[j];
    rec.maxY = o.y00 + Math.floor(mx.col / s);
    rec.maxZ = o.z00 + Math.floor(mx.row / s);
    rec.diffY = rec.maxY - rec.yCen;
    rec.diffZ = rec.maxZ - rec.zCen;
    return rec;
  });
}

/**
 * `rec` with the fitted peak's position (Y/Z from R/Eta), intensity, widths and the region fit's
 * BG and status. `pixelArea` converts per-pixel quantities of a fit on an SR grid (s²) to x1.
 */
function withFit(
  rec: PeakRecord,
  p: FittedPeak,
  fit: RegionFit,
  o: SrPatchInput,
  pixelArea = 1,
): PeakRecord {
  rec.radius = p.r;
  rec.eta = p.eta;
  rec.yCen = o.ybc + p.r * Math.sin(p.eta * DEG2RAD);
  rec.zCen = o.zbc + p.r * Math.cos(p.eta * DEG2RAD);
  rec.integratedIntensity = p.integratedIntensity;
  rec.iMax = p.iMax * pixelArea;
  rec.nrPixels = Math.round(p.nrPixels / pixelArea);
  rec.sigmaR = Math.max(p.sigmaGR, p.sigmaLR);
  rec.sigmaEta = Math.max(p.sigmaGEta, p.sigmaLEta);
  rec.sigmaGR = p.sigmaGR;
  rec.sigmaLR = p.sigmaLR;
  rec.sigmaGEta = p.sigmaGEta;
  rec.sigmaLEta = p.sigmaLEta;
  rec.mu = p.mu;
  rec.bg = fit.bg;
  rec.returnCode = fit.returnCode;
  rec.retVal = fit.retVal;
  rec.fitRmse = fit.retVal;
  return rec;
}

/**
 * The SR patch decides how many peaks there may be and roughly where; the raw counts decide
 * which of them the data need and exactly where. The rows' positions seed one joint fit of
 * MIDAS's pseudo-Voigt model (`fit2DPeaks` bounds: each centre within ±1 px of its seed) over the
 * component's x1 pixels, so an isolated spot is localized as the native search does and a pair
 * the SR resolved is fitted as two peaks on unsmoothed counts. Then backward elimination
 * (fitting/model_select.ts): the weakest peak is dropped while the fit without it is not worse by
 * F ≥ {@link EXTRA_PEAK_MIN_F}, or, when `raw.noise` is known, the count with the least BIC wins
 * and, with `raw.split`, each kept peak is also tried as two (a pair closer than a width is one
 * SR peak; both halves keep the SR row's record fields).
 * Only the brightest min({@link MAX_REFINE_PEAKS}, ⌊pixels/9⌋) SR peaks are tried (9 pixels per peak, as {@link pvRows} needs);
 * rows keep their SR positions when the fit fails; a component of fewer than 9 pixels keeps only its
 * brightest row, unfitted.
 * Rows from `nOwn` on only model another patch's spot (a neighbour's flank): fitted, never split.
 */
export function refineOnRaw(
  rows: PeakRecord[],
  o: SrPatchInput,
  raw: RawRefit,
  nOwn = rows.length,
): PeakRecord[] {
  const lr = o.lowResSize;
  if (raw.patch.length !== lr * lr) {
    throw new Error(`refineOnRaw: raw patch has ${raw.patch.length} values, expected ${lr}²`);
  }
  const idx: number[] = [];
  for (let i = 0; i < raw.patch.length; i++) if (raw.patch[i] > 0) idx.push(i);
  // The component's own pixels decide whether and how many peaks are fitted; ring pixels only
  // join the fit.
  const m = idx.length;
  // Fewer than 9 pixels hold one peak at most (the rule below): the brightest of the patch's own
  // SR rows, unfitted. A cascade's ripples on a small faint component came out as 2–3 rows of a
  // few counts each, 0.3–1 px apart (on the held-out realistic scan, 7 of 13 such rows matched
  // no spot).
  if (m < 9) {
    const own = rows.slice(0, nOwn);
    return own.length > 1 ? [own.reduce((a, b) => (b.iMax > a.iMax ? b : a))] : own;
  }
  if (raw.ring) {
    for (let i = 0; i < raw.ring.length; i++) if (Number.isFinite(raw.ring[i])) idx.push(i);
  }
  const nFit = idx.length;
  const r = new Float64Array(nFit), eta = new Float64Array(nFit), value = new Float64Array(nFit);
  for (let j = 0; j < nFit; j++) {
    const i = idx[j], row = (i / lr) | 0, col = i - row * lr;
    [r[j], eta[j]] = pixelREta(o.y00 + col, o.z00 + row, o.ybc, o.zbc);
    value[j] = j < m ? raw.patch[i] : raw.ring![i];
  }
  const allSeeds = rows.map((q) => {
    const col = Math.min(lr - 1, Math.max(0, Math.round(q.yCen - o.y00)));
    const row = Math.min(lr - 1, Math.max(0, Math.round(q.zCen - o.z00)));
    return { r: q.radius, eta: q.eta, value: Math.max(raw.patch[row * lr + col], raw.threshold) };
  });
  // At most one peak per 9 pixels (as pvRows): the brightest SR peaks first.
  const tried = rows.map((_, k) => k).sort((a, b) => rows[b].iMax - rows[a].iMax)
    .slice(0, Math.min(MAX_REFINE_PEAKS, Math.floor(m / 9))).sort((a, b) => a - b);
  const region: RefitRegion = {
    r,
    eta,
    value,
    seeds: tried.map((k) => allSeeds[k]),
    own: tried.map((k) => k < nOwn),
    threshold: raw.threshold,
    noise: raw.noise,
    split: raw.split,
    neighbours: raw.neighbours?.map((v) => Float64Array.from(idx, (i) => v[i])),
  };
  raw.onRegion?.(region);
  const choice = selectRegionPeaks(region);
  if (!choice) return rows;
  const keep = choice.kept.map((j) => tried[j]);
  return choice.fit.peaks.map((p, j) => {
    const rec = withFit({ ...rows[keep[j]] }, p, choice.fit, o);
    rec.diffY = rec.maxY - rec.yCen;
    rec.diffZ = rec.maxZ - rec.zCen;
    return rec;
  });
}
