/**
 * Planning and running workflows: cache lookups, parallel scheduling within the machine's
 * cores, atomic commits, resume, and `why`.
 *
 * @example
 * ```ts ignore
 * import { Store } from "./store.ts";
 * import { loadWorkflow } from "./workflow.ts";
 * import { runWorkflow } from "./runner.ts";
 * const wf = await loadWorkflow("workflows/demo.yaml", { resolveStep });
 * const res = await runWorkflow(wf, { store: await new Store(".srmidas").init() });
 * ```
 * @module
 */
import { hostname } from "node:os";
import { basename, join, relative, resolve } from "node:path";
import { codeFingerprint } from "./fingerprint.ts";
import { DigestCache, digestPath, digestSelected } from "./hash.ts";
import { publishDir, type PublishReport } from "./publish.ts";
import { diffParts, keyOf, type KeyParts, runtimeVersions } from "./key.ts";
import type { Manifest, Store } from "./store.ts";
import type { EngineEvent, EventInit, EventSink } from "./events.ts";
import { type Executor, LocalExecutor, type Task, type TaskHandle } from "./executor.ts";
import type { Workflow, WorkflowNode } from "./workflow.ts";
import { tempPathBeside } from "./temp_name.ts";

/** Options shared by plan, run and why. */
export interface EngineOptions {
  store: Store;
  executor?: Executor;
  /** Cores the scheduler may hand out (default: all). */
  cores?: number;
  /** Memory the scheduler may hand out, in MB (default: 80 % of the machine's). */
  memoryMB?: number;
  events?: EventSink;
  signal?: AbortSignal;
  /** Directory where `<stepId>` links to committed outputs are (re)made after the run. */
  linkDir?: string;
  /**
   * Also keep `<stepId>.<key prefix>` links, one per distinct run, so a later run with other
   * params re-points `<stepId>` without losing the earlier result (single-step CLI runs).
   */
  linkPerKey?: boolean;
  /** Versions added to every key's runtime part (e.g. ORT's). */
  runtime?: Record<string, string>;
}

/** What a step would do now. */
export interface PlanEntry {
  id: string;
  uses: string;
  status: "cached" | "run";
  key?: string;
  /** Why it runs: key differences against the last run, or the upstream it waits on. */
  reasons: string[];
}

/** Outcome of a run. */
export interface RunResult {
  ok: boolean;
  runId: string;
  ran: string[];
  cached: string[];
  failed: { id: string; error: string }[];
  skipped: string[];
  /** stepId → port → absolute path of the committed output. */
  outputs: Record<string, Record<string, string>>;
  /** Copies made in user folders (`publish`), per step. */
  published: Record<string, PublishReport[]>;
}

type Outputs = Manifest["outputs"];

class KeyResolver {
  #code = new Map<string, Promise<Record<string, string>>>();
  constructor(readonly digests: DigestCache, readonly runtime: Record<string, string>) {}

  code(node: WorkflowNode): Promise<Record<string, string>> {
    const url = node.step.module;
    if (!url) return Promise.resolve({});
    let p = this.#code.get(url);
    if (!p) {
      p = codeFingerprint(url).then((f) => f.files);
      this.#code.set(url, p);
    }
    return p;
  }

  /** Key parts of a node given its upstream outputs, or the upstream ids still unknown. */
  async parts(
    node: WorkflowNode,
    upstream: (id: string) => Outputs | undefined,
  ): Promise<{ parts: KeyParts; paths: Task["inputs"] } | { waiting: string[] }> {
    const inputs: KeyParts["inputs"] = {};
    const paths: Task["inputs"] = {};
    const waiting: string[] = [];
    for (const [port, srcs] of Object.entries(node.inputs)) {
      const ds: string[] = [];
      const ps: string[] = [];
      for (const s of srcs) {
        if (s.type === "file") {
          const contents = node.step.inputs[port]?.contents;
          try {
            ds.push(
              contents
                ? await digestSelected(s.path, await contents(s.path, node.params), this.digests)
                : await digestPath(s.path, this.digests),
            );
          } catch (e) {
            const msg = (e as Error).message;
            throw new Error(
              `step '${node.id}': input '${port}': ${
                msg.startsWith(s.path) ? msg : `cannot read ${s.path}: ${msg}`
              }`,
              { cause: e },
            );
          }
          ps.push(s.path);
        } else {
          const out = upstream(s.stepId);
          if (!out) {
            waiting.push(s.stepId);
            continue;
          }
          const o = out[s.port];
          if (!o) {
            throw new Error(
              `step '${node.id}': upstream '${s.stepId}' committed no output '${s.port}'`,
            );
          }
          ds.push(o.digest);
          ps.push(o.path);
        }
      }
      const many = node.step.inputs[port]?.many;
      inputs[port] = many ? ds : ds[0];
      paths[port] = many ? ps : ps[0];
    }
    if (waiting.length) return { waiting: [...new Set(waiting)] };
    const parts: KeyParts = {
      step: node.step.name,
      version: node.step.version,
      code: await this.code(node),
      params: node.params,
      inputs,
      runtime: { ...runtimeVersions(), ...this.runtime },
    };
    return { parts, paths };
  }
}

async function resolver(opts: EngineOptions) {
  return new KeyResolver(await DigestCache.load(opts.store.digestCachePath), opts.runtime ?? {});
}

/** Committed output paths of a manifest, made absolute. */
function absOutputs(store: Store, m: Manifest): Outputs {
  const dir = store.objectDir(m.key);
  return Object.fromEntries(
    Object.entries(m.outputs).map(([k, o]) => [k, { ...o, path: join(dir, o.path) }]),
  );
}

/** Says, without running anything, which steps are cached and which will run and why. */
export async function planWorkflow(wf: Workflow, opts: EngineOptions): Promise<PlanEntry[]> {
  const res = await resolver(opts);
  const known = new Map<string, Outputs>();
  const entries: PlanEntry[] = [];
  for (const node of wf.nodes) {
    const r = await res.parts(node, (id) => known.get(id));
    if ("waiting" in r) {
      entries.push({
        id: node.id,
        uses: node.uses,
        status: "run",
        reasons: r.waiting.map((w) => `upstream '${w}' will run first`),
      });
      continue;
    }
    const key = keyOf(r.parts);
    const m = await opts.store.manifest(key);
    if (m) {
      known.set(node.id, absOutputs(opts.store, m));
      entries.push({ id: node.id, uses: node.uses, status: "cached", key, reasons: [] });
    } else {
      const rec = await opts.store.readRecord(wf.name, node.id);
      const reasons = rec ? diffParts(rec.parts, r.parts) : [`never run in workflow '${wf.name}'`];
      if (rec && reasons.length === 0) {
        reasons.push("same key as the last run, but its output is gone (gc'd or never committed)");
      }
      entries.push({ id: node.id, uses: node.uses, status: "run", key, reasons });
    }
  }
  await res.digests.save();
  return entries;
}

/** Why `stepId` would (not) run: the key differences against its last run, field by field. */
export async function whyStep(
  wf: Workflow,
  stepId: string,
  opts: EngineOptions,
): Promise<string[]> {
  const node = wf.nodes.find((n) => n.id === stepId);
  if (!node) {
    throw new Error(
      `${wf.file}: no step '${stepId}' (steps: ${wf.nodes.map((n) => n.id).join(", ")})`,
    );
  }
  const plan = await planWorkflow(wf, opts);
  const me = plan.find((p) => p.id === stepId)!;
  if (me.status === "cached") return [`'${stepId}' is cached (key ${me.key}): nothing changed`];
  const lines = [`'${stepId}' will run:`, ...me.reasons.map((r) => `  - ${r}`)];
  // Explain upstream reasons too, so the root cause is on screen.
  const seen = new Set<string>();
  const explain = (id: string, depth: number) => {
    const p = plan.find((x) => x.id === id);
    if (!p || p.status === "cached" || seen.has(id)) return;
    seen.add(id);
    lines.push(`${"  ".repeat(depth)}'${id}' will run:`);
    for (const r of p.reasons) lines.push(`${"  ".repeat(depth + 1)}- ${r}`);
    const n = wf.nodes.find((x) => x.id === id)!;
    for (const d of n.deps) explain(d, depth + 1);
  };
  for (const d of node.deps) explain(d, 1);
  return lines;
}

/** Runs a workflow: cached steps are restored, the rest run in parallel within `cores`. */
export async function runWorkflow(wf: Workflow, opts: EngineOptions): Promise<RunResult> {
  const store = opts.store;
  const executor: Executor = opts.executor ?? new LocalExecutor();
  const cores = Math.max(
    1,
    opts.cores ?? executor.capacity?.cores ?? navigator.hardwareConcurrency ?? 1,
  );
  const runId = `${
    new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "")
  }-${Deno.pid}-${Math.random().toString(36).slice(2, 6)}`;
  const logFile = await Deno.open(store.logPath(runId), { create: true, append: true });
  const enc = new TextEncoder();
  const emit = (e: EventInit) => {
    const ev = { ...e, t: Date.now() } as EngineEvent;
    logFile.writeSync(enc.encode(JSON.stringify(ev) + "\n"));
    opts.events?.(ev);
  };
  const t0 = Date.now();
  emit({ type: "run-start", runId, workflow: wf.name, steps: wf.nodes.length });
  const res = await resolver(opts);
  const outputs = new Map<string, Outputs>();
  const committedKeys = new Map<string, string>();
  const result: RunResult = {
    ok: true,
    runId,
    ran: [],
    cached: [],
    failed: [],
    skipped: [],
    outputs: {},
    published: {},
  };
  const state = new Map<string, "waiting" | "running" | "done" | "failed" | "skipped">(
    wf.nodes.map((n) => [n.id, "waiting"]),
  );
  const running = new Map<
    string,
    { promise: Promise<void>; threads: number; handle?: TaskHandle }
  >();
  const memBudget = opts.memoryMB ?? executor.capacity?.memoryMB ??
    Math.floor((Deno.systemMemoryInfo().total * 0.8) / 1e6);
  let used = 0;
  let usedMem = 0;
  const onAbort = () => {
    for (const r of running.values()) r.handle?.cancel();
  };
  opts.signal?.addEventListener("abort", onAbort);

  const threadsOf = (n: WorkflowNode) => {
    const t = typeof n.step.threads === "function"
      ? n.step.threads(n.params)
      : (n.step.threads ?? 1);
    return Math.max(1, Math.min(cores, Math.floor(t)));
  };

  const memoryOf = (n: WorkflowNode) => {
    const m = typeof n.step.memoryMB === "function"
      ? n.step.memoryMB(n.params)
      : (n.step.memoryMB ?? 512);
    return Math.max(0, Math.min(memBudget, m));
  };

  // A cached object that fails its integrity check is dropped and the step re-runs.
  const damaged = (stepId: string, key: string) => (problems: string[]) =>
    emit({
      type: "step-log",
      stepId,
      level: "warn",
      msg: `cached output ${key} is damaged (${problems.slice(0, 3).join("; ")}); re-running`,
    });

  const skipDependents = (id: string) => {
    for (const n of wf.nodes) {
      if (state.get(n.id) === "waiting" && n.deps.includes(id)) {
        state.set(n.id, "skipped");
        result.skipped.push(n.id);
        emit({ type: "step-skipped", stepId: n.id, reason: `upstream '${id}' failed` });
        skipDependents(n.id);
      }
    }
  };

  /** Publishes a finished step's outputs where its node asks (after commit or a cache hit). */
  const publishNode = async (node: WorkflowNode, key: string) => {
    const outs = outputs.get(node.id)!;
    for (const t of node.publish ?? []) {
      const src = t.from ? join(outs[t.port].path, t.from) : outs[t.port].path;
      const what = `'${t.port}${t.from ? `/${t.from}` : ""}'`;
      const object = await insideDir(t.to, store.root) ? store.root : await storeObjectOf(t.to);
      if (object) {
        // A scan that is itself a store object (e.g. `out/simulate/scan`, of this store or
        // another): never written into.
        const msg = `not published to ${t.to}: it lies inside the store${
          object === store.root ? "" : ` object ${object}`
        }, whose objects never change`;
        if (t.soft) {
          emit({ type: "step-log", stepId: node.id, level: "warn", msg });
          continue;
        }
        throw new Error(`the results are committed in the store (${store.objectDir(key)}); ${msg}`);
      }
      let r: PublishReport;
      try {
        r = await publishDir(src, t.to, res.digests);
        await store.recordPublished({
          dest: resolve(t.to),
          key,
          stepId: node.id,
          workflow: wf.name,
        });
      } catch (e) {
        throw new Error(
          `the results are committed in the store (${
            store.objectDir(key)
          }), but publishing ${what} to ${t.to} failed: ${(e as Error).message}`,
        );
      }
      (result.published[node.id] ??= []).push(r);
      emit({
        type: "step-published",
        stepId: node.id,
        to: r.to,
        copied: r.copied.length,
        unchanged: r.unchanged,
        movedAside: r.movedAside,
      });
    }
  };

  const execute = async (
    node: WorkflowNode,
    parts: KeyParts,
    paths: Task["inputs"],
    threads: number,
    memoryMB: number,
  ) => {
    const key = keyOf(parts);
    const release = await store.lock(key, opts.signal, (h) =>
      emit({
        type: "step-log",
        stepId: node.id,
        level: "warn",
        msg: `waiting for ${node.id} held by pid ${h.pid} on host ${h.host} since ${h.at}`,
      }));
    try {
      const existing = await store.restorable(key, damaged(node.id, key));
      if (existing) {
        // Another run committed it while we waited for the lock.
        outputs.set(node.id, absOutputs(store, existing));
        committedKeys.set(node.id, key);
        result.cached.push(node.id);
        emit({ type: "step-cached", stepId: node.id, key });
        await publishNode(node, key);
        return;
      }
      const staging = await store.staging(key, runId);
      const checkpointDir = store.checkpointDir(key);
      let resumed = false;
      try {
        for await (const _ of Deno.readDir(checkpointDir)) {
          resumed = true;
          break;
        }
      } catch { /* no checkpoint yet */ }
      const started = new Date();
      emit({ type: "step-start", stepId: node.id, key, threads, resumed });
      const task: Task = {
        stepId: node.id,
        stepName: node.step.name,
        stepModule: node.step.module ?? "",
        key,
        params: node.params,
        inputs: paths,
        outDir: staging,
        outputs: Object.fromEntries(
          Object.entries(node.step.outputs).map(([k, o]) => [k, join(staging, o.path)]),
        ),
        checkpointDir,
        threads,
        memoryMB,
        resources: node.resources,
      };
      if (!task.stepModule && executor.name !== "inline") {
        throw new Error(`step '${node.step.name}' has no 'module' (set module: import.meta.url)`);
      }
      const handle = executor.submit(task, emit);
      running.get(node.id)!.handle = handle;
      // A failed attempt leaves no staging dir (and no empty checkpoint dir) behind.
      await handle.done.catch(async (e) => {
        await store.discardAttempt(key, runId);
        throw e;
      });
      const outs: Outputs = {};
      for (const [port, o] of Object.entries(node.step.outputs)) {
        const p = join(staging, o.path);
        try {
          outs[port] = { path: o.path, kind: o.kind, digest: await digestPath(p, res.digests) };
        } catch {
          throw new Error(
            `step '${node.id}' (${node.step.name}) succeeded but did not write its output '${port}' (${o.path})`,
          );
        }
      }
      const finished = new Date();
      const manifest: Manifest = {
        key,
        stepId: node.id,
        workflow: wf.name,
        parts,
        outputs: outs,
        host: hostname(),
        pid: Deno.pid,
        startedAt: started.toISOString(),
        finishedAt: finished.toISOString(),
        durationMs: finished.getTime() - started.getTime(),
        executor: { name: executor.name, ...handle.info?.() },
      };
      // Output paths depend only on the key and the declared ports, so no need to re-read the
      // manifest (if another run committed this key first, its object is the one we point at).
      await store.commit(staging, manifest, res.digests);
      outputs.set(node.id, absOutputs(store, manifest));
      committedKeys.set(node.id, key);
      result.ran.push(node.id);
      emit({
        type: "step-done",
        stepId: node.id,
        key,
        durationMs: finished.getTime() - started.getTime(),
      });
      await publishNode(node, key);
    } finally {
      await release();
    }
  };

  while (true) {
    let launched = false;
    for (const node of wf.nodes) {
      if (state.get(node.id) !== "waiting") continue;
      if (!node.deps.every((d) => state.get(d) === "done")) continue;
      if (opts.signal?.aborted) break;
      let r;
      try {
        r = await res.parts(node, (id) => outputs.get(id));
      } catch (e) {
        state.set(node.id, "failed");
        result.failed.push({ id: node.id, error: (e as Error).message });
        if (Deno.env.get("SRMIDAS_VERBOSE")) {
          const stack = ((e as Error).cause as Error | undefined)?.stack ?? (e as Error).stack;
          emit({ type: "step-log", stepId: node.id, level: "warn", msg: stack ?? String(e) });
        }
        emit({ type: "step-failed", stepId: node.id, key: "", error: (e as Error).message });
        skipDependents(node.id);
        continue;
      }
      if ("waiting" in r) continue; // cannot happen once deps are done
      const key = keyOf(r.parts);
      const m = await store.restorable(key, damaged(node.id, key));
      if (m) {
        outputs.set(node.id, absOutputs(store, m));
        committedKeys.set(node.id, key);
        result.cached.push(node.id);
        await store.writeRecord(wf.name, node.id, {
          key,
          parts: r.parts,
          at: new Date().toISOString(),
        });
        emit({ type: "step-cached", stepId: node.id, key });
        launched = true;
        try {
          await publishNode(node, key);
          state.set(node.id, "done");
        } catch (e) {
          state.set(node.id, "failed");
          result.failed.push({ id: node.id, error: (e as Error).message });
          emit({ type: "step-failed", stepId: node.id, key, error: (e as Error).message });
          skipDependents(node.id);
        }
        continue;
      }
      const threads = threadsOf(node);
      const mem = memoryOf(node);
      // Always let one step run, whatever it asks for; otherwise stay within cores and memory.
      if (used > 0 && (used + threads > cores || usedMem + mem > memBudget)) continue;
      used += threads;
      usedMem += mem;
      state.set(node.id, "running");
      launched = true;
      const parts = r.parts;
      const promise = execute(node, parts, r.paths, threads, mem).then(
        async () => {
          state.set(node.id, "done");
          await store.writeRecord(wf.name, node.id, { key, parts, at: new Date().toISOString() });
        },
        (e) => {
          state.set(node.id, "failed");
          const msg = e instanceof Error ? e.message : String(e);
          result.failed.push({ id: node.id, error: msg });
          emit({ type: "step-failed", stepId: node.id, key, error: msg });
          skipDependents(node.id);
        },
      ).finally(() => {
        used -= threads;
        usedMem -= mem;
        running.delete(node.id);
      });
      running.set(node.id, { promise, threads });
    }
    if (running.size === 0 && !launched) break;
    if (running.size > 0 && !launched) {
      await Promise.race([...running.values()].map((r) => r.promise));
    }
  }
  opts.signal?.removeEventListener("abort", onAbort);
  for (const n of wf.nodes) {
    if (state.get(n.id) === "waiting") {
      result.skipped.push(n.id);
      emit({
        type: "step-skipped",
        stepId: n.id,
        reason: opts.signal?.aborted ? "run cancelled" : "not reached",
      });
    }
  }
  for (const [id, o] of outputs) {
    result.outputs[id] = Object.fromEntries(Object.entries(o).map(([k, x]) => [k, x.path]));
  }
  if (opts.linkDir && committedKeys.size > 0) {
    await linkOutputs(opts.linkDir, store, committedKeys, opts.linkPerKey).catch((e) => {
      const where = [...committedKeys].map(([id, k]) => `${id}: ${store.objectDir(k)}`);
      throw new Error(
        `cannot link outputs into ${opts.linkDir} (${e.message}); the results are committed in the store:\n  ${
          where.join("\n  ")
        }`,
      );
    });
  }
  await res.digests.save();
  result.ok = result.failed.length === 0 && result.skipped.length === 0;
  emit({
    type: "run-done",
    runId,
    ok: result.ok,
    ran: result.ran.length,
    cached: result.cached.length,
    failed: result.failed.length,
    durationMs: Date.now() - t0,
  });
  logFile.close();
  return result;
}

/** Whether `path` (existing or not) lies inside `dir`, following symbolic links. */
async function insideDir(path: string, dir: string): Promise<boolean> {
  const real = await realPathOf(path);
  const root = await Deno.realPath(dir).catch(() => resolve(dir));
  return !relative(root, real).startsWith("..");
}

/** `path` with every existing ancestor's links resolved (the path need not exist yet). */
async function realPathOf(path: string): Promise<string> {
  let p = resolve(path);
  const rest: string[] = [];
  while (true) {
    try {
      p = await Deno.realPath(p);
      break;
    } catch {
      const up = resolve(p, "..");
      if (up === p) break;
      rest.unshift(basename(p));
      p = up;
    }
  }
  return join(p, ...rest);
}

/**
 * The committed store object (`…/objects/<key>` holding a manifest.json) that `path` lies in,
 * of any store, or undefined: a scan simulated by another store's run must not be written into
 * either.
 */
async function storeObjectOf(path: string): Promise<string | undefined> {
  for (let p = await realPathOf(path);;) {
    const up = resolve(p, "..");
    if (up === p) return undefined;
    if (basename(up) === "objects") {
      const manifest = await Deno.stat(join(p, "manifest.json")).catch(() => null);
      if (manifest?.isFile) return p;
    }
    p = up;
  }
}

/** Points `<linkDir>/<stepId>` at each step's committed output directory (replaced atomically). */
async function linkOutputs(
  linkDir: string,
  store: Store,
  keys: Map<string, string>,
  perKey = false,
) {
  await Deno.mkdir(linkDir, { recursive: true });
  const links = new Map<string, string>();
  for (const [id, key] of keys) {
    links.set(id, key);
    if (perKey) links.set(`${id}.${key.slice(0, 12)}`, key);
  }
  for (const [name, key] of links) {
    const link = join(linkDir, name);
    const tmp = tempPathBeside(link);
    await Deno.remove(tmp).catch(() => {});
    await Deno.symlink(resolve(store.objectDir(key)), tmp);
    await Deno.rename(tmp, link);
  }
  await store.recordLinks(linkDir, links);
}
