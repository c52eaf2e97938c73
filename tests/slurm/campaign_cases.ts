/**
 * The training campaign at smoke size on Slurm (registered by tests/slurm/slurm_test.ts): its
 * matrix branches run as parallel jobs, every step commits, and a re-run is fully cached.
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import { SlurmExecutor } from "../../engine/executors/slurm.ts";
import { runWorkflow } from "../../engine/runner.ts";
import { Store } from "../../engine/store.ts";
import { loadWorkflow } from "../../engine/workflow.ts";
import { resolveStep } from "../../steps/registry.ts";
import { slurmTest as test } from "./cluster.ts";
import { TOY_CAMPAIGN } from "../toy_campaign.ts";

const CAMPAIGN = new URL("../../workflows/campaign.yaml", import.meta.url).pathname;

/** tests/workflows_test.ts's toy campaign, with two architectures: two cascade branches. */
const ARCHS = ["32-3-r_16-3-r_4-3-s_ps2", "8-3-r_4-3-s_ps2"];
const TOY = [...TOY_CAMPAIGN, `archs=[${ARCHS.join(", ")}]`];

interface Span {
  id: string;
  job: string;
  start: number;
  end: number;
}

test("slurm: the toy campaign's matrix branches run as parallel jobs; a re-run is fully cached", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srmidas-slurm-campaign-" });
  const wf = await loadWorkflow(CAMPAIGN, { resolveStep, set: TOY });
  const store = await new Store(join(dir, "store")).init();
  // One core per job: two branches at once on the 2-core test node.
  const executor = new SlurmExecutor({
    dir: join(store.root, "slurm"),
    pollSec: 1,
    resources: { cpus: 1 },
  });
  const t0 = Date.now();
  const r = await runWorkflow(wf, { store, executor });
  assert(r.ok, JSON.stringify(r.failed));
  assertEquals(r.ran.length, wf.nodes.length);
  const spans: Span[] = [];
  for (const id of r.ran) {
    const port = Object.keys(r.outputs[id])[0];
    const m = JSON.parse(await Deno.readTextFile(join(r.outputs[id][port], "..", "manifest.json")));
    assertEquals(m.executor.name, "slurm", id);
    spans.push({
      id,
      job: m.executor.jobIds.at(-1),
      start: Date.parse(m.executor.jobStart),
      end: Date.parse(m.executor.jobEnd),
    });
  }
  assertEquals(new Set(spans.map((s) => s.job)).size, spans.length, "one job per step");
  const overlap = (a: Span, b: Span) => a.start < b.end && b.start < a.end;
  // The seeds' simulations, ready together, ran at the same time on the node.
  const sims = spans.filter((s) => s.id.startsWith("sim["));
  assertEquals(sims.length, 3);
  assert(
    sims.some((a, i) => sims.some((b, j) => i < j && overlap(a, b))),
    `sim branches ran one after another: ${JSON.stringify(sims)}`,
  );
  // The cascade's two architecture branches (x2 → … → ship each) ran side by side.
  const branch = (arch: string) => spans.filter((s) => s.id.includes(`[arch=${arch},`));
  const [a, b] = [branch(ARCHS[0]), branch(ARCHS[1])];
  assertEquals(a.length, 11);
  assertEquals(b.length, 11);
  const sideBySide = a.flatMap((x) => b.filter((y) => overlap(x, y)).map((y) => [x.id, y.id]));
  assert(sideBySide.length > 0, `the branches never overlapped: ${JSON.stringify(spans)}`);
  // Never more jobs at once than the node's two cores hold (one core each), and both were used.
  const edges = spans.flatMap((s) => [[s.start, 1], [s.end, -1]]).sort((x, y) =>
    x[0] - y[0] || x[1] - y[1]
  );
  let now = 0, most = 0;
  for (const [, d] of edges) most = Math.max(most, now += d);
  assertEquals(most, 2);
  console.log(
    `campaign on Slurm: ${spans.length} jobs in ${((Date.now() - t0) / 1000).toFixed(0)} s; ` +
      `${sideBySide.length} pairs of branch jobs overlapped`,
  );
  const again = await runWorkflow(wf, { store, executor });
  assertEquals(again.ran, []);
  assertEquals(again.cached.length, wf.nodes.length);
});
