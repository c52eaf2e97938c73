/**
 * The Slurm executor against real daemons (a one-node cluster, tests/slurm/cluster.ts): toy
 * steps, so each test takes seconds. Registered by tests/slurm/slurm_test.ts.
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { runWorkflow } from "../../engine/runner.ts";
import { Store } from "../../engine/store.ts";
import { parseWorkflow } from "../../engine/workflow.ts";
import { SlurmExecutor } from "../../engine/executors/slurm.ts";
import { resolveToy } from "../../engine/testdata/toy_steps.ts";
import type { EngineEvent } from "../../engine/events.ts";
import { queuedJobs, slurmTest as test } from "./cluster.ts";

async function setup(text: string) {
  const dir = await Deno.makeTempDir({ prefix: "srmidas-slurm-" });
  const trace = join(dir, "trace.txt");
  await Deno.writeTextFile(trace, "");
  Deno.env.set("TOY_TRACE", trace);
  const file = join(dir, "wf.yaml");
  await Deno.writeTextFile(file, text);
  const wf = await parseWorkflow(text, file, { resolveStep: resolveToy });
  const store = await new Store(join(dir, "store")).init();
  const executor = new SlurmExecutor({ dir: join(dir, "store", "slurm"), pollSec: 1 });
  const traced = async () => (await Deno.readTextFile(trace)).split("\n").filter(Boolean);
  return { dir, wf, store, executor, traced };
}

test("slurm: a DAG runs as jobs, records job ids, and a re-run is fully cached", async () => {
  const { dir, wf, store, executor, traced } = await setup(`
name: sum
executor: slurm
steps:
  a: { uses: toy-emit, with: { value: 1 } }
  b: { uses: toy-emit, with: { value: 2 }, resources: { mem: 256M, time: "5:00" } }
  ext: { uses: toy-add, in: { terms: [a.out, b.out] }, with: { plus: 10 } }
`);
  assertEquals(wf.executor, "slurm");
  let r = await runWorkflow(wf, { store, executor });
  assert(r.ok, JSON.stringify(r.failed));
  assertEquals(await Deno.readTextFile(r.outputs.ext.sum), "13");
  assertEquals((await traced()).length, 3);
  const m = JSON.parse(
    await Deno.readTextFile(join(r.outputs.b.out, "..", "manifest.json")),
  );
  assertEquals(m.executor.name, "slurm");
  assertMatch(m.executor.jobIds[0], /^\d+$/);
  // The job asked for what the YAML said.
  const script = (await Array.fromAsync(Deno.readDir(join(dir, "store", "slurm"))))
    .map((e) => e.name).filter((n) => n.startsWith("b-") && n.endsWith(".sbatch"));
  const text = await Deno.readTextFile(join(dir, "store", "slurm", script[0]));
  assertMatch(text, /#SBATCH --mem=256M/);
  assertMatch(text, /#SBATCH --time=5:00/);
  r = await runWorkflow(wf, { store, executor });
  assertEquals(r.cached.sort(), ["a", "b", "ext"]);
  assertEquals(r.ran, []);
  assertEquals((await traced()).length, 3);
});

test("slurm: a job killed by scancel mid-step is resubmitted and resumes from its checkpoint", async () => {
  const { wf, store, executor, traced } = await setup(`
name: count
steps:
  c: { uses: toy-count, with: { n: 24, msPerCount: 250 } }
`);
  const events: EngineEvent[] = [];
  let killed = "";
  const run = runWorkflow(wf, { store, executor, events: (e) => events.push(e) });
  // Kill the first job once it has counted a few.
  for (let i = 0; i < 400 && !killed; i++) {
    await new Promise((r) => setTimeout(r, 100));
    if ((await traced()).length >= 4) {
      const ids = await queuedJobs();
      assertEquals(ids.length, 1);
      killed = ids[0];
      await new Deno.Command("scancel", { args: [killed] }).output();
    }
  }
  assert(killed, "the job never started counting");
  const r = await run;
  assert(r.ok, JSON.stringify(r.failed));
  const want = Array.from({ length: 24 }, (_, i) => (i + 1) ** 2).join(",");
  assertEquals(await Deno.readTextFile(r.outputs.c.out), want);
  const lines = await traced();
  // Resumed: the counts before the kill were not computed again (at most the one in flight).
  assert(lines.length < 24 + 2, `counted ${lines.length} times: ${lines.join(" ")}`);
  assertEquals(lines.filter((l) => l === "count 1").length, 1);
  const m = JSON.parse(await Deno.readTextFile(join(r.outputs.c.out, "..", "manifest.json")));
  assertEquals(m.executor.jobIds.length, 2);
  assertEquals(m.executor.jobIds[0], killed);
  assert(
    events.some((e) => e.type === "step-log" && /interrupted; resubmitting/.test(e.msg)),
    "no resubmission event",
  );
  assert(events.some((e) => e.type === "step-progress"), "no progress forwarded from the job log");
});

test("slurm: a failing step's error names the job id, state, exit code and log", async () => {
  const { wf, store, executor } = await setup(`
name: fail
steps:
  f: { uses: toy-fail }
`);
  const r = await runWorkflow(wf, { store, executor });
  assert(!r.ok);
  const err = r.failed[0].error;
  assertMatch(err, /Slurm job \d+ \(state FAILED, exit code 1\)/);
  assertMatch(err, /toy failure on purpose/);
  const log = /log: (\S+\.log)/.exec(err)?.[1];
  assert(log, err);
  assertMatch(await Deno.readTextFile(log), /toy failure on purpose/);
  assertEquals(await store.keys(), []); // no partial output committed
});

test("slurm: cancelling a run cancels its jobs and leaves none running", async () => {
  const { wf, store, executor, traced } = await setup(`
name: cancel
steps:
  c: { uses: toy-count, with: { n: 200, msPerCount: 100 } }
  d: { uses: toy-count, with: { n: 201, msPerCount: 100 } }
`);
  const ac = new AbortController();
  const run = runWorkflow(wf, { store, executor, signal: ac.signal });
  for (let i = 0; i < 400 && (await traced()).length < 2; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert((await queuedJobs()).length >= 1, "no job was running");
  ac.abort();
  const r = await run;
  assert(!r.ok);
  assertMatch(r.failed.map((f) => f.error).join("\n"), /cancelled \(Slurm job \d+/);
  assertEquals(await queuedJobs(), []);
  assertEquals(await store.keys(), []);
});

test("slurm: a walltime warning (--signal) stops the step, which resumes in a new job", async () => {
  const { wf, store, dir, traced } = await setup(`
name: walltime
steps:
  c: { uses: toy-count, with: { n: 80, msPerCount: 250 }, resources: { time: 1 } }
`);
  // A 1-minute limit warned 57 s ahead: each job gets a few seconds before its USR1.
  const executor = new SlurmExecutor({
    dir: join(dir, "store", "slurm"),
    pollSec: 1,
    signalSec: 57,
    maxRetries: 8,
  });
  const r = await runWorkflow(wf, { store, executor });
  assert(r.ok, JSON.stringify(r.failed));
  const want = Array.from({ length: 80 }, (_, i) => (i + 1) ** 2).join(",");
  assertEquals(await Deno.readTextFile(r.outputs.c.out), want);
  const m = JSON.parse(await Deno.readTextFile(join(r.outputs.c.out, "..", "manifest.json")));
  assert(m.executor.jobIds.length >= 2, `one job did it all: ${m.executor.jobIds}`);
  const lines = await traced();
  assertEquals(lines.filter((l) => l === "count 1").length, 1);
  const first = m.executor.log.replace(/\.\d+\.log$/, `.${m.executor.jobIds[0]}.log`);
  const log = await Deno.readTextFile(first);
  assertMatch(log, /SIGTERM|USR1/);
});
