/**
 * Assertions for evaluation/ tests: the shared ones from tests/assert.ts plus `assertThrows`.
 * @module
 */
export { assert, assertAlmostEquals as assertClose, assertEquals } from "../tests/assert.ts";

/** Runs `fn` and fails unless it throws an Error whose message contains `part`. */
export function assertThrows(fn: () => unknown, part: string): void {
  try {
    fn();
  } catch (e) {
    const m = (e as Error).message;
    if (!m.includes(part)) throw new Error(`expected an error with "${part}", got "${m}"`);
    return;
  }
  throw new Error(`expected an error with "${part}", but nothing was thrown`);
}
