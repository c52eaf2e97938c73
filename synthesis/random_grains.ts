/**
 * Seeded random grains in the manner of MIDAS `tests/generate_grains.py` (midas-formats §4.3):
 * uniform SO(3) orientations (normalised Gaussian quaternions), positions uniform in a cylinder
 * (|XY| ≤ Rsample, |Z| ≤ Hbeam/2), each lattice parameter × (1 ± U(strain)), log-normal radii.
 *
 * @example
 * ```ts
 * import { Rng } from "./noise.ts";
 * import { randomGrains } from "./random_grains.ts";
 * const grains = randomGrains(new Rng(7), { nGrains: 10 });
 * grains.length; // 10
 * ```
 * @module
 */
import type { Lattice } from "../geometry/crystal.ts";
import { orientationFromQuaternion } from "../geometry/crystal.ts";
import type { Grain } from "../geometry/grains.ts";
import type { RandomSource } from "./noise.ts";

/** Options of {@link randomGrains}. */
export interface RandomGrainOptions {
  nGrains: number;
  /** Unstrained lattice (default Au 4.08 Å cubic). */
  lattice?: Lattice;
  /** Relative lattice jitter, uniform ± (default 0.001 = 0.1 %). */
  strain?: number;
  /** Cylinder radius in the XY plane, µm (default 1000). */
  rSampleUm?: number;
  /** Cylinder height, µm (default 1000). */
  hBeamUm?: number;
  /** Median grain radius, µm (default 50), and log-normal σ of ln r (default 0.35). */
  radiusMedianUm?: number;
  radiusLogSigma?: number;
}

/** `nGrains` random grains with ids 1 … n. Deterministic for a given generator state. */
export function randomGrains(rng: RandomSource, o: RandomGrainOptions): Grain[] {
  if (!(Number.isInteger(o.nGrains) && o.nGrains >= 1)) {
    throw new Error(`randomGrains: nGrains must be a positive integer, got ${o.nGrains}`);
  }
  const lat = o.lattice ?? [4.08, 4.08, 4.08, 90, 90, 90];
  const strain = o.strain ?? 0.001;
  const rs = o.rSampleUm ?? 1000, hb = o.hBeamUm ?? 1000;
  const grains: Grain[] = [];
  for (let i = 0; i < o.nGrains; i++) {
    const q: [number, number, number, number] = [
      rng.normal(),
      rng.normal(),
      rng.normal(),
      rng.normal(),
    ];
    const rad = rs * Math.sqrt(rng.random()), phi = 2 * Math.PI * rng.random();
    const pos: [number, number, number] = [
      rad * Math.cos(phi),
      rad * Math.sin(phi),
      (rng.random() - 0.5) * hb,
    ];
    const lattice = lat.map((v) => v * (1 + strain * (2 * rng.random() - 1))) as unknown as Lattice;
    const radiusUm = (o.radiusMedianUm ?? 50) * Math.exp((o.radiusLogSigma ?? 0.35) * rng.normal());
    grains.push({ id: i + 1, om: orientationFromQuaternion(q), posUm: pos, lattice, radiusUm });
  }
  return grains;
}
