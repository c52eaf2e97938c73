/**
 * Test helpers for the fitting library: assertions, a seeded RNG, frame rendering with the
 * shared pseudo-Voigt, and an optional /usr/bin/python3 bridge for scipy/skimage cross-checks.
 *
 * @example
 * ```ts
 * import { gaussianRng } from "./test_util.ts";
 * const rnd = gaussianRng(1);
 * rnd(); // standard normal deviate, deterministic per seed
 * ```
 * @module
 */
export { assert, assertClose, assertEquals } from "../tests/assert.ts";
import { hasPython, runPython as runPythonScript } from "../tests/python.ts";
import { pseudoVoigt, type PseudoVoigtParams } from "../peaks/pseudo_voigt.ts";

/** Mulberry32: a small deterministic uniform RNG in [0, 1). */
export function uniformRng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal deviates (Box–Muller) from a seeded uniform RNG. */
export function gaussianRng(seed: number): () => number {
  const u = uniformRng(seed);
  return () => {
    const a = u() || 1e-300;
    return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * u());
  };
}

/** Detector pixel polar coordinates (R px, Eta deg) per midas-formats §0 (Eta > 0 at column > Ybc). */
export function rEtaOf(col: number, row: number, ybc: number, zbc: number): [number, number] {
  const dy = col - ybc;
  const dz = row - zbc;
  const r = Math.hypot(dy, dz);
  const eta = r === 0 ? 0 : (Math.acos(Math.max(-1, Math.min(1, dz / r))) * 180) / Math.PI;
  return [r, dy < 0 ? -eta : eta];
}

/** Adds a pseudo-Voigt spot given in (R, Eta) to a frame, handling the ±180° seam. */
export function renderSpot(
  frame: Float64Array,
  width: number,
  height: number,
  ybc: number,
  zbc: number,
  p: PseudoVoigtParams,
): void {
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const [r, eta] = rEtaOf(col, row, ybc, zbc);
      if (Math.abs(r - p.u0) > 30) continue;
      let dEta = eta - p.v0;
      dEta -= 360 * Math.round(dEta / 360);
      frame[row * width + col] += pseudoVoigt(p, r, p.v0 + dEta);
    }
  }
}

/**
 * Runs a Python snippet with /usr/bin/python3; returns stdout, or null if python or a module
 * it imports is missing (the cross-check is then skipped).
 */
export async function runPython(code: string, stdin: string): Promise<string | null> {
  if (!(await hasPython())) return null;
  try {
    return await runPythonScript(code, { stdin });
  } catch (e) {
    if (/ModuleNotFoundError|ImportError/.test((e as Error).message)) return null;
    throw e;
  }
}
