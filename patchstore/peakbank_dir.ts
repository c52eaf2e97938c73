/**
 * Peakbank from MIDAS analysis directories (sr-midas `create_peakbank`, seed spec §2): reads each
 * directory's `*.MIDAS.zip` one frame at a time and its peak tables (`Temp/AllPeaks_PS.bin`,
 * or the legacy `Temp/*_PS.csv`), and builds the rows with `peakbank.ts`.
 *
 * Frames are dark-corrected with MIDAS's dark mean (the first SkipFrame darks skipped), then
 * thresholded and transformed by every `ImTransOpt` entry. Rows always carry all 29 MIDAS peak
 * columns (legacy 26-column CSVs read with the last three as 0).
 *
 * @example
 * ```ts
import { peakbankFromDirs } from "./peakbank_dir.ts";
 * const pb = await peakbankFromDirs(["/data/scan1"], { cvsz: 20, iThresh: 99, maxError: 0.5 });
 * ```
 * @module
 */
import { findScanZip } from "../midas/scan_dir.ts";
import { parsePeaksCsv, PEAK_CSV_COLUMNS, readAllPeaksPS } from "../midas/peak_table.ts";
import { openMidasZip } from "../midas/zip_reader.ts";
import {
  applyImTransOpt,
  concatPeakbanks,
  correctFrame,
  type FrameContext,
  frameRows,
} from "./peakbank.ts";
import { makePeakbank, type Peakbank } from "./peakbank_csv.ts";

/** Settings of {@link peakbankFromDirs} (sr-midas keys in comments). */
export interface PeakbankOptions {
  /** Render and scoring window, px (`cvsz`, 20). */
  cvsz: number;
  /** Absolute threshold on dark-corrected counts (`I_thresh`, 99). */
  iThresh: number;
  /** Keep rows with error < maxError; null keeps all (`peak_recon_err_threshold`). */
  maxError: number | null;
  /** Eta pole cut in degrees (sr-midas: 3). */
  etaExclude?: number;
  /** Subtract the dark mean (default true; sr-midas does not). */
  darkCorrect?: boolean;
  /** Peak-table directory per scan directory (default `<dir>/Temp`). */
  peakDirs?: (string | undefined)[];
  onProgress?: (done: number, total: number, label: string) => void;
  signal?: AbortSignal;
}

/** A frame's peak rows (nPeaks × 29) as a columnar table with the `_PS.csv` column names. */
export function peakRowsToTable(rows: Float64Array): Peakbank {
  const nc = PEAK_CSV_COLUMNS.length;
  const n = rows.length / nc;
  const cols: Record<string, Float64Array> = {};
  PEAK_CSV_COLUMNS.forEach((name, c) => {
    cols[name] = Float64Array.from({ length: n }, (_, i) => rows[i * nc + c]);
  });
  return makePeakbank(cols);
}

async function listDir(dir: string): Promise<string[]> {
  try {
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    return names.sort();
  } catch (e) {
    throw new Error(`peakbank: cannot list ${dir} (${(e as Error).message})`);
  }
}

/**
 * Per-frame peak tables of a directory: AllPeaks_PS.bin if present, else `*_PS.csv` files.
 * A directory holding a `Temp/` folder (a `process` output, or an analysis directory) is read
 * through that folder, which is where MIDAS puts its tables.
 */
async function peakSource(
  dir: string,
  nFrames: number,
  padding: number,
): Promise<(f: number) => Promise<Float64Array>> {
  let tempDir = dir;
  let names = await listDir(tempDir);
  if (
    !names.includes("AllPeaks_PS.bin") && !names.some((n) => n.endsWith("_PS.csv")) &&
    names.includes("Temp")
  ) {
    tempDir = `${dir}/Temp`;
    names = await listDir(tempDir);
  }
  if (names.includes("AllPeaks_PS.bin")) {
    const path = `${tempDir}/AllPeaks_PS.bin`;
    const frames = await readAllPeaksPS(path);
    if (frames.length !== nFrames) {
      throw new Error(
        `${path}: holds ${frames.length} frames, but the zip has ${nFrames} after SkipFrame`,
      );
    }
    return (f) => Promise.resolve(frames[f]);
  }
  const csvs = names.filter((n) => n.endsWith("_PS.csv"));
  if (!csvs.length) {
    throw new Error(`peakbank: ${tempDir} has neither AllPeaks_PS.bin nor *_PS.csv peak tables`);
  }
  return async (f) => {
    const suffix = `_${String(f + 1).padStart(padding, "0")}_PS.csv`;
    const name = csvs.find((n) => n.endsWith(suffix));
    if (!name) {
      throw new Error(`peakbank: ${tempDir}: no *${suffix} for frame ${f} (1-based ${f + 1})`);
    }
    const path = `${tempDir}/${name}`;
    return parsePeaksCsv(await Deno.readTextFile(path), path);
  };
}

/** Peakbank rows of one MIDAS analysis directory (not yet error-filtered). */
export async function peakbankFromDir(
  dir: string,
  opts: PeakbankOptions,
  peakDir = `${dir}/Temp`,
): Promise<Peakbank[]> {
  const zipName = await findScanZip(dir);
  const zip = await openMidasZip(`${dir}/${zipName}`);
  try {
    const p = await zip.params({ required: ["YCen", "ZCen"] });
    const skip = p.SkipFrame;
    const n = zip.nFrames - skip;
    const tables = await peakSource(peakDir, n, p.Padding);
    const dark = opts.darkCorrect === false ? undefined : await zip.darkMean(skip);
    const parts: Peakbank[] = [];
    for (let f = 0; f < n; f++) {
      opts.signal?.throwIfAborted();
      const raw = await zip.readFrame(f + skip);
      const frame = applyImTransOpt(
        correctFrame(raw, dark, opts.iThresh),
        zip.nZ,
        zip.nY,
        p.ImTransOpt,
      );
      const table = peakRowsToTable(await tables(f));
      const ctx: FrameContext = {
        nY: frame.nY,
        nZ: frame.nZ,
        yBC: p.YCen,
        zBC: p.ZCen,
        cvsz: opts.cvsz,
        iThresh: opts.iThresh,
        etaExclude: opts.etaExclude,
      };
      parts.push(
        frameRows(
          table,
          frame.data,
          ctx,
          { frameIndex: f, sourceDir: dir },
          `${peakDir} frame ${f}`,
        ),
      );
      opts.onProgress?.(f + 1, n, dir);
    }
    return parts;
  } finally {
    zip.close();
  }
}

/** The peakbank of several directories, concatenated and filtered by `maxError`. */
export async function peakbankFromDirs(
  dirs: readonly string[],
  opts: PeakbankOptions,
): Promise<Peakbank> {
  if (!dirs.length) throw new Error("peakbank: no MIDAS analysis directory given");
  const parts: Peakbank[] = [];
  for (const [i, dir] of dirs.entries()) {
    parts.push(...await peakbankFromDir(dir, opts, opts.peakDirs?.[i] ?? `${dir}/Temp`));
  }
  return concatPeakbanks(parts, opts.maxError);
}
