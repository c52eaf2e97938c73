/**
 * Reads the SR patches that `process --saveSRpatches` leaves in a peak directory
 * (`SR_out/SR_patches/`, process/run.ts `saveSrPatches`): per frame tag (the 0-based frame,
 * zero-padded to `Padding`), `<tag>_SRx<s>_pred.npy` float32 [n, 1, lr·s, lr·s] for every level
 * of the cascade, `<tag>_SRx1_exp.npy` [n, 1, lr, lr] and `<tag>_patches_info.csv` with each
 * patch's detector origin (`Y00` column, `Z00` row of its top-left low-res pixel).
 *
 * The report shows the final (largest) level; SR pixel k of a patch covers the low-res
 * position `origin − ½ + (k + ½)/s` (the physically centred grid of process/sr_peaks.ts).
 *
 * @example
 * ```ts ignore
 * import { openSrPatches } from "./sr_patches.ts";
 * const sr = await openSrPatches("out/process/peaks"); // undefined without saved SR patches
 * const f0 = await sr?.read(0); // { s: 8, lowRes: 20, count, y00, z00, data }
 * ```
 * @module
 */
import { readNpy } from "../nn/io/npy.ts";

/** One frame's saved SR patches at the final level `s`. */
export interface SrPatchFrame {
  s: number;
  /** Side of the low-res (x1) patch, the config's `lrsz`. */
  lowRes: number;
  count: number;
  /** Detector column / row of each patch's top-left low-res pixel. */
  y00: Int32Array;
  z00: Int32Array;
  /** Row-major [count, lowRes·s, lowRes·s] (the cascade's raw sigmoid output). */
  data: Float32Array;
}

/** The saved SR patches of a peak directory. */
export interface SrPatchSource {
  dir: string;
  /** Final SR factor (largest `SRx<s>_pred` level saved). */
  s: number;
  /** Frames (0-based) with saved patches. */
  frames: number[];
  /** A frame's patches, undefined for a frame without files. */
  read(frame: number): Promise<SrPatchFrame | undefined>;
}

const PRED = /^(\d+)_SRx(\d+)_pred\.npy$/;

/** Opens `<peaksDir>/SR_out/SR_patches`; undefined when it is absent or holds no predictions. */
export async function openSrPatches(peaksDir: string): Promise<SrPatchSource | undefined> {
  const dir = `${peaksDir}/SR_out/SR_patches`;
  const tags = new Map<number, string>();
  let s = 0;
  try {
    for await (const e of Deno.readDir(dir)) {
      const m = e.isFile ? PRED.exec(e.name) : null;
      if (!m) continue;
      tags.set(Number(m[1]), m[1]);
      s = Math.max(s, Number(m[2]));
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  if (s === 0) return undefined;
  return {
    dir,
    s,
    frames: [...tags.keys()].sort((a, b) => a - b),
    async read(frame) {
      const tag = tags.get(frame);
      if (tag === undefined) return undefined;
      const npyPath = `${dir}/${tag}_SRx${s}_pred.npy`;
      const infoPath = `${dir}/${tag}_patches_info.csv`;
      const { data, shape } = await readNpy(npyPath);
      if (shape.length !== 4 || shape[1] !== 1 || shape[2] !== shape[3] || shape[2] % s !== 0) {
        throw new Error(
          `${npyPath}: shape [${shape}], expected [n, 1, lr·${s}, lr·${s}] (one channel, square)`,
        );
      }
      const { y00, z00 } = parsePatchesInfo(await Deno.readTextFile(infoPath), infoPath);
      if (y00.length !== shape[0]) {
        throw new Error(`${infoPath}: ${y00.length} patch rows, but ${npyPath} has ${shape[0]}`);
      }
      return { s, lowRes: shape[2] / s, count: shape[0], y00, z00, data };
    },
  };
}

/** The `Y00`, `Z00` columns of a `_patches_info.csv` (header row names the columns). */
export function parsePatchesInfo(
  text: string,
  path = "patches_info.csv",
): { y00: Int32Array; z00: Int32Array } {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length === 0) throw new Error(`${path}: empty, expected a header with Y00,Z00`);
  const head = lines[0].split(",").map((h) => h.trim());
  const iy = head.indexOf("Y00"), iz = head.indexOf("Z00");
  if (iy < 0 || iz < 0) throw new Error(`${path}: header lacks Y00/Z00 (got ${head.join(",")})`);
  const rows = lines.slice(1).map((l) => l.split(","));
  const col = (i: number, name: string) =>
    Int32Array.from(rows, (r, k) => {
      const v = Number(r[i]);
      if (!Number.isInteger(v)) {
        throw new Error(`${path}: line ${k + 2} field ${name}: '${r[i]}' is not an integer`);
      }
      return v;
    });
  return { y00: col(iy, "Y00"), z00: col(iz, "Z00") };
}
