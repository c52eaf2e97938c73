/**
 * Test helpers for the midas/ folder (there is no @std/assert: JSR is unreachable).
 *
 * @example
 * ```ts
 * import { assertEquals } from "./_test_util.ts";
 * assertEquals(1 + 1, 2);
 * ```
 * @module
 */
export { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { hasPython, runPython as runPythonScript } from "../tests/python.ts";

/** Element-wise equality of two numeric arrays (exact, or within `tol`). */
export function assertArrayEquals(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol = 0,
  msg = "",
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${msg} length ${actual.length} != expected ${expected.length}`);
  }
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= tol) && !(Number.isNaN(actual[i]) && Number.isNaN(expected[i]))) {
      throw new Error(`${msg} index ${i}: ${actual[i]} != expected ${expected[i]}`);
    }
  }
}

/** True when /usr/bin/python3 can import zarr and numcodecs (Debian python3-zarr). */
export function hasPythonZarr(): Promise<boolean> {
  return hasPython("zarr", "numcodecs");
}

/** Runs a Python script with arguments; returns stdout, throws with stderr on failure. */
export function runPython(script: string, ...args: string[]): Promise<string> {
  return runPythonScript(script, { args });
}

/** A deterministic non-square test frame whose values encode (frame, row, col). */
export function testFrame(f: number, nZ: number, nY: number, scale = 1): Float64Array {
  const a = new Float64Array(nZ * nY);
  for (let z = 0; z < nZ; z++) {
    for (let y = 0; y < nY; y++) a[z * nY + y] = (f * 1000 + z * 10 + y) * scale % 60000;
  }
  return a;
}
