/**
 * Loads the peak table of a "peaks" artifact for evaluation, on top of midas/peak_table.ts:
 * `Temp/AllPeaks_PS.bin` (preferred, as MIDAS does) or the legacy per-frame
 * `Temp/<zip>_NNNNNN_PS.csv` files (FrameNr 1-based in the name → frame NNNNNN − 1).
 * The frames are flattened into one row array with a frame index per peak, which is what the
 * frame-by-frame matcher wants.
 *
 * @example
 * ```ts
 * import { fromFrames, peakPoints } from "./peak_table.ts";
 * import { N_PEAK_COLS, PEAK_COL } from "../midas/peak_table.ts";
 * const row = new Float64Array(N_PEAK_COLS);
 * row[PEAK_COL.YCen] = 10.25;
 * const t = fromFrames([row, new Float64Array(0)]);
 * t.nFrames; // 2
 * peakPoints(t).y[0]; // 10.25
 * ```
 * @module
 */
import { N_PEAK_COLS, parsePeaksCsv, PEAK_COL, readAllPeaksPS } from "../midas/peak_table.ts";
import type { EvaluatedPeaks } from "./metrics.ts";

/** All peaks of a scan, flattened: row p is `rows[p·29 … p·29+28]`, its frame `frame[p]`. */
export interface PeakTable {
  nFrames: number;
  nPeaks: number;
  /** 0-based frame of each peak. */
  frame: Int32Array;
  /** nPeaks × 29 float64, row-major, midas/peak_table.ts column order. */
  rows: Float64Array;
}

/** Flattens per-frame `nPeaks × 29` arrays (midas/peak_table.ts layout) into a {@link PeakTable}. */
export function fromFrames(perFrame: readonly Float64Array[]): PeakTable {
  const nPeaks = perFrame.reduce((n, f) => n + f.length / N_PEAK_COLS, 0);
  const frame = new Int32Array(nPeaks);
  const rows = new Float64Array(nPeaks * N_PEAK_COLS);
  let p = 0;
  perFrame.forEach((rs, f) => {
    const k = rs.length / N_PEAK_COLS;
    if (!Number.isInteger(k)) {
      throw new Error(`fromFrames: frame ${f} has ${rs.length} values, not a multiple of 29`);
    }
    rows.set(rs, p * N_PEAK_COLS);
    frame.fill(f, p, p + k);
    p += k;
  });
  return { nFrames: perFrame.length, nPeaks, frame, rows };
}

/**
 * Reads the peak table of a "peaks" artifact: `dir` may be the artifact directory (with `Temp/`),
 * the `Temp/` directory itself, or an `AllPeaks_PS.bin` path.
 */
export async function readPeakTable(dir: string): Promise<PeakTable> {
  const stat = await Deno.stat(dir);
  if (stat.isFile) return fromFrames(await readAllPeaksPS(dir));
  for (const temp of [`${dir}/Temp`, dir]) {
    const bin = `${temp}/AllPeaks_PS.bin`;
    if (await exists(bin)) return fromFrames(await readAllPeaksPS(bin));
  }
  for (const temp of [`${dir}/Temp`, dir]) {
    if (!(await exists(temp))) continue;
    const csvs: { frame: number; path: string }[] = [];
    for await (const e of Deno.readDir(temp)) {
      const m = e.isFile ? /_(\d{6})_PS\.csv$/.exec(e.name) : null;
      if (m) csvs.push({ frame: Number(m[1]) - 1, path: `${temp}/${e.name}` });
    }
    if (csvs.length === 0) continue;
    const nFrames = Math.max(...csvs.map((c) => c.frame)) + 1;
    const perFrame: Float64Array[] = Array.from({ length: nFrames }, () => new Float64Array(0));
    for (const c of csvs) {
      perFrame[c.frame] = parsePeaksCsv(await Deno.readTextFile(c.path), c.path);
    }
    return fromFrames(perFrame);
  }
  throw new Error(`${dir}: no Temp/AllPeaks_PS.bin or Temp/*_NNNNNN_PS.csv peak table found`);
}

/** Centres, IntegratedIntensity and frame count of a table, as evaluation/metrics.ts takes them. */
export function peakPoints(t: PeakTable): EvaluatedPeaks {
  const y = new Float64Array(t.nPeaks), z = new Float64Array(t.nPeaks);
  const intensity = new Float64Array(t.nPeaks);
  for (let p = 0; p < t.nPeaks; p++) {
    y[p] = t.rows[p * N_PEAK_COLS + PEAK_COL.YCen];
    z[p] = t.rows[p * N_PEAK_COLS + PEAK_COL.ZCen];
    intensity[p] = t.rows[p * N_PEAK_COLS + PEAK_COL.IntegratedIntensity];
  }
  return { n: t.nPeaks, nFrames: t.nFrames, frame: t.frame, y, z, intensity };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Row range [first, end) of frame f (rows are stored by frame; empty outside the table). */
export function frameRange(t: PeakTable, f: number): [number, number] {
  // First peak whose frame is ≥ g (binary search; frames ascend).
  const first = (g: number) => {
    let a = 0, b = t.nPeaks;
    while (a < b) {
      const m = (a + b) >> 1;
      if (t.frame[m] < g) a = m + 1;
      else b = m;
    }
    return a;
  };
  return [first(f), first(f + 1)];
}

/** Frame f's rows (a view, nPeaks_f × 29); empty outside the table. Rows are stored by frame. */
export function frameRows(t: PeakTable, f: number): Float64Array {
  const [a, b] = frameRange(t, f);
  return t.rows.subarray(a * N_PEAK_COLS, b * N_PEAK_COLS);
}
