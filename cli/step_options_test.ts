import * as v from "valibot";
import { join } from "node:path";
import { assertEquals, assertMatch, assertRejects } from "../tests/assert.ts";
import { defineStep } from "../engine/step.ts";
import { resourcesFromPairs } from "../engine/resources.ts";
import { paramInfo, parseStepArgs, stepHelp } from "./step_options.ts";
import { runStepCommand } from "./main.ts";

const step = defineStep({
  name: "proc",
  version: "1",
  description: "test step",
  params: v.object({
    srfac: v.optional(v.picklist([1, 2, 4, 8]), 8),
    saveSRpatches: v.optional(v.boolean(), false),
    name: v.optional(v.string(), "x"),
    levels: v.optional(v.array(v.number()), [1, 2]),
    frames: v.optional(v.pipe(v.tuple([v.number(), v.number()]), v.check(([a, b]) => a <= b))),
  }),
  inputs: { scan: { kind: "scan" }, config: { kind: "config", optional: true } },
  outputs: { peaks: { kind: "peaks", path: "peaks" } },
  async run() {},
});
const aliases = { midasZarrDir: "in:scan", SRconfig: "in:config", nwork: "" };

Deno.test("sr-midas single-dash flags, GNU flags, aliases and coercion", () => {
  const a = parseStepArgs(
    step,
    [
      "-midasZarrDir",
      "/d",
      "-srfac",
      "4",
      "--saveSRpatches",
      "1",
      "--name=007",
      "--levels",
      "1,2,4",
      "--store",
      "s",
    ],
    aliases,
  );
  assertEquals(a.params, { srfac: 4, saveSRpatches: true, name: "007", levels: [1, 2, 4] });
  // A tuple param takes "a,b" as a list does, or JSON.
  for (const raw of ["0,99", "[0, 99]"]) {
    assertEquals(parseStepArgs(step, ["--frames", raw]).params, { frames: [0, 99] });
  }
  assertEquals(a.inputs, { scan: ["/d"] });
  assertEquals(a.engine, { store: "s" });
  assertEquals(
    parseStepArgs(step, ["--in", "config=c.json", "--saveSRpatches", "-nwork", "4"], aliases)
      .params,
    {
      saveSRpatches: true,
    },
  );
});

Deno.test("unknown options and missing values are clear errors", () => {
  let msg = "";
  try {
    parseStepArgs(step, ["--bogus", "1"]);
  } catch (e) {
    msg = (e as Error).message;
  }
  assertMatch(
    msg,
    "proc: unknown option '--bogus' (params: srfac, saveSRpatches, name, levels, frames; inputs: scan, config)",
  );
  try {
    parseStepArgs(step, ["--name"]);
  } catch (e) {
    msg = (e as Error).message;
  }
  assertMatch(msg, "option '--name' needs a value");
});

Deno.test("help lists params with defaults, ports and sr-midas flags", () => {
  assertEquals(paramInfo(step)[0], {
    name: "srfac",
    type: "1|2|4|8",
    optional: true,
    default: 8,
    description: undefined,
  });
  const h = stepHelp(step, aliases);
  assertMatch(h, "--srfac <1|2|4|8> (default 8)");
  assertMatch(h, "-midasZarrDir → input scan");
});

Deno.test("sr-midas's `cnnsr` model-type subcommand is accepted where sr-midas has it; --no-publish is an engine switch", () => {
  const train = { ...step, name: "train" };
  assertEquals(parseStepArgs(train, ["cnnsr", "-srfac", "2"]).params, { srfac: 2 });
  let err = "";
  try {
    parseStepArgs(step, ["cnnsr", "-srfac", "2"]);
  } catch (e) {
    err = (e as Error).message;
  }
  assertMatch(err, /unexpected argument 'cnnsr'/);
  const a = parseStepArgs(step, ["-midasZarrDir", "/d", "--no-publish", "-srfac", "1"], aliases);
  assertEquals([a.engine["no-publish"], a.params.srfac], ["true", 1]);
});

Deno.test("sr-midas's None for an optional input file means no input (-loadChkpt None)", () => {
  const none = parseStepArgs(step, ["-midasZarrDir", "/d", "-SRconfig", "None"], aliases);
  assertEquals(Object.keys(none.inputs), ["scan"]);
  const some = parseStepArgs(step, ["-midasZarrDir", "/d", "--config", "c.json"], aliases);
  assertEquals(some.inputs.config, undefined, "--config is the engine's");
  const named = parseStepArgs(step, ["-midasZarrDir", "/d", "-SRconfig", "none.json"], aliases);
  assertEquals(named.inputs.config, ["none.json"]);
});

Deno.test("--resource for a single step: repeatable pairs, kept apart from the step's params", () => {
  const a = parseStepArgs(step, [
    "-midasZarrDir",
    "/d",
    "--executor",
    "slurm",
    "--resource",
    "time=1:00:00",
    "--resource=mem=4G",
    "-srfac",
    "2",
  ], aliases);
  assertEquals(a.engine.executor, "slurm");
  assertEquals(a.resource, ["time=1:00:00", "mem=4G"]);
  assertEquals(a.params, { srfac: 2 });
  assertEquals(resourcesFromPairs(a.resource), { time: "1:00:00", mem: 4096 });
  assertEquals(parseStepArgs(step, ["-midasZarrDir", "/d"], aliases).resource, []);
  assertMatch(stepHelp(step, aliases), /--resource key=value/);
});

Deno.test("srmidas <step> --resource: used by a batch executor, refused by the local one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srmidas-resource-" });
  const args = ["--nFrames", "1", "--store", join(dir, "s"), "--out", join(dir, "out")];
  await assertRejects(
    () => runStepCommand("simulate", [...args, "--resource", "time=1:00:00"]),
    "--resource applies to batch executors",
  );
  await assertRejects(
    () => runStepCommand("simulate", [...args, "--executor", "slurm", "--resource", "time=soon"]),
    "--resource.time: expected walltime",
  );
  await Deno.remove(dir, { recursive: true });
});
