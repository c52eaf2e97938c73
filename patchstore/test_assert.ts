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

/** Throws `msg` unless `cond` holds. */
export function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

/** Runs `fn` and asserts it throws an Error whose message matches `re`. */
export async function assertRejects(fn: () => unknown, re: RegExp): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const m = (e as Error).message;
    if (!re.test(m)) throw new Error(`error "${m}" does not match ${re}`);
    return;
  }
  throw new Error(`expected an error matching ${re}`);
}

/** Index of the first maximum (raster order) of `x[0 … n)`. */
export function argmax(x: ArrayLike<number>, n = x.length): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (x[i] > x[best]) best = i;
  return best;
}
