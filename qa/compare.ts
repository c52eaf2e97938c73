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
    // Grid hash with cell = linkPx: linked points are in the same or a neighbouring cell.
    const grid = new Map<string, number[]>();
    for (let i = 0; i < n; i++) {
      const key = `${Math.floor(y[i] / linkPx)},${Math.floor(z[i] / linkPx)}`;
      (grid.get(key) ?? grid.set(key, []).get(key)!).push(i);
    }
    for (let i = 0; i < n; i++) {
      const gy = Math.floor(y[i] / linkPx), gz = Math.floor(z[i] / linkPx);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dz = -1; dz <= 1; dz++) {
          for (const j of grid.get(`${gy + dy},${gz + dz}`) ?? []) {
            // Only A–B links: two peaks of one table never join a group by themselves.
            if (j <= i || (i < nA) === (j < nA)) continue;
            if (Math.hypot(y[i] - y[j], z[i] - z[j]) <= linkPx) parent[find(i)] = find(j);
          }
        }
      }
    }
    const members = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const r = find(i);
      (members.get(r) ?? members.set(r, []).get(r)!).push(i);
    }
    for (const m of members.values()) {
      const ia = m.filter((i) => i < nA), ib = m.filter((i) => i >= nA);
      const kind: GroupKind = ia.length === 1 && ib.length === 1
        ? "matched"
        : ib.length === 0
        ? "onlyA"
        : ia.length === 0
        ? "onlyB"
        : ia.length === 1
        ? "splitInB"
        : ib.length === 1
        ? "splitInA"
        : "complex";
      if (kind === "onlyA" || kind === "onlyB") {
        // A lone group holds one peak; each peak counts.
        out[kind] += m.length;
      } else out[kind]++;
      if (kind === "matched") {
        sy.push(y[ib[0]] - y[ia[0]]);
        sz.push(z[ib[0]] - z[ia[0]]);
        continue;
      }
      const mean = (v: Float64Array) => m.reduce((s, i) => s + v[i], 0) / m.length;
      out.groups.push({ kind, frame: f, y: mean(y), z: mean(z), nA: ia.length, nB: ib.length });
    }
  }
  out.shiftY = Float64Array.from(sy);
  out.shiftZ = Float64Array.from(sz);
  return out;
}
