/**
 * The simulation truth table (`truth.tsv`): one row per rendered spot, tab-separated with a
 * header. Positions follow MIDAS's YCen/ZCen convention (column, row; pixel centres at integers),
 * frames are 0-based, `intensity` is the integrated count total over pixels and frames,
 * `grainId` 0 marks a planted pair partner (`pairOf` links the two spots).
 *
 * @example
 * ```ts
 * import { formatTruthTsv, parseTruthTsv } from "./truth.ts";
 * const text = formatTruthTsv([]);
 * parseTruthTsv(text).length; // 0
 * ```
 * @module
 */
import type { SceneSpot } from "./scene.ts";

/** Truth-table columns, in file order. */
export const TRUTH_COLUMNS = [
  "spotId",
  "grainId",
  "h",
  "k",
  "l",
  "ringNr",
  "omegaDeg",
  "frame",
  "yPx",
  "zPx",
  "rPx",
  "etaDeg",
  "intensity",
  "iMax",
  "sigmaGRPx",
  "sigmaGEtaDeg",
  "sigmaLRPx",
  "sigmaLEtaDeg",
  "mu",
  "omegaSigmaDeg",
  "firstFrame",
  "nFrames",
  "saturated",
  "pairOf",
] as const;

/** One parsed truth row (all numeric; `saturated` is 0/1). */
export type TruthRow = Record<(typeof TRUTH_COLUMNS)[number], number>;

/** Formats scene spots as truth.tsv text. */
export function formatTruthTsv(spots: readonly SceneSpot[]): string {
  const rows = spots.map((s) => {
    const row: Record<string, number> = {
      ...s,
      nFrames: s.frameWeights.length,
      saturated: s.saturated ? 1 : 0,
    } as unknown as Record<string, number>;
    return TRUTH_COLUMNS.map((c) => String(row[c])).join("\t");
  });
  return [TRUTH_COLUMNS.join("\t"), ...rows, ""].join("\n");
}

/** Parses truth.tsv; throws naming the file, line and column on a bad value. */
export function parseTruthTsv(text: string, fileName = "truth.tsv"): TruthRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l !== "");
  if (lines.length === 0) throw new Error(`${fileName}: empty file, expected a header row`);
  const head = lines[0].split("\t");
  const idx = TRUTH_COLUMNS.map((c) => {
    const i = head.indexOf(c);
    if (i < 0) throw new Error(`${fileName}: header lacks column "${c}"`);
    return i;
  });
  return lines.slice(1).map((line, n) => {
    const v = line.split("\t");
    const row = {} as TruthRow;
    TRUTH_COLUMNS.forEach((c, k) => {
      const x = Number(v[idx[k]]);
      if (Number.isNaN(x)) {
        throw new Error(`${fileName}: line ${n + 2}: column ${c} is not a number`);
      }
      row[c] = x;
    });
    return row;
  });
}
