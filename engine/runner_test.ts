import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../tests/assert.ts";
import { InlineExecutor, LocalExecutor } from "./executor.ts";
import { planWorkflow, runWorkflow, whyStep } from "./runner.ts";
import { Store } from "./store.ts";
import { parseWorkflow, type StepResolver } from "./workflow.ts";
import { resolveToy, toySteps, traceRunsBelow } from "./testdata/toy_steps.ts";
import { clearFingerprintMemo } from "./fingerprint.ts";

const RUN_WF = new URL("./testdata/run_wf.ts", import.meta.url).pathname;

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "srmidas-engine-" });
  const trace = join(dir, "trace.txt");
  traceRunsBelow(dir, trace);
  await Deno.writeTextFile(trace, "");
  const store = await new Store(join(dir, "store")).init();
  const traced = async () => (await Deno.readTextFile(trace)).split("\n").filter(Boolean);
  return { dir, trace, store, traced };
}

const SUM_WF = (a: number, bLabel = "x", c = 10) => `
name: sum
params: { a: ${a}, c: ${c} }
steps:
  a:
    uses: toy-emit
    with: { value: "\${params.a}" }
  b:
    uses: toy-emit
    with: { value: 2, label: ${bLabel} }
  ext:
    uses: toy-add
    in: { terms: [a.out, b.out, "file:ext.txt"] }
    with: { plus: "\${params.c}" }
`;

async function wfIn(dir: string, text: string, resolveStep: StepResolver = resolveToy) {
  const file = join(dir, "wf.yaml");
  await Deno.writeTextFile(file, text);
  return parseWorkflow(text, file, { resolveStep });
}

Deno.test("second run executes nothing; each key component invalidates only what it should", async () => {
  const { dir, store, traced } = await setup();
  await Deno.writeTextFile(join(dir, "ext.txt"), "100");
  const executor = new InlineExecutor();
  let wf = await wfIn(dir, SUM_WF(1));
  let r = await runWorkflow(wf, { store, executor });
  assert(r.ok, JSON.stringify(r.failed));
  assertEquals((await traced()).length, 3);
  assertEquals(await Deno.readTextFile(r.outputs.ext.sum), "113");

  // Unchanged: all cached, nothing executed.
  r = await runWorkflow(wf, { store, executor });
  assertEquals(r.cached.sort(), ["a", "b", "ext"]);
  assertEquals((await traced()).length, 3);

  // A param of `a` changes → a and its consumer rerun, b stays cached.
  wf = await wfIn(dir, SUM_WF(5));
  assertEquals((await planWorkflow(wf, { store })).map((p) => `${p.id}:${p.status}`), [
    "a:run",
    "b:cached",
    "ext:run",
  ]);
  const why = (await whyStep(wf, "a", { store })).join("\n");
  assertMatch(why, "param value: 1 → 5");
  r = await runWorkflow(wf, { store, executor });
  assertEquals(r.ran.sort(), ["a", "ext"]);
  assertEquals(await Deno.readTextFile(r.outputs.ext.sum), "117");

  // A param that does not change b's output: b reruns, ext is a content-digest cache hit.
  wf = await wfIn(dir, SUM_WF(5, "y"));
  r = await runWorkflow(wf, { store, executor });
  assertEquals(r.ran, ["b"]);
  assertEquals(r.cached.sort(), ["a", "ext"]);

  // An external file's content changes → only its consumer reruns, and why says so.
  await Deno.writeTextFile(join(dir, "ext.txt"), "200");
  assertMatch((await whyStep(wf, "ext", { store })).join("\n"), /input terms: digest \[/);
  r = await runWorkflow(wf, { store, executor });
  assertEquals(r.ran, ["ext"]);

  // A step version bump → only that step (and nothing downstream, outputs equal).
  const bumped: StepResolver = (n) =>
    Promise.resolve(
      n === "toy-emit" ? { ...toySteps["toy-emit"], version: "2" } : toySteps[n as "toy-add"],
    );
  wf = await wfIn(dir, SUM_WF(5, "y"), bumped);
  assertMatch((await whyStep(wf, "a", { store })).join("\n"), "version: 1 → 2");
  r = await runWorkflow(wf, { store, executor });
  assertEquals(r.ran.sort(), ["a", "b"]);
  assertEquals(r.cached, ["ext"]);
});

Deno.test("code fingerprint: editing an imported library file invalidates the step, why names it", async () => {
  const { store } = await setup();
  // The module must live under the repo so bare imports resolve through deno.json.
  const codeDir = await Deno.makeTempDir({
    dir: new URL("./testdata", import.meta.url).pathname,
    prefix: "tmp-",
  });
  try {
    await Deno.writeTextFile(join(codeDir, "lib.ts"), "export const K = 1;\n");
    await Deno.writeTextFile(
      join(codeDir, "step.ts"),
      `import * as v from "valibot";
import { defineStep } from "../../step.ts";
import { K } from "./lib.ts";
export const k = defineStep({
  name: "toy-k", version: "1", description: "", module: import.meta.url,
  params: v.object({}), inputs: {}, outputs: { out: { kind: "text", path: "k.txt" } },
  async run(ctx) { await Deno.writeTextFile(ctx.output("out"), String(K)); },
});
`,
    );
    const load = async () => {
      clearFingerprintMemo();
      const mod = await import(`file://${join(codeDir, "step.ts")}?v=${Math.random()}`);
      const step = { ...mod.k, module: `file://${join(codeDir, "step.ts")}` };
      return wfIn(codeDir, "steps:\n  k: { uses: toy-k }\n", () => Promise.resolve(step));
    };
    let wf = await load();
    let r = await runWorkflow(wf, { store, executor: new InlineExecutor() });
    assertEquals(r.ran, ["k"]);
    await Deno.writeTextFile(join(codeDir, "lib.ts"), "export const K = 2;\n");
    wf = await load();
    const why = (await whyStep(wf, "k", { store })).join("\n");
    assertMatch(why, /code of .*lib\.ts changed/);
    assert(!why.includes("param"), why);
    r = await runWorkflow(wf, { store, executor: new LocalExecutor() });
    assertEquals(r.ran, ["k"]);
    assertEquals(await Deno.readTextFile(r.outputs.k.out), "2");
  } finally {
    await Deno.remove(codeDir, { recursive: true });
  }
});

Deno.test("a failed step commits nothing, its dependents are skipped, independent steps finish", async () => {
  const { dir, store } = await setup();
  const wf = await wfIn(
    dir,
    `steps:
  bad: { uses: toy-fail }
  after: { uses: toy-add, in: { terms: [bad.out] } }
  fine: { uses: toy-emit, with: { value: 3 } }
`,
  );
  const r = await runWorkflow(wf, { store, executor: new LocalExecutor() });
  assert(!r.ok);
  assertEquals(r.failed.map((f) => f.id), ["bad"]);
  assertMatch(r.failed[0].error, "toy failure on purpose");
  assertEquals(r.skipped, ["after"]);
  assertEquals(r.ran, ["fine"]);
  assertEquals((await store.keys()).length, 1, "only the successful step is committed");
  assertEquals(
    [...Deno.readDirSync(join(store.root, "staging"))].length,
    0,
    "the failed attempt's staging dir is removed at once",
  );
  assertEquals(
    [...Deno.readDirSync(join(store.root, "checkpoints"))].length,
    0,
    "no empty checkpoint",
  );
});

Deno.test("independent steps run in parallel within the cores and memory, serially otherwise", async () => {
  const { dir, store } = await setup();
  const text = (tag: string) =>
    `steps:
  s1: { uses: toy-sleep, with: { ms: 700, tag: ${tag}1 } }
  s2: { uses: toy-sleep, with: { ms: 700, tag: ${tag}2 } }
`;
  const times = async (r: { outputs: Record<string, Record<string, string>> }) => {
    const a = JSON.parse(await Deno.readTextFile(r.outputs.s1.out));
    const b = JSON.parse(await Deno.readTextFile(r.outputs.s2.out));
    return { overlap: a.start < b.end && b.start < a.end };
  };
  const par = await runWorkflow(await wfIn(dir, text("p")), {
    store,
    executor: new LocalExecutor(),
    cores: 2,
  });
  assert((await times(par)).overlap, "expected overlapping execution with 2 cores");
  const ser = await runWorkflow(await wfIn(dir, text("s")), {
    store,
    executor: new LocalExecutor(),
    cores: 1,
  });
  assert(!(await times(ser)).overlap, "expected serial execution with 1 core");
});

async function waitFor(pred: () => Promise<boolean>, ms = 30000) {
  const t0 = Date.now();
  while (!(await pred())) {
    if (Date.now() - t0 > ms) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 25));
  }
}

Deno.test("kill -9 mid-step, then re-run: resumes from the checkpoint with identical output", async () => {
  const { dir, store, traced } = await setup();
  const wfFile = join(dir, "count.yaml");
  await Deno.writeTextFile(
    wfFile,
    "name: count\nsteps:\n  c: { uses: toy-count, with: { n: 12, msPerCount: 60 } }\n",
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", RUN_WF, store.root, wfFile],
    stdout: "null",
    stderr: "null",
    env: { TOY_TRACE: join(dir, "trace.txt") },
  }).spawn();
  await waitFor(async () => (await traced()).includes("count 4"));
  child.kill("SIGKILL");
  await child.status;
  // The worker notices its engine died and stops; wait for the trace to settle.
  let n = -1;
  await waitFor(async () => {
    const m = (await traced()).length;
    const settled = m === n;
    n = m;
    await new Promise((r) => setTimeout(r, 300));
    return settled;
  });
  assertEquals((await store.keys()).length, 0, "nothing committed by the killed run");
  const before = (await traced()).length;
  assert(before >= 4 && before < 12, `killed mid-way, got ${before} counts`);

  const resumed = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", RUN_WF, store.root, wfFile],
    stdout: "piped",
    stderr: "piped",
    env: { TOY_TRACE: join(dir, "trace.txt") },
  });
  const out = await resumed.output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const res = JSON.parse(new TextDecoder().decode(out.stdout));
  const counts = (await traced()).map((l) => Number(l.split(" ")[1]));
  assertEquals(counts.length, 12, `each count computed once overall: ${counts}`);
  assertEquals(counts, Array.from({ length: 12 }, (_, i) => i + 1));
  const expected = Array.from({ length: 12 }, (_, i) => (i + 1) ** 2).join(",");
  assertEquals(await Deno.readTextFile(res.outputs.c.out), expected);
});

Deno.test("two concurrent runs on one store: the step executes once, both get its output", async () => {
  const { dir, store, traced } = await setup();
  const wfFile = join(dir, "count.yaml");
  await Deno.writeTextFile(
    wfFile,
    "name: count\nsteps:\n  c: { uses: toy-count, with: { n: 6, msPerCount: 40 } }\n",
  );
  const spawn = () =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", RUN_WF, store.root, wfFile],
      stdout: "piped",
      stderr: "piped",
      env: { TOY_TRACE: join(dir, "trace.txt") },
    }).output();
  const [a, b] = await Promise.all([spawn(), spawn()]);
  assert(
    a.success && b.success,
    new TextDecoder().decode(a.stderr) + new TextDecoder().decode(b.stderr),
  );
  const ra = JSON.parse(new TextDecoder().decode(a.stdout));
  const rb = JSON.parse(new TextDecoder().decode(b.stdout));
  assertEquals((await traced()).length, 6, "counted once, not twice");
  assertEquals([...ra.ran, ...rb.ran], ["c"]);
  assertEquals([...ra.cached, ...rb.cached], ["c"]);
  assertEquals(ra.outputs.c.out, rb.outputs.c.out);
});

Deno.test("gc removes objects no record references and keeps the rest", async () => {
  const { dir, store } = await setup();
  const executor = new InlineExecutor();
  await runWorkflow(
    await wfIn(dir, "name: g\nsteps:\n  e: { uses: toy-emit, with: { value: 1 } }\n"),
    { store, executor },
  );
  const r = await runWorkflow(
    await wfIn(dir, "name: g\nsteps:\n  e: { uses: toy-emit, with: { value: 2 } }\n"),
    {
      store,
      executor,
    },
  );
  assertEquals((await store.keys()).length, 2);
  const removed = await store.gc();
  assertEquals(removed.objects.length, 1);
  assertEquals(await store.keys(), [r.outputs.e.out.split("/objects/")[1].split("/")[0]]);
});

Deno.test("publish: in a workflow copies outputs to user folders after commit and on cache hits", async () => {
  const { dir, store } = await setup();
  const executor = new InlineExecutor();
  const text = `
name: pub
params: { v: 7 }
steps:
  a:
    uses: toy-emit
    with: { value: "\${params.v}" }
    publish: { out: results/a }
`;
  const wf = await wfIn(dir, text);
  assertEquals(wf.nodes[0].publish, [{ port: "out", to: join(dir, "results/a") }]);
  let r = await runWorkflow(wf, { store, executor });
  assert(r.ok, JSON.stringify(r.failed));
  assertEquals(await Deno.readTextFile(join(dir, "results/a")), "7");
  assertEquals(r.published.a[0].copied.length, 1);
  await Deno.remove(join(dir, "results/a"));
  r = await runWorkflow(wf, { store, executor });
  assertEquals(r.cached, ["a"]);
  assertEquals(await Deno.readTextFile(join(dir, "results/a")), "7", "re-published from the cache");
  // A destination inside the store is refused (objects never change), naming the store path.
  const bad = await wfIn(dir, text.replace("results/a", join(dir, "store", "objects", "x")));
  r = await runWorkflow(bad, { store, executor });
  assertMatch(r.failed[0].error, /results are committed in the store .*inside the store/);
  // So is one inside another store's object (a scan simulated there, reached through a link),
  // and nothing is written into that object.
  const other = join(dir, "other", "objects", "k1");
  await Deno.mkdir(join(other, "scan"), { recursive: true });
  await Deno.writeTextFile(join(other, "manifest.json"), "{}");
  await Deno.symlink(other, join(dir, "heldout"));
  r = await runWorkflow(
    await wfIn(dir, text.replace("results/a", join(dir, "heldout", "scan", "Temp"))),
    { store, executor },
  );
  assertMatch(r.failed[0].error, /inside the store object .*other\/objects\/k1/);
  assertEquals([...Deno.readDirSync(join(other, "scan"))], []);
  await assertWorkflowError(
    dir,
    text.replace("publish: { out:", "publish: { nope:"),
    /unknown output 'nope'/,
  );
});

async function assertWorkflowError(dir: string, text: string, re: RegExp) {
  try {
    await wfIn(dir, text);
  } catch (e) {
    return assertMatch((e as Error).message, re);
  }
  throw new Error("expected a workflow error");
}
