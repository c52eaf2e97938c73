/**
 * Two peak tables of the same scan side by side (srfac 1 vs 8, srmidas vs MIDAS), without
 * truth. In every frame, peaks of A and B closer than `linkPx` are linked; each connected group
 * is classified by how many peaks of each table it holds:
 *
 * | group | meaning |
 * |---|---|
 * | 1 A + 1 B | matched (its B − A position shift is reported) |
 * | 1 A + 0 B / 0 A + 1 B | only in A / only in B |
 * | 1 A + ≥2 B | B splits a spot A found as one (A merges it) |
 * | ≥2 A + 1 B | A splits a spot B found as one |
 * | ≥2 A + ≥2 B | complex (both found several; not counted as split) |
 *
 * Links are symmetric and transitive (union-find), so a chain of close peaks forms one group.
 *
 * @example
 * ```ts
 * import { comparePeakTables } from "./compare.ts";
 * import { fromFrames } from "../evaluation/peak_table.ts";
 * import { N_PEAK_COLS, PEAK_COL } from "../midas/peak_table.ts";
import { cellKey } from "./stats.ts";
 * const row = (y: number, z: number) => {
 *   const r = new Float64Array(N_PEAK_COLS);
 *   r[PEAK_COL.YCen] = y;
 *   r[PEAK_COL.ZCen] = z;
 *   return r;
 * };
 * const a = fromFrames([row(10, 10)]);
 * const b = fromFrames([Float64Array.from([...row(9.5, 10), ...row(10.5, 10)])]);
 * comparePeakTables(a, b).splitInB; // 1
 * ```
 * @module
 */
import { frameRange, type PeakTable } from "../evaluation/peak_table.ts";
import { N_PEAK_COLS, PEAK_COL } from "../midas/peak_table.ts";
import { cellKey } from "./stats.ts";

/** Kinds of linked groups (see the module doc). */
export type GroupKind = "matched" | "onlyA" | "onlyB" | "splitInB" | "splitInA" | "complex";

/** One group, for examples: frame, mean position and its peak counts. */
export interface PeakGroup {
  kind: GroupKind;
  frame: number;
  y: number;
  z: number;
  nA: number;
  nB: number;
}

/** Result of {@link comparePeakTables}. */
export interface Comparison {
  linkPx: number;
  nA: number;
  nB: number;
  /** Groups per kind. */
  matched: number;
  onlyA: number;
  onlyB: number;
  splitInB: number;
  splitInA: number;
  complex: number;
  /** B − A shift (px) of every matched pair, and the frame it is in. */
  shiftY: Float64Array;
  shiftZ: Float64Array;
  /** Every group that is not a plain match, in frame order. */
  groups: PeakGroup[];
}

/** Links A and B frame by frame and classifies the groups (module doc). */
export function comparePeakTables(a: PeakTable, b: PeakTable, linkPx = 1.5): Comparison {
  if (!(linkPx > 0)) throw new Error(`comparePeakTables: linkPx must be > 0, got ${linkPx}`);
  const out: Comparison = {
    linkPx,
    nA: a.nPeaks,
    nB: b.nPeaks,
    matched: 0,
    onlyA: 0,
    onlyB: 0,
    splitInB: 0,
    splitInA: 0,
    complex: 0,
    shiftY: new Float64Array(0),
    shiftZ: new Float64Array(0),
    groups: [],
  };
  const sy: number[] = [], sz: number[] = [];
  const nFrames = Math.max(a.nFrames, b.nFrames);
  for (let f = 0; f < nFrames; f++) {
    const [a0, a1] = frameRange(a, f), [b0, b1] = frameRange(b, f);
    const nA = a1 - a0, n = nA + (b1 - b0);
    if (n === 0) continue;
    const y = new Float64Array(n), z = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const [t, p] = i < nA ? [a, a0 + i] : [b, b0 + i - nA];
      y[i] = t.rows[p * N_PEAK_COLS + PEAK_COL.YCen];
      z[i] = t.rows[p * N_PEAK_COLS + PEAK_COL.ZCen];
    }
    const parent = Int32Array.from({ length: n }, (_, i) => i);
    const find = (i: number): number => {
      while (parent[i] !== i) i = parent[i] = parent[parent[i]];
      return i;
    };
    // Only A–B links (two peaks of one table never join by themselves): grid-hash B with
    // cell = linkPx, then every A peak looks at the B peaks of its and the 8 neighbouring cells.
    const grid = new Map<number, number[]>();
    for (let j = nA; j < n; j++) {
      const key = cellKey(Math.floor(y[j] / linkPx), Math.floor(z[j] / linkPx));
      const cell = grid.get(key);
      if (cell) cell.push(j);
      else grid.set(key, [j]);
    }
    for (let i = 0; i < nA; i++) {
      const gy = Math.floor(y[i] / linkPx), gz = Math.floor(z[i] / linkPx);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dz = -1; dz <= 1; dz++) {
          const cell = grid.get(cellKey(gy + dy, gz + dz));
          if (!cell) continue;
          for (const j of cell) {
            if (Math.hypot(y[i] - y[j], z[i] - z[j]) <= linkPx) parent[find(i)] = find(j);
          }
        }
      }
    }
    // Per group (root): peaks of each table, position sums, one member of each table.
    const cA = new Int32Array(n), cB = new Int32Array(n);
    const sumY = new Float64Array(n), sumZ = new Float64Array(n);
    const oneA = new Int32Array(n), oneB = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const r = find(i);
      if (i < nA) [cA[r], oneA[r]] = [cA[r] + 1, i];
      else [cB[r], oneB[r]] = [cB[r] + 1, i];
      sumY[r] += y[i];
      sumZ[r] += z[i];
    }
    for (let r = 0; r < n; r++) {
      if (parent[r] !== r) continue;
      const na = cA[r], nb = cB[r];
      const kind: GroupKind = na === 1 && nb === 1
        ? "matched"
        : nb === 0
        ? "onlyA"
        : na === 0
        ? "onlyB"
        : na === 1
        ? "splitInB"
        : nb === 1
        ? "splitInA"
        : "complex";
      out[kind]++;
      if (kind === "matched") {
        sy.push(y[oneB[r]] - y[oneA[r]]);
        sz.push(z[oneB[r]] - z[oneA[r]]);
        continue;
      }
      const m = na + nb;
      out.groups.push({ kind, frame: f, y: sumY[r] / m, z: sumZ[r] / m, nA: na, nB: nb });
    }
  }
  out.shiftY = Float64Array.from(sy);
  out.shiftZ = Float64Array.from(sz);
  return out;
}
