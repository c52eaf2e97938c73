/**
 * Tiny assertion helpers for this folder's tests (JSR @std/assert is unreachable).
 *
 * @example
 * ```ts
 * import { assert } from "./test_assert.ts";
 * assert(1 + 1 === 2, "arithmetic");
 * ```
 * @module
 */
export { assert, assertRejects } from "../tests/assert.ts";

/** Index of the first maximum (raster order) of `x[0 … n)`. */
export function argmax(x: ArrayLike<number>, n = x.length): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (x[i] > x[best]) best = i;
  return best;
}
