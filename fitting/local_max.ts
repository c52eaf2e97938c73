/**
 * `peak_local_max` with skimage ≥ 0.18 semantics (sr-midas-seed §10.4), and the crop
 * centre of mass used by the sr-midas COM path.
 *
 * peakLocalMax: square footprint (2·minDistance+1)², maximum filter with the window clipped at
 * the image edge ('nearest' mode), candidates equal to their local maximum **and** strictly above
 * max(thresholdAbs ?? image min, thresholdRel·image max); none at all for a flat image; a border of
 * `excludeBorder` (default minDistance) pixels excluded; stable descending sort by value; if
 * minDistance > 1, greedy removal of candidates at Chebyshev distance < minDistance from a kept one.
 *
 * @example
 * ```ts
 * import { peakLocalMax } from "./local_max.ts";
 * const img = new Float64Array(49);
 * img[3 * 7 + 3] = 5;
 * peakLocalMax(img, 7, 7, { minDistance: 2 }); // [{ row: 3, col: 3, value: 5 }]
 * ```
 * @module
 */

/** A detected maximum. */
export interface PixelPeak {
  row: number;
  col: number;
  value: number;
}

/** Options of {@link peakLocalMax}. */
export interface PeakLocalMaxOptions {
  /** skimage `min_distance` (≥ 1). */
  minDistance: number;
  /** skimage `threshold_rel` (fraction of the image maximum); default none. */
  thresholdRel?: number;
  /** skimage `threshold_abs`; default the image minimum. */
  thresholdAbs?: number;
  /** Border width excluded; default `minDistance` (skimage `exclude_border=True`). */
  excludeBorder?: number;
}

/**
 * {@link peakLocalMax}'s threshold as a fraction `rel` of `ref`, or, without `ref`, of the image
 * maximum (skimage's `threshold_rel`).
 */
export function fractionOf(
  rel: number,
  ref?: number,
): Pick<PeakLocalMaxOptions, "thresholdRel" | "thresholdAbs"> {
  return ref === undefined ? { thresholdRel: rel } : { thresholdAbs: rel * ref };
}

/** Separable running maximum over a (2k+1) window, clipped at the edges ('nearest' equivalent). */
function maxFilterNearest(img: ArrayLike<number>, w: number, h: number, k: number): Float64Array {
  const tmp = new Float64Array(w * h);
  const out = new Float64Array(w * h);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      let m = -Infinity;
      const c0 = Math.max(0, c - k), c1 = Math.min(w - 1, c + k);
      for (let cc = c0; cc <= c1; cc++) {
        const v = img[r * w + cc];
        if (v > m) m = v;
      }
      tmp[r * w + c] = m;
    }
  }
  for (let r = 0; r < h; r++) {
    const r0 = Math.max(0, r - k), r1 = Math.min(h - 1, r + k);
    for (let c = 0; c < w; c++) {
      let m = -Infinity;
      for (let rr = r0; rr <= r1; rr++) {
        const v = tmp[rr * w + c];
        if (v > m) m = v;
      }
      out[r * w + c] = m;
    }
  }
  return out;
}

/** Local maxima of a row-major `width`×`height` image, brightest first (see module doc). */
export function peakLocalMax(
  image: ArrayLike<number>,
  width: number,
  height: number,
  opts: PeakLocalMaxOptions,
): PixelPeak[] {
  const minD = opts.minDistance;
  if (!Number.isInteger(minD) || minD < 1) {
    throw new Error(`peakLocalMax: minDistance must be an integer ≥ 1, got ${minD}`);
  }
  if (image.length !== width * height) {
    throw new Error(`peakLocalMax: image has ${image.length} values, expected ${width}×${height}`);
  }
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < image.length; i++) {
    if (image[i] < lo) lo = image[i];
    if (image[i] > hi) hi = image[i];
  }
  let threshold = opts.thresholdAbs ?? lo;
  if (opts.thresholdRel !== undefined) threshold = Math.max(threshold, opts.thresholdRel * hi);
  const mx = maxFilterNearest(image, width, height, minD);
  let allEqual = true;
  for (let i = 0; i < image.length && allEqual; i++) if (image[i] !== mx[i]) allEqual = false;
  if (allEqual) return [];
  const b = opts.excludeBorder ?? minD;
  const cand: PixelPeak[] = [];
  for (let r = b; r < height - b; r++) {
    for (let c = b; c < width - b; c++) {
      const i = r * width + c;
      const v = image[i];
      if (v === mx[i] && v > threshold) cand.push({ row: r, col: c, value: v });
    }
  }
  cand.sort((a, z) => z.value - a.value); // Array.prototype.sort is stable.
  if (minD <= 1) return cand;
  const kept: PixelPeak[] = [];
  for (const p of cand) {
    let ok = true;
    for (const q of kept) {
      if (Math.max(Math.abs(p.row - q.row), Math.abs(p.col - q.col)) < minD) {
        ok = false;
        break;
      }
    }
    if (ok) kept.push(p);
  }
  return kept;
}

/**
 * Intensity-weighted centre (row, col) of the crop `[r − s/2, r + s/2) × [c − s/2, c + s/2)`
 * (s = cropSize, integer halves, clipped to the image) after zeroing values below
 * `relFloor`·crop max (sr-midas uses 0.7). Zero mass → the crop centre. The clipped crop origin is
 * added back, fixing sr-midas's top/left clipping bug (§12 item 9).
 */
export function cropCentreOfMass(
  image: ArrayLike<number>,
  width: number,
  height: number,
  row: number,
  col: number,
  cropSize: number,
  relFloor = 0.7,
): [number, number] {
  const half = Math.floor(cropSize / 2);
  const r0 = Math.max(0, row - half), r1 = Math.min(height, row - half + cropSize);
  const c0 = Math.max(0, col - half), c1 = Math.min(width, col - half + cropSize);
  let cmax = -Infinity;
  for (let r = r0; r < r1; r++) {
    for (let c = c0; c < c1; c++) cmax = Math.max(cmax, image[r * width + c]);
  }
  const floor = relFloor * cmax;
  let m = 0, mr = 0, mc = 0;
  for (let r = r0; r < r1; r++) {
    for (let c = c0; c < c1; c++) {
      const v = image[r * width + c];
      if (v < floor) continue;
      m += v;
      mr += v * r;
      mc += v * c;
    }
  }
  if (m === 0) return [r0 + (r1 - r0) / 2, c0 + (c1 - c0) / 2];
  return [mr / m, mc / m];
}
