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

/** What a component looks like to {@link SpotPatchOptions.keep}. */
export interface SpotStats {
  /** Pixel values of the whole component. */
  values: Float64Array;
  /** Flat index of a pixel of the component (for its ring). */
  firstPixel: number;
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
  /** Full component pixel list, flat indices row·nY + col. */
  pixels: Int32Array[];
  /** Components that passed the size filter, and how many were dropped for each reason. */
  nComponents: number;
  nSaturated: number;
  nRejected: number;
  nAtEdge: number;
}

/** Extracts one patch per accepted component (see module doc). Pure. */
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
  for (let k = 0; k < comp.count; k++) {
    if (comp.maxValue[k] > sat) {
      nSaturated++;
      continue;
    }
    const pix = componentPixels(comp, k);
    if (o.keep) {
      const values = new Float64Array(pix.length);
      for (let i = 0; i < pix.length; i++) values[i] = thr[pix[i]];
      if (!o.keep({ values, firstPixel: pix[0] })) {
        nRejected++;
        continue;
      }
    }
    const am = comp.argmax[k];
    const zm = (am / nY) | 0, ym = am - zm * nY;
    const zo = zm - half, yo = ym - half;
    if (zo < 0 || yo < 0 || zo + P > nZ || yo + P > nY) {
      nAtEdge++;
      continue;
    }
    keptIdx.push(k);
    y00.push(yo);
    z00.push(zo);
    pixels.push(pix);
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
  return {
    count: n,
    patchSize: P,
    patches,
    y00: Int32Array.from(y00),
    z00: Int32Array.from(z00),
    nPx,
    patchSum,
    pixels,
    nComponents: comp.count,
    nSaturated,
    nRejected,
    nAtEdge,
  };
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
