/**
 * Joins the outputs of a sharded `process` run (each shard processed a contiguous part of the
 * frames, `process --shard i,n`) into the output of one unsharded run, byte for byte:
 *
 * - `Temp/*_PS.csv`: a shard writes one per frame it processed; the union is taken, and a frame
 *   written by two shards is an error (overlapping shards);
 * - `Temp/AllPeaks_PS.bin`, `Temp/AllPeaks_PX.bin`: every shard's files cover all frames (zero
 *   peaks outside its range); each frame is taken from the shard that processed it
 *   (midas/peak_table.ts reads and writes them), after checking the frame counts and NrPixels
 *   agree and no other shard has peaks there;
 * - everything else (`SR_out/`: config, params, ring map, per-frame patches): the union, where a
 *   file present in several shards must be identical.
 *
 * @example
 * ```ts ignore
 * import { mergePeakOutputs } from "./merge.ts";
 * await mergePeakOutputs(["s0/peaks", "s1/peaks"], "merged/peaks");
 * ```
 * @module
 */
import { dirname, join, relative } from "node:path";
import {
  encodeAllPeaksPS,
  encodeAllPeaksPX,
  N_PEAK_COLS,
  readAllPeaksPS,
  readAllPeaksPX,
} from "../midas/peak_table.ts";

const CSV = /_(\d+)_PS\.csv$/;
const BINS = new Set(["Temp/AllPeaks_PS.bin", "Temp/AllPeaks_PX.bin"]);

async function listFiles(root: string, dir = root, out: string[] = []): Promise<string[]> {
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) await listFiles(root, p, out);
    else if (e.isFile) out.push(relative(root, p));
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Summary of a merge. */
export interface MergeSummary {
  shards: number;
  frames: number;
  /** Frames some shard processed (those with a `_PS.csv`). */
  processed: number;
  peaks: number;
}

/**
 * Merges shard output folders `dirs` into `outDir` (see module doc). With `expectShards`, the
 * number of shards is checked too; in any case the processed frames must be one contiguous
 * range, so a missing middle shard is an error rather than a table with empty frames.
 */
export async function mergePeakOutputs(
  dirs: string[],
  outDir: string,
  expectShards?: number,
): Promise<MergeSummary> {
  if (dirs.length === 0) throw new Error("merge-peaks: no shard outputs to merge");
  if (expectShards !== undefined && dirs.length !== expectShards) {
    throw new Error(`merge-peaks: ${dirs.length} shard output(s), expected ${expectShards}`);
  }
  // Frame (0-based) → shard index that wrote its CSV.
  const owner = new Map<number, number>();
  const copies = new Map<string, string>(); // relative path → source file
  for (const [i, dir] of dirs.entries()) {
    let files: string[];
    try {
      files = await listFiles(dir);
    } catch (e) {
      throw new Error(`merge-peaks: ${dir}: cannot read shard output (${(e as Error).message})`);
    }
    for (const f of BINS) {
      if (!files.includes(f)) throw new Error(`merge-peaks: ${join(dir, f)}: missing`);
    }
    for (const rel of files) {
      if (BINS.has(rel)) continue;
      const m = rel.startsWith("Temp/") ? CSV.exec(rel) : null;
      if (m) {
        const frame = Number(m[1]) - 1;
        const prev = owner.get(frame);
        if (prev !== undefined) {
          throw new Error(
            `merge-peaks: frame ${frame} was processed by two shards (${
              dirs[prev]
            } and ${dir}); shards must not overlap`,
          );
        }
        owner.set(frame, i);
      }
      const src = join(dir, rel);
      const seen = copies.get(rel);
      if (seen === undefined) copies.set(rel, src);
      else if (!sameBytes(await Deno.readFile(seen), await Deno.readFile(src))) {
        throw new Error(
          `merge-peaks: ${rel} differs between shards (${seen} vs ${src}); were they run with the same settings?`,
        );
      }
    }
  }

  const done = [...owner.keys()].sort((a, b) => a - b);
  const gap = done.findIndex((f, k) => k > 0 && f !== done[k - 1] + 1);
  if (gap > 0) {
    throw new Error(
      `merge-peaks: no shard processed frames ${done[gap - 1] + 1}…${
        done[gap] - 1
      } (a shard missing?)`,
    );
  }
  const ps = await Promise.all(dirs.map((d) => readAllPeaksPS(join(d, "Temp/AllPeaks_PS.bin"))));
  const px = await Promise.all(dirs.map((d) => readAllPeaksPX(join(d, "Temp/AllPeaks_PX.bin"))));
  const nFrames = ps[0].length;
  for (const [i, d] of dirs.entries()) {
    if (ps[i].length !== nFrames || px[i].frames.length !== nFrames) {
      throw new Error(
        `merge-peaks: ${d}/Temp: ${ps[i].length} (PS) / ${px[i].frames.length} (PX) frames, ` +
          `expected ${nFrames} as in ${dirs[0]}/Temp (shards of different scans?)`,
      );
    }
    if (px[i].nrPixels !== px[0].nrPixels) {
      throw new Error(
        `merge-peaks: ${d}/Temp/AllPeaks_PX.bin: NrPixels ${px[i].nrPixels}, expected ${
          px[0].nrPixels
        }`,
      );
    }
  }
  const rows: Float64Array[] = [];
  const pixels: Int16Array[][] = [];
  let peaks = 0;
  for (let f = 0; f < nFrames; f++) {
    const o = owner.get(f);
    for (const [i, d] of dirs.entries()) {
      if (i !== o && (ps[i][f].length > 0 || px[i].frames[f].length > 0)) {
        throw new Error(
          `merge-peaks: ${d}/Temp: peaks in frame ${f}, which ${
            o === undefined ? "no shard" : dirs[o]
          } processed (a _PS.csv per processed frame is expected)`,
        );
      }
    }
    rows.push(o === undefined ? new Float64Array(0) : ps[o][f]);
    pixels.push(o === undefined ? [] : px[o].frames[f]);
    peaks += rows[f].length / N_PEAK_COLS;
  }

  await Deno.mkdir(join(outDir, "Temp"), { recursive: true });
  for (const [rel, src] of copies) {
    await Deno.mkdir(dirname(join(outDir, rel)), { recursive: true });
    await Deno.copyFile(src, join(outDir, rel));
  }
  await Deno.writeFile(join(outDir, "Temp/AllPeaks_PS.bin"), encodeAllPeaksPS(rows));
  await Deno.writeFile(
    join(outDir, "Temp/AllPeaks_PX.bin"),
    encodeAllPeaksPX({ nrPixels: px[0].nrPixels, frames: pixels }),
  );
  return { shards: dirs.length, frames: nFrames, processed: owner.size, peaks };
}
