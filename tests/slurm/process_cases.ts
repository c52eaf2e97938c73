/**
 * The real pipeline on Slurm (registered by tests/slurm/slurm_test.ts): the demo workflow
 * through the CLI with `--executor slurm` equals the local executor's, byte for byte and key for
 * key, and re-runs fully cached; `process` sharded 4 ways as Slurm jobs equals the unsharded run.
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import { assertSameTree } from "../same_tree.ts";
import { InlineExecutor } from "../../engine/executor.ts";
import { SlurmExecutor } from "../../engine/executors/slurm.ts";
import { runWorkflow } from "../../engine/runner.ts";
import { Store } from "../../engine/store.ts";
import { loadWorkflow } from "../../engine/workflow.ts";
import { resolveStep } from "../../steps/registry.ts";
import { simulateScan } from "../../process/_test_util.ts";
import { slurmTest as test } from "./cluster.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function cli(args: string[]) {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", join(ROOT, "cli.ts"), ...args, "--json"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(r.stdout);
  assert(r.success, `srmidas ${args.join(" ")} failed:\n${new TextDecoder().decode(r.stderr)}`);
  return JSON.parse(out.slice(out.indexOf("{")));
}

test("slurm: the demo workflow (2 frames) equals the local executor's, and re-runs cached", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srmidas-slurm-demo-" });
  const run = (name: string, extra: string[]) =>
    cli([
      "run",
      "workflows/demo.yaml",
      "--set",
      "nFrames=2",
      "--store",
      join(dir, name),
      "--out",
      join(dir, `${name}-out`),
      ...extra,
    ]);
  // The QA report records its inputs' absolute paths, which name each run's own store.
  const stores = [join(dir, "local"), join(dir, "slurm")];
  const normalize = (_: string, bytes: Uint8Array) => {
    try {
      let text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      for (const s of stores) text = text.replaceAll(s, "<store>");
      return new TextEncoder().encode(text);
    } catch {
      return bytes; // not text
    }
  };
  const local = await run("local", []);
  const slurm = await run("slurm", ["--executor", "slurm"]);
  assert(slurm.ok, JSON.stringify(slurm.failed));
  assertEquals(slurm.ran.length, local.ran.length, "every demo step ran as a job");
  for (
    const [id, ports] of Object.entries(local.outputs as Record<string, Record<string, string>>)
  ) {
    for (const [port, path] of Object.entries(ports)) {
      const other = slurm.outputs[id][port];
      // Same cache key (the object directory name), same bytes.
      assertEquals(other.split("/").slice(-2, -1), path.split("/").slice(-2, -1), `${id}.${port}`);
      if ((await Deno.stat(path)).isDirectory) await assertSameTree(path, other, { normalize });
      else assertEquals(await Deno.readFile(other), await Deno.readFile(path), `${id}.${port}`);
    }
  }
  const m = JSON.parse(
    await Deno.readTextFile(join(slurm.outputs.sr.peaks, "..", "manifest.json")),
  );
  assertEquals(m.executor.name, "slurm");
  assert(/^\d+$/.test(m.executor.jobIds[0]), JSON.stringify(m.executor));
  const again = await run("slurm", ["--executor", "slurm"]);
  assertEquals(again.ran, []);
  assertEquals(again.cached.length, local.ran.length);
});

test("slurm: process sharded 4 ways as Slurm jobs, merged, equals the unsharded run", async () => {
  const sim = await simulateScan({ nFrames: 6 });
  const dir = await Deno.makeTempDir({ prefix: "srmidas-slurm-shard-" });
  const file = join(ROOT, "workflows/process_sharded.yaml");
  const go = async (store: string, executor: InlineExecutor | SlurmExecutor, n: number) => {
    const set = [`scan=${sim.scan}`, `shards=[${[...Array(n).keys()]}]`, `nShards=${n}`];
    const wf = await loadWorkflow(file, { resolveStep, set });
    const r = await runWorkflow(wf, { store: await new Store(store).init(), executor });
    assert(r.ok, JSON.stringify(r.failed));
    return r;
  };
  const whole = await go(join(dir, "local"), new InlineExecutor(), 1);
  // One core per shard job, so two shards run at once on a 2-core node.
  const slurm = new SlurmExecutor({ dir: join(dir, "jobs"), pollSec: 1, resources: { cpus: 1 } });
  const four = await go(join(dir, "slurm"), slurm, 4);
  assertEquals(four.ran.length, 5);
  assert(await assertSameTree(four.outputs.merge.peaks, whole.outputs.merge.peaks) > 6);
});
