/**
 * Minimal assertions (JSR's @std/assert is unreachable here). Each throws with a message that
 * shows both sides.
 * @module
 */

/** Throws unless `cond` is truthy. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

/** Deep equality via canonical JSON (typed arrays compare as arrays). */
export function assertEquals(actual: unknown, expected: unknown, msg?: string): void {
  const norm = (x: unknown): unknown =>
    ArrayBuffer.isView(x) && !(x instanceof DataView)
      ? Array.from(x as unknown as ArrayLike<number>)
      : x;
  const a = JSON.stringify(norm(actual));
  const e = JSON.stringify(norm(expected));
  if (a !== e) throw new Error(`${msg ? msg + ": " : ""}expected ${e}\n           got ${a}`);
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

/** `text` contains `part` (string) or matches it (RegExp). */
export function assertMatch(text: string, part: string | RegExp, msg?: string): void {
  const ok = typeof part === "string" ? text.includes(part) : part.test(text);
  if (!ok) throw new Error(`${msg ? msg + ": " : ""}expected ${String(part)} in:\n${text}`);
}

/** Awaits `fn` and returns its error, failing if it resolves. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  part?: string | RegExp,
): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    if (part) assertMatch(err.message, part);
    return err;
  }
  throw new Error("expected a rejection, but it resolved");
}
