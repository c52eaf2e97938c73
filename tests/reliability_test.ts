/**
 * Issue #15 end to end through the real `srmidas` CLI: gc keeps what `out/` folders show,
 * early and one-line errors, no leftovers after bad input, strict --config files, several zips
 * in a scan directory, and SIGTERM.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";

import { srmidas, srmidasCommand } from "./cli.ts";

const SIM = ["--nFrames", "3", "--nY", "96", "--nZ", "96", "--nGrains", "3", "--nDark", "1"];
const ls = (p: string) => {
  try {
    return [...Deno.readDirSync(p)].map((e) => e.name).sort();
  } catch {
    return [];
  }
};

Deno.test("CLI: gc keeps both --out results; bad input fails early in one line and leaves nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srmidas-rel-" });
  const sim = await srmidas(dir, "simulate", ...SIM, "--lsdUm", "100000");
  assertEquals(sim.code, 0, sim.stderr);
  const scan = join(dir, "out/simulate/scan");

  // Two results of one step in two folders, then gc: both stay (the srfac 1 / srfac 8).
  const x = await srmidas(dir, "process", "--scan", scan, "--out", "outX");
  assertEquals(x.code, 0, x.stderr);
  const y = await srmidas(dir, "process", "--scan", scan, "--out", "outY", "--noiseRule", "true");
  assertEquals(y.code, 0, y.stderr);
  const gc = await srmidas(dir, "gc");
  assertEquals(gc.code, 0, gc.stderr);
  for (const o of ["outX", "outY"]) {
    const st = await Deno.stat(join(dir, o, "process", "peaks", "Temp", "AllPeaks_PS.bin"));
    assert(st.isFile, `${o}/process still resolves after gc`);
  }
  const verify = await srmidas(dir, "verify");
  assertEquals(verify.code, 0, verify.stdout);
  assertMatch(verify.stdout, /3 object\(s\) intact/);

  // --out where nothing can be written: refused before any work.
  await Deno.writeTextFile(join(dir, "afile"), "x");
  const ro = await srmidas(dir, "process", "--scan", scan, "--out", "afile/sub", "--srfac", "2");
  assertEquals(ro.code, 2);
  assertMatch(ro.stderr, "afile is not a directory");
  assert(!ro.stderr.includes("started"), "nothing ran");

  // Bad input: one line, no stack, message once; no staging, checkpoint or out folder left.
  await Deno.mkdir(join(dir, "empty"));
  const bad = await srmidas(dir, "process", "--scan", "empty", "--out", "outBad");
  assertEquals(bad.code, 1);
  assertEquals(bad.stderr.split("no *.MIDAS.zip").length - 1, 1, bad.stderr);
  assert(!bad.stderr.includes("    at "), `no stack trace: ${bad.stderr}`);
  assertEquals(ls(join(dir, "outBad")), [], "no out folder");
  assertEquals(ls(join(dir, ".srmidas/staging")), []);
  assertEquals(ls(join(dir, ".srmidas/checkpoints")), []);
  const verbose = await srmidas(dir, "process", "--scan", "empty", "--out", "outBad", "--verbose");
  assertMatch(verbose.stderr, "    at ");

  // Two zips: an error listing them; --zip picks one.
  await Deno.symlink(join(scan, "sim.MIDAS.zip"), join(dir, "twozips.MIDAS.zip"));
  const two = join(dir, "two");
  await Deno.mkdir(two);
  await Deno.copyFile(join(scan, "hkls.csv"), join(two, "hkls.csv"));
  await Deno.symlink(join(scan, "sim.MIDAS.zip"), join(two, "a.MIDAS.zip"));
  await Deno.symlink(join(scan, "sim.MIDAS.zip"), join(two, "b.MIDAS.zip"));
  const amb = await srmidas(dir, "process", "--scan", two, "--out", "outTwo");
  assertMatch(
    amb.stderr,
    "2 *.MIDAS.zip files (a.MIDAS.zip, b.MIDAS.zip); pick one with --zip NAME",
  );
  const picked = await srmidas(dir, "process", "--scan", two, "--out", "outTwo", "--zip", "b");
  assertEquals(picked.code, 0, picked.stderr);
  assertEquals(
    await Deno.readFile(join(dir, "outTwo/process/peaks/Temp/AllPeaks_PS.bin")),
    await Deno.readFile(join(dir, "outX/process/peaks/Temp/AllPeaks_PS.bin")),
    "the symlinked zip gives the same peaks",
  );

  // A misspelled key in a --config file: file:line and the closest name.
  await Deno.writeTextFile(join(dir, "p.yaml"), "srfac: 1\nnoiseRul: true\n");
  const cfg = await srmidas(dir, "process", "--scan", scan, "--config", "p.yaml");
  assertEquals(cfg.code, 2);
  assertMatch(cfg.stderr, "p.yaml:2: unknown param 'noiseRul' (did you mean 'noiseRule'?)");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("CLI: SIGTERM cancels cleanly, says so, exits 143, leaves no staging", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srmidas-rel-" });
  const args = ["simulate", "--nFrames", "400", "--nY", "256", "--nZ", "256", "--nGrains", "40"];
  const child = srmidasCommand(dir, args).spawn();
  let err = "";
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  while (!err.includes("started")) {
    const { value, done } = await reader.read();
    if (done) break;
    err += value;
  }
  child.kill("SIGTERM");
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    err += value;
  }
  await child.stdout.cancel();
  const st = await child.status;
  assertEquals(st.code, 143, err);
  assertMatch(err, "cancelled (SIGTERM)");
  assertEquals(ls(join(dir, ".srmidas/objects")), [], "nothing committed");
  assertEquals(ls(join(dir, ".srmidas/staging")), [], "no staging left");
  await Deno.remove(dir, { recursive: true });
});
