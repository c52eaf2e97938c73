import { join } from "node:path";
import { hostname } from "node:os";
import { assert, assertEquals, assertMatch } from "../tests/assert.ts";
import { InlineExecutor } from "./executor.ts";
import { runWorkflow } from "./runner.ts";
import { processStartTime, Store } from "./store.ts";
import { parseWorkflow } from "./workflow.ts";
import { resolveToy, traceRunsBelow } from "./testdata/toy_steps.ts";
import type { EngineEvent } from "./events.ts";

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "srmidas-store-" });
  traceRunsBelow(dir, join(dir, "trace.txt"));
  await Deno.writeTextFile(join(dir, "trace.txt"), "");
  const store = await new Store(join(dir, "store")).init();
  const traced = async () =>
    (await Deno.readTextFile(join(dir, "trace.txt"))).split("\n").filter(Boolean).length;
  return { dir, store, traced };
}

const wf = (dir: string, value: number, name = "w") => {
  const text = `name: ${name}\nsteps:\n  e: { uses: toy-emit, with: { value: ${value} } }\n`;
  return parseWorkflow(text, join(dir, "wf.yaml"), { resolveStep: resolveToy });
};
const keyOfPath = (p: string) => p.split("/objects/")[1].split("/")[0];

Deno.test("committed objects are read-only; a changed cached file is detected and the step re-runs", async () => {
  const { dir, store, traced } = await setup();
  const executor = new InlineExecutor();
  const first = await runWorkflow(await wf(dir, 4), { store, executor, linkDir: join(dir, "out") });
  const file = first.outputs.e.out;
  const key = keyOfPath(file);
  const original = await Deno.readTextFile(file);
  assertEquals((await Deno.stat(file)).mode! & 0o777, 0o444, "file mode");
  assertEquals((await Deno.stat(store.objectDir(key))).mode! & 0o777, 0o555, "dir mode");
  assertEquals(await store.verifyObject(key), []);

  // As a user would: append through the out/ link (root ignores 0444, so make it writable first).
  const viaLink = join(dir, "out", "e", "value.txt");
  await Deno.chmod(viaLink, 0o644);
  await Deno.writeTextFile(viaLink, "\nextra", { append: true });
  const problems = await store.verifyObject(key);
  assertMatch(problems.join(), "value.txt: size");

  const events: EngineEvent[] = [];
  const again = await runWorkflow(await wf(dir, 4), {
    store,
    executor,
    events: (e) => events.push(e),
  });
  assertEquals(again.ran, ["e"], "re-ran instead of handing back the modified file");
  assertEquals(await traced(), 2);
  assertEquals(await Deno.readTextFile(again.outputs.e.out), original);
  assert(
    events.some((e) => e.type === "step-log" && /damaged .*value\.txt: size/.test(e.msg)),
    "the damage is reported",
  );
  assertEquals(await store.verifyObject(key), []);

  // Same size, mtime put back: the fast path cannot see it, `verify` (full digests) does.
  const st = await Deno.stat(again.outputs.e.out);
  await Deno.chmod(again.outputs.e.out, 0o644);
  const bytes = await Deno.readFile(again.outputs.e.out);
  bytes[0] ^= 1;
  await Deno.writeFile(again.outputs.e.out, bytes);
  await Deno.utime(again.outputs.e.out, st.atime!, st.mtime!);
  assertEquals(await store.verifyObject(key), [], "fast path: size and mtime unchanged");
  assertEquals([...(await store.verify()).keys()], [key]);
  assertEquals((await store.verify({ fast: true })).size, 0);
  // An extra file inside an object is also damage.
  await Deno.writeFile(again.outputs.e.out, new Uint8Array(bytes.map((b, i) => i ? b : b ^ 1)));
  await Deno.utime(again.outputs.e.out, st.atime!, st.mtime!);
  await Deno.chmod(store.objectDir(key), 0o755);
  await Deno.writeTextFile(join(store.objectDir(key), "stray.txt"), "x");
  assertMatch((await store.verifyObject(key)).join(), "stray.txt: not part of");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("gc keeps linked, published and last-N keys; removes abandoned staging and checkpoints", async () => {
  const { dir, store } = await setup();
  const executor = new InlineExecutor();
  const k = async (v: number, out?: string, name = "w") =>
    keyOfPath(
      (await runWorkflow(await wf(dir, v, name), {
        store,
        executor,
        linkDir: out && join(dir, out),
      })).outputs.e.out,
    );
  const kX = await k(1, "outX"); // held by outX/e
  const kY = await k(2, "outY"); // held by outY/e, and the most recent run
  const kPub = await k(3);
  const kOld = await k(4);
  const kLast = await k(5);
  await Deno.mkdir(join(store.root, "published"), { recursive: true });
  await Deno.writeTextFile(join(store.root, "published", "p.json"), JSON.stringify({ key: kPub }));
  // Abandoned work: a staging dir and a checkpoint of a dead run, and one of a live run.
  await Deno.mkdir(join(store.root, "staging", "deadkey.run1"), { recursive: true });
  await Deno.writeTextFile(join(store.root, "staging", "deadkey.run1", "f"), "12345");
  await Deno.mkdir(store.checkpointDir("deadkey"), { recursive: true });
  await Deno.writeTextFile(join(store.checkpointDir("deadkey"), "c"), "123");
  const release = await store.lock("livekey");
  await Deno.mkdir(store.checkpointDir("livekey"), { recursive: true });

  const dry = await store.gc({ dryRun: true, keepLast: 2 });
  assertEquals(dry.objects, [], "keep-last 2 keeps the last two");
  assertEquals(dry.staging, ["deadkey.run1"]);
  assertEquals(dry.checkpoints, ["deadkey"]);
  assertEquals(dry.sizes, { objects: 0, staging: 5, checkpoints: 3 });
  assertEquals((await store.keys()).length, 5, "dry run removes nothing");

  const r = await store.gc();
  assertEquals(r.objects, [kOld]);
  assertEquals((await store.keys()).sort(), [kX, kY, kPub, kLast].sort());
  assertMatch(r.kept.get(kX)!.join(), "linked from");
  assertMatch(r.kept.get(kPub)!.join(), "published");
  assertEquals(r.checkpoints, ["deadkey"]);
  await Deno.stat(store.checkpointDir("livekey")); // a live run's checkpoint stays
  await release();

  // A link that now points elsewhere (or is deleted) no longer holds its old key.
  await Deno.remove(join(dir, "outX", "e"));
  await store.gc();
  assertEquals((await store.keys()).includes(kX), false);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("gc removes what a kill -9 leaves: the lock of a key then found committed, temporaries", async () => {
  const { dir, store } = await setup();
  const executor = new InlineExecutor();
  const key = keyOfPath((await runWorkflow(await wf(dir, 1), { store, executor })).outputs.e.out);
  // A run killed after committing `key`, before releasing its lock, and while renaming files.
  const dead = new Deno.Command("true").spawn();
  await dead.status;
  const holder = { pid: dead.pid, host: hostname(), at: "x" };
  await Deno.writeTextFile(join(store.root, "locks", `${key}.lock`), JSON.stringify(holder));
  // Its temporaries (one just written), and one of another host from long ago.
  const here = `${dead.pid}@${hostname()}`;
  const tmps = ["digests.json", "records/w/e.json", "roots/r.json"].map((f) =>
    join(store.root, `${f}.${here}.tmp`)
  );
  await Deno.mkdir(join(store.root, "roots"), { recursive: true });
  for (const t of tmps) await Deno.writeTextFile(t, "{");
  const ancient = join(store.root, `published/p.json.${dead.pid}@elsewhere.tmp`);
  await Deno.mkdir(join(store.root, "published"), { recursive: true });
  await Deno.writeTextFile(ancient, "{");
  const longAgo = new Date(Date.now() - 10 * 60_000);
  await Deno.utime(ancient, longAgo, longAgo);
  // What gc must keep: another host's fresh temporary (it may be writing it now), a live
  // process's, a live run's lock.
  const remote = join(store.root, `digests.json.${dead.pid}@elsewhere.tmp`);
  await Deno.writeTextFile(remote, "{");
  const mine = join(store.root, `records/w/e.json.1@${hostname()}.tmp`); // pid 1 lives
  await Deno.writeTextFile(mine, "{");
  const release = await store.lock("livekey");

  // The re-run finds the key committed: a cache hit, which takes no lock and leaves it there.
  const again = await runWorkflow(await wf(dir, 1), { store, executor });
  assertEquals(again.cached, ["e"]);
  const expected = [
    `locks/${key}.lock`,
    `digests.json.${here}.tmp`,
    `published/p.json.${dead.pid}@elsewhere.tmp`,
    `records/w/e.json.${here}.tmp`,
    `roots/r.json.${here}.tmp`,
  ].sort();
  if (Deno.build.os === "linux") {
    assertEquals((await store.gc({ dryRun: true })).leftovers, expected);
    await Deno.stat(join(store.root, "locks", `${key}.lock`)); // a dry run removes nothing
    const r = await store.gc();
    assertEquals(r.leftovers, expected);
    assertEquals([...Deno.readDirSync(join(store.root, "locks"))].map((e) => e.name), [
      "livekey.lock",
    ]);
    for (const t of [...tmps, ancient]) {
      assert(!(await Deno.stat(t).catch(() => null)), `${t} removed`);
    }
    await Deno.stat(remote);
    await Deno.stat(mine);
  }
  await release();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("lock: a dead holder, a reused pid and a silent remote holder are taken over; waiting is told", async () => {
  const { dir, store } = await setup();
  const lockFile = join(store.root, "locks", "k.lock");
  const start = await processStartTime(Deno.pid);
  if (Deno.build.os === "linux") assert(start! > 0, "start time from /proc");
  // Reused pid: our own pid, but another start time.
  await Deno.writeTextFile(
    lockFile,
    JSON.stringify({ pid: Deno.pid, host: hostname(), at: "x", start: (start ?? 0) + 1 }),
  );
  let release = await store.lock("k", AbortSignal.timeout(5000));
  await release();
  // Dead pid.
  await Deno.writeTextFile(
    lockFile,
    JSON.stringify({ pid: 2 ** 22 + 7, host: hostname(), at: "x" }),
  );
  release = await store.lock("k", AbortSignal.timeout(5000));
  await release();
  // Another host, lock untouched for longer than the stale limit.
  await Deno.writeTextFile(lockFile, JSON.stringify({ pid: 1, host: "elsewhere", at: "x" }));
  const old = new Date(Date.now() - 10 * 60_000);
  await Deno.utime(lockFile, old, old);
  release = await store.lock("k", AbortSignal.timeout(5000));
  await release();
  // A live holder: the waiter is told who holds it, then gets it once released.
  const held = await store.lock("k");
  const told: string[] = [];
  const waiting = store.lock("k", undefined, (h) => told.push(`${h.pid}@${h.host}`));
  await new Promise((r) => setTimeout(r, 150));
  assertEquals(told, [`${Deno.pid}@${hostname()}`]);
  await held();
  await (await waiting)();
  await Deno.remove(dir, { recursive: true });
});
