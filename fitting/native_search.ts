/**
 * MIDAS's native per-frame peak search (midas-formats §3.1), the `srfac 1` baseline, on an
 * already-corrected frame: ring-band thresholding → 8-connected components with the strict
 * `MinNrPx < n < MaxNrPx` filter → saturation reject → regional maxima (8-neighbour, strict, so
 * plateaus give several; the middle pixel if none; the `maxNPeaks` brightest) → joint
 * pseudo-Voigt fit with shared background → one {@link PeakRecord} per fitted peak carrying
 * every field of the 29 MIDAS columns (§2.1).
 *
 * Layout: the frame is row-major `[row = Z][column = Y]`, `width` = number of columns. YCen is
 * the column, ZCen the row (pixel centres at integers). Eta per §0: `acos(ΔZ/R)`, positive where
 * column > Ybc; `YCen = Ybc + R·sin Eta`, `ZCen = Zbc + R·cos Eta`.
 *
 * @example
 * ```ts
 * import { nativePeakSearch } from "./native_search.ts";
 * const width = 64, height = 64;
 * const frame = new Float64Array(width * height);
 * frame[32 * width + 40] = 500; frame[32 * width + 41] = 300; frame[33 * width + 40] = 300;
 * const { peaks } = nativePeakSearch(frame, {
 *   width, height, ybc: 0, zbc: 0, ringThresholds: [100], minNrPx: 1, maxNrPx: 1000, maxNPeaks: 5,
 * });
 * peaks.length; // 1
 * ```
 * @module
 */
import { componentPixels, labelComponents } from "./components.ts";
import { fitPseudoVoigtRegion, type PeakSeed } from "./pv_fit.ts";
import { LmWorkspace } from "./levenberg_marquardt.ts";
import { type ProminenceRule, prominentMaxima } from "./prominent_maxima.ts";

const RAD2DEG = 180 / Math.PI;
const DEG2RAD = Math.PI / 180;

/** One peak with every value of the 29 MIDAS columns, plus its region's pixel list. */
export interface PeakRecord {
  spotId: number;
  integratedIntensity: number;
  omega: number;
  yCen: number;
  zCen: number;
  iMax: number;
  radius: number;
  eta: number;
  sigmaR: number;
  sigmaEta: number;
  nrPixels: number;
  nrPxTot: number;
  nPeaks: number;
  maxY: number;
  maxZ: number;
  diffY: number;
  diffZ: number;
  rawIMax: number;
  returnCode: number;
  retVal: number;
  bg: number;
  sigmaGR: number;
  sigmaLR: number;
  sigmaGEta: number;
  sigmaLEta: number;
  mu: number;
  rawSumIntensity: number;
  maskTouched: number;
  fitRmse: number;
  /** Flat indices (row·width + col) of the whole region; shared by the peaks of a region. */
  pixels: Int32Array;
}

/** The 29 values of a record in `PEAK_COLUMNS` order (midas/peak_table.ts). */
export function peakRecordRow(p: PeakRecord): Float64Array {
  return Float64Array.from([
    p.spotId,
    p.integratedIntensity,
    p.omega,
    p.yCen,
    p.zCen,
    p.iMax,
    p.radius,
    p.eta,
    p.sigmaR,
    p.sigmaEta,
    p.nrPixels,
    p.nrPxTot,
    p.nPeaks,
    p.maxY,
    p.maxZ,
    p.diffY,
    p.diffZ,
    p.rawIMax,
    p.returnCode,
    p.retVal,
    p.bg,
    p.sigmaGR,
    p.sigmaLR,
    p.sigmaGEta,
    p.sigmaLEta,
    p.mu,
    p.rawSumIntensity,
    p.maskTouched,
    p.fitRmse,
  ]);
}

/** Options of {@link nativePeakSearch} (MIDAS parameter names in comments). */
export interface NativeSearchOptions {
  /** Columns (NrPixelsY). */
  width: number;
  /** Rows (NrPixelsZ). */
  height: number;
  /** Beam centre column (zarr YCen), px. */
  ybc: number;
  /** Beam centre row (zarr ZCen), px. */
  zbc: number;
  /** Ring index per pixel (< 0 = in no ring band). Omit for `DoFullImage 1` (all ring 0). */
  ringNr?: ArrayLike<number>;
  /** Threshold per ring index (RingThresh). */
  ringThresholds: ArrayLike<number>;
  /** MinNrPx (exclusive). */
  minNrPx: number;
  /** MaxNrPx (exclusive). */
  maxNrPx: number;
  /** MaxNPeaks per region. */
  maxNPeaks: number;
  /** At most this many components per frame, in label order (C `MAX_OVERLAPS_PER_IMAGE`); 10000. */
  maxRegions?: number;
  /** UpperBoundThreshold: a region with any pixel above it is discarded; default ∞. */
  upperBoundThreshold?: number;
  /** Frame-start omega (deg) written to every row; default 0. */
  omega?: number;
  /** Detector mask (> 0 = masked): only sets maskTouched. */
  mask?: ArrayLike<number>;
  /** LM iteration cap per region; default 200. */
  maxIter?: number;
  /** Keep a region only if this returns true (e.g. the noise rule of `noise_filter.ts`). */
  keepRegion?: (stats: RegionStats) => boolean;
  /**
   * Noisy frames: seed the fit only at maxima that pass the prominence rule of
   * `prominent_maxima.ts` (at most `maxNPeaks`) instead of every strict regional maximum.
   * Omit for MIDAS behaviour.
   */
  prominence?: Omit<ProminenceRule, "maxPeaks">;
}

/** What {@link NativeSearchOptions.keepRegion} sees of a region before fitting. */
export interface RegionStats {
  /** Region pixel values (thresholded frame). */
  values: Float64Array;
  /** Ring threshold of the region. */
  threshold: number;
  ring: number;
  /** Flat indices of the region's pixels. */
  pixels: Int32Array;
}

/** Counts from one frame's search. */
export interface NativeSearchResult {
  peaks: PeakRecord[];
  /** Components after the size filter. */
  nRegions: number;
  /** Regions dropped for saturation. */
  nSaturated: number;
  /** Regions dropped by `keepRegion`. */
  nRejected: number;
}

/** MIDAS §3.1 step 2: keep `v` where the pixel is in ring r and `v ≥ threshold_r`, else 0. */
export function thresholdFrame(
  frame: ArrayLike<number>,
  ringNr: ArrayLike<number> | undefined,
  ringThresholds: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(frame.length);
  for (let i = 0; i < frame.length; i++) {
    const ring = ringNr ? ringNr[i] : 0;
    if (ring < 0 || ring >= ringThresholds.length) continue;
    const v = frame[i];
    if (v >= ringThresholds[ring]) out[i] = v;
  }
  return out;
}

/** (R px, Eta deg) of a pixel centre per midas-formats §0. */
export function pixelREta(col: number, row: number, ybc: number, zbc: number): [number, number] {
  const dy = col - ybc, dz = row - zbc;
  const r = Math.hypot(dy, dz);
  if (r === 0) return [0, 0];
  const eta = RAD2DEG * Math.acos(Math.max(-1, Math.min(1, dz / r)));
  return [r, dy < 0 ? -eta : eta];
}

/** Regional maxima of a region: indices into `pix` (MIDAS `findRegionalMaxima`, §3.1 steps 6–7). */
export function regionalMaxima(
  thr: Float64Array,
  width: number,
  height: number,
  pix: Int32Array,
  maxNPeaks: number,
): number[] {
  const found: number[] = [];
  for (let k = 0; k < pix.length; k++) {
    const i = pix[k], v = thr[i];
    const r = (i / width) | 0, c = i - r * width;
    let isMax = true;
    for (let dr = -1; dr <= 1 && isMax; dr++) {
      const rr = r + dr;
      if (rr < 0 || rr >= height) continue;
      for (let dc = -1; dc <= 1; dc++) {
        const cc = c + dc;
        if ((dr === 0 && dc === 0) || cc < 0 || cc >= width) continue;
        const q = thr[rr * width + cc];
        if (q > 0 && q > v) {
          isMax = false;
          break;
        }
      }
    }
    if (isMax) found.push(k);
  }
  if (found.length === 0) found.push(pix.length >> 1);
  if (found.length > maxNPeaks) {
    found.sort((a, b) => thr[pix[b]] - thr[pix[a]]);
    found.length = maxNPeaks;
  }
  return found;
}

/** Runs the MIDAS native search on one corrected frame (see module doc). Pure. */
export function nativePeakSearch(
  frame: ArrayLike<number>,
  o: NativeSearchOptions,
): NativeSearchResult {
  const { width, height, ybc, zbc } = o;
  if (frame.length !== width * height) {
    throw new Error(
      `nativePeakSearch: frame has ${frame.length} values, expected ${width}×${height}`,
    );
  }
  if (o.ringNr && o.ringNr.length !== frame.length) {
    throw new Error(
      `nativePeakSearch: ringNr has ${o.ringNr.length} values, expected ${frame.length}`,
    );
  }
  const thr = thresholdFrame(frame, o.ringNr, o.ringThresholds);
  const comp = labelComponents(thr, width, height, {
    minNrPx: o.minNrPx,
    maxNrPx: o.maxNrPx,
    maxComponents: o.maxRegions ?? 10000,
  });
  const sat = o.upperBoundThreshold ?? Infinity;
  const peaks: PeakRecord[] = [];
  let nSaturated = 0, nRejected = 0;
  let ws = new LmWorkspace(1 + 8 * Math.min(o.maxNPeaks, 4), 256);
  for (let k = 0; k < comp.count; k++) {
    if (comp.maxValue[k] > sat) {
      nSaturated++;
      continue;
    }
    const pix = componentPixels(comp, k);
    const n = pix.length;
    const ring = o.ringNr ? o.ringNr[pix[0]] : 0;
    const threshold = o.ringThresholds[ring];
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = thr[pix[i]];
    if (o.keepRegion && !o.keepRegion({ values, threshold, ring, pixels: pix })) {
      nRejected++;
      continue;
    }
    const r = new Float64Array(n), eta = new Float64Array(n);
    let maskTouched = 0;
    for (let i = 0; i < n; i++) {
      const row = (pix[i] / width) | 0, col = pix[i] - row * width;
      [r[i], eta[i]] = pixelREta(col, row, ybc, zbc);
      if (o.mask && o.mask[pix[i]] > 0) maskTouched = 1;
    }
    const maxima = o.prominence
      ? prominentMaxima(frame, width, height, pix, { ...o.prominence, maxPeaks: o.maxNPeaks })
      : regionalMaxima(thr, width, height, pix, o.maxNPeaks);
    const seeds: PeakSeed[] = maxima.map((m) => ({ r: r[m], eta: eta[m], value: values[m] }));
    const nPar = 1 + 8 * seeds.length;
    if (ws.maxParams < nPar || ws.maxResiduals < n) {
      ws = new LmWorkspace(Math.max(ws.maxParams, nPar), Math.max(ws.maxResiduals, n));
    }
    const fit = fitPseudoVoigtRegion({ r, eta, value: values }, seeds, {
      threshold,
      maxIter: o.maxIter,
      workspace: ws,
    });
    let iMaxSum = 0;
    for (const p of fit.peaks) iMaxSum += p.iMax;
    fit.peaks.forEach((p, j) => {
      const seedPx = pix[maxima[j]];
      const maxZ = (seedPx / width) | 0, maxY = seedPx - maxZ * width;
      const yCen = ybc + p.r * Math.sin(p.eta * DEG2RAD);
      const zCen = zbc + p.r * Math.cos(p.eta * DEG2RAD);
      peaks.push({
        spotId: peaks.length + 1,
        integratedIntensity: p.integratedIntensity,
        omega: o.omega ?? 0,
        yCen,
        zCen,
        iMax: p.iMax,
        radius: p.r,
        eta: p.eta,
        sigmaR: Math.max(p.sigmaGR, p.sigmaLR),
        sigmaEta: Math.max(p.sigmaGEta, p.sigmaLEta),
        nrPixels: p.nrPixels,
        nrPxTot: n,
        nPeaks: fit.peaks.length,
        maxY,
        maxZ,
        diffY: maxY - yCen,
        diffZ: maxZ - zCen,
        rawIMax: values[maxima[j]],
        returnCode: fit.returnCode,
        retVal: fit.retVal,
        bg: fit.bg,
        sigmaGR: p.sigmaGR,
        sigmaLR: p.sigmaLR,
        sigmaGEta: p.sigmaGEta,
        sigmaLEta: p.sigmaLEta,
        mu: p.mu,
        // C apportions the region's raw sum among its peaks ∝ IMax.
        rawSumIntensity: fit.peaks.length > 1 ? comp.sum[k] * p.iMax / iMaxSum : comp.sum[k],
        maskTouched,
        fitRmse: fit.retVal,
        pixels: pix,
      });
    });
  }
  return { peaks, nRegions: comp.count, nSaturated, nRejected };
}
