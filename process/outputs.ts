/**
 * Writes the `process` step's peak tables from the frame log, streaming (one frame in memory):
 * `Temp/<zip>_<NNNNNN>_PS.csv` per processed frame (29 tab-separated columns, frame number =
 * frame after SkipFrame + 1), `Temp/AllPeaks_PS.bin` and `Temp/AllPeaks_PX.bin` in the layouts of
 * `midas/peak_table.ts` (sr-midas-seed §10.8–10.9, pixel pairs (Y, Z) as MIDAS). Frames outside
 * the processed range get 0 peaks. Headers are computed from the log's index first, so the bodies
 * can be streamed in frame order.
 *
 * @example
 * ```ts
 * import { FrameLog } from "./frame_log.ts";
 * import { writePeakTables } from "./outputs.ts";
 * const log = await FrameLog.open("/tmp/ck", {});
 * await writePeakTables(log, { tempDir: "/tmp/out/Temp", nFrames: 3, nrPixels: 2048, zipName: "a.MIDAS.zip", padding: 6 });
 * ```
 * @module
 */
import {
  encodeAllPeaksPSHeader,
  encodeAllPeaksPXHeader,
  encodePeakPixels,
  encodePeakRows,
  formatPeaksCsv,
  psCsvFileName,
} from "../midas/peak_table.ts";
import type { FrameLog } from "./frame_log.ts";

/** Options of {@link writePeakTables}. */
export interface PeakTableOptions {
  tempDir: string;
  /** Frames after SkipFrame (the binaries' nFrames). */
  nFrames: number;
  /** max(nY, nZ) for the PX header. */
  nrPixels: number;
  zipName: string;
  padding: number;
}

async function writeAll(f: Deno.FsFile, buf: Uint8Array): Promise<void> {
  let off = 0;
  while (off < buf.length) off += await f.write(buf.subarray(off));
}

/** Streams the CSVs and both binaries (see module doc); returns the total peak count. */
export async function writePeakTables(log: FrameLog, o: PeakTableOptions): Promise<number> {
  await Deno.mkdir(o.tempDir, { recursive: true });
  const n = o.nFrames;
  const counts: number[] = [], pxBytes: number[] = [];
  for (let f = 0; f < n; f++) {
    const e = log.index.get(f);
    counts.push(e?.nPeaks ?? 0);
    pxBytes.push(e?.pxBytes ?? 0);
  }
  const total = counts.reduce((a, c) => a + c, 0);
  const psHead = encodeAllPeaksPSHeader(counts);
  const pxHead = encodeAllPeaksPXHeader(counts, pxBytes, o.nrPixels);
  // Records are in processing order, which is frame order; buffer any out-of-order ones.
  const psFile = await Deno.open(`${o.tempDir}/AllPeaks_PS.bin`, {
    write: true,
    create: true,
    truncate: true,
  });
  const pxFile = await Deno.open(`${o.tempDir}/AllPeaks_PX.bin`, {
    write: true,
    create: true,
    truncate: true,
  });
  try {
    await writeAll(psFile, psHead);
    await writeAll(pxFile, pxHead);
    let expect = 0;
    const early = new Map<number, { rows: Float64Array; pixels: Int16Array[] }>();
    const emit = async (frame: number, rows: Float64Array, pixels: Int16Array[]) => {
      await writeAll(psFile, encodePeakRows(rows));
      await writeAll(pxFile, encodePeakPixels(pixels));
      await Deno.writeTextFile(
        `${o.tempDir}/${psCsvFileName(o.zipName, frame + 1, o.padding)}`,
        formatPeaksCsv(rows),
      );
    };
    for await (const r of log.records()) {
      if (r.frame < 0 || r.frame >= n) continue;
      early.set(r.frame, r);
      while (early.has(expect) || (expect < n && !log.index.has(expect))) {
        const e = early.get(expect);
        if (e) await emit(expect, e.rows, e.pixels);
        early.delete(expect);
        expect++;
      }
    }
  } finally {
    psFile.close();
    pxFile.close();
  }
  return total;
}
