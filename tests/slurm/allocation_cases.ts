/**
 * Allocation mode against real daemons (registered by tests/slurm/slurm_test.ts): one batch job
 * runs every step of a workflow.
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { runWorkflow } from "../../engine/runner.ts";
import { Store } from "../../engine/store.ts";
import { parseWorkflow } from "../../engine/workflow.ts";
import { AllocationExecutor } from "../../engine/executors/allocation.ts";
import { resolveToy } from "../../engine/testdata/toy_steps.ts";
import { queuedJobs, slurmTest as test } from "./cluster.ts";

test("slurm allocation: one job runs all steps of a DAG, two at a time; failures name job and log", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srmidas-alloc-" });
  Deno.env.set("TOY_TRACE", join(dir, "trace.txt"));
  const text = `
name: alloc
steps:
  s: { uses: toy-sleep, matrix: { i: [1, 2, 3, 4] }, with: { ms: 1500, tag: "t\${matrix.i}" } }
  a: { uses: toy-emit, with: { value: 1 } }
  b: { uses: toy-emit, with: { value: 2 } }
  sum: { uses: toy-add, in: { terms: [a.out, b.out] } }
  f: { uses: toy-fail }
`;
  const wf = await parseWorkflow(text, join(dir, "wf.yaml"), { resolveStep: resolveToy });
  const store = await new Store(join(dir, "store")).init();
  const executor = new AllocationExecutor({
    dir: join(dir, "alloc"),
    slots: 2,
    resources: { cpus: 2 },
    pollSec: 0.5,
  });
  const r = await runWorkflow(wf, { store, executor });
  await executor.close();
  assertEquals(r.ran.length, 7);
  assertEquals(await Deno.readTextFile(r.outputs.sum.sum), "3");
  const ids = new Set<string>();
  for (const id of r.ran) {
    const port = Object.keys(r.outputs[id])[0];
    const m = JSON.parse(await Deno.readTextFile(join(r.outputs[id][port], "..", "manifest.json")));
    assertEquals(m.executor.name, "slurm-alloc");
    ids.add(m.executor.jobIds[0]);
  }
  assertEquals(ids.size, 1, `steps ran in jobs ${[...ids]}`);
  // Two slots: the four 1.5 s sleeps overlapped pairwise.
  const times = await Promise.all(
    [1, 2, 3, 4].map(async (i) =>
      JSON.parse(await Deno.readTextFile(r.outputs[`s[i=${i}]`].out)) as {
        start: number;
        end: number;
      }
    ),
  );
  const overlaps = times.filter((t, i) =>
    times.some((u, j) => j !== i && u.start < t.end && t.start < u.end)
  );
  assert(overlaps.length >= 2, JSON.stringify(times));
  const err = r.failed.find((f) => f.id === "f")?.error ?? "";
  assertMatch(err, new RegExp(`allocation job ${[...ids][0]} \\(exit code 1\\)`));
  assertMatch(err, /toy failure on purpose/);
  // The worker leaves after close().
  for (let i = 0; i < 100 && (await queuedJobs()).length > 0; i++) {
    await new Promise((res) => setTimeout(res, 200));
  }
  assertEquals(await queuedJobs(), []);
});
