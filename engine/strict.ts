/**
 * Unknown-key checks for valibot object schemas. `v.object` silently strips keys it does not
 * know, so a misspelled param (`nGrain: 5`) would run with the default; these helpers find such
 * keys (recursively through nested objects) and suggest the closest valid name.
 *
 * @example
 * ```ts
 * import * as v from "valibot";
 * import { unknownKeys } from "./strict.ts";
 * const s = v.object({ nGrains: v.optional(v.number(), 250) });
 * unknownKeys(s, { nGrain: 5 }); // [{ path: ["nGrain"], key: "nGrain", suggestion: "nGrains" }]
 * ```
 * @module
 */
import YAML, { LineCounter } from "yaml";

/** One key a schema does not know. */
export interface UnknownKey {
  /** Key path from the checked value's root, ending with the key. */
  path: string[];
  key: string;
  /** The closest valid name at that level, when one is close enough to be a likely typo. */
  suggestion?: string;
}

/** Levenshtein distance (insert, delete, substitute; case differences cost 1 each). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** The candidate nearest to `name` (case-insensitive first), if within a third of its length (≥ 2). */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  const ci = candidates.find((c) => c.toLowerCase() === name.toLowerCase());
  if (ci) return ci;
  let best: string | undefined, bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

type Schema = { type?: string; entries?: Record<string, Schema>; wrapped?: Schema };

/** Strips optional/nullable/nullish/default wrappers (pipes keep their root's `entries`). */
function unwrap(s: Schema): Schema {
  while (s.wrapped) s = s.wrapped;
  return s;
}

/** The keys an object schema accepts, or undefined when it is not a closed object schema. */
export function schemaKeys(schema: unknown): string[] | undefined {
  const s = unwrap(schema as Schema);
  if (!s.entries || s.type === "loose_object" || s.type === "object_with_rest") return undefined;
  return Object.keys(s.entries);
}

/**
 * Keys of `value` that `schema` would drop, recursively. `allow` names keys accepted (and
 * ignored) at any level, e.g. sr-midas's "about" strings.
 */
export function unknownKeys(
  schema: unknown,
  value: unknown,
  opts: { allow?: readonly string[] } = {},
  path: string[] = [],
): UnknownKey[] {
  const keys = schemaKeys(schema);
  if (!keys || !value || typeof value !== "object" || Array.isArray(value)) return [];
  const entries = unwrap(schema as Schema).entries!;
  const out: UnknownKey[] = [];
  for (const [k, x] of Object.entries(value as Record<string, unknown>)) {
    if (keys.includes(k)) out.push(...unknownKeys(entries[k], x, opts, [...path, k]));
    else if (!opts.allow?.includes(k)) {
      out.push({ path: [...path, k], key: k, suggestion: closestName(k, keys) });
    }
  }
  return out;
}

/** `unknown key 'nGrain' (did you mean 'nGrains'?)`, with `what` in place of "key". */
export function unknownKeyMessage(u: UnknownKey, what = "key", valid?: readonly string[]): string {
  const name = u.path.join(".");
  if (u.suggestion) return `unknown ${what} '${name}' (did you mean '${u.suggestion}'?)`;
  return `unknown ${what} '${name}'${valid ? ` (valid: ${valid.join(", ")})` : ""}`;
}

/**
 * 1-based line of a key path in YAML or JSON text (JSON is YAML), or undefined when the text
 * does not parse or has no such key.
 */
export function lineOfKey(text: string, path: readonly string[]): number | undefined {
  try {
    const lc = new LineCounter();
    const doc = YAML.parseDocument(text, { lineCounter: lc });
    const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
    const pair = (parent as { items?: { key?: { value?: unknown; range?: number[] } }[] })?.items
      ?.find((p) => p.key?.value === path[path.length - 1]);
    const at = pair?.key?.range?.[0];
    return at === undefined ? undefined : lc.linePos(at).line;
  } catch {
    return undefined;
  }
}

/**
 * Throws one Error listing every unknown key of `value` as `file:line: unknown param …`
 * (`text` is the file's YAML/JSON source, for line numbers).
 */
export function assertKnownKeys(
  schema: unknown,
  value: unknown,
  where: { file: string; text?: string; what?: string; allow?: readonly string[] },
): void {
  const bad = unknownKeys(schema, value, { allow: where.allow });
  if (bad.length === 0) return;
  const lines = bad.map((u) => {
    const line = where.text === undefined ? undefined : lineOfKey(where.text, u.path);
    return `${where.file}${line ? `:${line}` : ""}: ${unknownKeyMessage(u, where.what)}`;
  });
  throw new Error(lines.join("\n"));
}
