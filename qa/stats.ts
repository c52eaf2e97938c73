/**
 * What a peak table says about a scan without any truth: peaks per frame, per ring and frame,
 * the frames worth looking at (busiest, median, emptiest), the most crowded spots and the
 * column values for histograms. Pure functions over an evaluation/peak_table.ts
 * {@link PeakTable}; frames are the table's (0-based after SkipFrame).
 *
 * A peak belongs to the ring whose radius is nearest to its `Radius` column (px), if within
 * the ring's half width (MIDAS `Width` / px), else to no ring.
 *
 * @example
 * ```ts
 * import { chooseFrames, peaksPerFrame } from "./stats.ts";
 * import { fromFrames } from "../evaluation/peak_table.ts";
 * const t = fromFrames([new Float64Array(58), new Float64Array(0), new Float64Array(29)]);
 * Array.from(peaksPerFrame(t)); // [2, 0, 1]
 * chooseFrames(peaksPerFrame(t)).map((c) => c.frame); // [0, 2, 1]
 * ```
 * @module
 */
import { N_PEAK_COLS, PEAK_COL, type PeakColumn } from "../midas/peak_table.ts";
import type { PeakTable } from "../evaluation/peak_table.ts";

/** Ring radii (px) of the analysed rings and their band half width. */
export interface RingSet {
  /** MIDAS ring numbers (RingThresh order). */
  nr: readonly number[];
  radiusPx: readonly number[];
  halfWidthPx: number;
}

/** One column of every peak row. */
export function column(t: PeakTable, name: PeakColumn): Float64Array {
  const k = PEAK_COL[name];
  const out = new Float64Array(t.nPeaks);
  for (let p = 0; p < t.nPeaks; p++) out[p] = t.rows[p * N_PEAK_COLS + k];
  return out;
}

/** Peaks in each frame; `nFrames` defaults to the table's. */
export function peaksPerFrame(t: PeakTable, nFrames = t.nFrames): Int32Array {
  const out = new Int32Array(nFrames);
  for (let p = 0; p < t.nPeaks; p++) if (t.frame[p] < nFrames) out[t.frame[p]]++;
  return out;
}

/** Ring index (into `rings`) of every peak, −1 when its Radius is in no band. */
export function ringOfPeaks(t: PeakTable, rings: RingSet): Int16Array {
  const out = new Int16Array(t.nPeaks).fill(-1);
  for (let p = 0; p < t.nPeaks; p++) {
    const r = t.rows[p * N_PEAK_COLS + PEAK_COL.Radius];
    let best = -1, bestD = Infinity;
    rings.radiusPx.forEach((R, k) => {
      const d = Math.abs(r - R);
      if (d < rings.halfWidthPx && d < bestD) [best, bestD] = [k, d];
    });
    out[p] = best;
  }
  return out;
}

/** Counts per (ring, frame): row k = ring k, the last row = peaks on no ring. */
export function peaksPerRingFrame(
  t: PeakTable,
  ringOf: Int16Array,
  nRings: number,
  nFrames = t.nFrames,
): Int32Array[] {
  const out = Array.from({ length: nRings + 1 }, () => new Int32Array(nFrames));
  for (let p = 0; p < t.nPeaks; p++) {
    if (t.frame[p] >= nFrames) continue;
    out[ringOf[p] < 0 ? nRings : ringOf[p]][t.frame[p]]++;
  }
  return out;
}

/** A frame picked for display, with why. */
export interface ChosenFrame {
  label: "busiest" | "median" | "emptiest";
  frame: number;
  peaks: number;
}

/**
 * The busiest, median and emptiest frame by peak count (ties: the lowest frame), without
 * repeats (fewer than three for tiny scans).
 */
export function chooseFrames(counts: ArrayLike<number>): ChosenFrame[] {
  const order = Array.from({ length: counts.length }, (_, i) => i)
    .sort((a, b) => counts[b] - counts[a] || a - b);
  if (order.length === 0) return [];
  const picks: [ChosenFrame["label"], number][] = [
    ["busiest", order[0]],
    ["median", order[Math.floor((order.length - 1) / 2)]],
    ["emptiest", order[order.length - 1]],
  ];
  const out: ChosenFrame[] = [];
  for (const [label, frame] of picks) {
    if (!out.some((c) => c.frame === frame)) out.push({ label, frame, peaks: counts[frame] });
  }
  return out;
}

/** A crowded spot: where in which frame, and how many peaks lie within the radius. */
export interface CrowdedSpot {
  frame: number;
  y: number;
  z: number;
  peaks: number;
}

/**
 * The `n` most crowded spots: every peak scores the peaks of its frame within `radiusPx`
 * (itself included); the best scores win, each pick excluding peaks within 2·radius of an
 * earlier pick in its frame. The spot is the mean position of its neighbourhood.
 */
export function crowdedSpots(t: PeakTable, n: number, radiusPx = 5): CrowdedSpot[] {
  const cand: { p: number; score: number; y: number; z: number }[] = [];
  const Y = (p: number) => t.rows[p * N_PEAK_COLS + PEAK_COL.YCen];
  const Z = (p: number) => t.rows[p * N_PEAK_COLS + PEAK_COL.ZCen];
  const cell = Math.max(1, radiusPx);
  let a = 0;
  while (a < t.nPeaks) {
    const f = t.frame[a];
    let b = a;
    while (b < t.nPeaks && t.frame[b] === f) b++;
    const grid = new Map<number, number[]>();
    for (let p = a; p < b; p++) {
      const key = cellKey(Math.floor(Y(p) / cell), Math.floor(Z(p) / cell));
      (grid.get(key) ?? grid.set(key, []).get(key)!).push(p);
    }
    for (let p = a; p < b; p++) {
      const gy = Math.floor(Y(p) / cell), gz = Math.floor(Z(p) / cell);
      let score = 0, sy = 0, sz = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dz = -1; dz <= 1; dz++) {
          for (const q of grid.get(cellKey(gy + dy, gz + dz)) ?? []) {
            if (Math.hypot(Y(q) - Y(p), Z(q) - Z(p)) <= radiusPx) {
              score++;
              sy += Y(q);
              sz += Z(q);
            }
          }
        }
      }
      if (score >= 2) cand.push({ p, score, y: sy / score, z: sz / score });
    }
    a = b;
  }
  cand.sort((u, v) => v.score - u.score || u.p - v.p);
  const out: CrowdedSpot[] = [];
  for (const c of cand) {
    if (out.length >= n) break;
    const f = t.frame[c.p];
    if (out.some((o) => o.frame === f && Math.hypot(o.y - c.y, o.z - c.z) < 2 * radiusPx)) {
      continue;
    }
    out.push({ frame: f, y: c.y, z: c.z, peaks: c.score });
  }
  return out;
}

/**
 * A numeric key of grid cell (gy, gz) for Map lookups (string keys are several times slower);
 * distinct for |gy|, |gz| < 2²⁰ (detector px / cell size, far beyond any detector).
 */
export function cellKey(gy: number, gz: number): number {
  return (gy + 0x100000) * 0x200000 + (gz + 0x100000);
}

/** Percentile q ∈ [0, 1] of the finite values (linear interpolation); NaN when none. */
export function percentile(values: ArrayLike<number>, q: number): number {
  const v = Float64Array.from(values).filter(Number.isFinite).sort();
  if (v.length === 0) return NaN;
  const x = q * (v.length - 1), i = Math.floor(x);
  return i + 1 < v.length ? v[i] + (v[i + 1] - v[i]) * (x - i) : v[i];
}
