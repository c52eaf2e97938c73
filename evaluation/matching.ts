/**
 * Frame-by-frame one-to-one matching of found peaks to truth spots.
 *
 * A truth spot is *present* in every frame of its ω spread (firstFrame…lastFrame) and can be
 * matched there, so a peak found in a neighbouring frame of a spread spot is a true positive,
 * not a false one. In each frame the assignment is greedy by distance: all (truth, peak) pairs
 * within `radiusPx` are sorted by distance (ties: lower truth index, then lower peak index) and
 * taken when both are still free. Greedy is not the optimal (Hungarian) assignment, but for
 * radii of about a peak width the two differ only in rare three-way crowding, and greedy is
 * deterministic and O(k log k).
 *
 * @example
 * ```ts
 * import { matchPeaks } from "./matching.ts";
 * import { parseTruthTable } from "./truth_table.ts";
 * const truth = parseTruthTable("frame\tY\tZ\n0\t10\t10\n");
 * const peaks = { n: 1, frame: Int32Array.of(0), y: Float64Array.of(10.3), z: Float64Array.of(10) };
 * const m = matchPeaks(truth, peaks, 1.5);
 * m.centrePeak[0]; // 0
 * ```
 * @module
 */
import type { TruthSpots } from "./truth_table.ts";

/** Found peak centres: frame (0-based), column y and row z in px. */
export interface PeakPoints {
  n: number;
  frame: Int32Array;
  y: Float64Array;
  z: Float64Array;
}

/** Result of {@link matchPeaks}; -1 marks "unmatched", distances NaN. */
export interface Matching {
  /** Truth index of each peak. */
  peakTruth: Int32Array;
  peakDist: Float64Array;
  /** Peak matched to each truth spot in the spot's own `frame`. */
  centrePeak: Int32Array;
  centreDist: Float64Array;
  /** 1 if the truth spot was matched in any frame of its spread. */
  matchedAnyFrame: Uint8Array;
  /** 1 if the peak had a present truth spot within the radius (matched or not: a split). */
  peakNearTruth: Uint8Array;
}

/** Indices grouped by an integer key (frame). */
export function groupBy(keys: ArrayLike<number>): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (let i = 0; i < keys.length; i++) {
    const list = m.get(keys[i]);
    if (list) list.push(i);
    else m.set(keys[i], [i]);
  }
  return m;
}

/** Truth indices present in each frame (every frame of each spot's spread). */
export function truthByFrame(t: TruthSpots): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (let i = 0; i < t.n; i++) {
    for (let f = t.firstFrame[i]; f <= t.lastFrame[i]; f++) {
      const list = m.get(f);
      if (list) list.push(i);
      else m.set(f, [i]);
    }
  }
  return m;
}

/**
 * All pairs (a, b) with a from `as`, b from `bs` and distance < `maxDist`, via a uniform grid
 * of cell `maxDist`. With `self`, `as` and `bs` are one set and each unordered pair a < b comes
 * once. Returns flat triples [a, b, d, …] in no particular order.
 */
export function pairsWithin(
  as: readonly number[],
  ax: ArrayLike<number>,
  ay: ArrayLike<number>,
  bs: readonly number[],
  bx: ArrayLike<number>,
  by: ArrayLike<number>,
  maxDist: number,
  self = false,
): number[] {
  const out: number[] = [];
  if (as.length === 0 || bs.length === 0 || !(maxDist > 0)) return out;
  const cell = maxDist;
  const key = (cx: number, cy: number) => cx * 1_048_583 + cy;
  const grid = new Map<number, number[]>();
  for (const b of bs) {
    const k = key(Math.floor(bx[b] / cell), Math.floor(by[b] / cell));
    const list = grid.get(k);
    if (list) list.push(b);
    else grid.set(k, [b]);
  }
  for (const a of as) {
    const cx = Math.floor(ax[a] / cell), cy = Math.floor(ay[a] / cell);
    for (let dx = -1; dx <= 1; dx++) {
      for (let dy = -1; dy <= 1; dy++) {
        for (const b of grid.get(key(cx + dx, cy + dy)) ?? []) {
          if (self && b <= a) continue;
          const d = Math.hypot(ax[a] - bx[b], ay[a] - by[b]);
          if (d < maxDist) out.push(a, b, d);
        }
      }
    }
  }
  return out;
}

/** Matches peaks to truth frame by frame (see module doc). `radiusPx` is inclusive. */
export function matchPeaks(truth: TruthSpots, peaks: PeakPoints, radiusPx: number): Matching {
  if (!(radiusPx > 0)) throw new Error(`matchPeaks: radiusPx must be > 0, got ${radiusPx}`);
  const m: Matching = {
    peakTruth: new Int32Array(peaks.n).fill(-1),
    peakDist: new Float64Array(peaks.n).fill(Number.NaN),
    centrePeak: new Int32Array(truth.n).fill(-1),
    centreDist: new Float64Array(truth.n).fill(Number.NaN),
    matchedAnyFrame: new Uint8Array(truth.n),
    peakNearTruth: new Uint8Array(peaks.n),
  };
  const present = truthByFrame(truth);
  // A hair over the radius so that a distance of exactly radiusPx still counts.
  const reach = radiusPx * (1 + 1e-12);
  for (const [f, ps] of groupBy(peaks.frame)) {
    const ts = present.get(f);
    if (!ts) continue;
    const c = pairsWithin(ts, truth.y, truth.z, ps, peaks.y, peaks.z, reach);
    const order = Array.from({ length: c.length / 3 }, (_, k) => k);
    order.sort((p, q) =>
      c[3 * p + 2] - c[3 * q + 2] || c[3 * p] - c[3 * q] || c[3 * p + 1] - c[3 * q + 1]
    );
    for (let k = 1; k < c.length; k += 3) m.peakNearTruth[c[k]] = 1;
    const truthTaken = new Set<number>();
    for (const k of order) {
      const t = c[3 * k], p = c[3 * k + 1], d = c[3 * k + 2];
      if (truthTaken.has(t) || m.peakTruth[p] >= 0) continue;
      truthTaken.add(t);
      m.peakTruth[p] = t;
      m.peakDist[p] = d;
      m.matchedAnyFrame[t] = 1;
      if (truth.frame[t] === f) {
        m.centrePeak[t] = p;
        m.centreDist[t] = d;
      }
    }
  }
  return m;
}
