/**
 * A MIDAS analysis directory as `process` sees it: one `*.MIDAS.zip`, `hkls.csv` beside it, and
 * any file the zip's parameters name (`ResidualCorrectionMap`). Everything else in the folder
 * (notes, MIDAS's later outputs, srmidas's own published `Temp/` and `SR_out/`) is not input.
 *
 * @example
 * ```ts ignore
 * import { scanInputFiles } from "./scan_dir.ts";
 * await scanInputFiles("/data/scan1"); // ["Au.MIDAS.zip", "hkls.csv"]
 * ```
 * @module
 */
import { openMidasZip } from "./zip_reader.ts";

/** The `*.MIDAS.zip` of an analysis directory (the first by name when there are several). */
export async function findScanZip(scanDir: string): Promise<string> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(scanDir)) if (e.isFile) names.push(e.name);
  } catch (e) {
    throw new Error(`${scanDir}: cannot read scan directory (${(e as Error).message})`);
  }
  const zips = names.filter((n) => n.endsWith(".MIDAS.zip")).sort();
  if (zips.length === 0) {
    throw new Error(`${scanDir}: no *.MIDAS.zip in the scan directory`);
  }
  return zips[0];
}

/**
 * The files of an analysis directory that `process` reads, relative to it: the zip, `hkls.csv`
 * and a `ResidualCorrectionMap` stored inside the folder. A scan's cache key covers exactly
 * these, so a note or a published result beside them does not re-run 1,440 frames.
 */
export async function scanInputFiles(scanDir: string): Promise<string[]> {
  const zipName = await findScanZip(scanDir);
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
