/**
 * Assertions for tests in geometry/, synthesis/ and steps/simulate: the shared ones from
 * tests/assert.ts, plus strict `===` equality.
 * @module
 */
export { assert, assertClose, assertThrows } from "../tests/assert.ts";

/** Throws unless `actual === expected`. */
export function assertEq<T>(actual: T, expected: T, what = "value"): void {
  if (actual !== expected) throw new Error(`${what}: expected ${expected}, got ${actual}`);
}
