/**
 * Turns a step's valibot params schema and ports into command-line options, so every step runs
 * alone from the CLI with sr-midas's own flag spellings (`-midasZarrDir dir -srfac 8`) as well as
 * GNU style (`--srfac 8`, `--srfac=8`).
 * @module
 */
import YAML from "yaml";
import type { AnyStep } from "../engine/step.ts";

/** One CLI-visible param of a step. */
export interface ParamInfo {
  name: string;
  type: string;
  optional: boolean;
  default?: unknown;
  description?: string;
}

// deno-lint-ignore no-explicit-any
type AnySchema = any;

function unwrap(schema: AnySchema): { inner: AnySchema; optional: boolean; default?: unknown } {
  let s = schema;
  let optional = false;
  let def: unknown;
  while (s && (s.type === "optional" || s.type === "nullish" || s.type === "exact_optional")) {
    optional = true;
    if (s.default !== undefined) def = typeof s.default === "function" ? s.default() : s.default;
    s = s.wrapped;
  }
  return { inner: s, optional, default: def };
}

function describe(schema: AnySchema): string | undefined {
  for (const item of schema?.pipe ?? []) if (item.type === "description") return item.description;
  return undefined;
}

function typeName(s: AnySchema): string {
  if (!s) return "value";
  if (s.type === "picklist") return (s.options as unknown[]).join("|");
  if (s.type === "array") return `${typeName(unwrap(s.item).inner)}[]`;
  // A tuple reads as its items' types, comma-separated (`--frames <number,number>`).
  if (s.type === "tuple") {
    return (s.items as AnySchema[]).map((o) => typeName(unwrap(o).inner)).join(",");
  }
  if (s.type === "union") {
    return (s.options as AnySchema[]).map((o) => typeName(unwrap(o).inner)).join("|");
  }
  return s.type;
}

/** The params a step accepts, read from its object schema. */
export function paramInfo(step: AnyStep): ParamInfo[] {
  const root = unwrap(step.params).inner;
  const entries = root?.entries ?? {};
  return Object.entries(entries).map(([name, schema]) => {
    const u = unwrap(schema);
    return {
      name,
      type: typeName(u.inner),
      optional: u.optional,
      default: u.default,
      description: describe(u.inner) ?? describe(schema),
    };
  });
}

/** Parses a CLI string into the type the schema expects (numbers, booleans, lists, JSON). */
export function coerce(raw: string, info: ParamInfo | undefined): unknown {
  const t = info?.type ?? "";
  if (t === "string") return raw;
  // A list (`number[]`) or a tuple (`number,number`): JSON/YAML, or items split on commas/spaces.
  const tuple = t.includes(",") ? t.split(",") : null;
  if (t.endsWith("[]") || tuple) {
    const trimmed = raw.trim();
    if (trimmed.startsWith("[")) return YAML.parse(trimmed);
    return trimmed.split(/[\s,]+/).filter(Boolean).map((x, k) =>
      coerce(x, { ...info!, type: tuple ? tuple[k] ?? "" : t.slice(0, -2) })
    );
  }
  if (t === "boolean") {
    if (/^(1|true|t|yes|y)$/i.test(raw)) return true;
    if (/^(0|false|f|no|n)$/i.test(raw)) return false;
  }
  try {
    return YAML.parse(raw);
  } catch {
    return raw;
  }
}

/** What a step invocation asks for. */
export interface StepArgs {
  params: Record<string, unknown>;
  inputs: Record<string, string[]>;
  /** Engine options (--store, --out, --cores, --config …), kept apart from the step's. */
  engine: Record<string, string>;
  /** Where to publish copies (the step's `publishOptions`, e.g. sr-midas's `-saveDir`). */
  publish: Record<string, string>;
  /** `--resource key=value` pairs for a batch executor (repeatable), in order. */
  resource: string[];
}

const ENGINE_FLAGS = ["store", "out", "cores", "config", "executor", "verbose", "help"];
/** Steps whose sr-midas command takes the model type as a subcommand (`sr-midas-train cnnsr`). */
const MODEL_TYPE_STEPS = ["train", "hp-optimize", "predict"];
/** Engine switches that take no value. */
const ENGINE_SWITCHES = ["verbose", "help", "no-publish"];

/**
 * Parses `argv` for a step: `--name value`, `--name=value`, `-name value` (sr-midas style),
 * `--in port=path`, bare `--flag` for booleans. `aliases` maps sr-midas flag names to params
 * (`"srfac"`), input ports (`"in:scan"`), or `""` for flags accepted and ignored (`-nwork 4`).
 */
export function parseStepArgs(
  step: AnyStep,
  argv: string[],
  aliases: Record<string, string> = {},
): StepArgs {
  const params = paramInfo(step);
  const byName = new Map(params.map((p) => [p.name, p]));
  const lower = new Map(params.map((p) => [p.name.toLowerCase(), p.name]));
  const out: StepArgs = { params: {}, inputs: {}, engine: {}, publish: {}, resource: [] };
  const publishName = publishOptionLookup(step);
  const addInput = (port: string, path: string) => {
    if (!step.inputs[port]) {
      throw new Error(
        `${step.name}: unknown input '${port}' (inputs: ${
          Object.keys(step.inputs).join(", ") || "none"
        })`,
      );
    }
    // sr-midas's "None" for an optional file (`-loadChkpt None`, `-inPstPath None`): no input.
    if (step.inputs[port].optional && /^none$/i.test(path)) return;
    (out.inputs[port] ??= []).push(path);
  };
  // sr-midas's train, hp-optimize and predict take the model type first (`cnnsr`, its only one).
  const first = argv[0] === "cnnsr" && MODEL_TYPE_STEPS.includes(step.name) ? 1 : 0;
  for (let i = first; i < argv.length; i++) {
    const arg = argv[i];
    const m = /^--?([A-Za-z][\w-]*)(?:=(.*))?$/.exec(arg);
    if (!m) {
      throw new Error(
        `${step.name}: unexpected argument '${arg}' (options look like --name value)`,
      );
    }
    let name = m[1];
    const value = m[2];
    const take = () => {
      if (value !== undefined) return value;
      const next = argv[i + 1];
      if (next === undefined) throw new Error(`${step.name}: option '${arg}' needs a value`);
      i++;
      return next;
    };
    if (ENGINE_SWITCHES.includes(name)) {
      out.engine[name] = "true";
      continue;
    }
    if (name === "resource") {
      out.resource.push(take());
      continue;
    }
    if (ENGINE_FLAGS.includes(name)) {
      out.engine[name] = take();
      continue;
    }
    if (name === "in") {
      const v = take();
      const eq = v.indexOf("=");
      if (eq <= 0) throw new Error(`${step.name}: --in expects port=path, got '${v}'`);
      addInput(v.slice(0, eq), v.slice(eq + 1));
      continue;
    }
    const pub = publishName(name);
    if (pub) {
      out.publish[pub] = take();
      continue;
    }
    const alias = aliases[name] ?? aliases[name.toLowerCase()];
    if (alias === "") {
      // An sr-midas flag with no meaning here (e.g. -nwork): accepted and ignored.
      if (value === undefined && argv[i + 1] !== undefined && !argv[i + 1].startsWith("-")) i++;
      continue;
    }
    if (alias?.startsWith("in:")) {
      addInput(alias.slice(3), take());
      continue;
    }
    if (alias) name = alias;
    if (step.inputs[name]) {
      addInput(name, take());
      continue;
    }
    const canonical = byName.has(name)
      ? name
      : lower.get(name.toLowerCase()) ?? lower.get(name.replace(/-/g, "").toLowerCase());
    if (!canonical) {
      throw new Error(
        `${step.name}: unknown option '${arg}' (params: ${
          params.map((p) => p.name).join(", ")
        }; inputs: ${Object.keys(step.inputs).join(", ") || "none"})`,
      );
    }
    const info = byName.get(canonical)!;
    if (
      info.type === "boolean" && value === undefined &&
      (argv[i + 1] === undefined || argv[i + 1].startsWith("-"))
    ) {
      out.params[canonical] = true;
      continue;
    }
    if (info.type.includes("[]") && value === undefined) {
      // argparse's nargs="+": `-srfac_list 1 2 4 8` takes every value up to the next flag.
      const values = [take()];
      while (i + 1 < argv.length && !isFlag(argv[i + 1])) values.push(argv[++i]);
      out.params[canonical] = coerce(values.join(" "), info);
      continue;
    }
    out.params[canonical] = coerce(take(), info);
  }
  return out;
}

/** A flag, not a value (negative numbers are values). */
const isFlag = (arg: string) => /^--?[A-Za-z]/.test(arg);

/** Maps a flag or config key to the step's publish option of that name (case-insensitive). */
export function publishOptionLookup(step: AnyStep): (name: string) => string | undefined {
  const names = new Map((step.publishOptions ?? []).map((n) => [n.toLowerCase(), n]));
  return (name) => names.get(name.toLowerCase());
}

/** Help text listing a step's params and ports. */
export function stepHelp(step: AnyStep, aliases: Record<string, string> = {}): string {
  const lines = [`srmidas ${step.name} — ${step.description}`, "", "Params:"];
  for (const p of paramInfo(step)) {
    const def = p.default !== undefined
      ? ` (default ${JSON.stringify(p.default)})`
      : p.optional
      ? ""
      : " (required)";
    lines.push(`  --${p.name} <${p.type}>${def}${p.description ? `  ${p.description}` : ""}`);
  }
  lines.push("", "Inputs (--in port=path, or --port path):");
  for (const [k, port] of Object.entries(step.inputs)) {
    lines.push(
      `  ${k}: ${port.kind}${port.many ? " (one or more)" : ""}${
        port.optional ? " (optional)" : ""
      }${port.description ? `  ${port.description}` : ""}`,
    );
  }
  if (!Object.keys(step.inputs).length) lines.push("  (none)");
  lines.push("", "Outputs:");
  for (const [k, port] of Object.entries(step.outputs)) {
    lines.push(`  ${k}: ${port.kind} → ${port.path}`);
  }
  if (Object.keys(aliases).length) {
    lines.push("", "sr-midas flags accepted:");
    for (const [k, v] of Object.entries(aliases)) {
      lines.push(
        `  -${k} → ${
          v === "" ? "(accepted, ignored)" : v.startsWith("in:") ? `input ${v.slice(3)}` : `--${v}`
        }`,
      );
    }
  }
  lines.push(
    "",
    "Engine options: --store DIR (.srmidas) --out DIR (links to outputs) --cores N --config FILE.json|yaml --verbose",
    "  --executor local|inline|slurm|slurm-alloc, --resource key=value (batch: cpus, mem, gpus, time, partition, account, extra; repeatable)",
    ...(step.publish
      ? [
        `  --no-publish: keep the outputs in the store only (no copies in your folders)${
          step.publishOptions?.length
            ? `; where copies go: ${step.publishOptions.map((n) => `-${n}`).join(", ")}`
            : ""
        }`,
      ]
      : []),
    "",
    `Example: srmidas ${step.name} ${
      paramInfo(step).filter((p) => !p.optional).map((p) => `--${p.name} …`).join(" ")
    }`.trimEnd(),
  );
  return lines.join("\n");
}
