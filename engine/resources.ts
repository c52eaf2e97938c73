/**
 * What a step attempt asks of a batch scheduler: cores, memory, GPUs, walltime, partition,
 * account and site-specific extras. Steps declare `threads` and `memoryMB`; a workflow step may
 * override them in a `resources:` mapping, and the command line may override both
 * (`--resource key=value`). Executors that run on this machine ignore everything but the cores.
 *
 * @example
 * ```ts
 * import { mergeResources, parseResources } from "./resources.ts";
 * const r = mergeResources({ cpus: 2, mem: 512 }, parseResources({ mem: "4G", time: "1:00:00" }));
 * r.mem; // 4096
 * ```
 * @module
 */
import * as v from "valibot";

const UNITS: Record<string, number> = { K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024 };

/** Memory in MB from a number (MB) or a string with a unit (`"512M"`, `"4G"`, `"2048"`). */
export const memorySchema = v.pipe(
  v.union([v.number(), v.string()]),
  v.transform((x) => {
    if (typeof x === "number") return x;
    const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT])?B?\s*$/i.exec(x);
    return m ? Number(m[1]) * UNITS[(m[2] ?? "M").toUpperCase()] : NaN;
  }),
  v.check((x) => Number.isFinite(x) && x > 0, "expected memory in MB or with a unit, e.g. 4G"),
  v.transform((x) => Math.ceil(x)),
);

const count = v.pipe(v.number(), v.integer(), v.minValue(0));

/** Walltime as Slurm writes it (`minutes`, `MM:SS`, `HH:MM:SS`, `D-HH:MM:SS`) or minutes. */
export const walltimeSchema = v.pipe(
  v.union([v.number(), v.string()]),
  v.transform((x) => String(x)),
  v.check(
    (x) => walltimeSeconds(x) !== undefined,
    "expected walltime as minutes, MM:SS, HH:MM:SS or D-HH:MM:SS",
  ),
);

/** The `resources:` mapping of a workflow step. Unknown keys are errors (typos matter here). */
export const resourcesSchema = v.strictObject({
  /** Cores (Slurm `--cpus-per-task`); also the step's thread grant. */
  cpus: v.optional(v.pipe(count, v.minValue(1))),
  /** Memory in MB, or with a unit (`4G`). */
  mem: v.optional(memorySchema),
  gpus: v.optional(count),
  time: v.optional(walltimeSchema),
  partition: v.optional(v.string()),
  account: v.optional(v.string()),
  /** Further scheduler options, passed as they are (e.g. `["--constraint=gpu", "--qos=debug"]`). */
  extra: v.optional(v.array(v.string())),
});

/** Validated resources; memory in MB, walltime as a Slurm time string. */
export type Resources = v.InferOutput<typeof resourcesSchema>;

/** Validates a `resources:` value; throws with every problem listed. */
export function parseResources(x: unknown, where = "resources"): Resources {
  const r = v.safeParse(resourcesSchema, x ?? {});
  if (r.success) return r.output;
  throw new Error(
    r.issues.map((i) =>
      `${where}${(i.path ?? []).map((p: { key: unknown }) => `.${p.key}`).join("")}: ${i.message}`
    ).join("\n"),
  );
}

/** `key=value` pairs (CLI `--resource`) as resources; values parsed as numbers where they look so. */
export function resourcesFromPairs(pairs: readonly string[]): Resources {
  const raw: Record<string, unknown> = {};
  for (const p of pairs) {
    const eq = p.indexOf("=");
    if (eq <= 0) throw new Error(`--resource expects key=value, got '${p}'`);
    const k = p.slice(0, eq), val = p.slice(eq + 1);
    if (k === "extra") raw.extra = [...(raw.extra as string[] ?? []), val];
    else raw[k] = /^\d+(\.\d+)?$/.test(val) && k !== "time" ? Number(val) : val;
  }
  return parseResources(raw, "--resource");
}

/** Later layers win, field by field; `extra` lists are concatenated. */
export function mergeResources(...layers: (Resources | undefined)[]): Resources {
  const out: Resources = {};
  for (const l of layers) {
    if (!l) continue;
    for (const [k, x] of Object.entries(l)) {
      if (x === undefined) continue;
      if (k === "extra") out.extra = [...(out.extra ?? []), ...(x as string[])];
      else (out as Record<string, unknown>)[k] = x;
    }
  }
  return out;
}

/** Seconds of a Slurm walltime string, or undefined when it is not one. */
export function walltimeSeconds(t: string): number | undefined {
  let m = /^(\d+)-(\d+)(?::(\d+)(?::(\d+))?)?$/.exec(t);
  if (m) return ((+m[1] * 24 + +m[2]) * 60 + +(m[3] ?? 0)) * 60 + +(m[4] ?? 0);
  m = /^(\d+)(?::(\d+)(?::(\d+))?)?$/.exec(t);
  if (!m) return undefined;
  if (m[3] !== undefined) return (+m[1] * 60 + +m[2]) * 60 + +m[3]; // HH:MM:SS
  if (m[2] !== undefined) return +m[1] * 60 + +m[2]; // MM:SS
  return +m[1] * 60; // minutes
}
