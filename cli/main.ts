/**
 * The `srmidas` command line: workflow commands (run, plan, why, dag, status, gc, verify, demo) and one
 * subcommand per step, each running through the same engine (cached and resumable).
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import YAML from "yaml";
import { join, resolve } from "node:path";
import * as v from "valibot";
import {
  duBytes,
  loadWorkflow,
  planWorkflow,
  progressRenderer,
  runWorkflow,
  Store,
  toMermaid,
  whyStep,
  type Workflow,
  WorkflowError,
} from "../engine/mod.ts";
import { assertKnownKeys } from "../engine/strict.ts";
import { availableSteps, resolveStep, STEP_MODULES } from "../steps/registry.ts";
import { parseStepArgs, publishOptionLookup, stepHelp } from "./step_options.ts";
import { executorOf } from "./executors.ts";
import { annotatePlan, jobLines, planWord } from "./jobs.ts";

const VERSION = "0.1.0";
const collect = (value: string, prev: string[]) => [...prev, value];

async function openStore(dir: string) {
  return await new Store(resolve(dir)).init();
}

async function load(file: string, set: string[]): Promise<Workflow> {
  return await loadWorkflow(file, { resolveStep, set });
}

/** Runs a workflow with progress on stderr; prints where the outputs are. Returns the exit code. */
export async function runAndReport(
  wf: Workflow,
  o: {
    store: string;
    cores?: number;
    out?: string;
    executor?: string;
    resource?: string[];
    verbose?: boolean;
    json?: boolean;
    /** One `out/<step>.<key>` link per distinct run besides `out/<step>` (single steps). */
    linkPerKey?: boolean;
  },
): Promise<number> {
  const store = await openStore(o.store);
  const linkDir = resolve(o.out ?? join("out", wf.name));
  await assertWritableDir(linkDir, "--out");
  if (o.verbose) Deno.env.set("SRMIDAS_VERBOSE", "1");
  const render = progressRenderer({ verbose: o.verbose });
  const ac = new AbortController();
  let caught: Deno.Signal | undefined;
  const handlers = (["SIGINT", "SIGTERM"] as const).map((sig) => {
    const h = () => {
      caught ??= sig;
      ac.abort(new Error(`cancelled by ${sig}`));
    };
    Deno.addSignalListener(sig, h);
    return [sig, h] as const;
  });
  try {
    const executor = executorOf(o.executor ?? wf.executor, {
      store: o.store,
      resources: o.resource,
    });
    const res = await runWorkflow(wf, {
      store,
      executor,
      cores: o.cores,
      events: render,
      signal: ac.signal,
      linkDir,
      linkPerKey: o.linkPerKey,
    });
    render.close();
    await executor.close?.();
    if (o.json) console.log(JSON.stringify(res, null, 2));
    else if (Object.keys(res.outputs).length > 0) {
      console.log(`outputs (links in ${linkDir}):`);
      for (const [id, ports] of Object.entries(res.outputs)) {
        for (const [port, path] of Object.entries(ports)) console.log(`  ${id}.${port}: ${path}`);
      }
      for (const [id, reports] of Object.entries(res.published)) {
        for (const r of reports) console.log(`  ${id} → ${r.to}`);
      }
      for (const line of await reportLines(wf, Object.keys(res.outputs), linkDir)) {
        console.log(line);
      }
    }
    // Step failures were reported as they happened (✗ lines); no second copy here.
    if (caught) {
      console.error(
        `cancelled (${caught}): finished steps are kept in ${store.root}; run the same command again to resume`,
      );
      return caught === "SIGINT" ? 130 : 143;
    }
    return res.ok ? 0 : 1;
  } finally {
    for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
  }
}

/**
 * Fails before any work when `dir` cannot be created or written (a read-only location, a path
 * below a file), so a long run does not end in a write error. Creates nothing.
 */
export async function assertWritableDir(dir: string, flag: string): Promise<void> {
  let probe = resolve(dir);
  for (;;) {
    const st = await Deno.stat(probe).catch(() => undefined);
    if (st) {
      if (!st.isDirectory) {
        throw new Error(`${flag} ${dir}: ${probe} is not a directory`);
      }
      break;
    }
    const up = resolve(probe, "..");
    if (up === probe) break;
    probe = up;
  }
  try {
    const f = await Deno.makeTempFile({ dir: probe, prefix: ".srmidas-write-test-" });
    await Deno.remove(f);
  } catch (e) {
    throw new Error(`${flag} ${dir}: cannot write in ${probe} (${(e as Error).message})`);
  }
}

/** "open: …" lines for the reports a run made (evaluation, QA): HTML when there is one. */
async function reportLines(wf: Workflow, ids: string[], linkDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const node of wf.nodes) {
    if (!ids.includes(node.id)) continue;
    for (const o of Object.values(node.step.outputs)) {
      if (o.kind !== "report") continue;
      for (const f of ["report.html", "report.md"]) {
        const path = join(linkDir, node.id, o.path, f);
        try {
          await Deno.stat(path);
        } catch {
          continue;
        }
        out.push(`${node.uses === "qa" ? "QA" : node.uses} report (${node.id}): ${path}`);
        break;
      }
    }
  }
  return out;
}

/** Builds the commander program. */
export function buildProgram(): Command {
  const program = new Command()
    .name("srmidas")
    .version(VERSION)
    .description(
      "Super-resolution peak finding for far-field HEDM (MIDAS), as cached, resumable workflows.",
    )
    .showHelpAfterError()
    .addHelpText(
      "after",
      `
Steps (run alone: srmidas <step> --help):
${availableSteps().map((n) => `  ${n.padEnd(18)} ${STEP_MODULES[n].summary}`).join("\n")}

Examples:
  srmidas run workflows/demo.yaml                 run a workflow (cached, resumable)
  srmidas run workflows/demo.yaml --set seed=7    override a workflow param
  srmidas plan workflows/demo.yaml                what is cached, what will run
  srmidas why workflows/demo.yaml process         which part of the key changed
  srmidas dag workflows/demo.yaml > dag.mmd       Mermaid diagram
  srmidas process -midasZarrDir scan/ -srfac 8    one step, sr-midas flags`,
    );

  program.command("run").argument("<workflow>", "workflow YAML").description("run a workflow")
    .option("--store <dir>", "output store", ".srmidas")
    .option("--set <key=value>", "override a workflow param (repeatable)", collect, [] as string[])
    .option("--cores <n>", "cores to use", (x) => parseInt(x, 10))
    .option("--out <dir>", "where to link step outputs (default out/<workflow name>)")
    .option(
      "--executor <name>",
      "local (subprocess per step, default), inline, slurm (a batch job per step) or " +
        "slurm-alloc (one batch job runs the steps)",
    )
    .option(
      "--resource <key=value>",
      "batch resources for every step: cpus, mem, gpus, time, partition, account, extra",
      collect,
      [] as string[],
    )
    .option("--verbose", "print step log lines")
    .option("--json", "print the run result as JSON")
    .addHelpText(
      "after",
      "\nExample:\n  srmidas run workflows/demo.yaml --set nFrames=40 --cores 2",
    )
    .action(async (file, o) => {
      const wf = await load(file, o.set);
      Deno.exitCode = await runAndReport(wf, o);
    });

  program.command("plan").argument("<workflow>").description("show cached / will-run per step")
    .option("--store <dir>", "output store", ".srmidas")
    .option("--set <key=value>", "override a workflow param (repeatable)", collect, [] as string[])
    .option("--json", "machine-readable")
    .addHelpText("after", "\nExample:\n  srmidas plan workflows/demo.yaml --set seed=2")
    .action(async (file, o) => {
      const wf = await load(file, o.set);
      const store = await openStore(o.store);
      // Steps a Slurm job (or another run) is computing now say so.
      const plan = await annotatePlan(await planWorkflow(wf, { store }), store);
      if (o.json) return console.log(JSON.stringify(plan, null, 2));
      for (const p of plan) {
        console.log(`${planWord(p)}  ${p.id} (${p.uses})`);
        for (const r of p.reasons) console.log(`            - ${r}`);
      }
    });

  program.command("why").argument("<workflow>").argument("<step>")
    .description("explain which part of a step's cache key changed")
    .option("--store <dir>", "output store", ".srmidas")
    .option("--set <key=value>", "override a workflow param (repeatable)", collect, [] as string[])
    .addHelpText("after", "\nExample:\n  srmidas why workflows/campaign.yaml train-x2")
    .action(async (file, stepId, o) => {
      const wf = await load(file, o.set);
      console.log((await whyStep(wf, stepId, { store: await openStore(o.store) })).join("\n"));
    });

  program.command("dag").argument("<workflow>").description("print the DAG as a Mermaid flowchart")
    .option("--set <key=value>", "override a workflow param", collect, [] as string[])
    .addHelpText("after", "\nExample:\n  srmidas dag workflows/campaign.yaml > campaign.mmd")
    .action(async (file, o) => {
      console.log(toMermaid(await load(file, o.set)));
    });

  program.command("status").description(
    "summarize the store: objects, sizes, queued and running Slurm jobs, recent runs",
  )
    .option("--store <dir>", "output store", ".srmidas")
    .addHelpText("after", "\nExample:\n  srmidas status --store /data/.srmidas")
    .action(async (o) => {
      const store = await openStore(o.store);
      const keys = await store.keys();
      const gc = await store.gc({ dryRun: true });
      let bytes = 0;
      for (const k of keys) bytes += await duBytes(store.objectDir(k));
      const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
      console.log(
        `store ${store.root}: ${keys.length} object(s), ${
          mb(bytes)
        }, ${gc.objects.length} unreferenced (${
          mb(gc.sizes.objects)
        }); abandoned: ${gc.staging.length} staging dir(s) (${
          mb(gc.sizes.staging)
        }), ${gc.checkpoints.length} checkpoint(s) (${
          mb(gc.sizes.checkpoints)
        }); srmidas gc removes them`,
      );
      for (const line of await jobLines(store)) console.log(line);
      const logs: string[] = [];
      for await (const e of Deno.readDir(join(store.root, "logs"))) logs.push(e.name);
      for (const l of logs.sort().slice(-5)) {
        const lines = (await Deno.readTextFile(join(store.root, "logs", l))).trim().split("\n");
        const last = JSON.parse(lines[lines.length - 1]);
        const first = JSON.parse(lines[0]);
        console.log(
          `  ${l.replace(/\.jsonl$/, "")} ${first.workflow ?? ""}: ${
            last.type === "run-done"
              ? `${last.ok ? "ok" : "FAILED"}, ${last.ran} ran, ${last.cached} cached`
              : "interrupted"
          }`,
        );
      }
    });

  program.command("gc").description(
    "remove outputs nobody holds (not linked from out/, published, nor among each step's last runs), abandoned staging and checkpoint dirs, stale locks and temporaries",
  )
    .option("--store <dir>", "output store", ".srmidas")
    .option("--dry-run", "only list")
    .option(
      "--keep-last <n>",
      "keep each workflow step's last N results",
      (x) => parseInt(x, 10),
      1,
    )
    .addHelpText("after", "\nExample:\n  srmidas gc --dry-run --keep-last 3")
    .action(async (o) => {
      const store = await openStore(o.store);
      if (!(o.keepLast >= 1)) throw new Error(`--keep-last: expected an integer ≥ 1`);
      const r = await store.gc({ dryRun: o.dryRun, keepLast: o.keepLast });
      const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
      if (o.dryRun) {
        for (const k of r.objects) console.log(`  object ${k}`);
        for (const k of r.staging) console.log(`  staging ${k}`);
        for (const k of r.checkpoints) console.log(`  checkpoint ${k}`);
        for (const k of r.leftovers) console.log(`  leftover ${k}`);
      }
      console.log(
        `${o.dryRun ? "would remove" : "removed"} ${r.objects.length} object(s) (${
          mb(r.sizes.objects)
        }), ${r.staging.length} staging dir(s) (${
          mb(r.sizes.staging)
        }), ${r.checkpoints.length} checkpoint(s) (${mb(r.sizes.checkpoints)})${
          r.leftovers.length ? `, ${r.leftovers.length} stale lock/temporary file(s)` : ""
        }; kept ${r.kept.size} object(s)`,
      );
    });

  program.command("verify").description(
    "check every stored result against the digests recorded when it was committed",
  )
    .option("--store <dir>", "output store", ".srmidas")
    .option("--fast", "compare sizes and mtimes only (hash only files whose stamps changed)")
    .addHelpText("after", "\nExample:\n  srmidas verify --store /data/.srmidas")
    .action(async (o) => {
      const store = await openStore(o.store);
      const bad = await store.verify({ fast: o.fast });
      const n = (await store.keys()).length;
      for (const [key, problems] of bad) {
        console.log(`DAMAGED ${store.objectDir(key)}`);
        for (const p of problems) console.log(`  ${p}`);
      }
      console.log(
        bad.size === 0
          ? `${n} object(s) intact`
          : `${bad.size} of ${n} object(s) damaged; the next run re-creates them (or run srmidas gc after deleting them)`,
      );
      Deno.exitCode = bad.size === 0 ? 0 : 1;
    });

  program.command("demo").description("run the demo workflow (synthetic scan end to end)")
    .option("--store <dir>", "output store", ".srmidas")
    .option("--set <key=value>", "override a workflow param", collect, [] as string[])
    .addHelpText("after", "\nExample:\n  srmidas demo --set seed=2")
    .action(async (o) => {
      const file = new URL("../workflows/demo.yaml", import.meta.url).pathname;
      const wf = await load(file, o.set);
      Deno.exitCode = await runAndReport(wf, { store: o.store, out: "out/demo" });
    });

  // One subcommand per available step; options come from the step's schema at run time.
  for (const name of availableSteps()) {
    program.command(name, { hidden: false })
      .description(STEP_MODULES[name].summary)
      .allowUnknownOption()
      .allowExcessArguments()
      .helpOption(false)
      .argument("[args...]")
      .action(async (args) => {
        Deno.exitCode = await runStepCommand(name, args);
      });
  }
  return program;
}

/** `srmidas <step> …`: a one-step workflow through the engine. */
export async function runStepCommand(name: string, argv: string[]): Promise<number> {
  const step = (await resolveStep(name))!;
  const aliases = step.cliAliases ?? {};
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(stepHelp(step, aliases));
    return 0;
  }
  const args = parseStepArgs(step, argv, aliases);
  let params: Record<string, unknown> = {};
  if (args.engine.config) {
    const text = await Deno.readTextFile(args.engine.config);
    const cfg = args.engine.config.endsWith(".json") ? JSON.parse(text) : YAML.parse(text);
    if (!cfg || typeof cfg !== "object") {
      throw new Error(`${args.engine.config}: expected a mapping of params`);
    }
    // sr-midas's config files also name files (`midas_dir`, `peakbankPath`) and where results
    // go (`peakbank_savedir`): those become inputs and publish options; flags win over the file.
    const publishName = publishOptionLookup(step);
    for (const [key, value] of Object.entries(cfg as Record<string, unknown>)) {
      const pub = publishName(key);
      const alias = aliases[key] ?? aliases[key.toLowerCase()];
      if (pub) args.publish[pub] ??= String(value);
      else if (alias?.startsWith("in:")) {
        const paths = (Array.isArray(value) ? value : [value]).map(String);
        args.inputs[alias.slice(3)] ??= paths;
      } else params[key] = value;
    }
    assertKnownKeys(step.params, params, { file: args.engine.config, text, what: "param" });
  }
  params = { ...params, ...args.params };
  const parsed = v.safeParse(step.params, params);
  if (!parsed.success) {
    const msg = parsed.issues.map((i) =>
      `  ${(i.path ?? []).map((p: { key: unknown }) => p.key).join(".") || "params"}: ${i.message}`
    )
      .join("\n");
    throw new Error(
      `${name}: invalid params${
        args.engine.config ? ` (${args.engine.config} + flags)` : ""
      }:\n${msg}`,
    );
  }
  for (const [port, decl] of Object.entries(step.inputs)) {
    if (!decl.optional && !args.inputs[port]) {
      throw new Error(
        `${name}: missing input '${port}' (${decl.kind}); pass --${port} PATH or --in ${port}=PATH`,
      );
    }
  }
  const inputs = Object.fromEntries(
    Object.entries(args.inputs).map(([k, ps]) => [k, ps.map((p) => resolve(p))]),
  );
  const publish = step.publish && args.engine["no-publish"] !== "true"
    ? step.publish(
      parsed.output,
      Object.fromEntries(
        Object.entries(inputs).map(([k, ps]) => [k, step.inputs[k]?.many ? ps : ps[0]]),
      ),
      args.publish,
    ).map((t) => ({ ...t, soft: true }))
    : [];
  const wf: Workflow = {
    name: `cli-${name}`,
    file: "(command line)",
    params: {},
    nodes: [{
      id: name,
      uses: name,
      step,
      params: parsed.output,
      inputs: Object.fromEntries(
        Object.entries(inputs).map((
          [k, ps],
        ) => [k, ps.map((path) => ({ type: "file" as const, path }))]),
      ),
      deps: [],
      ...(publish.length ? { publish } : {}),
      line: 0,
    }],
  };
  return await runAndReport(wf, {
    store: args.engine.store ?? ".srmidas",
    out: args.engine.out ?? "out",
    cores: args.engine.cores ? Number(args.engine.cores) : undefined,
    executor: args.engine.executor,
    resource: args.resource,
    verbose: args.engine.verbose === "true",
    linkPerKey: true,
  });
}

/** CLI entry: prints clean one-line errors for bad input (the stack with `--verbose`). */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof WorkflowError) console.error(`invalid workflow:\n${e.message}`);
    else if (argv.includes("--verbose") && e instanceof Error) console.error(`error: ${e.stack}`);
    else console.error(`error: ${e instanceof Error ? e.message : e}`);
    Deno.exitCode = 2;
  }
}
