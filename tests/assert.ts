/**
 * The project's test assertions (JSR's @std/assert is unreachable here), shared by every
 * folder's tests; folder helpers re-export these and add only domain-specific checks. Each
 * assertion throws with a message that shows both sides.
 *
 * @example
 * ```ts
 * import { assertClose, assertEquals } from "./assert.ts";
 * assertEquals({ a: 1, b: [2] }, { b: [2], a: 1 }); // key order does not matter
 * assertClose(0.1 + 0.2, 0.3, 1e-12);
 * ```
 * @module
 */

/** Throws unless `cond` is truthy. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

/** JSON with object keys sorted and typed arrays as plain arrays: the form deep equality uses. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, x) => {
    if (ArrayBuffer.isView(x) && !(x instanceof DataView)) {
      return Array.from(x as unknown as ArrayLike<number>);
    }
    if (x && typeof x === "object" && !Array.isArray(x)) {
      return Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return x;
  });
}

/** Deep equality of plain values: objects regardless of key order, typed arrays as arrays. */
export function assertEquals(actual: unknown, expected: unknown, msg?: string): void {
  const a = canonical(actual);
  const e = canonical(expected);
  if (a !== e) {
    throw new Error(
      `${msg ? msg + ": " : ""}expected ${e.slice(0, 2000)}\n           got ${a.slice(0, 2000)}`,
    );
  }
}

/** |actual − expected| ≤ tol. */
export function assertAlmostEquals(
  actual: number,
  expected: number,
  tol = 1e-7,
  msg?: string,
): void {
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(`${msg ? msg + ": " : ""}expected ${expected} ± ${tol}, got ${actual}`);
  }
}

/** The same check as {@link assertAlmostEquals}, by the name most of the science tests use. */
export const assertClose: (actual: number, expected: number, tol: number, msg?: string) => void =
  assertAlmostEquals;

function matches(text: string, part: string | RegExp): boolean {
  return typeof part === "string" ? text.includes(part) : part.test(text);
}

/** `text` contains `part` (string) or matches it (RegExp). */
export function assertMatch(text: string, part: string | RegExp, msg?: string): void {
  if (!matches(text, part)) {
    throw new Error(`${msg ? msg + ": " : ""}expected ${String(part)} in:\n${text}`);
  }
}

/** Runs `fn` and returns its error, failing unless it throws one matching every pattern. */
export function assertThrows(fn: () => unknown, ...patterns: (string | RegExp)[]): Error {
  try {
    fn();
  } catch (e) {
    return checkError(e, patterns);
  }
  throw new Error(
    `expected an error matching ${
      patterns.map(String).join(", ") || "anything"
    }, but nothing was thrown`,
  );
}

/** Awaits `fn` and returns its error, failing unless it rejects matching every pattern. */
export async function assertRejects(
  fn: () => unknown,
  ...patterns: (string | RegExp)[]
): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    return checkError(e, patterns);
  }
  throw new Error(
    `expected a rejection matching ${
      patterns.map(String).join(", ") || "anything"
    }, but it resolved`,
  );
}

function checkError(e: unknown, patterns: (string | RegExp)[]): Error {
  const err = e instanceof Error ? e : new Error(String(e));
  for (const p of patterns) {
    if (!matches(err.message, p)) {
      throw new Error(`error does not match ${String(p)}: "${err.message}"`);
    }
  }
  return err;
}
