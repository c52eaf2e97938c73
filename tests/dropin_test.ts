/**
 * The drop-in contract with MIDAS (issue #13): `srmidas process -midasZarrDir DIR` leaves its peak
 * files in `DIR/Temp` and `DIR/SR_out`, as sr-midas does, through the real CLI in a subprocess.
 */
import { join } from "node:path";
import { simulateScan } from "../process/_test_util.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";

import { srmidas as run, srmidasCommand } from "./cli.ts";

/** Relative path → bytes of every file below `dir` (srmidas's ledger left out). */
async function files(dir: string, prefix = ""): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(dir)) {
    const rel = prefix + e.name;
    if (e.name.startsWith(".srmidas")) continue;
    if (e.isDirectory) {
      for (const [k, v] of await files(join(dir, e.name), rel + "/")) out.set(k, v);
    } else out.set(rel, await Deno.readFile(join(dir, e.name)));
  }
  return out;
}

function assertSameFiles(a: Map<string, Uint8Array>, b: Map<string, Uint8Array>, what: string) {
  assertEquals([...a.keys()].sort(), [...b.keys()].sort(), `${what}: file names`);
  for (const [k, v] of a) assertEquals(b.get(k), v, `${what}: ${k} differs`);
}

/** The store object's `peaks/` of the last `process` run (through the out/ link). */
const storePeaks = (cwd: string) => Deno.realPathSync(join(cwd, "out", "process", "peaks"));

for (const srfac of ["1", "8"]) {
  Deno.test(`process -midasZarrDir DIR -srfac ${srfac} publishes Temp/ and SR_out/ into DIR; re-runs are cached and keep user files`, async () => {
    const { scan } = await simulateScan();
    const cwd = await Deno.makeTempDir({ prefix: "srm_dropin_" });
    const first = await run(cwd, "process", "-midasZarrDir", scan, "-srfac", srfac, "--noiseRule");
    assertEquals(first.code, 0, first.stderr);
    assertMatch(first.stderr, new RegExp(`published to ${scan}/Temp`));
    const temp = await files(join(scan, "Temp"));
    assert(temp.has("AllPeaks_PS.bin") && temp.has("AllPeaks_PX.bin"), "consolidated binaries");
    assertEquals(
      [...temp.keys()].filter((n) => n.endsWith("_PS.csv")).length,
      4,
      "a CSV per frame",
    );
    assertSameFiles(await files(join(storePeaks(cwd), "Temp")), temp, "DIR/Temp vs the store");
    assertSameFiles(
      await files(join(storePeaks(cwd), "SR_out")),
      await files(join(scan, "SR_out")),
      "DIR/SR_out vs the store",
    );

    // A user's note in DIR and a file of theirs in DIR/Temp: still cached, and both survive.
    await Deno.writeTextFile(join(scan, "notes.txt"), "beamtime notes");
    await Deno.writeTextFile(join(scan, "Temp", "mine.txt"), "keep me");
    const second = await run(cwd, "process", "-midasZarrDir", scan, "-srfac", srfac, "--noiseRule");
    assertEquals(second.code, 0, second.stderr);
    assertMatch(second.stderr, /✓ process \(cached\)/);
    assertMatch(second.stderr, /0 written, \d+ unchanged/);
    assertEquals(await Deno.readTextFile(join(scan, "Temp", "mine.txt")), "keep me");

    // A published file someone deleted is published again from the cache.
    await Deno.remove(join(scan, "Temp", "AllPeaks_PS.bin"));
    const third = await run(cwd, "process", "-midasZarrDir", scan, "-srfac", srfac, "--noiseRule");
    assertMatch(third.stderr, /✓ process \(cached\)/);
    const republished = await files(join(scan, "Temp"));
    republished.delete("mine.txt");
    assertSameFiles(await files(join(storePeaks(cwd), "Temp")), republished, "after re-publish");
  });
}

Deno.test("process -midasZarrDir DIR -srfac 8 with no other flag applies the noise rule; --noiseRule false turns it off", async () => {
  // A noisy scan (the simulator's detector noise and dark frames): without the rule, noise
  // components reach the cascade and come back as peaks.
  const { scan } = await simulateScan({ mode: "realistic", nDark: 4, nFrames: 2 });
  const cwd = await Deno.makeTempDir({ prefix: "srm_dropin_" });
  const peaks = async (...flags: string[]) => {
    const r = await run(
      cwd,
      "process",
      "-midasZarrDir",
      scan,
      "-srfac",
      "8",
      "--no-publish",
      ...flags,
    );
    assertEquals(r.code, 0, r.stderr);
    return await Deno.readFile(join(storePeaks(cwd), "Temp", "AllPeaks_PS.bin"));
  };
  const plain = await peaks();
  assertEquals(plain, await peaks("--noiseRule", "true"), "the default is the noise rule");
  const off = await peaks("--noiseRule", "false");
  // AllPeaks_PS.bin: a header, then per frame its peak count and rows; more bytes, more peaks.
  assert(off.length > plain.length, `without the rule ${off.length} bytes, with ${plain.length}`);
});

Deno.test("--no-publish leaves DIR untouched", async () => {
  const { scan } = await simulateScan();
  const cwd = await Deno.makeTempDir({ prefix: "srm_dropin_" });
  const names = () => [...Deno.readDirSync(scan)].map((e) => e.name).sort();
  const before = names();
  const r = await run(cwd, "process", "-midasZarrDir", scan, "--no-publish");
  assertEquals(r.code, 0, r.stderr);
  assertEquals(names(), before);
});

Deno.test("kill -9 while publishing, then a re-run: complete files identical to the store", async () => {
  // Many frames, so that publishing takes long enough to be interrupted.
  const { scan } = await simulateScan({ nFrames: 300, nGrains: 20 });
  const cwd = await Deno.makeTempDir({ prefix: "srm_dropin_kill_" });
  const compute = await run(cwd, "process", "-midasZarrDir", scan, "--no-publish");
  assertEquals(compute.code, 0, compute.stderr);
  // The cached run only publishes; kill it as soon as the first file lands in DIR.
  const watcher = Deno.watchFs(scan, { recursive: true });
  const child = srmidasCommand(cwd, ["process", "-midasZarrDir", scan]).spawn();
  for await (const ev of watcher) {
    if (ev.paths.some((p) => p.includes("/Temp/"))) break;
  }
  watcher.close();
  child.kill("SIGKILL");
  const status = await child.status;
  assertEquals(status.signal, "SIGKILL", "killed before it finished publishing");
  const partial = await files(join(scan, "Temp")).catch(() => new Map());
  assert(partial.size < 302, `interrupted mid-way (${partial.size} of 302 files)`);
  const again = await run(cwd, "process", "-midasZarrDir", scan);
  assertEquals(again.code, 0, again.stderr);
  assertSameFiles(
    await files(join(storePeaks(cwd), "Temp")),
    await files(join(scan, "Temp")),
    "after resume",
  );
  const leftovers = [...Deno.readDirSync(join(scan, "Temp"))].filter((e) =>
    e.name.includes(".srmidas-tmp-") || e.name === ".srmidas-replaced"
  );
  assertEquals(leftovers, [], "no temporaries, nothing mistaken for a foreign file");
});
