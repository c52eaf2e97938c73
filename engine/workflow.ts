/**
 * Workflow files: YAML DAGs of steps, parsed and validated before anything runs.
 *
 * ```yaml
 * name: demo
 * params: { seed: 1, frames: 20 }
 * steps:
 *   sim:
 *     uses: simulate
 *     with: { seed: "${params.seed}", nFrames: "${params.frames}" }
 *   peaks:
 *     uses: process
 *     in: { scan: sim.scan }            # another step's output port
 *     with: { srfac: 1 }
 *   train:
 *     uses: train
 *     matrix: { arch: ["a", "b"] }      # expands into train[arch=a] and train[arch=b]
 *     with: { arch: "${matrix.arch}" }  # (a list may also be "${params.archs}")
 *     in: { patchstore: file:data/pst.h5 }  # a file, relative to this YAML
 *     publish: { model: results/models }    # a copy of an output in a user folder
 *     resources: { cpus: 4, mem: 8G, gpus: 1, time: "2:00:00" }  # for batch executors
 * ```
 *
 * A top-level `executor: slurm` picks where steps run when the command line does not.
 *
 * Every error names the file, line, step and field. Workflow-level params are overridden from
 * the CLI with `--set key=value`; `${params.x}` alone in a value keeps x's type.
 * @module
 */
import { unknownKeyMessage, unknownKeys } from "./strict.ts";
import * as v from "valibot";
import YAML, { LineCounter } from "yaml";
import { dirname, resolve } from "node:path";
import type { AnyStep } from "./step.ts";
import type { PublishTarget } from "./publish.ts";
import { parseResources, type Resources } from "./resources.ts";

/** The keys a workflow step may have. */
const STEP_KEYS = ["uses", "with", "in", "matrix", "description", "publish", "resources"];

/** Resolves a step name (`uses:`) to its definition. */
export type StepResolver = (name: string) => Promise<AnyStep | undefined>;

/** Where an input comes from. */
export type InputSource =
  | { type: "step"; stepId: string; port: string }
  | { type: "file"; path: string };

/** A validated, expanded step instance of a workflow. */
export interface WorkflowNode {
  id: string;
  uses: string;
  step: AnyStep;
  /** Params after interpolation and schema defaults. */
  params: unknown;
  inputs: Record<string, InputSource[]>;
  /** Ids of the steps this one reads from. */
  deps: string[];
  /** Copies of outputs to make in user folders after the step commits (`publish:`). */
  publish?: PublishTarget[];
  line: number;
  /** The step's `resources:` (batch executors only). */
  resources?: Resources;
}

/** A parsed and validated workflow, nodes in a topological order. */
export interface Workflow {
  name: string;
  file: string;
  params: Record<string, unknown>;
  nodes: WorkflowNode[];
  /** The top-level `executor:` (e.g. `slurm`); the command line's `--executor` wins. */
  executor?: string;
}

/** One problem found while validating; rendered as `file:line: step 'x': field: message`. */
export interface WorkflowIssue {
  file: string;
  line: number;
  step?: string;
  field?: string;
  message: string;
}

/** Thrown when a workflow is invalid; lists every issue found. */
export class WorkflowError extends Error {
  constructor(readonly issues: WorkflowIssue[]) {
    super(issues.map(formatIssue).join("\n"));
    this.name = "WorkflowError";
  }
}

/** `file:line: step 'x': field 'y': message`. */
export function formatIssue(i: WorkflowIssue): string {
  const where = [i.step ? `step '${i.step}'` : "", i.field ? `field '${i.field}'` : ""]
    .filter(Boolean).join(", ");
  return `${i.file}:${i.line}: ${where ? where + ": " : ""}${i.message}`;
}

type Path = (string | number)[];

/** Options for {@link loadWorkflow} and {@link parseWorkflow}. */
export interface LoadOptions {
  resolveStep: StepResolver;
  /** `key=value` overrides of workflow params (values parsed as YAML scalars). */
  set?: string[];
}

/** Reads and validates a workflow YAML file. */
export async function loadWorkflow(file: string, opts: LoadOptions): Promise<Workflow> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    throw new WorkflowError([{ file, line: 0, message: `cannot read workflow file: ${e}` }]);
  }
  return parseWorkflow(text, resolve(file), opts);
}

/** Validates workflow YAML text; `file` names it in errors and anchors relative paths. */
export async function parseWorkflow(
  text: string,
  file: string,
  opts: LoadOptions,
): Promise<Workflow> {
  const lc = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const issues: WorkflowIssue[] = [];
  // The line of a mapping key (where a person looks for a field), else of its value.
  type Ranged = { range?: [number, number, number] };
  const lineOf = (path: Path): number => {
    for (let p = path; p.length > 0; p = p.slice(0, -1)) {
      const parent = doc.getIn(p.slice(0, -1), true) as {
        items?: { key?: Ranged & { value?: unknown } }[];
      } | undefined;
      const pair = parent?.items?.find((it) => it.key?.value === p[p.length - 1]);
      if (pair?.key?.range) return lc.linePos(pair.key.range[0]).line;
      const node = doc.getIn(p, true) as Ranged | undefined;
      if (node?.range) return lc.linePos(node.range[0]).line;
    }
    return 1;
  };
  const issue = (path: Path, message: string, step?: string, field?: string) =>
    issues.push({ file, line: lineOf(path), step, field, message });

  for (const e of doc.errors) {
    issues.push({
      file,
      line: lc.linePos(e.pos[0]).line,
      message: `YAML: ${e.message.split("\n")[0]}`,
    });
  }
  if (issues.length) throw new WorkflowError(issues);
  const raw = doc.toJS() as Record<string, unknown> | null;
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
    throw new WorkflowError([{ file, line: 1, message: "expected a mapping with 'steps'" }]);
  }
  for (const k of Object.keys(raw)) {
    if (!["name", "description", "params", "steps", "executor"].includes(k)) {
      issue(
        [k],
        `unknown top-level key '${k}' (expected name, description, params, steps, executor)`,
      );
    }
  }
  const params: Record<string, unknown> = { ...(isRecord(raw.params) ? raw.params : {}) };
  if (raw.executor !== undefined && typeof raw.executor !== "string") {
    issue(["executor"], "executor must be a name (local, inline, slurm)");
  }
  if (raw.params !== undefined && !isRecord(raw.params)) {
    issue(["params"], "params must be a mapping");
  }
  for (const s of opts.set ?? []) {
    const eq = s.indexOf("=");
    const key = eq > 0 ? s.slice(0, eq) : "";
    if (!key) {
      issues.push({ file, line: 0, field: s, message: "--set expects key=value" });
    } else if (!(key in params)) {
      issues.push({
        file,
        line: lineOf(["params"]),
        field: key,
        message: `--set names unknown workflow param '${key}' (known: ${
          Object.keys(params).join(", ") || "none"
        })`,
      });
    } else params[key] = YAML.parse(s.slice(eq + 1));
  }
  if (!isRecord(raw.steps) || Object.keys(raw.steps).length === 0) {
    issue(["steps"], "expected a non-empty 'steps' mapping");
    throw new WorkflowError(issues);
  }

  // 1. Expand matrices into concrete instances.
  interface Instance {
    id: string;
    name: string;
    matrix: Record<string, unknown>;
    body: Record<string, unknown>;
  }
  const instances: Instance[] = [];
  const byName = new Map<string, Instance[]>();
  for (const [name, body] of Object.entries(raw.steps)) {
    if (!/^[A-Za-z_][\w-]*$/.test(name)) issue(["steps", name], `invalid step id '${name}'`, name);
    if (!isRecord(body)) {
      issue(["steps", name], "a step must be a mapping with 'uses'", name);
      continue;
    }
    for (const k of Object.keys(body)) {
      if (!STEP_KEYS.includes(k)) {
        issue(
          ["steps", name, k],
          `unknown key '${k}' (expected ${
            STEP_KEYS.filter((x) => x !== "description").join(", ")
          })`,
          name,
          k,
        );
      }
    }
    // A matrix list may come from a workflow param (`arch: "${params.archs}"`), so one
    // `--set archs=[a, b]` widens every step that branches on it.
    let matrix: unknown = body.matrix;
    try {
      matrix = interpolate(body.matrix, { params, matrix: {} });
    } catch (e) {
      issue(["steps", name, "matrix"], (e as Error).message, name, "matrix");
      continue;
    }
    const combos = expandMatrix(matrix);
    if (combos === null) {
      issue(["steps", name, "matrix"], "matrix must map names to non-empty lists", name, "matrix");
      continue;
    }
    const list = combos.map((m) => ({
      id: Object.keys(m).length
        ? `${name}[${Object.entries(m).map(([k, x]) => `${k}=${x}`).join(",")}]`
        : name,
      name,
      matrix: m,
      body,
    }));
    instances.push(...list);
    byName.set(name, list);
  }

  // 2. Resolve steps, interpolate and validate params, wire inputs.
  const nodes: WorkflowNode[] = [];
  const baseDir = dirname(file);
  for (const inst of instances) {
    const { name, body } = inst;
    const usesPath = ["steps", name, "uses"];
    if (typeof body.uses !== "string") {
      issue(["steps", name], "missing 'uses' (the step to run)", name, "uses");
      continue;
    }
    const step = await opts.resolveStep(body.uses);
    if (!step) {
      issue(usesPath, `unknown step '${body.uses}'`, name, "uses");
      continue;
    }
    const ctx = { params, matrix: inst.matrix };
    let withVals: unknown = {};
    if (body.with !== undefined && !isRecord(body.with)) {
      issue(["steps", name, "with"], "'with' must be a mapping of params", name, "with");
    } else {
      try {
        withVals = interpolate(body.with ?? {}, ctx);
      } catch (e) {
        issue(["steps", name, "with"], (e as Error).message, name, "with");
      }
    }
    // v.object drops unknown keys silently: a misspelled param would run with its default.
    for (const u of unknownKeys(step.params, withVals)) {
      const field = u.path.join(".");
      issue(["steps", name, "with", ...u.path], unknownKeyMessage(u, "param"), inst.id, field);
    }
    const parsed = v.safeParse(step.params, withVals);
    if (!parsed.success) {
      for (const is of parsed.issues) {
        const keyPath = (is.path ?? []).map((p: { key: unknown }) => p.key as string | number);
        const field = keyPath.join(".") || "with";
        issue(["steps", name, "with", ...keyPath], `${is.message}`, inst.id, field);
      }
    }
    let resources: Resources | undefined;
    if (body.resources !== undefined) {
      try {
        resources = parseResources(interpolate(body.resources, ctx), "resources");
      } catch (e) {
        issue(["steps", name, "resources"], (e as Error).message, inst.id, "resources");
      }
    }
    const inputs: Record<string, InputSource[]> = {};
    const deps = new Set<string>();
    const wiring = body.in ?? {};
    if (!isRecord(wiring)) {
      issue(["steps", name, "in"], "'in' must map input ports to sources", name, "in");
    } else {
      for (const [port, src] of Object.entries(wiring)) {
        const path = ["steps", name, "in", port];
        const decl = step.inputs[port];
        if (!decl) {
          issue(
            path,
            `unknown input port '${port}' of step '${step.name}' (ports: ${
              Object.keys(step.inputs).join(", ") || "none"
            })`,
            inst.id,
            `in.${port}`,
          );
          continue;
        }
        const list = Array.isArray(src) ? src : [src];
        if (list.length > 1 && !decl.many) {
          issue(
            path,
            `input '${port}' takes one source, got ${list.length}`,
            inst.id,
            `in.${port}`,
          );
        }
        const sources: InputSource[] = [];
        for (const s0 of list) {
          let s: unknown;
          try {
            s = interpolate(s0, ctx);
          } catch (e) {
            issue(path, (e as Error).message, inst.id, `in.${port}`);
            continue;
          }
          if (typeof s !== "string") {
            issue(
              path,
              `expected 'step.port' or 'file:path', got ${JSON.stringify(s)}`,
              inst.id,
              `in.${port}`,
            );
            continue;
          }
          if (s.startsWith("file:")) {
            sources.push({ type: "file", path: resolve(baseDir, s.slice(5)) });
            continue;
          }
          const m = /^([A-Za-z_][\w-]*)(\[[^\]]*\])?\.([\w-]+)$/.exec(s);
          if (!m) {
            issue(path, `expected 'step.port' or 'file:path', got '${s}'`, inst.id, `in.${port}`);
            continue;
          }
          const [, refName, sel, refPort] = m;
          const targets = byName.get(refName);
          if (!targets) {
            issue(path, `unknown step '${refName}' in '${s}'`, inst.id, `in.${port}`);
            continue;
          }
          const chosen = sel
            ? targets.filter((t) => t.id === `${refName}${sel}`)
            : targets.filter((t) =>
              Object.entries(t.matrix).every(([k, x]) =>
                !(k in inst.matrix) || inst.matrix[k] === x
              )
            );
          if (chosen.length === 0) {
            issue(path, `no instance of '${refName}' matches '${s}'`, inst.id, `in.${port}`);
            continue;
          }
          if (chosen.length > 1 && !decl.many) {
            issue(
              path,
              `'${s}' matches ${chosen.length} matrix instances (${
                chosen.map((c) => c.id).join(", ")
              }); name one, e.g. ${chosen[0].id}.${refPort}`,
              inst.id,
              `in.${port}`,
            );
            continue;
          }
          for (const c of chosen) {
            if (c.id === inst.id) {
              issue(path, `step reads its own output '${s}'`, inst.id, `in.${port}`);
              continue;
            }
            sources.push({ type: "step", stepId: c.id, port: refPort });
            deps.add(c.id);
          }
        }
        inputs[port] = sources;
      }
    }
    for (const [port, decl] of Object.entries(step.inputs)) {
      if (!decl.optional && !(port in inputs)) {
        issue(
          ["steps", name],
          `missing required input '${port}' (${decl.kind})`,
          inst.id,
          `in.${port}`,
        );
      }
    }
    const publish = parsePublish(
      body.publish,
      step,
      ctx,
      baseDir,
      (path, msg) => issue(["steps", name, "publish", ...path], msg, inst.id, "publish"),
    );
    nodes.push({
      id: inst.id,
      uses: body.uses,
      step,
      params: parsed.success ? parsed.output : withVals,
      inputs,
      deps: [...deps],
      ...(publish.length ? { publish } : {}),
      line: lineOf(["steps", name]),
      ...(resources ? { resources } : {}),
    });
  }

  // 3. Port kinds must match across edges.
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const n of nodes) {
    for (const [port, sources] of Object.entries(n.inputs)) {
      for (const s of sources) {
        if (s.type !== "step") continue;
        const up = byId.get(s.stepId);
        if (!up) continue;
        const out = up.step.outputs[s.port];
        const want = n.step.inputs[port].kind;
        const path = ["steps", n.id.replace(/\[.*$/, ""), "in", port];
        if (!out) {
          issue(
            path,
            `step '${s.stepId}' (${up.uses}) has no output '${s.port}' (outputs: ${
              Object.keys(up.step.outputs).join(", ")
            })`,
            n.id,
            `in.${port}`,
          );
        } else if (!kindsMatch(out.kind, want)) {
          issue(
            path,
            `kind mismatch: '${s.stepId}.${s.port}' is ${out.kind}, input '${port}' expects ${want}`,
            n.id,
            `in.${port}`,
          );
        }
      }
    }
  }

  // 4. Cycles.
  const order = topoOrder(nodes);
  if (!order.ok) {
    issues.push({
      file,
      line: byId.get(order.cycle[0])?.line ?? 1,
      step: order.cycle[0],
      message: `cycle: ${[...order.cycle, order.cycle[0]].join(" → ")}`,
    });
  }
  if (issues.length) throw new WorkflowError(issues);
  const name = typeof raw.name === "string"
    ? raw.name
    : file.replace(/^.*\//, "").replace(/\.ya?ml$/, "");
  const executor = typeof raw.executor === "string" ? raw.executor : undefined;
  return {
    name,
    file,
    params,
    nodes: order.ok ? order.nodes : nodes,
    ...(executor ? { executor } : {}),
  };
}

/**
 * `publish:` of a workflow step: `{port: dest}` or `{port: {from: sub/path, to: dest}}` (a list
 * of those publishes several copies); destinations are relative to the YAML file.
 */
function parsePublish(
  raw: unknown,
  step: AnyStep,
  ctx: { params: Record<string, unknown>; matrix: Record<string, unknown> },
  baseDir: string,
  issue: (path: Path, msg: string) => void,
): PublishTarget[] {
  if (raw === undefined) return [];
  if (!isRecord(raw)) {
    issue([], "'publish' must map output ports to destination folders");
    return [];
  }
  const out: PublishTarget[] = [];
  for (const [port, spec0] of Object.entries(raw)) {
    if (!step.outputs[port]) {
      issue([port], `unknown output '${port}' (outputs: ${Object.keys(step.outputs).join(", ")})`);
      continue;
    }
    let spec: unknown;
    try {
      spec = interpolate(spec0, ctx);
    } catch (e) {
      issue([port], (e as Error).message);
      continue;
    }
    for (const one of Array.isArray(spec) ? spec : [spec]) {
      const to = typeof one === "string" ? one : isRecord(one) ? one.to : undefined;
      const from = isRecord(one) ? one.from : undefined;
      if (typeof to !== "string" || (from !== undefined && typeof from !== "string")) {
        issue([port], "expected a destination path or {from: path inside the output, to: path}");
        continue;
      }
      out.push({ port, ...(from ? { from } : {}), to: resolve(baseDir, to) });
    }
  }
  return out;
}

function kindsMatch(have: string, want: string): boolean {
  return have === want || want === "file" || (want === "dir" && have !== "file" && have !== "text");
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && !Array.isArray(x);
}

function expandMatrix(m: unknown): Record<string, unknown>[] | null {
  if (m === undefined) return [{}];
  if (!isRecord(m)) return null;
  let combos: Record<string, unknown>[] = [{}];
  for (const [k, vals] of Object.entries(m)) {
    if (!Array.isArray(vals) || vals.length === 0) return null;
    combos = combos.flatMap((c) => vals.map((x) => ({ ...c, [k]: x })));
  }
  return combos;
}

const WHOLE = /^\$\{(params|matrix)\.([\w-]+)\}$/;
const PART = /\$\{(params|matrix)\.([\w-]+)\}/g;

/** Substitutes `${params.x}` / `${matrix.x}`; a value that is only a reference keeps its type. */
export function interpolate(
  value: unknown,
  ctx: { params: Record<string, unknown>; matrix: Record<string, unknown> },
): unknown {
  const look = (scope: string, key: string) => {
    const src = scope === "params" ? ctx.params : ctx.matrix;
    if (!(key in src)) throw new Error(`\${${scope}.${key}} is not defined`);
    return src[key];
  };
  if (typeof value === "string") {
    const whole = WHOLE.exec(value);
    if (whole) return look(whole[1], whole[2]);
    return value.replace(PART, (_, s, k) => String(look(s, k)));
  }
  if (Array.isArray(value)) return value.map((x) => interpolate(x, ctx));
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, interpolate(x, ctx)]));
  }
  return value;
}

/** Kahn's algorithm; on failure returns one cycle's members. */
export function topoOrder(
  nodes: WorkflowNode[],
): { ok: true; nodes: WorkflowNode[] } | { ok: false; cycle: string[] } {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const indeg = new Map(nodes.map((n) => [n.id, n.deps.filter((d) => byId.has(d)).length]));
  const users = new Map<string, string[]>();
  for (const n of nodes) for (const d of n.deps) users.set(d, [...(users.get(d) ?? []), n.id]);
  const queue = nodes.filter((n) => indeg.get(n.id) === 0).map((n) => n.id);
  const out: WorkflowNode[] = [];
  while (queue.length) {
    const id = queue.shift()!;
    out.push(byId.get(id)!);
    for (const u of users.get(id) ?? []) {
      indeg.set(u, indeg.get(u)! - 1);
      if (indeg.get(u) === 0) queue.push(u);
    }
  }
  if (out.length === nodes.length) return { ok: true, nodes: out };
  // Walk back along unresolved deps from any remaining node until a node repeats.
  const left = new Set(nodes.filter((n) => !out.includes(n)).map((n) => n.id));
  let cur = [...left][0];
  const path: string[] = [];
  while (!path.includes(cur)) {
    path.push(cur);
    cur = byId.get(cur)!.deps.find((d) => left.has(d))!;
  }
  return { ok: false, cycle: path.slice(path.indexOf(cur)).reverse() };
}

/** The DAG as a Mermaid flowchart. */
export function toMermaid(wf: Workflow): string {
  const safe = (id: string) => id.replace(/[^\w]/g, "_");
  const lines = ["flowchart LR"];
  for (const n of wf.nodes) lines.push(`  ${safe(n.id)}["${n.id}<br/><small>${n.uses}</small>"]`);
  for (const n of wf.nodes) {
    for (const [port, srcs] of Object.entries(n.inputs)) {
      for (const s of srcs) {
        if (s.type === "step") {
          lines.push(`  ${safe(s.stepId)} -- "${s.port}→${port}" --> ${safe(n.id)}`);
        } else {
          const f = `file_${safe(s.path)}`;
          lines.push(`  ${f}[("${s.path.replace(/^.*\//, "")}")] -- "${port}" --> ${safe(n.id)}`);
        }
      }
    }
  }
  return lines.join("\n") + "\n";
}
