import { join } from "node:path";
import { InlineExecutor } from "../engine/executor.ts";
import { runWorkflow } from "../engine/runner.ts";
import { Store } from "../engine/store.ts";
import { loadWorkflow } from "../engine/workflow.ts";
import { resolveStep } from "../steps/registry.ts";
import { mergePeakOutputs } from "./merge.ts";
import { shardFrames } from "./run.ts";
import { assert, assertEquals, assertRejects, simulateScan } from "./_test_util.ts";
import { assertSameTree } from "../tests/same_tree.ts";

const WF = new URL("../workflows/process_sharded.yaml", import.meta.url).pathname;

Deno.test("shardFrames: contiguous, balanced, covering; too many shards is an error", () => {
  const parts = [0, 1, 2].map((i) => shardFrames([2, 11], [i, 3]));
  assertEquals(parts, [[2, 4], [5, 7], [8, 11]]);
  assertEquals(shardFrames([0, 3], [3, 4]), [3, 3]);
  let err = "";
  try {
    shardFrames([0, 1], [0, 3]);
  } catch (e) {
    err = (e as Error).message;
  }
  assert(/shard count 3 exceeds the 2 frame/.test(err), err);
});

Deno.test("process sharded 4 and 3 ways through the workflow, merged == unsharded, byte for byte", async () => {
  const sim = await simulateScan({ nFrames: 6 });
  const dir = await Deno.makeTempDir({ prefix: "srm_shard_" });
  const store = await new Store(join(dir, "store")).init();
  const executor = new InlineExecutor();
  const run = async (set: string[]) => {
    const wf = await loadWorkflow(WF, { resolveStep, set: [`scan=${sim.scan}`, ...set] });
    const r = await runWorkflow(wf, { store, executor });
    assert(r.ok, JSON.stringify(r.failed));
    return r;
  };
  const whole = await run(["shards=[0]", "nShards=1"]);
  const four = await run(["shards=[0,1,2,3]", "nShards=4"]);
  assertEquals(four.ran.length, 5);
  await assertSameTree(four.outputs.merge.peaks, whole.outputs.merge.peaks);
  // The one-shard run is a plain process run (merge of one = copy).
  await assertSameTree(whole.outputs["shard[i=0]"].peaks, whole.outputs.merge.peaks);
  const three = await run(["shards=[0,1,2]", "nShards=3"]);
  await assertSameTree(three.outputs.merge.peaks, whole.outputs.merge.peaks);

  // A missing middle shard or overlapping shards are errors, not silently empty frames.
  const s = (i: number) => four.outputs[`shard[i=${i}]`].peaks;
  await assertRejects(
    () => mergePeakOutputs([s(0), s(2), s(3)], join(dir, "gap")),
    "no shard processed frames",
  );
  await assertRejects(
    () => mergePeakOutputs([s(0), s(1)], join(dir, "n"), 4),
    "2 shard output(s), expected 4",
  );
  await assertRejects(
    () => mergePeakOutputs([s(0), whole.outputs.merge.peaks], join(dir, "overlap")),
    "processed by two shards",
  );
});
