/**
 * Cache keys: a step's key is SHA-256 over its name and version, the fingerprint of the code
 * it runs, its canonical params, the content digests of its inputs and the runtime versions
 * that change results. {@link diffParts} turns two keys' parts into the sentences `why` prints.
 *
 * @example
 * ```ts
 * import { diffParts, keyOf, type KeyParts } from "./key.ts";
 * const a: KeyParts = { step: "train", version: "1", code: {}, params: { lr: 1e-4 }, inputs: {}, runtime: {} };
 * const b = { ...a, params: { lr: 3e-4 } };
 * keyOf(a) !== keyOf(b); // true
 * diffParts(a, b); // ["param lr: 0.0001 → 0.0003"]
 * ```
 * @module
 */
import { canonicalJson, sha256Hex } from "./canonical.ts";

/** Engine version: bump when the store layout or key recipe changes. */
export const ENGINE_VERSION = "1";

/** Everything a step's cache key is made of. */
export interface KeyParts {
  step: string;
  version: string;
  /** Relative source path → SHA-256, for the step's module and its local imports. */
  code: Record<string, string>;
  params: unknown;
  /** Input port → digest(s) of the wired artifacts. */
  inputs: Record<string, string | string[]>;
  runtime: Record<string, string>;
}

/** The key of a set of parts. */
export function keyOf(parts: KeyParts): string {
  return sha256Hex(canonicalJson({ engine: ENGINE_VERSION, ...parts })).slice(0, 32);
}

/** Runtime versions that can change a step's results. */
export function runtimeVersions(extra: Record<string, string> = {}): Record<string, string> {
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    platform: `${Deno.build.os}-${Deno.build.arch}`,
    ...extra,
  };
}

const show = (x: unknown) => (typeof x === "string" ? x : canonicalJson(x));
const short = (d: string | string[]): string =>
  Array.isArray(d)
    ? `[${d.map((x) => short(x)).join(", ")}]`
    : d.replace(/^(\w+:)?(.{12}).*$/, "$1$2…");

/** Human-readable differences between the parts a step was last run with and the current ones. */
export function diffParts(before: KeyParts, after: KeyParts): string[] {
  const out: string[] = [];
  if (before.step !== after.step) out.push(`step: ${before.step} → ${after.step}`);
  if (before.version !== after.version) out.push(`version: ${before.version} → ${after.version}`);
  flatDiff(before.params, after.params, "", (path, a, b) => {
    out.push(
      `param ${path}: ${a === undefined ? "(unset)" : show(a)} → ${
        b === undefined ? "(unset)" : show(b)
      }`,
    );
  });
  for (const port of union(before.inputs, after.inputs)) {
    const a = before.inputs[port];
    const b = after.inputs[port];
    if (canonicalJson(a) === canonicalJson(b)) continue;
    if (a === undefined) out.push(`input ${port}: newly wired (${short(b)})`);
    else if (b === undefined) out.push(`input ${port}: no longer wired`);
    else out.push(`input ${port}: digest ${short(a)} → ${short(b)}`);
  }
  for (const file of union(before.code, after.code)) {
    const a = before.code[file];
    const b = after.code[file];
    if (a === b) continue;
    out.push(
      a === undefined
        ? `code: ${file} now imported`
        : b === undefined
        ? `code: ${file} no longer imported`
        : `code of ${file} changed`,
    );
  }
  for (const k of union(before.runtime, after.runtime)) {
    if (before.runtime[k] !== after.runtime[k]) {
      out.push(`runtime ${k}: ${before.runtime[k] ?? "(none)"} → ${after.runtime[k] ?? "(none)"}`);
    }
  }
  return out;
}

function union(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])].sort();
}

function flatDiff(
  a: unknown,
  b: unknown,
  path: string,
  emit: (p: string, a: unknown, b: unknown) => void,
) {
  const isObj = (x: unknown): x is Record<string, unknown> =>
    x !== null && typeof x === "object" && !Array.isArray(x);
  if (isObj(a) && isObj(b)) {
    for (const k of union(a, b)) flatDiff(a[k], b[k], path ? `${path}.${k}` : k, emit);
  } else if (canonicalJson(a) !== canonicalJson(b)) emit(path || "(all)", a, b);
}
