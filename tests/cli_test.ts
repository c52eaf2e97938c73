/** End-to-end CLI tests: the real `srmidas` entry point in a subprocess, on a real step. */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";

import { srmidas } from "./cli.ts";

const SIM = [
  "--nFrames",
  "4",
  "--nY",
  "128",
  "--nZ",
  "96",
  "--ybc",
  "64",
  "--zbc",
  "48",
  "--nGrains",
  "2",
  "--nDark",
  "1",
];

Deno.test("a step runs alone from the CLI, is cached on the second call, and links its outputs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srmidas-cli-" });
  const first = await srmidas(dir, "simulate", ...SIM, "--seed", "5");
  assertEquals(first.code, 0, first.stderr);
  assertMatch(first.stderr, "✓ simulate done");
  const second = await srmidas(dir, "simulate", ...SIM, "--seed", "5");
  assertMatch(second.stderr, "✓ simulate (cached)");
  const zips = [...Deno.readDirSync(join(dir, "out/simulate/scan"))].map((e) => e.name);
  assert(zips.some((n) => n.endsWith(".MIDAS.zip")), `scan dir: ${zips}`);
  const bad = await srmidas(dir, "simulate", "--nFrames", "zero");
  assertEquals(bad.code, 2);
  assertMatch(bad.stderr, /simulate: invalid params:\n {2}nFrames: Invalid type: Expected number/);
});

Deno.test("run, plan, why and dag on a workflow file; invalid workflows exit 2 naming file:line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srmidas-cli-" });
  const wf = join(dir, "wf.yaml");
  await Deno.writeTextFile(
    wf,
    `name: tiny
params: { seed: 1 }
steps:
  sim:
    uses: simulate
    with: { seed: "\${params.seed}", nFrames: 3, nY: 64, nZ: 64, ybc: 32, zbc: 32, nGrains: 1, nDark: 1 }
`,
  );
  assertMatch(
    (await srmidas(dir, "plan", wf)).stdout,
    /will run\s+sim \(simulate\)\n\s+- never run in workflow 'tiny'/,
  );
  const run = await srmidas(dir, "run", wf);
  assertEquals(run.code, 0, run.stderr);
  assertMatch((await srmidas(dir, "plan", wf)).stdout, /cached\s+sim/);
  assertMatch(
    (await srmidas(dir, "why", wf, "sim", "--set", "seed=2")).stdout,
    "param seed: 1 → 2",
  );
  assertMatch((await srmidas(dir, "dag", wf)).stdout, "flowchart LR");
  await Deno.writeTextFile(wf, "steps:\n  sim:\n    uses: simulat\n");
  const bad = await srmidas(dir, "plan", wf);
  assertEquals(bad.code, 2);
  assertMatch(bad.stderr, `${wf}:3: step 'sim', field 'uses': unknown step 'simulat'`);
  const status = await srmidas(dir, "status");
  assertMatch(status.stdout, /1 object\(s\)/);
});
