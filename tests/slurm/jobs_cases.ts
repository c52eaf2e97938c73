/**
 * In-flight jobs as `status` and `plan` show them, and `--resource` on a single-step command,
 * against real daemons (registered by tests/slurm/slurm_test.ts).
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { planWorkflow, runWorkflow } from "../../engine/runner.ts";
import { Store } from "../../engine/store.ts";
import { parseWorkflow } from "../../engine/workflow.ts";
import { SlurmExecutor } from "../../engine/executors/slurm.ts";
import { listJobs } from "../../engine/executors/jobs.ts";
import { resolveToy } from "../../engine/testdata/toy_steps.ts";
import { annotatePlan, jobLines, planWord } from "../../cli/jobs.ts";
import { queuedJobs, slurmTest as test } from "./cluster.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function srmidas(args: string[]): Promise<string> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", join(ROOT, "cli.ts"), ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  assert(r.success, `srmidas ${args.join(" ")} failed:\n${dec.decode(r.stderr)}`);
  return dec.decode(r.stdout);
}

test("slurm: status lists queued and running jobs, plan marks their steps; records go when jobs end", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srmidas-slurm-jobs-" });
  const trace = join(dir, "trace.txt");
  await Deno.writeTextFile(trace, "");
  Deno.env.set("TOY_TRACE", trace);
  // Two CPUs each on a 2-CPU node: one job runs while the other waits in the queue.
  const text = `
name: jobs
steps:
  slow: { uses: toy-count, with: { n: 300, msPerCount: 100 }, resources: { cpus: 2 } }
  next: { uses: toy-count, with: { n: 301, msPerCount: 100 }, resources: { cpus: 2 } }
  done: { uses: toy-emit, with: { value: 5 } }
`;
  const wf = await parseWorkflow(text, join(dir, "wf.yaml"), { resolveStep: resolveToy });
  const store = await new Store(join(dir, "store")).init();
  // `done` is committed first, so plan has a cached row too.
  const only = await parseWorkflow(
    "name: jobs\nsteps:\n  done: { uses: toy-emit, with: { value: 5 } }\n",
    join(dir, "wf.yaml"),
    { resolveStep: resolveToy },
  );
  const executor = new SlurmExecutor({ dir: join(store.root, "slurm"), pollSec: 1 });
  assert((await runWorkflow(only, { store, executor })).ok);

  const ac = new AbortController();
  const run = runWorkflow(wf, { store, executor, signal: ac.signal });
  try {
    for (let i = 0; i < 300; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const started = (await Deno.readTextFile(trace)).includes("count 2");
      if (started && (await listJobs(store.root)).length === 2) break;
    }
    const recs = await listJobs(store.root);
    assertEquals(recs.map((r) => r.stepId).sort(), ["next", "slow"]);
    const id = Object.fromEntries(recs.map((r) => [r.stepId, r.jobId]));

    // status: the CLI, from another process, with the scheduler's states. Which of the two
    // runs first is the scheduler's choice.
    const status = await srmidas(["status", "--store", store.root]);
    assertMatch(status, /Slurm jobs: 2 queued or running/);
    const running = /job (\d+) RUNNING (slow|next) \(key [0-9a-f]{12}\) log \S+\.log\n/
      .exec(status);
    assert(running, status);
    const [run1, queued] = running[2] === "slow" ? ["slow", "next"] : ["next", "slow"];
    assertEquals(running[1], id[run1]);
    assertMatch(status, new RegExp(`job ${id[queued]} PENDING \\(\\w+\\) ${queued} `));

    // plan: what the CLI prints for each step.
    const rows = await annotatePlan(await planWorkflow(wf, { store }), store);
    const words = Object.fromEntries(rows.map((r) => [r.id, planWord(r)]));
    assertEquals(words, {
      [run1]: `running (job ${id[run1]})`,
      [queued]: `queued (job ${id[queued]})`,
      done: "cached  ",
    });
    // The engine waiting on the job holds the key's lock.
    assertEquals(rows.find((r) => r.id === run1)?.heldBy?.pid, Deno.pid);
  } finally {
    ac.abort();
  }
  const r = await run;
  assert(!r.ok);
  assertEquals(await queuedJobs(), []);
  // The records went with the jobs: nothing in flight, nothing to print.
  assertEquals(await listJobs(store.root), []);
  assertEquals(await jobLines(store), []);
  const rows = await annotatePlan(await planWorkflow(wf, { store }), store);
  assertEquals(rows.map(planWord), ["will run", "will run", "cached  "]);
});

test("slurm: a single-step command takes --executor slurm --resource key=value", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srmidas-slurm-step-" });
  const store = join(dir, "store");
  await srmidas([
    "simulate",
    ...["--nFrames", "1", "--nY", "64", "--nZ", "64", "--ybc", "32", "--zbc", "32"],
    ...["--nGrains", "1", "--store", store, "--out", join(dir, "out")],
    ...["--executor", "slurm", "--resource", "time=10:00", "--resource", "cpus=1"],
    "--resource=mem=300M",
  ]);
  const scripts = (await Array.fromAsync(Deno.readDir(join(store, "slurm"))))
    .map((e) => e.name).filter((n) => n.endsWith(".sbatch"));
  assertEquals(scripts.length, 1);
  const script = await Deno.readTextFile(join(store, "slurm", scripts[0]));
  for (const line of ["--time=10:00", "--cpus-per-task=1", "--mem=300M"]) {
    assertMatch(script, new RegExp(`#SBATCH ${line}\n`));
  }
  const m = JSON.parse(
    await Deno.readTextFile(
      join(await Deno.realPath(join(dir, "out", "simulate")), "manifest.json"),
    ),
  );
  assertEquals(m.executor.name, "slurm");
  assert(m.executor.jobStart <= m.executor.jobEnd, JSON.stringify(m.executor));
});
