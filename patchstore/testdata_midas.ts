/**
 * A tiny MIDAS analysis directory for tests: a `.MIDAS.zip` (48×48 px, 3 stored frames, SkipFrame
 * 1, dark 10 counts) with pseudo-Voigt peaks on R = 15 px, and its peak tables as
 * `Temp/AllPeaks_PS.bin` or legacy `Temp/*_PS.csv`.
 *
 * @example
 * ```ts
 * import { makeMidasDir } from "./testdata_midas.ts";
 * const dir = await makeMidasDir(await Deno.makeTempDir(), "scanA", "bin");
 * ```
 * @module
 */
import {
  formatPeaksCsv,
  N_PEAK_COLS,
  PEAK_COL,
  psCsvFileName,
  writeAllPeaksPS,
} from "../midas/peak_table.ts";
import { writeMidasZip } from "../midas/zip_writer.ts";
import { pseudoVoigt } from "../peaks/pseudo_voigt.ts";
import { rEtaFromYZ, yzFromREta } from "./synthesis.ts";

/** Detector size (px), beam centre (px) and dark level (counts) of the fixture. */
export const MIDAS_FIXTURE = { N: 48, BC: 24, DARK: 10 } as const;
const { N, BC, DARK } = MIDAS_FIXTURE;

/** Stored frames (frame 0 is skipped by SkipFrame = 1) and per-frame MIDAS rows. */
function scan(): { frames: Uint16Array[]; rows: Float64Array[] } {
  const frames: Uint16Array[] = [new Uint16Array(N * N).fill(DARK)];
  const rows: Float64Array[] = [];
  for (const etas of [[50, -100], [130]]) {
    const img = new Float64Array(N * N).fill(DARK);
    const table = new Float64Array(etas.length * N_PEAK_COLS);
    etas.forEach((eta, k) => {
      const p = {
        u0: 15,
        v0: eta,
        sigmaGU: 1,
        sigmaGV: 4,
        sigmaLU: 1,
        sigmaLV: 4,
        mu: 0.1,
        iMax: 2000,
      };
      for (let z = 0; z < N; z++) {
        for (let y = 0; y < N; y++) {
          const [r, e] = rEtaFromYZ(y, z, BC, BC);
          img[z * N + y] += pseudoVoigt(p, r, e);
        }
      }
      const [y, z] = yzFromREta(15, eta, BC, BC);
      const row = table.subarray(k * N_PEAK_COLS, (k + 1) * N_PEAK_COLS);
      row[PEAK_COL.SpotID] = k + 1;
      row[PEAK_COL.IntegratedIntensity] = 30000;
      row[PEAK_COL.YCen] = y;
      row[PEAK_COL.ZCen] = z;
      row[PEAK_COL.IMax] = 2000;
      row[PEAK_COL.Radius] = 15;
      row[PEAK_COL.Eta] = eta;
      row[PEAK_COL.nPeaks] = 1;
      row[PEAK_COL.SigmaGR] = 1;
      row[PEAK_COL.SigmaLR] = 1;
      row[PEAK_COL.SigmaGEta] = 4;
      row[PEAK_COL.SigmaLEta] = 4;
      row[PEAK_COL.MU] = 0.1;
    });
    frames.push(Uint16Array.from(img, Math.round));
    rows.push(table);
  }
  return { frames, rows };
}

/** Writes `<root>/<name>/` with the zip and peak tables; returns the directory. */
export async function makeMidasDir(
  root: string,
  name: string,
  kind: "bin" | "csv",
): Promise<string> {
  const dir = `${root}/${name}`;
  await Deno.mkdir(`${dir}/Temp`, { recursive: true });
  const { frames, rows } = scan();
  await writeMidasZip(`${dir}/${name}.MIDAS.zip`, {
    nFrames: frames.length,
    nZ: N,
    nY: N,
    dtype: "uint16",
    frames,
    dark: { n: 2, data: new Uint16Array(2 * N * N).fill(DARK) },
    analysisParameters: { YCen: BC, ZCen: BC, SkipFrame: 1, Padding: 6 },
    scanParameters: { start: 0, step: 0.25 },
  });
  if (kind === "bin") await writeAllPeaksPS(`${dir}/Temp/AllPeaks_PS.bin`, rows);
  else {
    for (const [f, r] of rows.entries()) {
      await Deno.writeTextFile(`${dir}/Temp/${psCsvFileName(name, f + 1)}`, formatPeaksCsv(r));
    }
  }
  return dir;
}
