/**
 * Chaos test (issue #15): `kill -9` a real `srmidas run` at ten random points of a small
 * workflow that simulates, processes (srfac 1), builds a peakbank and a patchstore and trains,
 * re-running after each kill. The final outputs must be byte-identical to an uninterrupted run's
 * (the same cache keys, the same files), and after `srmidas gc` the store holds no staging,
 * checkpoint or lock files and no temporaries, and `srmidas verify` finds every object intact.
 *
 * Kill points are drawn (seeded: `SRMIDAS_CHAOS_SEED=N` replays a run's choices) on the
 * uninterrupted run's timeline: one inside each step, five anywhere. A killed run is followed on
 * its progress lines, so each kill lands at its point of the pipeline whatever the machine's
 * speed. Half the kills take the whole process group (engine and step workers), half only the
 * engine, whose workers must then stop by themselves. The seed, each kill's time and what it
 * interrupted are printed.
 *
 * The uninterrupted run is made in the same folder first and moved aside, so absolute paths that
 * outputs record (the peakbank's SourceDir) are the same in both runs.
 *
 * A second test kills `srmidas process -midasZarrDir DIR` six times, twice at a random fraction
 * of its frames and four times at a random file event of its publishing into DIR; after a
 * re-run DIR/Temp and DIR/SR_out equal the store's (which equal an uninterrupted run's), with no
 * temporaries and nothing moved aside.
 */
import { join } from "node:path";
import { Rng } from "../nn/rng.ts";
import { simulateScan } from "../process/_test_util.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { assertSameTree } from "./same_tree.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const SEED = Number(Deno.env.get("SRMIDAS_CHAOS_SEED") ?? 15);
const KILLS = 10;

/** Simulate → process srfac 1 → peakbank → patchstore → train, each a few seconds. */
const WORKFLOW = `name: chaos
steps:
  sim:
    uses: simulate
    with: { name: chaos, seed: 3, nFrames: 8, nY: 512, nZ: 512, ybc: 255.5, zbc: 255.5,
            lsdUm: 250000, nGrains: 30, nDark: 1 }
  native:
    uses: process
    in: { scan: sim.scan }
    with: { srfac: 1, noiseRule: true }
  peakbank:
    uses: create-peakbank
    in: { scan: [sim.scan], peaks: [native.peaks] }
    with: { I_thresh: 20 }
  patchstore:
    uses: create-patchstore
    in: { peakbank: peakbank.peakbank }
    with: { nPatch: 100, seed: 7 }
  x2:
    uses: train
    in: { patchstore: patchstore.patchstore }
    with: { inSRx: 1, outSRx: 2, arch: "8-3-r_4-3-s_ps2", mbsz: 16, maxItr: 6, ecItr: 0, seed: 1 }
`;
const STEPS = ["sim", "native", "peakbank", "patchstore", "x2"];

/**
 * Wall-clock timings the training logs record (sr-midas's "elapse" lines, the per-epoch seconds):
 * the only bytes two runs of the same workflow may differ in. Blanked before comparing.
 */
const WALL_TIME: [RegExp, RegExp, string][] = [
  [/_train_log\.log$/, /(elapse: )[\d.]+(ms\/epoch)|(Total time: )[\d.]+( seconds)/g, "$1$3…$2$4"],
  [/train_log\.json$/, /("seconds": )[\d.e+-]+/g, "$1…"],
  [/train_log\.tsv$/, /\t[\d.e+-]+$/gm, "\t…"],
];

function withoutWallTime(rel: string, bytes: Uint8Array): Uint8Array {
  const rules = WALL_TIME.filter(([file]) => file.test(rel));
  if (!rules.length) return bytes;
  let text = new TextDecoder().decode(bytes);
  for (const [, re, by] of rules) text = text.replace(re, by);
  return new TextEncoder().encode(text);
}

/** What a run printed, step by step, in ms since it was spawned. */
interface Progress {
  started: Map<string, number>;
  done: Map<string, number>;
  cached: Set<string>;
  resumed: Set<string>;
  stderr: string[];
}

interface Attempt {
  code: number;
  signal: Deno.Signal | null;
  progress: Progress;
  /** ms after spawn when it was killed; undefined when it ended by itself. */
  killedAt?: number;
  /** Steps that had started and not finished at the kill. */
  interrupted: string[];
  /** How long the killed run's processes took to all be gone, ms. */
  lingeredMs?: number;
}

/** Live processes (not zombies) of a process group: pid → command line. */
function groupMembers(pgid: number): Map<number, string> {
  const out = new Map<number, string>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (f[0] !== "Z" && Number(f[2]) === pgid) {
        out.set(
          Number(e.name),
          Deno.readTextFileSync(`/proc/${e.name}/cmdline`).replace(/\0/g, " "),
        );
      }
    } catch { /* gone meanwhile */ }
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `srmidas <args>` in its own process group. `killAt(progress, ms)` is polled; when it says
 * so, SIGKILL goes to the whole group or to the engine only. Waits until no process of the group
 * is left (workers of a killed engine must stop by themselves) and fails if one lingers.
 */
async function attempt(
  cwd: string,
  args: string[],
  kill?: {
    at: (p: Progress, ms: number) => boolean;
    group: boolean;
    /** Resolves when `at` may have turned true (checked at once instead of at the next poll). */
    nudge?: Promise<void>;
  },
): Promise<Attempt> {
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    cwd,
    env: { NO_COLOR: "1" },
    detached: true, // its own process group, as a shell job is
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const p: Progress = {
    started: new Map(),
    done: new Map(),
    cached: new Set(),
    resumed: new Set(),
    stderr: [],
  };
  const pump = (async () => {
    let buf = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        p.stderr.push(line);
        const ms = performance.now() - t0;
        let m;
        if ((m = /^… (\S+) started( \(resuming)?/.exec(line))) {
          p.started.set(m[1], ms);
          if (m[2]) p.resumed.add(m[1]);
        } else if ((m = /^✓ (\S+) done in/.exec(line))) p.done.set(m[1], ms);
        else if ((m = /^✓ (\S+) \(cached\)/.exec(line))) p.cached.add(m[1]);
      }
    }
  })();
  let exited = false;
  const status = child.status.then((s) => (exited = true, s));
  let killedAt: number | undefined;
  let interrupted: string[] = [];
  while (kill && !exited) {
    const ms = performance.now() - t0;
    if (kill.at(p, ms)) {
      interrupted = [...p.started.keys()].filter((id) => !p.done.has(id));
      Deno.kill(kill.group ? -child.pid : child.pid, "SIGKILL");
      killedAt = ms;
      break;
    }
    await Promise.race(kill.nudge ? [sleep(5), kill.nudge] : [sleep(5)]);
  }
  const st = await status;
  await pump;
  // The kill came after the run had ended by itself (its exit not yet seen by the loop).
  if (st.success) killedAt = undefined;
  let lingeredMs: number | undefined;
  if (killedAt !== undefined) {
    const t1 = performance.now();
    let left = groupMembers(child.pid);
    while (left.size && performance.now() - t1 < 10_000) {
      await sleep(20);
      left = groupMembers(child.pid);
    }
    lingeredMs = performance.now() - t1;
    if (left.size) {
      for (const pid of left.keys()) Deno.kill(pid, "SIGKILL");
      throw new Error(
        `processes of the killed run still alive after 10 s:\n${[...left.values()].join("\n")}`,
      );
    }
  }
  return {
    code: st.code,
    signal: st.signal,
    progress: p,
    killedAt,
    interrupted: killedAt === undefined ? [] : interrupted,
    lingeredMs,
  };
}

/** Every file below `dir` (no symlinks followed) whose name marks a temporary. */
function temporaries(dir: string, out: string[] = []): string[] {
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    if (/\.tmp\b|\.tmp-|srmidas-tmp|\.partial/.test(e.name)) out.push(p);
    if (e.isDirectory) temporaries(p, out);
  }
  return out;
}

const ls = (p: string) => {
  try {
    return [...Deno.readDirSync(p)].map((e) => e.name).sort();
  } catch {
    return [];
  }
};

Deno.test({
  name: "chaos: kill -9 at 10 random points, re-run each time → outputs identical, nothing left",
  ignore: Deno.build.os !== "linux", // process groups and /proc
  async fn() {
    const t0 = performance.now();
    const rng = new Rng(SEED);
    const tmp = await Deno.makeTempDir({ prefix: "srmidas-chaos-" });
    const work = join(tmp, "work");
    const runArgs = ["run", "wf.yaml", "--cores", "2"];
    const fresh = async () => {
      await Deno.mkdir(work);
      await Deno.writeTextFile(join(work, "wf.yaml"), WORKFLOW);
    };
    try {
      // The uninterrupted run: its timeline places the kill points; its outputs are the reference.
      await fresh();
      const ref = await attempt(work, runArgs);
      assertEquals(ref.code, 0, ref.progress.stderr.join("\n"));
      const window = new Map<string, { start: number; end: number }>();
      for (const id of STEPS) {
        const start = ref.progress.started.get(id), end = ref.progress.done.get(id);
        assert(start !== undefined && end !== undefined, `reference run: ${id} ran`);
        window.set(id, { start, end });
      }
      const first = window.get(STEPS[0])!.start, last = window.get(STEPS.at(-1)!)!.end;
      const refKeys = new Map(
        STEPS.map((id) => [id, Deno.readLinkSync(join(work, "out/chaos", id)).split("/").at(-1)!]),
      );
      await Deno.rename(work, join(tmp, "reference"));
      const refStore = join(tmp, "reference/.srmidas");

      // Ten points on the reference timeline (ms since its first step started): one inside each
      // step, the rest anywhere; in pipeline order.
      const points = [
        ...STEPS.map((id) => {
          const w = window.get(id)!;
          return w.start + rng.next() * (w.end - w.start);
        }),
        ...Array.from({ length: KILLS - STEPS.length }, () => first + rng.next() * (last - first)),
      ].sort((a, b) => a - b);
      const groups = points.map(() => rng.next() < 0.5);

      // Where a run is on the reference timeline: the furthest step it reached, and how far into
      // that step by the reference's clock (capped at the step's end).
      const position = (p: Progress, ms: number) => {
        let at = -Infinity;
        for (const id of p.cached) at = Math.max(at, window.get(id)?.end ?? at);
        for (const [id, t] of p.started) {
          const w = window.get(id);
          if (!w) continue;
          at = Math.max(at, p.done.has(id) ? w.end : Math.min(w.start + (ms - t), w.end));
        }
        return at;
      };

      console.log(
        `chaos seed ${SEED} (SRMIDAS_CHAOS_SEED=${SEED} replays it); reference run ${
          (last - first).toFixed(0)
        } ms from its first step to its last: ${
          STEPS.map((id) => {
            const w = window.get(id)!;
            return `${id} ${(w.start - first).toFixed(0)}–${(w.end - first).toFixed(0)}`;
          }).join(", ")
        }`,
      );
      await fresh();
      const interrupted = new Set<string>();
      const resumed = new Set<string>();
      let lingered = 0;
      for (const [i, point] of points.entries()) {
        const a = await attempt(work, runArgs, {
          at: (p, ms) => position(p, ms) >= point,
          group: groups[i],
        });
        a.interrupted.forEach((id) => interrupted.add(id));
        a.progress.resumed.forEach((id) => resumed.add(id));
        lingered = Math.max(lingered, a.lingeredMs ?? 0);
        console.log(
          `kill ${i + 1}: point ${(point - first).toFixed(0)} ms, ${
            groups[i] ? "process group" : "engine only"
          }: ${
            a.killedAt === undefined
              ? `the run finished first (exit ${a.code})`
              : `SIGKILL ${a.killedAt.toFixed(0)} ms after start, during ${
                a.interrupted.join(", ") || "no step (between steps)"
              }; cached: ${[...a.progress.cached].join(", ") || "-"}${
                a.progress.resumed.size ? `; resumed: ${[...a.progress.resumed].join(", ")}` : ""
              }; its processes gone in ${a.lingeredMs!.toFixed(0)} ms`
          }`,
        );
        if (a.killedAt === undefined) {
          assertEquals(a.code, 0, a.progress.stderr.join("\n"));
        } else assertEquals(a.signal, "SIGKILL", a.progress.stderr.join("\n"));
      }
      const final = await attempt(work, runArgs);
      assertEquals(final.code, 0, final.progress.stderr.join("\n"));
      final.progress.resumed.forEach((id) => resumed.add(id));
      console.log(
        `steps interrupted: ${[...interrupted].join(", ")}; resumed from a checkpoint: ${
          [...resumed].join(", ") || "-"
        }; slowest group exit after a kill ${lingered.toFixed(0)} ms`,
      );
      assert(interrupted.size >= 3, `kills landed in ${[...interrupted]} only`);

      // The same keys, and the same bytes (but the training logs' wall-clock timings).
      const store = join(work, ".srmidas");
      let compared = 0;
      for (const id of STEPS) {
        const key = Deno.readLinkSync(join(work, "out/chaos", id)).split("/").at(-1)!;
        assertEquals(key, refKeys.get(id), `${id}: the same cache key as the uninterrupted run`);
        compared += await assertSameTree(
          join(refStore, "objects", key),
          join(store, "objects", key),
          { ignore: (f) => f === "manifest.json", normalize: withoutWallTime },
        );
      }
      assertEquals(ls(join(store, "objects")).length, STEPS.length, "one object per step");

      // Nothing left after gc; every object intact.
      const run = (...args: string[]) =>
        new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", CLI, ...args],
          cwd: work,
          env: { NO_COLOR: "1" },
        }).output();
      const gc = await run("gc");
      assertEquals(gc.code, 0, new TextDecoder().decode(gc.stderr));
      assertEquals(ls(join(store, "staging")), [], "no staging dirs");
      assertEquals(ls(join(store, "checkpoints")), [], "no checkpoint dirs");
      assertEquals(ls(join(store, "locks")), [], "no lock files");
      assertEquals(temporaries(work), [], "no temporaries in the store or out/");
      const verify = await run("verify");
      const said = new TextDecoder().decode(verify.stdout);
      assertEquals(verify.code, 0, said);
      assertMatch(said, `${STEPS.length} object(s) intact`);
      console.log(
        `${compared} files identical; ${KILLS} kills + reference + final run in ${
          ((performance.now() - t0) / 1000).toFixed(1)
        } s`,
      );
    } finally {
      await Deno.remove(tmp, { recursive: true }).catch(async () => {
        // Committed objects are read-only.
        await new Deno.Command("chmod", { args: ["-R", "u+w", tmp] }).output();
        await Deno.remove(tmp, { recursive: true });
      });
    }
  },
});

Deno.test({
  name:
    "chaos: kill -9 `process -midasZarrDir DIR` while computing and while publishing → DIR as the store",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const t0 = performance.now();
    const rng = new Rng(SEED + 1);
    const { dir, scan } = await simulateScan({ nFrames: 60 });
    const cwd = await Deno.makeTempDir({ prefix: "srmidas-chaos-pub-" });
    const args = ["process", "-midasZarrDir", scan, "--noiseRule"];
    try {
      // The uninterrupted computation, in a store of its own: how long it takes, what it makes.
      const ref = await attempt(cwd, [...args, "--no-publish", "--store", "ref", "--out", "ref"]);
      assertEquals(ref.code, 0, ref.progress.stderr.join("\n"));
      const kills: string[] = [];
      const logs = join(cwd, ".srmidas", "logs");
      for (let i = 0; i < 6; i++) {
        // Two kills while computing, at a random fraction of the frames (the run's event log
        // says how far it is), then four at a random file of the publish.
        const u = rng.next();
        const group = rng.next() < 0.5;
        const logsBefore = new Set(ls(logs));
        const fraction = () => {
          const log = ls(logs).find((f) => !logsBefore.has(f));
          if (!log) return 0;
          const lines = Deno.readTextFileSync(join(logs, log)).split("\n").slice(0, -1);
          for (const line of lines.reverse()) {
            const e = JSON.parse(line);
            if (e.type === "step-progress") return e.done / e.total;
          }
          return 0;
        };
        const watcher = Deno.watchFs(scan, { recursive: true });
        let events = 0;
        // A file published is a few events (temporary, write, rename): within the first ~15.
        const nth = 1 + Math.floor(u * 40);
        const reached = Promise.withResolvers<void>();
        (async () => {
          for await (const ev of watcher) {
            if (ev.paths.some((p) => p.includes("/Temp/") || p.includes("/SR_out/"))) events++;
            if (events >= nth) reached.resolve();
          }
        })();
        const a = await attempt(cwd, args, {
          at: () => (i < 2 ? fraction() >= u : events >= nth),
          group,
          nudge: i < 2 ? undefined : reached.promise,
        });
        watcher.close();
        const inDir = ls(join(scan, "Temp")).length;
        const what = i < 2 ? `at ${(u * 100).toFixed(0)} % of the frames` : `at DIR event ${nth}`;
        kills.push(
          `${what}, ${group ? "process group" : "engine only"}: ${
            a.killedAt === undefined
              ? `finished first (exit ${a.code})`
              : `SIGKILL ${a.killedAt.toFixed(0)} ms after start${
                a.progress.cached.has("process") ? " (cached, publishing)" : ""
              }`
          }; then ${inDir} files in DIR/Temp`,
        );
        if (a.killedAt === undefined) assertEquals(a.code, 0, a.progress.stderr.join("\n"));
      }
      const final = await attempt(cwd, args);
      assertEquals(final.code, 0, final.progress.stderr.join("\n"));
      console.log(`publish chaos (seed ${SEED + 1}):\n  ${kills.join("\n  ")}`);

      // DIR holds what the store holds, which is what the uninterrupted run made; no temporaries.
      const peaks = Deno.realPathSync(join(cwd, "out/process/peaks"));
      const n = await assertSameTree(Deno.realPathSync(join(cwd, "ref/process/peaks")), peaks);
      const skipLedger = { ignore: (f: string) => f.startsWith(".srmidas") };
      for (const sub of ["Temp", "SR_out"]) {
        await assertSameTree(join(peaks, sub), join(scan, sub), skipLedger);
      }
      assertEquals(temporaries(scan), [], "no temporaries in DIR");
      assertEquals(ls(scan).filter((f) => f.includes("replaced")), [], "nothing moved aside");
      const gc = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", CLI, "gc"],
        cwd,
        env: { NO_COLOR: "1" },
      }).output();
      assertEquals(gc.code, 0);
      for (const sub of ["staging", "checkpoints", "locks"]) {
        assertEquals(ls(join(cwd, ".srmidas", sub)), [], `no ${sub} left`);
      }
      assertEquals(temporaries(join(cwd, ".srmidas")), [], "no temporaries in the store");
      console.log(
        `${n} files identical, DIR = store; in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    } finally {
      for (const d of [cwd, dir]) {
        await new Deno.Command("chmod", { args: ["-R", "u+w", d] }).output();
        await Deno.remove(d, { recursive: true });
      }
    }
  },
});
