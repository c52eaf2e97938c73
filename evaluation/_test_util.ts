/**
 * Assertions for evaluation/ tests: the shared ones from tests/assert.ts.
 * @module
 */
export {
  assert,
  assertAlmostEquals as assertClose,
  assertEquals,
  assertThrows,
} from "../tests/assert.ts";
