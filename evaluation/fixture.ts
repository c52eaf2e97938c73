/**
 * A hand-made truth/peak scene with known answers, shared by the metric and step tests.
 *
 * Truth (frame 0-based; E and F spread over frames 0…2):
 *   frame 0: A (10,10) 100, B (11,10) 100 [pair 1.0 px], C (50,50) 200, D (80,80) 10
 *   frame 1: E (20,20) 200, F (20.5,20) 200 [pair 0.5 px], G (100,100) 50
 *   frame 2: H (30,30) 200, I (32.5,30) 200 [pair 2.5 px]
 * Peaks: frame 0: A+0.1, B+0.3, C+0.2, D+1.4, a false one at (200,200), E+0.3 (side frame);
 *        frame 1: one peak between E and F (0.2 from E); frame 2: H+0.1, I+0.1.
 * @module
 */
import { N_PEAK_COLS, PEAK_COL } from "../midas/peak_table.ts";

export const FIXTURE_TRUTH_TSV = [
  "spotId\tgrainId\tframe\tyPx\tzPx\tintensity\tfirstFrame\tnFrames\tpairOf",
  "1\t1\t0\t10\t10\t100\t0\t1\t0",
  "2\t1\t0\t11\t10\t100\t0\t1\t0",
  "3\t1\t0\t50\t50\t200\t0\t1\t0",
  "4\t1\t0\t80\t80\t10\t0\t1\t0",
  "5\t2\t1\t20\t20\t200\t0\t3\t6",
  "6\t0\t1\t20.5\t20\t200\t0\t3\t5",
  "7\t2\t1\t100\t100\t50\t1\t1\t0",
  "8\t3\t2\t30\t30\t200\t2\t1\t0",
  "9\t3\t2\t32.5\t30\t200\t2\t1\t0",
  "",
].join("\n");

/** One 29-column row with centre, intensity and a plausible pseudo-Voigt shape. */
export function peakRow(y: number, z: number, intensity: number, ybc = 0, zbc = 0): Float64Array {
  const r = new Float64Array(N_PEAK_COLS);
  const R = Math.hypot(y - ybc, z - zbc);
  r[PEAK_COL.YCen] = y;
  r[PEAK_COL.ZCen] = z;
  r[PEAK_COL.IntegratedIntensity] = intensity;
  r[PEAK_COL.Radius] = R;
  r[PEAK_COL.Eta] = (Math.atan2(y - ybc, z - zbc) * 180) / Math.PI;
  r[PEAK_COL.IMax] = intensity / 5;
  r[PEAK_COL.SigmaGR] = r[PEAK_COL.SigmaLR] = 0.8;
  r[PEAK_COL.SigmaGEta] = r[PEAK_COL.SigmaLEta] = (0.8 / R) * (180 / Math.PI);
  r[PEAK_COL.MU] = 0.2;
  return r;
}

/** Concatenates rows into one frame's `nPeaks × 29` array (midas/peak_table.ts layout). */
export function frameOf(rows: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(rows.length * N_PEAK_COLS);
  rows.forEach((r, i) => out.set(r, i * N_PEAK_COLS));
  return out;
}

/** Per-frame peak arrays of the fixture (frames 0, 1, 2). */
export function fixturePeakFrames(): Float64Array[] {
  return ([
    [
      peakRow(10.1, 10, 50),
      peakRow(11.3, 10, 50),
      peakRow(50, 50.2, 100),
      peakRow(80, 81.4, 5),
      peakRow(200, 200, 999),
      peakRow(20, 20.3, 30),
    ],
    [peakRow(20.2, 20, 70)],
    [peakRow(30, 30.1, 100), peakRow(32.6, 30, 60)],
  ] as Float64Array[][]).map(frameOf);
}
