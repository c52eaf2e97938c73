/**
 * 8-connected components of the non-zero pixels of a frame, with per-component statistics.
 *
 * Two-pass union-find. Final labels are numbered in raster order of each component's first
 * pixel, exactly as `scipy.ndimage.label(img, structure=ones((3, 3)))`, so SpotID order
 * matches sr-midas. The optional size filter uses MIDAS semantics (`MinNrPx < n < MaxNrPx`,
 * both strict, C `processImageFrame`); kept components are renumbered 1…count in the same order.
 *
 * A pixel is foreground when its value is `> 0`: thresholded frames hold 0 below threshold and
 * the absolute corrected value above it (MIDAS §3.1 step 2), and NaN is never foreground.
 *
 * @example
 * ```ts
 * import { labelComponents } from "./components.ts";
 * const img = new Float64Array([1, 0, 0, 0, 0, 2, 0, 0, 3]); // 3×3
 * const c = labelComponents(img, 3, 3);
 * c.count; // 2  (pixel 0 alone; pixels 5 and 8 are 8-connected)
 * ```
 * @module
 */

/** Connected components and their statistics. Per-component arrays are indexed by label − 1. */
export interface Components {
  /** Frame width (columns, fast axis). */
  width: number;
  /** Frame height (rows, slow axis). */
  height: number;
  /** Number of (kept) components. */
  count: number;
  /** Label per pixel: 0 = background or filtered out, 1…count otherwise. */
  labels: Int32Array;
  /** Pixel count per component. */
  size: Int32Array;
  /** Inclusive bounding box: first/last row and column. */
  rowMin: Int32Array;
  rowMax: Int32Array;
  colMin: Int32Array;
  colMax: Int32Array;
  /** Flat index of the brightest pixel (first in raster order on ties). */
  argmax: Int32Array;
  /** Value of the brightest pixel. */
  maxValue: Float64Array;
  /** Sum of the pixel values. */
  sum: Float64Array;
  /** CSR offsets into `pixels`: component k owns `pixels[pixelStart[k] … pixelStart[k+1])`. */
  pixelStart: Int32Array;
  /** Flat pixel indices (row·width + col), grouped by component, raster order within each. */
  pixels: Int32Array;
}

/** Size filter in MIDAS semantics: keep components with `minNrPx < n < maxNrPx`. */
export interface ComponentFilter {
  /** Exclusive lower bound on the pixel count (MIDAS `MinNrPx`); default 0. */
  minNrPx?: number;
  /** Exclusive upper bound on the pixel count (MIDAS `MaxNrPx`); default Infinity. */
  maxNrPx?: number;
  /**
   * Only the first `maxComponents` components in label order are considered, before the size
   * filter (MIDAS `MAX_OVERLAPS_PER_IMAGE` = 10000, as midas_peakfit truncates); default Infinity.
   */
  maxComponents?: number;
}

function findRoot(parent: Int32Array, x: number): number {
  let r = x;
  while (parent[r] !== r) r = parent[r];
  // Path compression keeps the second pass linear in practice.
  while (parent[x] !== r) {
    const next = parent[x];
    parent[x] = r;
    x = next;
  }
  return r;
}

function union(parent: Int32Array, a: number, b: number): number {
  const ra = findRoot(parent, a);
  const rb = findRoot(parent, b);
  if (ra === rb) return ra;
  // The smaller provisional label becomes the root; order is fixed later anyway.
  if (ra < rb) {
    parent[rb] = ra;
    return ra;
  }
  parent[ra] = rb;
  return rb;
}

/**
 * Labels the 8-connected components of `image > 0` (row-major, `width` columns × `height` rows)
 * and gathers bbox, argmax, sum and pixel lists. Linear time; allocates O(pixels).
 */
export function labelComponents(
  image: ArrayLike<number>,
  width: number,
  height: number,
  filter: ComponentFilter = {},
): Components {
  const n = width * height;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(
      `labelComponents: width/height must be positive integers, got ${width}×${height}`,
    );
  }
  if (image.length !== n) {
    throw new Error(
      `labelComponents: image has ${image.length} values, expected ${width}×${height}`,
    );
  }
  const minNrPx = filter.minNrPx ?? 0;
  const maxNrPx = filter.maxNrPx ?? Infinity;

  // Pass 1: provisional labels from the already-visited neighbours W, NW, N, NE. The only pass
  // over every pixel: the later ones walk the foreground list (a frame is mostly background).
  const prov = new Int32Array(n);
  let fg = new Int32Array(4096), nFg = 0;
  let parent = new Int32Array(1024);
  let nProv = 0;
  for (let r = 0; r < height; r++) {
    const row = r * width;
    for (let c = 0; c < width; c++) {
      const i = row + c;
      if (!(image[i] > 0)) continue;
      let lab = 0;
      if (c > 0 && prov[i - 1]) lab = prov[i - 1];
      if (r > 0) {
        const up = i - width;
        if (c > 0 && prov[up - 1]) lab = lab ? union(parent, lab, prov[up - 1]) : prov[up - 1];
        if (prov[up]) lab = lab ? union(parent, lab, prov[up]) : prov[up];
        if (c + 1 < width && prov[up + 1]) {
          lab = lab ? union(parent, lab, prov[up + 1]) : prov[up + 1];
        }
      }
      if (!lab) {
        nProv++;
        if (nProv >= parent.length) {
          const grown = new Int32Array(parent.length * 2);
          grown.set(parent);
          parent = grown;
        }
        parent[nProv] = nProv;
        lab = nProv;
      }
      prov[i] = lab;
      if (nFg === fg.length) {
        const grown = new Int32Array(fg.length * 2);
        grown.set(fg);
        fg = grown;
      }
      fg[nFg++] = i;
    }
  }

  // Pass 2: resolve roots; a root gets its final label when first met in raster order.
  const rootLabel = new Int32Array(nProv + 1);
  let nFinal = 0;
  for (let q = 0; q < nFg; q++) {
    const i = fg[q];
    const root = findRoot(parent, prov[i]);
    let lab = rootLabel[root];
    if (!lab) lab = rootLabel[root] = ++nFinal;
    prov[i] = lab;
  }
  const size = new Int32Array(nFinal + 1);
  for (let q = 0; q < nFg; q++) size[prov[fg[q]]]++;

  // Size filter and renumbering (kept components keep their relative order).
  const remap = new Int32Array(nFinal + 1);
  let count = 0;
  const considered = Math.min(nFinal, filter.maxComponents ?? Infinity);
  for (let l = 1; l <= considered; l++) {
    if (size[l] > minNrPx && size[l] < maxNrPx) remap[l] = ++count;
  }

  const out: Components = {
    width,
    height,
    count,
    labels: prov,
    size: new Int32Array(count),
    rowMin: new Int32Array(count).fill(height),
    rowMax: new Int32Array(count).fill(-1),
    colMin: new Int32Array(count).fill(width),
    colMax: new Int32Array(count).fill(-1),
    argmax: new Int32Array(count).fill(-1),
    maxValue: new Float64Array(count).fill(-Infinity),
    sum: new Float64Array(count),
    pixelStart: new Int32Array(count + 1),
    pixels: new Int32Array(0),
  };
  for (let l = 1; l <= nFinal; l++) if (remap[l]) out.size[remap[l] - 1] = size[l];
  let total = 0;
  for (let k = 0; k < count; k++) {
    out.pixelStart[k] = total;
    total += out.size[k];
  }
  out.pixelStart[count] = total;
  const pixels = new Int32Array(total);
  const fill = out.pixelStart.slice(0, count);
  for (let q = 0; q < nFg; q++) {
    const i = fg[q];
    const l = remap[prov[i]];
    prov[i] = l;
    if (!l) continue;
    const r = Math.floor(i / width), c = i - r * width;
    const k = l - 1;
    pixels[fill[k]++] = i;
    const v = image[i];
    out.sum[k] += v;
    if (v > out.maxValue[k]) {
      out.maxValue[k] = v;
      out.argmax[k] = i;
    }
    if (r < out.rowMin[k]) out.rowMin[k] = r;
    if (r > out.rowMax[k]) out.rowMax[k] = r;
    if (c < out.colMin[k]) out.colMin[k] = c;
    if (c > out.colMax[k]) out.colMax[k] = c;
  }
  out.pixels = pixels;
  return out;
}

/** The flat pixel indices of component `k` (0-based, i.e. label − 1), as a view. */
export function componentPixels(comp: Components, k: number): Int32Array {
  return comp.pixels.subarray(comp.pixelStart[k], comp.pixelStart[k + 1]);
}
