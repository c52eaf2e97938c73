/**
 * The peakbank CSV: isolated, well-fitted MIDAS peaks that seed the patchstore synthesis.
 *
 * Layout is sr-midas's (seed spec §2.5) so either tool reads the other's file: a leading unnamed
 * pandas index column, then `SpotID, error_reconstruction, frame_id`, then the MIDAS `_PS.csv`
 * columns in their original order (names as in `midas/peak_table.ts` `PEAK_CSV_COLUMNS`). We append {@link SOURCE_DIR_COLUMN}, {@link BEAM_Y_COLUMN}
 * and {@link BEAM_Z_COLUMN} (sr-midas loses which experiment and beam centre a peak came from,
 * §12.1-11); pandas simply reads them as extra columns.
 *
 * The table is columnar: numbers in `Float64Array`s (empty cells → NaN), and the two text
 * columns (`frame_id`, which keeps its zero padding, and the source directory) as strings.
 *
 * @example
 * ```ts
 * import { formatPeakbankCsv, parsePeakbankCsv } from "./peakbank_csv.ts";
 * const text = ",SpotID,error_reconstruction,frame_id,Radius(px)\n0,1,0.1,000000,512.5\n";
 * const pb = parsePeakbankCsv(text, "df_peakbank.csv");
 * pb.numeric["Radius(px)"][0]; // 512.5
 * formatPeakbankCsv(pb) === text; // true
 * ```
 * @module
 */

/** Added column: the MIDAS analysis directory a peak came from. */
export const SOURCE_DIR_COLUMN = "SourceDir";
/** Added column: beam centre Y (px) of the peak's experiment (zarr `YCen`). */
export const BEAM_Y_COLUMN = "BeamYCen(px)";
/** Added column: beam centre Z (px) of the peak's experiment (zarr `ZCen`). */
export const BEAM_Z_COLUMN = "BeamZCen(px)";

/** Columns kept as text; every other column is parsed as a number. */
export const TEXT_COLUMNS: readonly string[] = ["frame_id", SOURCE_DIR_COLUMN];

/** Per-peak columns the patchstore synthesis renders from (seed spec §2.5). */
export const PATCHSTORE_PEAK_COLUMNS = [
  "IntegratedIntensity",
  "Radius(px)",
  "SigmaGR",
  "SigmaGEta",
  "SigmaLR",
  "SigmaLEta",
  "MU",
  "IMax",
  "BG",
] as const;

/** Columns the patchstore synthesis reads: the filter column plus {@link PATCHSTORE_PEAK_COLUMNS}. */
export const PATCHSTORE_REQUIRED_COLUMNS: readonly string[] = [
  "error_reconstruction",
  ...PATCHSTORE_PEAK_COLUMNS,
];

/** A peakbank held column-wise. Row i of every column is peak i (= pandas index i). */
export interface Peakbank {
  /** Data column names in file order, without the leading index column. */
  columns: string[];
  /** Numeric columns (NaN for empty cells). */
  numeric: Record<string, Float64Array>;
  /** Text columns ({@link TEXT_COLUMNS}). */
  text: Record<string, string[]>;
  /** Number of rows. */
  length: number;
}

/** Builds a peakbank from column arrays; checks that all columns have the same length. */
export function makePeakbank(
  columns: Record<string, ArrayLike<number> | readonly string[]>,
  source = "peakbank",
): Peakbank {
  const names = Object.keys(columns);
  const lengths = new Set(names.map((n) => columns[n].length));
  if (lengths.size > 1) {
    throw new Error(`${source}: columns have different lengths (${[...lengths].join(", ")})`);
  }
  const pb: Peakbank = { columns: names, numeric: {}, text: {}, length: [...lengths][0] ?? 0 };
  for (const n of names) {
    const col = columns[n];
    if (TEXT_COLUMNS.includes(n)) pb.text[n] = Array.from(col as ArrayLike<string>, String);
    else pb.numeric[n] = Float64Array.from(col as ArrayLike<number>, Number);
  }
  return pb;
}

/** The named numeric column, or an Error naming the file and the missing column. */
export function numericColumn(pb: Peakbank, name: string, source = "peakbank"): Float64Array {
  const col = pb.numeric[name];
  if (!col) {
    throw new Error(
      `${source}: missing numeric column "${name}" (have: ${pb.columns.join(", ") || "none"})`,
    );
  }
  return col;
}

/** Throws unless every column in `required` is present and numeric. */
export function requireColumns(
  pb: Peakbank,
  required: readonly string[] = PATCHSTORE_REQUIRED_COLUMNS,
  source = "peakbank",
): void {
  const missing = required.filter((c) => !pb.numeric[c]);
  if (missing.length) {
    throw new Error(
      `${source}: missing required column(s) ${missing.map((c) => `"${c}"`).join(", ")}; ` +
        `expected an sr-midas peakbank CSV with columns ${required.join(", ")}`,
    );
  }
}

/** Splits CSV text into records (RFC 4180 quoting; LF or CRLF line ends). */
function parseRecords(text: string, source: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let i = 0;
  let quoted = false;
  let line = 1;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (ch === "\n") line++;
        cell += ch;
      }
      i++;
      continue;
    }
    if (ch === '"' && cell === "") quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      line++;
    } else cell += ch;
    i++;
  }
  if (quoted) throw new Error(`${source}: unterminated quoted field near line ${line}`);
  if (cell !== "" || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ""));
}

/**
 * Parses peakbank CSV text. The leading column is taken as the pandas index when its header is
 * empty (sr-midas files); files without it are accepted too. `source` names the file in errors.
 */
export function parsePeakbankCsv(text: string, source = "peakbank.csv"): Peakbank {
  const records = parseRecords(text, source);
  if (records.length === 0) throw new Error(`${source}: empty file, expected a CSV header line`);
  const header = records[0];
  const hasIndex = header[0] === "";
  const names = hasIndex ? header.slice(1) : header;
  const seen = new Set<string>();
  for (const n of names) {
    if (n === "") throw new Error(`${source}: empty column name in the header`);
    if (seen.has(n)) throw new Error(`${source}: duplicate column "${n}" in the header`);
    seen.add(n);
  }
  const n = records.length - 1;
  const pb: Peakbank = { columns: names, numeric: {}, text: {}, length: n };
  for (const name of names) {
    if (TEXT_COLUMNS.includes(name)) pb.text[name] = new Array<string>(n);
    else pb.numeric[name] = new Float64Array(n);
  }
  const off = hasIndex ? 1 : 0;
  for (let r = 0; r < n; r++) {
    const rec = records[r + 1];
    if (rec.length !== header.length) {
      throw new Error(
        `${source}: line ${r + 2} has ${rec.length} fields, expected ${header.length} (header)`,
      );
    }
    for (let c = 0; c < names.length; c++) {
      const name = names[c];
      const cell = rec[c + off];
      const textCol = pb.text[name];
      if (textCol) {
        textCol[r] = cell;
        continue;
      }
      const trimmed = cell.trim();
      const val = trimmed === "" || /^nan$/i.test(trimmed) ? NaN : Number(trimmed);
      if (Number.isNaN(val) && trimmed !== "" && !/^nan$/i.test(trimmed)) {
        throw new Error(
          `${source}: line ${r + 2}, column "${name}": expected a number, got "${cell}"`,
        );
      }
      pb.numeric[name][r] = val;
    }
  }
  return pb;
}

function quoteCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Formats a number as pandas would read it back: NaN → empty, integers without ".0". */
function formatNumber(x: number): string {
  if (Number.isNaN(x)) return "";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  return String(x);
}

/** Formats a peakbank as sr-midas CSV text (leading index column 0 … n−1). */
export function formatPeakbankCsv(pb: Peakbank): string {
  const lines: string[] = ["," + pb.columns.map(quoteCell).join(",")];
  for (let r = 0; r < pb.length; r++) {
    const cells: string[] = [String(r)];
    for (const name of pb.columns) {
      const t = pb.text[name];
      cells.push(t ? quoteCell(t[r]) : formatNumber(pb.numeric[name][r]));
    }
    lines.push(cells.join(","));
  }
  return lines.join("\n") + "\n";
}

/** Reads and parses a peakbank CSV file. */
export async function readPeakbankCsv(path: string): Promise<Peakbank> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(`peakbank ${path}: cannot read (${(e as Error).message})`);
  }
  return parsePeakbankCsv(text, path);
}

/** Writes a peakbank CSV atomically (temp file in the same directory, then rename). */
export async function writePeakbankCsv(path: string, pb: Peakbank): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeTextFile(tmp, formatPeakbankCsv(pb));
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw new Error(`peakbank ${path}: cannot write (${(e as Error).message})`);
  }
}
