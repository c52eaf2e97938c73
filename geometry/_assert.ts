/**
 * Tiny assertion helpers for tests in geometry/, synthesis/ and steps/simulate (no @std/assert:
 * JSR is unreachable).
 * @module
 */

/** Throws with `msg` unless `cond`. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

/** Throws unless `|actual − expected| ≤ tol`. */
export function assertClose(actual: number, expected: number, tol: number, what = "value"): void {
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(`${what}: expected ${expected} ± ${tol}, got ${actual}`);
  }
}

/** Throws unless `actual === expected`. */
export function assertEq<T>(actual: T, expected: T, what = "value"): void {
  if (actual !== expected) throw new Error(`${what}: expected ${expected}, got ${actual}`);
}

/** Throws unless `fn` throws an Error whose message contains `part`. */
export function assertThrows(fn: () => unknown, part: string): void {
  try {
    fn();
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (!msg.includes(part)) throw new Error(`expected error containing "${part}", got "${msg}"`);
    return;
  }
  throw new Error(`expected an error containing "${part}"`);
}
