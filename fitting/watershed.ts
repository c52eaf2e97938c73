/**
 * Marker-based watershed as `skimage.segmentation.watershed(image, markers, mask=mask)`
 * (default connectivity 1): a priority flood from the markers over 4-neighbours, lowest value
 * first, ties in FIFO (insertion) order. A pixel is labelled when it is pushed, as in skimage, and
 * neighbours are visited in skimage's order (up, left, right, down). sr-midas floods the
 * **negated** patch so the brightest pixels are claimed first; pass `-patch` for that.
 *
 * @example
 * ```ts
 * import { watershed } from "./watershed.ts";
 * const img = new Float64Array([0, 1, 2, 1, 0]); // 5×1: two basins at the ends
 * const markers = new Int32Array([1, 0, 0, 0, 2]);
 * watershed(img, 5, 1, markers); // Int32Array [1, 1, 1, 2, 2]
 * ```
 * @module
 */

/** Binary min-heap over (value, age) pairs stored in parallel typed arrays. */
class FloodHeap {
  value: Float64Array;
  age: Float64Array;
  index: Int32Array;
  n = 0;
  constructor(cap: number) {
    this.value = new Float64Array(cap);
    this.age = new Float64Array(cap);
    this.index = new Int32Array(cap);
  }
  private less(a: number, b: number): boolean {
    const va = this.value[a], vb = this.value[b];
    return va !== vb ? va < vb : this.age[a] < this.age[b];
  }
  private swap(a: number, b: number): void {
    let t = this.value[a];
    this.value[a] = this.value[b];
    this.value[b] = t;
    t = this.age[a];
    this.age[a] = this.age[b];
    this.age[b] = t;
    const ti = this.index[a];
    this.index[a] = this.index[b];
    this.index[b] = ti;
  }
  push(v: number, age: number, idx: number): void {
    let i = this.n++;
    this.value[i] = v;
    this.age[i] = age;
    this.index[i] = idx;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): number {
    const top = this.index[0];
    this.n--;
    if (this.n > 0) {
      this.value[0] = this.value[this.n];
      this.age[0] = this.age[this.n];
      this.index[0] = this.index[this.n];
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < this.n && this.less(l, m)) m = l;
        if (r < this.n && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

/**
 * Floods `image` (row-major `width`×`height`) from `markers` (0 = unlabelled, > 0 = label),
 * restricted to `mask` (non-zero = floodable; default everywhere). Markers outside the mask are
 * ignored. Returns the label image (0 outside the mask or unreachable).
 */
export function watershed(
  image: ArrayLike<number>,
  width: number,
  height: number,
  markers: ArrayLike<number>,
  mask?: ArrayLike<number | boolean>,
): Int32Array {
  const n = width * height;
  if (image.length !== n || markers.length !== n || (mask && mask.length !== n)) {
    throw new Error(`watershed: image, markers and mask must all have ${width}×${height} values`);
  }
  const out = new Int32Array(n);
  const heap = new FloodHeap(n);
  for (let i = 0; i < n; i++) {
    if (markers[i] && (!mask || mask[i])) {
      out[i] = markers[i];
      heap.push(image[i], 0, i);
    }
  }
  let age = 0;
  while (heap.n > 0) {
    const i = heap.pop();
    const r = (i / width) | 0, c = i - r * width;
    // skimage order (offsets sorted by distance, then raster): up, left, right, down.
    for (let k = 0; k < 4; k++) {
      let j: number;
      if (k === 0) j = r > 0 ? i - width : -1;
      else if (k === 1) j = c > 0 ? i - 1 : -1;
      else if (k === 2) j = c + 1 < width ? i + 1 : -1;
      else j = r + 1 < height ? i + width : -1;
      if (j < 0 || out[j] || (mask && !mask[j])) continue;
      out[j] = out[i];
      heap.push(image[j], ++age, j);
    }
  }
  return out;
}
