/** Toy steps for engine tests: tiny, deterministic, and observable from outside. */
import * as v from "valibot";
import { join } from "node:path";
import { defineStep } from "../step.ts";

/** Appends a line to the trace file of the run's folder (or `$TOY_TRACE`) so tests see which steps really executed. */
/** Trace files by the folder whose runs they record (see {@link traceRunsBelow}). */
const traces = new Map<string, string>();

/**
 * Records toy runs whose output lies below `dir` in `file`. Test modules run in parallel in one
 * process share its environment, so a global TOY_TRACE would collect other modules' runs;
 * subprocess workers still read TOY_TRACE from the environment they are given.
 */
export function traceRunsBelow(dir: string, file: string): void {
  traces.set(dir, file);
}

async function trace(outDir: string, what: string) {
  const f = [...traces].find(([dir]) => outDir.startsWith(dir + "/"))?.[1] ??
    Deno.env.get("TOY_TRACE");
  if (f) await Deno.writeTextFile(f, what + "\n", { append: true });
}

export const emit = defineStep({
  name: "toy-emit",
  version: "1",
  description: "Writes a number.",
  module: import.meta.url,
  params: v.object({ value: v.number(), label: v.optional(v.string(), "x") }),
  inputs: {},
  outputs: { out: { kind: "text", path: "value.txt" } },
  async run(ctx) {
    await trace(ctx.outDir, `emit ${ctx.params.value}`);
    await Deno.writeTextFile(ctx.output("out"), String(ctx.params.value));
  },
});

export const add = defineStep({
  name: "toy-add",
  version: "1",
  description: "Sums its inputs plus a constant.",
  module: import.meta.url,
  params: v.object({ plus: v.optional(v.number(), 0) }),
  inputs: { terms: { kind: "text", many: true } },
  outputs: { sum: { kind: "text", path: "sum.txt" } },
  async run(ctx) {
    let s = ctx.params.plus;
    for (const p of ctx.inputs.terms) s += Number(await Deno.readTextFile(p));
    await trace(ctx.outDir, `add ${s}`);
    await Deno.writeTextFile(ctx.output("sum"), String(s));
  },
});

export const sleep = defineStep({
  name: "toy-sleep",
  version: "1",
  description: "Sleeps, then writes when it started and ended (for parallelism tests).",
  module: import.meta.url,
  params: v.object({ ms: v.number(), tag: v.string() }),
  inputs: {},
  outputs: { out: { kind: "text", path: "times.json" } },
  async run(ctx) {
    const start = Date.now();
    await new Promise((r) => setTimeout(r, ctx.params.ms));
    await Deno.writeTextFile(ctx.output("out"), JSON.stringify({ start, end: Date.now() }));
  },
});

/**
 * Counts to `n` slowly, checkpointing after every count; resumes from the checkpoint.
 * Writes each count it actually computed to `$TOY_TRACE`.
 */
export const count = defineStep({
  name: "toy-count",
  version: "1",
  description: "Checkpointed slow counter.",
  module: import.meta.url,
  params: v.object({ n: v.number(), msPerCount: v.optional(v.number(), 50) }),
  inputs: {},
  outputs: { out: { kind: "text", path: "count.txt" } },
  async run(ctx) {
    const ck = join(ctx.checkpointDir, "state.json");
    let state = { i: 0, acc: [] as number[] };
    try {
      state = JSON.parse(await Deno.readTextFile(ck));
    } catch { /* fresh start */ }
    while (state.i < ctx.params.n) {
      ctx.signal.throwIfAborted();
      await new Promise((r) => setTimeout(r, ctx.params.msPerCount));
      state.i++;
      state.acc.push(state.i * state.i);
      await trace(ctx.outDir, `count ${state.i}`);
      await Deno.writeTextFile(ck + ".tmp", JSON.stringify(state));
      await Deno.rename(ck + ".tmp", ck);
      ctx.log.progress(state.i, ctx.params.n, "counts");
    }
    await Deno.writeTextFile(ctx.output("out"), state.acc.join(","));
  },
});

export const fail = defineStep({
  name: "toy-fail",
  version: "1",
  description: "Always fails after writing a partial output.",
  module: import.meta.url,
  params: v.object({}),
  inputs: {},
  outputs: { out: { kind: "text", path: "out.txt" } },
  async run(ctx) {
    await Deno.writeTextFile(ctx.output("out"), "partial");
    throw new Error("toy failure on purpose");
  },
});

/** Registry of the toy steps, as the CLI's registry is for the real ones. */
export const toySteps = {
  "toy-emit": emit,
  "toy-add": add,
  "toy-sleep": sleep,
  "toy-count": count,
  "toy-fail": fail,
};
export const resolveToy = (name: string) =>
  Promise.resolve(toySteps[name as keyof typeof toySteps]);
