/**
 * Finding the `.MIDAS.zip` of a scan (MIDAS analysis) directory as users have them: the zip may
 * be a symlink (to a shared raw-data area), and a directory holding several zips must say which
 * one, never silently take the first. And which of its files `process` reads (its cache key).
 *
 * @example
 * ```ts ignore
 * import { findScanZip } from "./scan_dir.ts";
 * const name = await findScanZip("scan/");              // the only *.MIDAS.zip
 * const other = await findScanZip("scan/", "b.MIDAS.zip"); // one of several
 * await scanInputFiles("scan/"); // ["a.MIDAS.zip", "hkls.csv"]: what process reads
 * ```
 * @module
 */
import { openMidasZip } from "./zip_reader.ts";

/**
 * The file name of the scan's `*.MIDAS.zip` in `scanDir` (symlinks to files count). With
 * `pick` (a file name, with or without `.MIDAS.zip`), that one. No zip, a broken link, several
 * zips without `pick`, or a `pick` that is not there: an Error naming the directory, the zips
 * found and how to choose (`--zip NAME`).
 */
export async function findScanZip(scanDir: string, pick?: string): Promise<string> {
  const zips: string[] = [];
  const broken: string[] = [];
  try {
    for await (const e of Deno.readDir(scanDir)) {
      if (!e.name.endsWith(".MIDAS.zip")) continue;
      if (e.isFile) zips.push(e.name);
      else if (e.isSymlink) {
        const st = await Deno.stat(`${scanDir}/${e.name}`).catch(() => undefined);
        if (st?.isFile) zips.push(e.name);
        else broken.push(e.name);
      }
    }
  } catch (e) {
    throw new Error(`${scanDir}: cannot read scan directory (${(e as Error).message})`);
  }
  zips.sort();
  const brokenNote = broken.length
    ? `; broken link(s): ${
      broken.map((b) => `${b} → ${Deno.readLinkSync(`${scanDir}/${b}`)}`).join(", ")
    }`
    : "";
  if (pick !== undefined) {
    const want = pick.endsWith(".MIDAS.zip") ? pick : `${pick}.MIDAS.zip`;
    if (zips.includes(want)) return want;
    throw new Error(
      `${scanDir}: --zip ${pick}: no such *.MIDAS.zip (found: ${
        zips.join(", ") || "none"
      })${brokenNote}`,
    );
  }
  if (zips.length === 0) {
    throw new Error(`${scanDir}: no *.MIDAS.zip in the scan directory${brokenNote}`);
  }
  if (zips.length > 1) {
    throw new Error(
      `${scanDir}: ${zips.length} *.MIDAS.zip files (${
        zips.join(", ")
      }); pick one with --zip NAME (in a workflow: with: { zip: NAME })`,
    );
  }
  return zips[0];
}

/** `scan` itself when it is a file, else the path of the scan directory's `*.MIDAS.zip`. */
export async function findMidasZip(scan: string, pick?: string): Promise<string> {
  if ((await Deno.stat(scan)).isFile) return scan;
  return `${scan}/${await findScanZip(scan, pick)}`;
}

/**
 * The files of an analysis directory that `process` reads, relative to it: the zip, `hkls.csv`
 * and a `ResidualCorrectionMap` stored inside the folder. A scan's cache key covers exactly
 * these, so a note or a published result (`Temp/`, `SR_out/`) beside them does not re-run 1,440
 * frames.
 */
export async function scanInputFiles(scanDir: string, pick?: string): Promise<string[]> {
  const zipName = await findScanZip(scanDir, pick);
  const files = [zipName, "hkls.csv"];
  const zip = await openMidasZip(`${scanDir}/${zipName}`);
  try {
    const map = (await zip.params()).ResidualCorrectionMap?.trim();
    if (map && !map.startsWith("/")) files.push(map);
  } finally {
    zip.close();
  }
  return files;
}
