import {
  levelArgs,
  loadSrConfig,
  parseSrConfigTxt,
  peakShapeMode,
  refinesOnRaw,
  refineSplits,
  resolveModelDirs,
  SPLIT_ALL_DIRECTIONS_MISFIT_Z,
  validateSrConfig,
} from "./sr_config.ts";
import { assert, assertEquals, assertRejects } from "./_test_util.ts";

const EXAMPLE_TXT = new URL("../configs/sr_config.example.txt", import.meta.url).pathname;

Deno.test("bundled JSON config and the .txt example load to the same settings", async () => {
  const json = await loadSrConfig();
  const txt = await loadSrConfig(EXAMPLE_TXT);
  const strip = (c: object) =>
    JSON.parse(JSON.stringify(c, (k, v) => (k === "about" ? undefined : v)));
  assertEquals(strip(txt), strip(json));
  assertEquals(levelArgs(json, 8), {
    minDistance: 5,
    thresholdRel: 0.1,
    gaussSigma: 0,
    medianSize: 1,
    peakCropSize: 20,
    pvfitIntThresh: 10,
  });
  assertEquals(peakShapeMode(json), "com");
  assertEquals(peakShapeMode({ ...json, fitPeakShapePV: "Mix".toLowerCase() }), "auto");
  // srmidas extension, absent from sr-midas configs: re-fit SR peaks on raw counts by default.
  assert(refinesOnRaw(json) && refinesOnRaw(txt), "refine_on_raw defaults to yes");
  const { refine_on_raw: _, ...plain } = json;
  assert(refinesOnRaw(validateSrConfig(plain, "sr-midas.json")), "absent = yes");
  assert(!refinesOnRaw(validateSrConfig({ ...plain, refine_on_raw: "no" }, "x.json")), "no");
  await assertRejects(
    () => Promise.resolve(validateSrConfig({ ...plain, refine_on_raw: "maybe" }, "x.json")),
    "refine_on_raw: expected yes/no",
  );
  // The BIC re-fit's split search: on by default with BIC, off with the F-test or "no".
  const gate = { allDirectionsMinMisfitZ: SPLIT_ALL_DIRECTIONS_MISFIT_Z };
  assertEquals(refineSplits(json), { minGain: 3, ...gate });
  assertEquals(refineSplits({ ...json, refine_split_min_gain: 25 }), { minGain: 25, ...gate });
  assertEquals(refineSplits({ ...json, refine_split_min_misfit_z: -2 }), {
    minGain: 3,
    minMisfitZ: -2,
    ...gate,
  });
  assertEquals(refineSplits({ ...json, refine_split_directions: "all" }), {
    minGain: 3,
    allDirections: true,
  });
  assertEquals(refineSplits({ ...json, refine_split_directions: "residual" }), { minGain: 3 });
  await assertRejects(
    () => Promise.resolve(validateSrConfig({ ...plain, refine_split_directions: "x" }, "x.json")),
    "refine_split_directions",
  );
  assertEquals(refineSplits({ ...json, refine_select: "ftest" }), undefined);
  const noSplit = await loadSrConfig(
    new URL("../configs/sr_config.nosplit.json", import.meta.url).pathname,
  );
  assertEquals(refineSplits(noSplit), undefined);
  await assertRejects(
    () => Promise.resolve(validateSrConfig({ ...plain, refine_split_min_gain: -1 }, "x.json")),
    "refine_split_min_gain",
  );
  // The re-fit's below-threshold ring: 2 px when absent (both formats), 0 = MIDAS's pixels only.
  assertEquals([json.refine_ring_px, txt.refine_ring_px], [2, 2]);
  assertEquals(validateSrConfig({ ...plain, refine_ring_px: 0 }, "x.json").refine_ring_px, 0);
  // Summed neighbouring frames for the peak count: 1 when absent, 0 = frame f alone, at most 1.
  assertEquals([json.refine_omega_frames, txt.refine_omega_frames], [1, 1]);
  assertEquals(
    validateSrConfig({ ...plain, refine_omega_frames: 0 }, "x.json").refine_omega_frames,
    0,
  );
  await assertRejects(
    () => Promise.resolve(validateSrConfig({ ...plain, refine_omega_frames: 2 }, "x.json")),
    "refine_omega_frames",
  );
  const dir = await Deno.makeTempDir();
  try {
    const withRing = `${await Deno.readTextFile(EXAMPLE_TXT)}\nrefine_ring_px 1\n`;
    await Deno.writeTextFile(`${dir}/ring.txt`, withRing);
    assertEquals((await loadSrConfig(`${dir}/ring.txt`)).refine_ring_px, 1, ".txt value");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  for (const bad of [-1, 1.5]) {
    await assertRejects(
      () => Promise.resolve(validateSrConfig({ ...plain, refine_ring_px: bad }, "x.json")),
      "refine_ring_px",
    );
  }
});

Deno.test("config errors name the file and every missing or bad key", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assertRejects(
      () => Promise.resolve(validateSrConfig({ lrsz: 20 }, "a.json")),
      "a.json: invalid SR config",
    );
    // A .txt with an incomplete per-level family: the whole family is absent → named.
    const txt = (await Deno.readTextFile(EXAMPLE_TXT)).replace(/^SRx8_min_d.*$/m, "");
    await Deno.writeTextFile(`${dir}/c.txt`, txt);
    const msg = (await assertRejects(
      () => loadSrConfig(`${dir}/c.txt`),
      `${dir}/c.txt: invalid SR config`,
    )).message;
    assert(msg.includes("peak_find_args.min_d: missing key"), msg);
    await Deno.writeTextFile(`${dir}/c.yaml`, "x");
    await assertRejects(() => loadSrConfig(`${dir}/c.yaml`), "must end in .json or .txt");
    await assertRejects(
      () => Promise.resolve(parseSrConfigTxt("bogus 1\n", "b.txt")),
      "b.txt:1: unknown SR config key 'bogus'",
    );
    await assertRejects(
      () => Promise.resolve(parseSrConfigTxt("# c\nlrsz 20\nbatch_sise 4\n", "b.txt")),
      "b.txt:3: unknown SR config key 'batch_sise' (did you mean 'batch_size'?)",
    );
    const bad = JSON.parse(
      await Deno.readTextFile(new URL("../configs/sr_config.default.json", import.meta.url)),
    );
    // Unknown keys (at any level) are errors with file:line and the closest name; "about" is
    // sr-midas's own and accepted at every level.
    const typo = structuredClone(bad);
    typo.peak_find_args.min_d.SRx9 = 3;
    typo.batchsize = 10;
    typo.mods_to_use.SRx2.about = "sr-midas note";
    await Deno.writeTextFile(`${dir}/t.json`, JSON.stringify(typo, null, 2));
    const e = await assertRejects(
      () => loadSrConfig(`${dir}/t.json`),
      "unknown SR config key 'peak_find_args.min_d.SRx9' (did you mean 'SRx1'?)",
    );
    const text = await Deno.readTextFile(`${dir}/t.json`);
    const line = text.split("\n").findIndex((l) => l.includes('"batchsize"')) + 1;
    assert(
      e.message.includes(
        `${dir}/t.json:${line}: unknown SR config key 'batchsize' (did you mean 'batch_size'?)`,
      ),
      e.message,
    );
    assert(!e.message.includes("about"), "about is accepted");
    bad.fitPeakShapePV = "maybe";
    await Deno.writeTextFile(`${dir}/d.json`, JSON.stringify(bad));
    await assertRejects(
      () => loadSrConfig(`${dir}/d.json`),
      "fitPeakShapePV: expected yes/no/auto",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("model references resolve override dir first, then the bundled folder", async () => {
  const cfg = await loadSrConfig();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/over/x1_x2`, { recursive: true });
    await Deno.mkdir(`${dir}/bundled/x1_x2`, { recursive: true });
    await Deno.mkdir(`${dir}/bundled/x2_x4`, { recursive: true });
    const m = await resolveModelDirs(cfg, ["SRx2", "SRx4"], {
      overrideDir: `${dir}/over`,
      bundledDir: `${dir}/bundled`,
    });
    assertEquals([m.get("SRx2"), m.get("SRx4")], [`${dir}/over/x1_x2`, `${dir}/bundled/x2_x4`]);
    await assertRejects(
      () => resolveModelDirs(cfg, ["SRx8"], { bundledDir: `${dir}/bundled` }),
      "mods_to_use.SRx8.mod_dir 'x4_x8': no model folder found",
    );
    // A path that does not exist is an error even when a bundled model has its name.
    const typo = {
      ...cfg,
      mods_to_use: { ...cfg.mods_to_use, SRx2: { mod_dir: `${dir}/nowhere/x1_x2` } },
    };
    await assertRejects(
      () => resolveModelDirs(typo, ["SRx2"], { bundledDir: `${dir}/bundled` }),
      `mods_to_use.SRx2.mod_dir '${dir}/nowhere/x1_x2': no model folder found (searched ${dir}/nowhere/x1_x2)`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
