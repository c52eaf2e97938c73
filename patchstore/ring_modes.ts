/**
 * Ring radii from peakbank radii: a 1-D port of scikit-learn's `MeanShift(bin_seeding=True)` with
 * `estimate_bandwidth(quantile=0.1)`, as sr-midas uses (seed spec §4.3).
 *
 * In 1-D everything reduces to a sorted array plus prefix sums, so a flat-kernel mean over
 * [c − bw, c + bw] costs two binary searches: O(n log n) overall, no neighbour trees.
 *
 * @example
 * ```ts
 * import { findRingRadii } from "./ring_modes.ts";
 * const radii = [500.1, 500.3, 499.8, 700.2, 700.0, 699.9, 700.1];
 * findRingRadii(radii, { minCount: 3 }).map((m) => Math.round(m.radius)); // [700, 500]
 * ```
 * @module
 */

/** One mode: its centre and the number of points assigned to it (nearest-centre labels). */
export interface RingMode {
  radius: number;
  count: number;
}

/** First index i with a[i] >= x (a sorted ascending). */
function lowerBound(a: Float64Array, x: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index i with a[i] > x. */
function upperBound(a: Float64Array, x: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * sklearn `estimate_bandwidth`: the mean over points of the distance to their k-th nearest
 * neighbour (self included), k = max(1, floor(n·quantile)). `sorted` must be ascending.
 */
export function estimateBandwidth(sorted: Float64Array, quantile = 0.1): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const k = Math.max(1, Math.floor(n * quantile));
  let sum = 0;
  for (let i = 0; i < n; i++) {
    // The k nearest points of i form a window [j, j+k−1] containing i; its radius
    // max(x_i − x_j, x_{j+k−1} − x_i) is minimised where the two terms cross.
    let lo = Math.max(0, i - k + 1), hi = Math.min(i, n - k);
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[i] - sorted[mid] > sorted[mid + k - 1] - sorted[i]) lo = mid + 1;
      else hi = mid;
    }
    let best = Math.max(sorted[i] - sorted[lo], sorted[lo + k - 1] - sorted[i]);
    if (lo > 0 && lo - 1 >= i - k + 1) {
      best = Math.min(best, Math.max(sorted[i] - sorted[lo - 1], sorted[lo + k - 2] - sorted[i]));
    }
    sum += best;
  }
  return sum / n;
}

/** Options of {@link findRingRadii}. */
export interface RingModeOptions {
  /** Keep modes with at least this many assigned points (sr-midas: max(nPeak)). */
  minCount?: number;
  /** Bandwidth; default `estimateBandwidth(radii, quantile)`. */
  bandwidth?: number;
  /** Quantile for the bandwidth estimate (sr-midas: 0.1). */
  quantile?: number;
  /**
   * Merge neighbouring modes closer than this (px) into one (single linkage), at their
   * count-weighted mean. sklearn's small
   * bandwidth can split one ring into several modes; the synthesis passes varR, since modes
   * within varR share candidates anyway. Default 0 (no merging, like sr-midas).
   */
  mergeWithin?: number;
}

/**
 * Mean-shift modes of 1-D data, sorted by count (descending), then radius. Non-finite values
 * are ignored. Returns [] for no data.
 */
export function findRingRadii(radii: ArrayLike<number>, opts: RingModeOptions = {}): RingMode[] {
  const sorted = Float64Array.from(Array.from(radii).filter(Number.isFinite)).sort();
  const n = sorted.length;
  if (n === 0) return [];
  let bw = opts.bandwidth ?? estimateBandwidth(sorted, opts.quantile ?? 0.1);
  // All-equal data (or k = 1) gives bw = 0, where sklearn fails; any positive width works then.
  if (!(bw > 0)) {
    bw = Math.max(1e-6, (sorted[n - 1] - sorted[0]) * 1e-3, Math.abs(sorted[0]) * 1e-9);
  }
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i] + sorted[i];

  // Bin seeding: bin centres round(x/bw)·bw with at least one point.
  const seeds = [...new Set(Array.from(sorted, (x) => Math.round(x / bw) * bw))];
  const found: RingMode[] = [];
  for (let c of seeds) {
    let count = 0;
    for (let it = 0; it < 300; it++) {
      const a = lowerBound(sorted, c - bw), b = upperBound(sorted, c + bw);
      count = b - a;
      if (count === 0) break;
      const next = (prefix[b] - prefix[a]) / count;
      const done = Math.abs(next - c) < 1e-3 * bw;
      c = next;
      if (done) break;
    }
    if (count > 0) found.push({ radius: c, count });
  }
  // Keep the most populated centre of every group closer than bw (sklearn's de-duplication).
  found.sort((p, q) => q.count - p.count || p.radius - q.radius);
  const centres: number[] = [];
  for (const f of found) {
    if (centres.every((c) => Math.abs(c - f.radius) >= bw)) centres.push(f.radius);
  }
  // Label every point with its nearest centre (cluster_all=True) and count.
  const order = centres.map((c, i) => ({ c, i })).sort((p, q) => p.c - q.c);
  const counts = new Array<number>(centres.length).fill(0);
  let j = 0;
  for (let i = 0; i < n; i++) {
    const x = sorted[i];
    while (j + 1 < order.length && Math.abs(order[j + 1].c - x) < Math.abs(order[j].c - x)) j++;
    counts[order[j].i]++;
  }
  let modes = centres.map((radius, i) => ({ radius, count: counts[i] }));
  const merge = opts.mergeWithin ?? 0;
  if (merge > 0) {
    modes.sort((p, q) => p.radius - q.radius);
    const merged: RingMode[] = [];
    let prev = -Infinity; // single linkage: gaps between neighbouring raw modes decide
    for (const m of modes) {
      const last = merged[merged.length - 1];
      const gap = m.radius - prev;
      prev = m.radius;
      if (last && gap < merge) {
        const count = last.count + m.count;
        last.radius = (last.radius * last.count + m.radius * m.count) / count;
        last.count = count;
      } else merged.push({ ...m });
    }
    modes = merged;
  }
  const minCount = opts.minCount ?? 1;
  return modes
    .filter((m) => m.count >= minCount)
    .sort((p, q) => q.count - p.count || p.radius - q.radius);
}
