/**
 * Spot → patch extraction for the SR path (sr-midas-seed §10.3 steps 4–6, `patches_from_detector_frame`)
 * on a ring-thresholded frame (`thresholdFrame` of the fitting library = sr-midas goodCoords).
 *
 * Components are 8-connected, in scipy label order (fixing the SpotID order). A component is kept
 * when `minPxCount ≤ n < maxNrPx` (sr-midas lower bound, MIDAS upper bound), when no pixel exceeds
 * `upperBoundThreshold` (MIDAS saturation rule, §12 item 6) and when `keep` accepts it (noise rule).
 * Its 20×20 patch is centred on its brightest pixel (first in raster order): origin
 * `(Ymax − P/2, Zmax − P/2)`; a patch that would leave the detector is dropped (counted). The patch
 * holds only this component's pixels. Unlike sr-midas, the **full** component pixel list is kept
 * for `AllPeaks_PX.bin` (§12 item 5).
 *
 * Unlike sr-midas, a component wider than a patch is not cut down to the one patch around its
 * brightest pixel (which lost every other spot of it: bright spots whose wings join their ring
 * neighbours into one region): each summit of the component (a prominent maximum under the noise
 * rule, else a strict local maximum at twice its lowest value or more) outside the core
 * (`P/2 − {@link CORE_MARGIN_PX}` px) of every patch so far, brightest first, gets a patch of its
 * own. Patches of one component are consecutive; a peak belongs to the patch whose centre is
 * nearest ({@link ownsPosition}), so spots in two patches are reported once.
 *
 * @example
 * ```ts
 * import { extractSpotPatches } from "./spots.ts";
 * const nY = 40, nZ = 40, img = new Float64Array(nY * nZ);
 * img[20 * nY + 20] = 50; img[20 * nY + 21] = 30;
 * const s = extractSpotPatches(img, nZ, nY, { patchSize: 20, minPxCount: 2 });
 * [s.count, s.y00[0], s.z00[0]]; // [1, 10, 10]
 * ```
 * @module
 */
import { componentPixels, labelComponents } from "../fitting/components.ts";
import { type ProminenceRule, prominentMaxima } from "../fitting/prominent_maxima.ts";

/** What a component looks like to {@link SpotPatchOptions.keep}. */
export interface SpotStats {
  /** Pixel values of the whole component. */
  values: Float64Array;
  /** Flat index of a pixel of the component (for its ring). */
  firstPixel: number;
  /** Flat indices of the component's pixels. */
  pixels: Int32Array;
}

/** Options of {@link extractSpotPatches}. */
export interface SpotPatchOptions {
  /** Patch side P in detector px (`spot_find_args.patch_size`, 20). */
  patchSize: number;
  /** Minimum component size, inclusive (`minPxCount`, 2). */
  minPxCount: number;
  /** Maximum component size, exclusive (MIDAS `MaxNrPx`); default ∞. */
  maxNrPx?: number;
  /** Components with any pixel above this are dropped (MIDAS `UpperBoundThreshold`); default ∞. */
  upperBoundThreshold?: number;
  /** Extra acceptance rule, e.g. the noise rule. */
  keep?: (s: SpotStats) => boolean;
  /** The noise rule's prominence test for the extra patches of a wide component (module doc). */
  prominence?: ProminenceRule;
  /**
   * Also keep, per patch, the corrected values of the below-threshold pixels within `px`
   * (Chebyshev) of the component (`SpotPatches.ring`): the raw re-fit of a faint spot needs the
   * pixels the threshold cut, or its fit follows the noise that lifted pixels over it.
   */
  ring?: {
    frame: ArrayLike<number>;
    px: number;
    /** Only for components whose brightest pixel is below this (e.g. {@link RING_MAX_SNR}). */
    maxPeak?: number;
  };
}

/** The patches of one frame. */
export interface SpotPatches {
  count: number;
  patchSize: number;
  /** [count, P, P] raw corrected values (other components' pixels are 0). */
  patches: Float64Array;
  /** Patch origins (detector column/row of patch pixel (0, 0)). */
  y00: Int32Array;
  z00: Int32Array;
  /** Whole component size (`TotalNrPixelsInPeakRegion`). */
  nPx: Int32Array;
  /** Sum of each patch (`RawSumIntensity`, the intensity scale of the SR output). */
  patchSum: Float64Array;
  /**
   * With `ring`: [count, P, P] corrected values of the ring pixels (below threshold, within
   * `ring.px` of the component, inside the patch), NaN elsewhere (and on other components).
   */
  ring?: Float64Array;
  /** Full component pixel list, flat indices row·nY + col (shared by a component's patches). */
  pixels: Int32Array[];
  /** Per patch: the component it was cut from (consecutive), and its centre pixel. */
  component: Int32Array;
  centreY: Int32Array;
  centreZ: Int32Array;
  /** Components that passed the size filter, and how many were dropped for each reason. */
  nComponents: number;
  nSaturated: number;
  nRejected: number;
  nAtEdge: number;
}

/**
 * A component's peak, in background σ, up to which its re-fit gets the below-threshold ring
 * (`SpotPatchOptions.ring.maxPeak = μ + RING_MAX_SNR·σ`). The threshold (≈ 2σ) cuts away a
 * sizeable part of a faint spot, and which pixels clear it is the noise's choice; at a peak of
 * 100σ it cuts only the far wings, where the ring adds little but the pseudo-Voigt's misfit of
 * the wings (issue #12: bright spots then split into a spot and a 5–25 % partner 1 px away).
 */
export const RING_MAX_SNR = 100;

/**
 * How far inside a patch's edge its core ends: a local maximum within `P/2 − CORE_MARGIN_PX`
 * (Chebyshev) of an earlier patch's centre is covered by that patch (its spot lies in the patch
 * with its wings), one farther out gets a patch of its own.
 */
export const CORE_MARGIN_PX = 4;

/**
 * The centres (y, z) of the patches of one component, as seen from one of them: its own, the
 * patches before it (which win ties) and after it. {@link ownsAmong} decides with them alone, so
 * a saved re-fit region (process/sr_peaks.ts `formatRefitRegion`) keeps what its patch reports.
 */
export interface ComponentCentres {
  own: [number, number];
  before: [number, number][];
  after: [number, number][];
}

/** {@link ComponentCentres} of patch `j`. */
export function componentCentres(s: SpotPatches, j: number): ComponentCentres {
  const c = s.component[j];
  const at = (k: number): [number, number] => [s.centreY[k], s.centreZ[k]];
  const before: [number, number][] = [], after: [number, number][] = [];
  for (let k = j - 1; k >= 0 && s.component[k] === c; k--) before.push(at(k));
  for (let k = j + 1; k < s.count && s.component[k] === c; k++) after.push(at(k));
  return { own: at(j), before, after };
}

/**
 * True when detector position (y, z) is nearer (Euclidean) to the patch's own centre than to
 * any other patch's centre of its component (ties: the earlier patch). Always true for a
 * component with one patch.
 */
export function ownsAmong(c: ComponentCentres, y: number, z: number): boolean {
  const d = ([cy, cz]: [number, number]) => (cy - y) ** 2 + (cz - z) ** 2;
  const dj = d(c.own);
  return c.before.every((q) => d(q) > dj) && c.after.every((q) => d(q) >= dj);
}

/** {@link ownsAmong} for patch `j` of `s`. */
export function ownsPosition(s: SpotPatches, j: number, y: number, z: number): boolean {
  return ownsAmong(componentCentres(s, j), y, z);
}

/** Extracts the patches of every accepted component (see module doc). Pure. */
export function extractSpotPatches(
  thr: Float64Array,
  nZ: number,
  nY: number,
  o: SpotPatchOptions,
): SpotPatches {
  const P = o.patchSize, half = P >> 1;
  const comp = labelComponents(thr, nY, nZ, {
    minNrPx: o.minPxCount - 1,
    maxNrPx: o.maxNrPx ?? Infinity,
  });
  const sat = o.upperBoundThreshold ?? Infinity;
  const keptIdx: number[] = [];
  const y00: number[] = [], z00: number[] = [];
  let nSaturated = 0, nRejected = 0, nAtEdge = 0;
  const pixels: Int32Array[] = [];
  // A patch centred at (y, z) lies on the detector.
  const fits = (y: number, z: number) =>
    z - half >= 0 && y - half >= 0 && z - half + P <= nZ && y - half + P <= nY;
  const core = half - CORE_MARGIN_PX;
  for (let k = 0; k < comp.count; k++) {
    if (comp.maxValue[k] > sat) {
      nSaturated++;
      continue;
    }
    const pix = componentPixels(comp, k);
    if (o.keep) {
      const values = new Float64Array(pix.length);
      for (let i = 0; i < pix.length; i++) values[i] = thr[pix[i]];
      if (!o.keep({ values, firstPixel: pix[0], pixels: pix })) {
        nRejected++;
        continue;
      }
    }
    const am = comp.argmax[k];
    const zm = (am / nY) | 0, ym = am - zm * nY;
    if (!fits(ym, zm)) {
      nAtEdge++;
      continue;
    }
    const cy = [ym], cz = [zm];
    const covered = (y: number, z: number) =>
      cy.some((c, q) => Math.max(Math.abs(c - y), Math.abs(cz[q] - z)) <= core);
    if (pix.some((i) => !covered(i % nY, (i / nY) | 0))) {
      for (const i of spotSummits(thr, nY, nZ, pix, o.prominence)) {
        const z = (i / nY) | 0, y = i - z * nY;
        if (covered(y, z) || !fits(y, z)) continue;
        cy.push(y);
        cz.push(z);
      }
    }
    for (let q = 0; q < cy.length; q++) {
      keptIdx.push(k);
      y00.push(cy[q] - half);
      z00.push(cz[q] - half);
      pixels.push(pix);
    }
  }
  const n = keptIdx.length;
  const patches = new Float64Array(n * P * P);
  const patchSum = new Float64Array(n);
  const nPx = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const pix = pixels[j], b = j * P * P;
    nPx[j] = pix.length;
    for (const i of pix) {
      const r = ((i / nY) | 0) - z00[j], c = i % nY - y00[j];
      if (r < 0 || c < 0 || r >= P || c >= P) continue;
      patches[b + r * P + c] = thr[i];
      patchSum[j] += thr[i];
    }
  }
  const maxPeak = o.ring?.maxPeak ?? Infinity;
  const ring = o.ring
    ? ringValues(
      patches,
      n,
      P,
      o.ring.px,
      (j) => comp.maxValue[keptIdx[j]] < maxPeak,
      (j, r, c) => {
        // Another component's pixel is another spot's, not this one's background.
        const i = (z00[j] + r) * nY + y00[j] + c;
        return thr[i] > 0 ? NaN : o.ring!.frame[i];
      },
    )
    : undefined;
  return {
    count: n,
    patchSize: P,
    patches,
    ring,
    y00: Int32Array.from(y00),
    z00: Int32Array.from(z00),
    nPx,
    patchSum,
    pixels,
    component: Int32Array.from(keptIdx),
    centreY: Int32Array.from(y00, (y) => y + half),
    centreZ: Int32Array.from(z00, (z) => z + half),
    nComponents: comp.count,
    nSaturated,
    nRejected,
    nAtEdge,
  };
}

/**
 * Per `wanted` patch, `value(j, row, col)` at each pixel that is 0 in the patch (not the
 * component's) and within `px` (Chebyshev) of one that is; NaN elsewhere. Patches lie on the
 * detector, so every (row, col) inside one is a detector pixel.
 */
function ringValues(
  patches: Float64Array,
  n: number,
  P: number,
  px: number,
  wanted: (j: number) => boolean,
  value: (j: number, row: number, col: number) => number,
): Float64Array {
  const out = new Float64Array(n * P * P).fill(NaN);
  for (let j = 0; j < n; j++) {
    if (!wanted(j)) continue;
    const b = j * P * P;
    for (let r = 0; r < P; r++) {
      for (let c = 0; c < P; c++) {
        if (patches[b + r * P + c] === 0) continue;
        for (let rr = Math.max(r - px, 0); rr <= Math.min(r + px, P - 1); rr++) {
          for (let cc = Math.max(c - px, 0); cc <= Math.min(c + px, P - 1); cc++) {
            const i = b + rr * P + cc;
            if (patches[i] === 0 && Number.isNaN(out[i])) out[i] = value(j, rr, cc);
          }
        }
      }
    }
  }
  return out;
}

/**
 * The component's spot summits, brightest first (flat indices): with a prominence rule, the
 * summits that stand out from the noise (fitting/prominent_maxima.ts); without, strict local
 * maxima at twice the component's lowest value (≈ its ring threshold) or more. Either way a
 * ripple on the wings of a bright spot is not a spot.
 */
function spotSummits(
  thr: Float64Array,
  nY: number,
  nZ: number,
  pix: Int32Array,
  rule?: ProminenceRule,
): number[] {
  let out: number[];
  if (rule) out = prominentMaxima(thr, nY, nZ, pix, rule).map((k) => pix[k]);
  else {
    let floor = Infinity;
    for (const i of pix) floor = Math.min(floor, thr[i]);
    out = Array.from(pix).filter((i) =>
      thr[i] >= 2 * floor && isStrictMax(thr, nY, nZ, i % nY, (i / nY) | 0)
    );
  }
  return out.sort((a, b) => thr[b] - thr[a] || a - b);
}

/** True when (y, z) is above each of its 8 neighbours inside the image. */
function isStrictMax(img: Float64Array, nY: number, nZ: number, y: number, z: number): boolean {
  const v = img[z * nY + y];
  for (let dz = -1; dz <= 1; dz++) {
    for (let dy = -1; dy <= 1; dy++) {
      const zz = z + dz, yy = y + dy;
      if ((dz || dy) && zz >= 0 && yy >= 0 && zz < nZ && yy < nY && img[zz * nY + yy] >= v) {
        return false;
      }
    }
  }
  return true;
}

/**
 * [count, P, P] values of another frame (row-major nZ × nY) under each patch's window: the same
 * detector pixels one frame earlier or later in ω, for the raw re-fit's summed frames
 * (process/sr_peaks.ts `RawRefit.neighbours`). Pixels off the detector are 0. Pure.
 */
export function patchWindows(
  s: Pick<SpotPatches, "count" | "patchSize" | "y00" | "z00">,
  frame: ArrayLike<number>,
  nY: number,
  nZ: number,
): Float64Array {
  const P = s.patchSize, out = new Float64Array(s.count * P * P);
  for (let j = 0; j < s.count; j++) {
    for (let r = 0; r < P; r++) {
      const z = s.z00[j] + r;
      if (z < 0 || z >= nZ) continue;
      for (let c = 0; c < P; c++) {
        const y = s.y00[j] + c;
        if (y >= 0 && y < nY) out[(j * P + r) * P + c] = frame[z * nY + y];
      }
    }
  }
  return out;
}

/** Flat pixel indices → interleaved (Y, Z) int16 pairs for `AllPeaks_PX.bin` (MIDAS order). */
export function pixelPairsYZ(pixels: Int32Array, nY: number): Int16Array {
  const out = new Int16Array(2 * pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    const z = (pixels[i] / nY) | 0;
    out[2 * i] = pixels[i] - z * nY;
    out[2 * i + 1] = z;
  }
  return out;
}
