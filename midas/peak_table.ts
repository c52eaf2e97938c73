/**
 * MIDAS peak tables: the 29 peak columns, the consolidated `Temp/AllPeaks_PS.bin` /
 * `Temp/AllPeaks_PX.bin` binaries and the legacy per-frame `_PS.csv`.
 *
 * In memory a frame's peaks are a `Float64Array` of `nPeaks × 29` (row-major, column order of
 * {@link PEAK_COLUMNS}) and, for PX, one `Int16Array` of interleaved `(y, z)` pixel pairs per peak
 * (y = column, z = row, MIDAS order). Frames are 0-based after SkipFrame in the binaries; CSV
 * file names use 1-based frame numbers.
 *
 * @example
 * ```ts
 * import { decodeAllPeaksPS, encodeAllPeaksPS, N_PEAK_COLS, PEAK_COL } from "./peak_table.ts";
 * const frame = new Float64Array(N_PEAK_COLS);
 * frame[PEAK_COL.YCen] = 12.5;
 * const back = decodeAllPeaksPS(encodeAllPeaksPS([frame, new Float64Array(0)]), "mem");
 * back[0][PEAK_COL.YCen]; // 12.5
 * ```
 * @module
 */
import { writeFileAtomic } from "./atomic.ts";

/** Column names in the binaries (`PEAK_COL_NAMES` of MIDAS `PeaksFittingConsolidatedIO.h`). */
export const PEAK_COLUMNS = [
  "SpotID",
  "IntegratedIntensity",
  "Omega",
  "YCen",
  "ZCen",
  "IMax",
  "Radius",
  "Eta",
  "SigmaR",
  "SigmaEta",
  "NrPixels",
  "NrPxTot",
  "nPeaks",
  "maxY",
  "maxZ",
  "diffY",
  "diffZ",
  "rawIMax",
  "returnCode",
  "retVal",
  "BG",
  "SigmaGR",
  "SigmaLR",
  "SigmaGEta",
  "SigmaLEta",
  "MU",
  "RawSumIntensity",
  "maskTouched",
  "FitRMSE",
] as const; // deno-fmt-ignore

/** Name of one peak column. */
export type PeakColumn = typeof PEAK_COLUMNS[number];

/** Values per peak row. */
export const N_PEAK_COLS = 29;

/** Column index by name, e.g. `PEAK_COL.YCen === 3`. */
export const PEAK_COL = Object.fromEntries(PEAK_COLUMNS.map((n, i) => [n, i])) as Readonly<
  Record<PeakColumn, number>
>;

/** Header names of the legacy `_PS.csv` (tab-separated), same order. */
export const PEAK_CSV_COLUMNS: readonly string[] = PEAK_COLUMNS.map((n) =>
  ({
    Omega: "Omega(degrees)",
    YCen: "YCen(px)",
    ZCen: "ZCen(px)",
    Radius: "Radius(px)",
    Eta: "Eta(degrees)",
    NrPxTot: "TotalNrPixelsInPeakRegion",
  } as Record<string, string>)[n] ?? n
);

/** The exact `_PS.csv` header line (without newline). */
export const PEAK_CSV_HEADER = PEAK_CSV_COLUMNS.join("\t");

/** Columns C prints with `%d`. */
const INT_COLS = new Set([0, 10, 11, 12, 13, 14, 18]);

const ROW_BYTES = N_PEAK_COLS * 8;

function nPeaksOf(rows: Float64Array, source: string, f: number): number {
  if (rows.length % N_PEAK_COLS !== 0) {
    throw new Error(
      `${source}: frame ${f}: peak array length ${rows.length} is not a multiple of ${N_PEAK_COLS}`,
    );
  }
  return rows.length / N_PEAK_COLS;
}

// ---------------------------------------------------------------------------------------------
// AllPeaks_PS.bin
// ---------------------------------------------------------------------------------------------

/**
 * Writes the header shared by PS and PX files from `countsAt` on: `int32 nPeaks[n]`, then the
 * absolute `int64 offset[n]` of each frame's body, bodies following the header in frame order.
 */
function writeHeader(
  dv: DataView,
  countsAt: number,
  counts: readonly number[],
  bodyBytes: readonly number[],
) {
  const n = counts.length;
  let off = countsAt + 12 * n;
  for (let f = 0; f < n; f++) {
    dv.setInt32(countsAt + 4 * f, counts[f], true);
    dv.setBigInt64(countsAt + 4 * n + 8 * f, BigInt(off), true);
    off += bodyBytes[f];
  }
}

/** `AllPeaks_PS.bin` header (`int32 nFrames; int32 nPeaks[]; int64 offset[]`) for these counts. */
export function encodeAllPeaksPSHeader(counts: readonly number[]): Uint8Array {
  const buf = new Uint8Array(4 + 12 * counts.length);
  const dv = new DataView(buf.buffer);
  dv.setInt32(0, counts.length, true);
  writeHeader(dv, 4, counts, counts.map((c) => c * ROW_BYTES));
  return buf;
}

/**
 * `AllPeaks_PX.bin` header (`int32 nFrames; int32 NrPixels; int32 nPeaks[]; int64 offset[]`);
 * `bodyBytes[f]` is the size of frame f's pixel lists ({@link encodePeakPixels}).
 */
export function encodeAllPeaksPXHeader(
  counts: readonly number[],
  bodyBytes: readonly number[],
  nrPixels: number,
): Uint8Array {
  const buf = new Uint8Array(8 + 12 * counts.length);
  const dv = new DataView(buf.buffer);
  dv.setInt32(0, counts.length, true);
  dv.setInt32(4, nrPixels, true);
  writeHeader(dv, 8, counts, bodyBytes);
  return buf;
}

/** One frame's `AllPeaks_PS.bin` body: its rows of 29 float64, little-endian. */
export function encodePeakRows(rows: Float64Array): Uint8Array {
  const buf = new Uint8Array(rows.length * 8);
  const dv = new DataView(buf.buffer);
  for (let i = 0; i < rows.length; i++) dv.setFloat64(8 * i, rows[i], true);
  return buf;
}

/** One frame's `AllPeaks_PX.bin` body: per peak `int32 nPx` then `nPx` interleaved `int16 y, z`. */
export function encodePeakPixels(pixels: readonly Int16Array[]): Uint8Array {
  let total = 0;
  for (const p of pixels) {
    if (p.length % 2 !== 0) {
      throw new Error(`AllPeaks_PX: pixel list of odd length ${p.length}; expected (y, z) pairs`);
    }
    total += 4 + 2 * p.length;
  }
  const buf = new Uint8Array(total);
  const dv = new DataView(buf.buffer);
  let off = 0;
  for (const p of pixels) {
    dv.setInt32(off, p.length / 2, true);
    off += 4;
    for (let i = 0; i < p.length; i++, off += 2) dv.setInt16(off, p[i], true);
  }
  return buf;
}

/** Header and bodies as one buffer. */
function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * Encodes `AllPeaks_PS.bin`: `int32 nFrames; int32 nPeaks[nFrames]; int64 offset[nFrames]`
 * (absolute), then each frame's rows of 29 float64, little-endian.
 */
export function encodeAllPeaksPS(frames: readonly Float64Array[]): Uint8Array {
  const counts = frames.map((r, f) => nPeaksOf(r, "AllPeaks_PS", f));
  return concatBytes([encodeAllPeaksPSHeader(counts), ...frames.map(encodePeakRows)]);
}

/** Reads the frame count and per-frame (count, offset) header shared by PS and PX files. */
function readHeader(
  dv: DataView,
  source: string,
  countsAt: number,
  recordBytes: number | null,
): { n: number; counts: number[]; offsets: number[] } {
  const len = dv.byteLength;
  if (len < countsAt) throw new Error(`${source}: file too short for its header (${len} bytes)`);
  const n = dv.getInt32(0, true);
  const header = countsAt + 12 * n;
  if (n < 0 || header > len) {
    throw new Error(
      `${source}: header says ${n} frames, which needs ${header} bytes; file has ${len}`,
    );
  }
  const counts: number[] = [];
  const offsets: number[] = [];
  for (let f = 0; f < n; f++) {
    const c = dv.getInt32(countsAt + 4 * f, true);
    const o = Number(dv.getBigInt64(countsAt + 4 * n + 8 * f, true));
    if (c < 0 || o < header || o > len || (recordBytes !== null && o + c * recordBytes > len)) {
      throw new Error(
        `${source}: frame ${f}: nPeaks ${c} at offset ${o} does not fit a ${len}-byte file`,
      );
    }
    counts.push(c);
    offsets.push(o);
  }
  return { n, counts, offsets };
}

/** Decodes `AllPeaks_PS.bin` bytes into one `nPeaks × 29` array per frame. */
export function decodeAllPeaksPS(bytes: Uint8Array, source: string): Float64Array[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { counts, offsets } = readHeader(dv, source, 4, ROW_BYTES);
  return counts.map((c, f) => {
    const rows = new Float64Array(c * N_PEAK_COLS);
    for (let i = 0; i < rows.length; i++) rows[i] = dv.getFloat64(offsets[f] + 8 * i, true);
    return rows;
  });
}

/** Writes `AllPeaks_PS.bin` atomically. */
export async function writeAllPeaksPS(
  path: string,
  frames: readonly Float64Array[],
): Promise<void> {
  await writeFileAtomic(path, encodeAllPeaksPS(frames));
}

/** Reads `AllPeaks_PS.bin`. */
export async function readAllPeaksPS(path: string): Promise<Float64Array[]> {
  return decodeAllPeaksPS(await Deno.readFile(path), path);
}

// ---------------------------------------------------------------------------------------------
// AllPeaks_PX.bin
// ---------------------------------------------------------------------------------------------

/** Pixel lists of every peak of every frame, plus MIDAS's `NrPixels` = max(nY, nZ). */
export interface PeakPixels {
  nrPixels: number;
  /** `frames[f][p]` = interleaved `(y, z)` int16 pairs of peak p's region. */
  frames: Int16Array[][];
}

/**
 * Encodes `AllPeaks_PX.bin`: `int32 nFrames; int32 NrPixels; int32 nPeaks[]; int64 offset[]`,
 * then per peak `int32 nPx` and `nPx` interleaved `int16 y, int16 z`.
 */
export function encodeAllPeaksPX(px: PeakPixels): Uint8Array {
  const bodies = px.frames.map(encodePeakPixels);
  const header = encodeAllPeaksPXHeader(
    px.frames.map((fr) => fr.length),
    bodies.map((b) => b.length),
    px.nrPixels,
  );
  return concatBytes([header, ...bodies]);
}

/** Decodes `AllPeaks_PX.bin` bytes. */
export function decodeAllPeaksPX(bytes: Uint8Array, source: string): PeakPixels {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { counts, offsets } = readHeader(dv, source, 8, null);
  const nrPixels = dv.getInt32(4, true);
  const frames = counts.map((c, f) => {
    let off = offsets[f];
    const peaks: Int16Array[] = [];
    for (let p = 0; p < c; p++) {
      if (off + 4 > dv.byteLength) {
        throw new Error(`${source}: frame ${f} peak ${p}: truncated pixel list`);
      }
      const nPx = dv.getInt32(off, true);
      off += 4;
      if (nPx < 0 || off + 4 * nPx > dv.byteLength) {
        throw new Error(
          `${source}: frame ${f} peak ${p}: nPx ${nPx} runs past the end of the file`,
        );
      }
      const a = new Int16Array(2 * nPx);
      for (let i = 0; i < a.length; i++, off += 2) a[i] = dv.getInt16(off, true);
      peaks.push(a);
    }
    return peaks;
  });
  return { nrPixels, frames };
}

/** Writes `AllPeaks_PX.bin` atomically. */
export async function writeAllPeaksPX(path: string, px: PeakPixels): Promise<void> {
  await writeFileAtomic(path, encodeAllPeaksPX(px));
}

/** Reads `AllPeaks_PX.bin`. */
export async function readAllPeaksPX(path: string): Promise<PeakPixels> {
  return decodeAllPeaksPX(await Deno.readFile(path), path);
}

// ---------------------------------------------------------------------------------------------
// Legacy per-frame _PS.csv
// ---------------------------------------------------------------------------------------------

/** `{zipBaseName}_{frameNr padded}_PS.csv`, frameNr 1-based (MIDAS / sr-midas naming). */
export function psCsvFileName(zipBaseName: string, frameNr: number, padding = 6): string {
  return `${zipBaseName}_${String(frameNr).padStart(padding, "0")}_PS.csv`;
}

/** Formats one frame as `_PS.csv` text with C's printf formats (`%d`, `%f`, `%.1f`). */
export function formatPeaksCsv(rows: Float64Array): string {
  const n = nPeaksOf(rows, "PS.csv", 0);
  const lines = [PEAK_CSV_HEADER];
  for (let p = 0; p < n; p++) {
    const cells: string[] = [];
    for (let c = 0; c < N_PEAK_COLS; c++) {
      const v = rows[p * N_PEAK_COLS + c];
      cells.push(
        INT_COLS.has(c) ? String(Math.trunc(v)) : v.toFixed(c === PEAK_COL.maskTouched ? 1 : 6),
      );
    }
    lines.push(cells.join("\t"));
  }
  return lines.join("\n") + "\n";
}

/**
 * Parses `_PS.csv` text (29 columns, or the pre-2026 26-column files whose last three columns
 * are then 0). Columns are matched by header name, so pandas-written files also load.
 */
export function parsePeaksCsv(text: string, source: string): Float64Array {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length === 0) {
    throw new Error(`${source}: empty _PS.csv; expected header '${PEAK_CSV_HEADER}'`);
  }
  const head = lines[0].trim().split(/\t|\s+/);
  const idx = PEAK_CSV_COLUMNS.map((name) => head.indexOf(name));
  const missing = PEAK_CSV_COLUMNS.filter((_, c) => idx[c] < 0 && c < 26);
  if (missing.length > 0) {
    throw new Error(`${source}: _PS.csv header lacks column(s) ${missing.join(", ")}`);
  }
  const rows = new Float64Array((lines.length - 1) * N_PEAK_COLS);
  for (let p = 1; p < lines.length; p++) {
    const cells = lines[p].trim().split(/\t|\s+/);
    if (cells.length !== head.length) {
      throw new Error(`${source}:${p + 1}: ${cells.length} values, header has ${head.length}`);
    }
    for (let c = 0; c < N_PEAK_COLS; c++) {
      if (idx[c] < 0) continue;
      const s = cells[idx[c]].toLowerCase().replace(/^-?nan$/, "NaN").replace(
        /^(-?)inf$/,
        "$1Infinity",
      );
      const v = Number(s);
      if (Number.isNaN(v) && s !== "NaN") {
        throw new Error(
          `${source}:${p + 1}: column ${PEAK_CSV_COLUMNS[c]}: '${cells[idx[c]]}' is not a number`,
        );
      }
      rows[(p - 1) * N_PEAK_COLS + c] = v;
    }
  }
  return rows;
}
