/**
 * Small assertion helpers for the nn tests (no @std/assert: JSR is unreachable).
 * @module
 */
export { assert, assertClose, assertThrows } from "../tests/assert.ts";
import { hasPython, PYTHON } from "../tests/python.ts";

/** Relative L2 error ‖a − b‖ / ‖b‖. */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-300));
}

/** Deterministic pseudo-random floats in [lo, hi) (test data only). */
export function testData(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  let s = seed >>> 0 || 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = lo + ((s >>> 0) / 4294967296) * (hi - lo);
  }
  return out;
}

/** `/usr/bin/python3` with all `modules` importable, else null (optional cross-checks). */
export async function pythonWith(...modules: string[]): Promise<string | null> {
  return (await hasPython(...modules)) ? PYTHON : null;
}
