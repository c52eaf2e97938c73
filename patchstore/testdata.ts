/**
 * Small synthetic peakbanks for tests and benchmarks (no MIDAS data needed).
 *
 * @example
 * ```ts
 * import { syntheticPeakbank } from "./testdata.ts";
 * const pb = syntheticPeakbank({ rings: [400, 600], perRing: 50, seed: 1 });
 * pb.length; // 100
 * ```
 * @module
 */
import { makePeakbank, type Peakbank } from "./peakbank_csv.ts";
import { Rng } from "./rng.ts";

/** Options of {@link syntheticPeakbank}. */
export interface SyntheticPeakbankOptions {
  /** Ring radii (px). */
  rings?: number[];
  /** Peaks per ring. */
  perRing?: number;
  /** Radial spread (sd, px) of peaks around their ring. */
  radialSd?: number;
  seed?: number;
}

/** A peakbank with plausible MIDAS-like peaks on a few rings; every row passes the filters. */
export function syntheticPeakbank(opts: SyntheticPeakbankOptions = {}): Peakbank {
  const { rings = [400, 600], perRing = 40, radialSd = 0.3, seed = 1 } = opts;
  const rng = new Rng(seed);
  const cols: Record<string, number[] | string[]> = {};
  const names = [
    "SpotID",
    "error_reconstruction",
    "IntegratedIntensity",
    "IMax",
    "Radius(px)",
    "Eta(degrees)",
    "BG",
    "SigmaGR",
    "SigmaLR",
    "SigmaGEta",
    "SigmaLEta",
    "MU",
  ];
  for (const n of names) cols[n] = [];
  cols.frame_id = [];
  const push = (n: string, v: number) => (cols[n] as number[]).push(v);
  let id = 0;
  for (const R of rings) {
    for (let i = 0; i < perRing; i++) {
      push("SpotID", ++id);
      push("error_reconstruction", rng.uniform(0.05, 0.3));
      push("IMax", rng.uniform(500, 5000));
      push("IntegratedIntensity", rng.uniform(2000, 40000));
      push("Radius(px)", rng.normal(R, radialSd));
      push("Eta(degrees)", rng.uniform(-170, 170));
      push("BG", rng.uniform(0, 5));
      push("SigmaGR", rng.uniform(0.6, 1.5));
      push("SigmaLR", rng.uniform(0.6, 1.5));
      push("SigmaGEta", rng.uniform(0.15, 0.5));
      push("SigmaLEta", rng.uniform(0.15, 0.5));
      push("MU", rng.uniform(0, 1));
      (cols.frame_id as string[]).push(String(i % 7).padStart(6, "0"));
    }
  }
  return makePeakbank(cols);
}
