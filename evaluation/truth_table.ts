/**
 * A tolerant reader of simulation truth tables (synthesis/truth.ts writes them): columns are
 * found by name, with aliases, so older or hand-made tables work too. Separator: tab, comma or
 * runs of spaces (detected from the header line).
 *
 * Needed: `frame` (0-based), a column position (`yPx` | `Y` | `YCen`), a row position
 * (`zPx` | `Z` | `ZCen`). Optional: `intensity` (NaN if absent), `firstFrame` + `nFrames` (the
 * spot's ω spread; default: only `frame`), `spotId` (default: row number), `pairOf`.
 *
 * @example
 * ```ts
 * import { parseTruthTable } from "./truth_table.ts";
 * const t = parseTruthTable("frame\tY\tZ\tintensity\n3\t10.5\t20\t1000\n");
 * t.y[0]; // 10.5
 * t.lastFrame[0]; // 3
 * ```
 * @module
 */

/** Truth spots as columns (struct of arrays); index i is one spot. */
export interface TruthSpots {
  n: number;
  spotId: Float64Array;
  /** Frame of the spot's ω (0-based): where it is brightest. */
  frame: Int32Array;
  /** Frames the spot touches, inclusive (from firstFrame/nFrames, else = frame). */
  firstFrame: Int32Array;
  lastFrame: Int32Array;
  /** Column (YCen) and row (ZCen) px, pixel centres at integers. */
  y: Float64Array;
  z: Float64Array;
  /** Integrated intensity (any unit; NaN when the table has none). */
  intensity: Float64Array;
  /** spotId of a planted pair partner, 0 if none (0 when the column is absent). */
  pairOf: Float64Array;
}

const ALIASES = {
  frame: ["frame", "Frame", "frameNr"],
  y: ["yPx", "Y", "YCen", "YCen(px)", "y"],
  z: ["zPx", "Z", "ZCen", "ZCen(px)", "z"],
  intensity: ["intensity", "Intensity", "IntegratedIntensity"],
  firstFrame: ["firstFrame"],
  nFrames: ["nFrames"],
  spotId: ["spotId", "SpotID", "spotID", "id"],
  pairOf: ["pairOf"],
} as const;

/** Parses a truth table; throws naming the file, line and column on bad input. */
export function parseTruthTable(text: string, fileName = "truth.tsv"): TruthSpots {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "" && !l.startsWith("#"));
  if (lines.length === 0) throw new Error(`${fileName}: empty file, expected a header row`);
  const sep = lines[0].includes("\t") ? "\t" : lines[0].includes(",") ? "," : /\s+/;
  const head = lines[0].trim().split(sep).map((h) => h.trim());
  const find = (k: keyof typeof ALIASES) => {
    for (const a of ALIASES[k]) {
      const i = head.indexOf(a);
      if (i >= 0) return i;
    }
    return -1;
  };
  const col = Object.fromEntries(
    (Object.keys(ALIASES) as (keyof typeof ALIASES)[]).map((k) => [k, find(k)]),
  ) as Record<keyof typeof ALIASES, number>;
  for (const k of ["frame", "y", "z"] as const) {
    if (col[k] < 0) {
      throw new Error(`${fileName}: header lacks a ${k} column (one of ${ALIASES[k].join(", ")})`);
    }
  }
  const n = lines.length - 1;
  const t: TruthSpots = {
    n,
    spotId: new Float64Array(n),
    frame: new Int32Array(n),
    firstFrame: new Int32Array(n),
    lastFrame: new Int32Array(n),
    y: new Float64Array(n),
    z: new Float64Array(n),
    intensity: new Float64Array(n),
    pairOf: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const v = lines[i + 1].trim().split(sep);
    const num = (k: keyof typeof ALIASES, fallback?: number): number => {
      if (col[k] < 0) return fallback as number;
      const x = Number(v[col[k]]);
      if (v[col[k]] === undefined || v[col[k]].trim() === "" || Number.isNaN(x)) {
        throw new Error(`${fileName}: line ${i + 2}: column ${head[col[k]]} is not a number`);
      }
      return x;
    };
    const frame = num("frame");
    if (!Number.isInteger(frame) || frame < 0) {
      throw new Error(`${fileName}: line ${i + 2}: frame ${frame} is not a 0-based integer`);
    }
    t.frame[i] = frame;
    t.y[i] = num("y");
    t.z[i] = num("z");
    t.intensity[i] = num("intensity", Number.NaN);
    t.spotId[i] = num("spotId", i + 1);
    t.pairOf[i] = num("pairOf", 0);
    const first = col.firstFrame >= 0 && col.nFrames >= 0 ? num("firstFrame") : frame;
    const count = col.firstFrame >= 0 && col.nFrames >= 0 ? num("nFrames") : 1;
    // A spot always covers its own frame, even if the spread columns disagree.
    t.firstFrame[i] = Math.min(first, frame);
    t.lastFrame[i] = Math.max(first + Math.max(1, count) - 1, frame);
  }
  return t;
}
