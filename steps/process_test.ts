import { processStep } from "./process.ts";
import { testContext } from "../engine/test_context.ts";
import {
  parsePeaksCsv,
  psCsvFileName,
  readAllPeaksPS,
  readAllPeaksPX,
} from "../midas/peak_table.ts";
import { parseTruthTsv } from "../synthesis/truth.ts";
import { parseRefitRegion } from "../process/sr_peaks.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  simulateScan,
  tinyModels,
} from "../process/_test_util.ts";

const sim = await simulateScan();
const temp = (out: string) => `${out}/peaks/Temp`;

async function run(
  params: Record<string, unknown>,
  inputs: Record<string, string | undefined> = {},
  opts: Parameters<typeof testContext>[3] = {},
) {
  const t = await testContext(processStep, params, { scan: sim.scan, ...inputs }, opts);
  await processStep.run(t.ctx);
  return t;
}

Deno.test("process srfac 1 finds the simulated spots; PS.bin, PX.bin and CSVs agree", async () => {
  const { outDir, logs } = await run({ srfac: 1 });
  const truth = parseTruthTsv(await Deno.readTextFile(sim.truth));
  const ps = await readAllPeaksPS(`${temp(outDir)}/AllPeaks_PS.bin`);
  assertEquals(ps.length, 4, "PS.bin frames");
  // Recall and localization on isolated truth spots (no other spot within 6 px in the frame).
  const isolated = truth.filter((t) =>
    !truth.some((u) =>
      u !== t && u.frame === t.frame && Math.hypot(u.yPx - t.yPx, u.zPx - t.zPx) < 6
    )
  );
  assert(isolated.length >= 30, `enough isolated spots (${isolated.length})`);
  const errs: number[] = [];
  for (const t of isolated) {
    const rows = ps[t.frame];
    let best = Infinity;
    for (let i = 0; i < rows.length; i += 29) {
      best = Math.min(best, Math.hypot(rows[i + 3] - t.yPx, rows[i + 4] - t.zPx));
    }
    if (best < 1) errs.push(best);
  }
  errs.sort((a, b) => a - b);
  assert(errs.length >= 0.95 * isolated.length, `recall ${errs.length}/${isolated.length}`);
  assert(errs[errs.length >> 1] < 0.05, `median position error ${errs[errs.length >> 1]} px`);
  // Per-frame CSVs = PS.bin (CSV precision 1e-6); PX pairs are (Y, Z) and hold each seed pixel.
  const px = await readAllPeaksPX(`${temp(outDir)}/AllPeaks_PX.bin`);
  assertEquals(px.nrPixels, 256, "PX NrPixels");
  for (let f = 0; f < 4; f++) {
    const name = `${temp(outDir)}/${psCsvFileName("tiny.MIDAS.zip", f + 1)}`;
    const csv = parsePeaksCsv(await Deno.readTextFile(name), name);
    assertEquals(csv.length, ps[f].length, `frame ${f} row values`);
    for (let i = 0; i < csv.length; i++) {
      assert(
        Math.abs(csv[i] - ps[f][i]) <= 1e-6,
        `frame ${f} value ${i}: ${csv[i]} vs ${ps[f][i]}`,
      );
    }
    assertEquals(px.frames[f].length, ps[f].length / 29, `frame ${f} PX peaks`);
    px.frames[f].forEach((pairs, p) => {
      const maxY = ps[f][p * 29 + 13], maxZ = ps[f][p * 29 + 14];
      let found = false;
      for (let i = 0; i < pairs.length; i += 2) {
        if (pairs[i] === maxY && pairs[i + 1] === maxZ) found = true;
      }
      assert(found, `frame ${f} peak ${p}: (maxY, maxZ) in its (Y, Z) pixel list`);
    });
  }
  assertEquals(logs.progress.at(-1), [4, 4], "progress");
  for (const f of ["sr_config.json", "sr_params.json", "RingNrmap.npy"]) {
    await Deno.stat(`${outDir}/peaks/SR_out/${f}`);
  }
});

Deno.test("process resumes a killed run and produces identical files", async () => {
  const ref = await run({ srfac: 1 });
  const ck = await Deno.makeTempDir({ prefix: "srm_proc_ck_" });
  const ac = new AbortController();
  await assertRejects(
    () =>
      run({ srfac: 1 }, {}, {
        checkpointDir: ck,
        signal: ac.signal,
        onProgress: (d) => d === 2 && ac.abort(),
      }),
    /abort/i,
  );
  const second = await run({ srfac: 1 }, {}, { checkpointDir: ck });
  assert(
    second.logs.info.some((m) => m.startsWith("resuming: 2 of 4")),
    "second run resumed at frame 2",
  );
  assertEquals(
    second.logs.progress.map((p) => p[0]),
    [2, 3, 4],
    "starts at the 2 frames done, then only frames 3 and 4 recomputed",
  );
  // The final progress line counts every peak, not only those of the resumed frames.
  const peaks = (await readAllPeaksPS(`${temp(ref.outDir)}/AllPeaks_PS.bin`))
    .reduce((n, f) => n + f.length / 29, 0);
  assertMatch(String(second.logs.progressLabels.at(-1)), `, ${peaks} peaks)`);
  const names = [...Deno.readDirSync(temp(ref.outDir))].map((e) => e.name).sort();
  assertEquals(
    [...Deno.readDirSync(temp(second.outDir))].map((e) => e.name).sort(),
    names,
    "file set",
  );
  for (const n of names) {
    const a = await Deno.readFile(`${temp(ref.outDir)}/${n}`);
    const b = await Deno.readFile(`${temp(second.outDir)}/${n}`);
    assert(a.length === b.length && a.every((x, i) => x === b[i]), `${n} identical`);
  }
});

Deno.test("process rejects bad inputs before any frame", async () => {
  const bad = await Deno.makeTempDir({ prefix: "srm_proc_bad_" });
  const noProgress = async (
    params: Record<string, unknown>,
    inputs: Record<string, string | undefined>,
    part: string | RegExp,
  ) => {
    const t = await testContext(processStep, params, inputs);
    await assertRejects(() => processStep.run(t.ctx), part);
    assertEquals(t.logs.progress.length, 0, `no frame processed for ${String(part)}`);
  };
  // 1. no zip
  await Deno.mkdir(`${bad}/empty`);
  await noProgress({}, { scan: `${bad}/empty` }, "no *.MIDAS.zip");
  // 2. no hkls.csv
  await Deno.mkdir(`${bad}/nohkls`);
  await Deno.copyFile(`${sim.scan}/tiny.MIDAS.zip`, `${bad}/nohkls/tiny.MIDAS.zip`);
  await noProgress({}, { scan: `${bad}/nohkls` }, "hkls.csv: missing");
  // 3. a RingThresh ring absent from hkls.csv
  const hkls = (await Deno.readTextFile(`${sim.scan}/hkls.csv`)).split("\n");
  await Deno.writeTextFile(
    `${bad}/nohkls/hkls.csv`,
    hkls.filter((l, i) => i === 0 || l.split(/\s+/)[4] === "1").join("\n"),
  );
  await noProgress({}, { scan: `${bad}/nohkls` }, "no reflection with RingNr 2");
  // 4. config missing keys: named with the file
  const cfg = JSON.parse(
    await Deno.readTextFile(new URL("../configs/sr_config.default.json", import.meta.url)),
  );
  delete cfg.batch_size;
  delete cfg.peak_find_args.min_d;
  await Deno.writeTextFile(`${bad}/cfg.json`, JSON.stringify(cfg));
  const t = await testContext(processStep, {}, { scan: sim.scan, config: `${bad}/cfg.json` });
  const msg = (await assertRejects(
    () => processStep.run(t.ctx),
    `${bad}/cfg.json: invalid SR config`,
  )).message;
  assert(
    msg.includes("batch_size: missing key") && msg.includes("peak_find_args.min_d: missing key"),
    msg,
  );
  // 5. srfac > 1 with a config naming a model that is nowhere (not bundled, no override)
  const noModel = JSON.parse(
    await Deno.readTextFile(new URL("../configs/sr_config.default.json", import.meta.url)),
  );
  noModel.mods_to_use.SRx2.mod_dir = "x9_x2";
  await Deno.writeTextFile(`${bad}/nomodel.json`, JSON.stringify(noModel));
  await noProgress(
    { srfac: 2 },
    { scan: sim.scan, models: `${bad}/nomodels`, config: `${bad}/nomodel.json` },
    "mods_to_use.SRx2.mod_dir 'x9_x2': no model folder found",
  );
  // 6. model factor mismatch: the SRx2 slot holds an x1→x4 model
  await tinyModels(`${bad}/models`, [["x1_x2", 1, 4]]);
  await noProgress(
    { srfac: 2 },
    { scan: sim.scan, models: `${bad}/models` },
    "model factor mismatch",
  );
});

Deno.test("process SR path (srfac 4, tiny untrained cascade) runs end to end; --saveRefitRegions keeps the re-fits' inputs", async () => {
  const models = await Deno.makeTempDir({ prefix: "srm_proc_models_" });
  await tinyModels(models);
  const { outDir } = await run({
    srfac: 4,
    saveSRpatches: 1,
    saveFrameGoodCoords: true,
    saveRefitRegions: 1,
  }, { models });
  const ps = await readAllPeaksPS(`${temp(outDir)}/AllPeaks_PS.bin`);
  const px = await readAllPeaksPX(`${temp(outDir)}/AllPeaks_PX.bin`);
  assertEquals(ps.length, 4, "frames");
  assert(ps.some((r) => r.length > 0), "some rows");
  ps.forEach((rows, f) => {
    assertEquals(px.frames[f].length, rows.length / 29, `frame ${f} PX count`);
    for (let i = 0; i < rows.length; i += 29) {
      const [y, z] = [rows[i + 3], rows[i + 4]];
      assert(y >= 0 && y < 256 && z >= 0 && z < 256, `row inside the detector (${y}, ${z})`);
      assertEquals(rows[i], i / 29 + 1, "SpotID numbering");
    }
  });
  const srp = `${outDir}/peaks/SR_out/SR_patches`;
  const files = [...Deno.readDirSync(srp)].map((e) => e.name);
  for (const suffix of ["SRx1_exp.npy", "SRx2_pred.npy", "SRx4_pred.npy", "patches_info.csv"]) {
    assert(files.includes(`000000_${suffix}`), `SR_patches has 000000_${suffix}`);
  }
  const gc = [...Deno.readDirSync(`${outDir}/peaks/SR_out/frame_goodCoords`)].map((e) => e.name);
  assertEquals(gc.sort(), ["000000_GC.npy", "000001_GC.npy", "000002_GC.npy", "000003_GC.npy"]);
  const regions = (await Deno.readTextFile(`${outDir}/peaks/SR_out/refit_regions.jsonl`))
    .trim().split("\n").map(parseRefitRegion);
  assert(regions.length > 0, "re-fit regions saved");
  for (const g of regions) {
    assert(g.frame >= 0 && g.frame < 4, `frame ${g.frame}`);
    assertEquals(g.own.length, g.seeds.length);
    assertEquals(g.r.length, g.value.length);
    // The re-fit sums each frame with its neighbours (refine_omega_frames 1): frames 0 and 3
    // have one, frames 1 and 2 two, on the region's own pixels.
    assertEquals(g.neighbours?.length, g.frame === 0 || g.frame === 3 ? 1 : 2, `frame ${g.frame}`);
    for (const v of g.neighbours!) assertEquals(v.length, g.r.length);
  }
});

Deno.test("process SR path on a noisy scan: the re-fit sums neighbouring frames, and frames 1–3 alone, or the re-fit on 2 workers, give the whole run's rows", async () => {
  const noisy = await simulateScan({ mode: "realistic", nFrames: 5, omegaStepDeg: -0.25 });
  const models = await Deno.makeTempDir({ prefix: "srm_proc_models_" });
  await tinyModels(models);
  const runOn = (params: Record<string, unknown>, threads = 1) =>
    run({ srfac: 4, ...params }, { scan: noisy.scan, models }, { threads });
  const whole = await runOn({ saveRefitRegions: 1 });
  const regions = (await Deno.readTextFile(`${whole.outDir}/peaks/SR_out/refit_regions.jsonl`))
    .trim().split("\n").map(parseRefitRegion);
  const pooled = regions.filter((g) => g.noise && g.neighbours?.length === 2);
  assert(pooled.length > 10, `${pooled.length} of ${regions.length} regions with both neighbours`);
  // Frames 1–3 alone read frames 0 and 4 as their neighbours: the same rows as the whole run,
  // so shards and resumed runs fit as one run does.
  const part = await runOn({ frames: [1, 3] });
  const [ps, partPs] = await Promise.all(
    [whole, part].map((t) => readAllPeaksPS(`${temp(t.outDir)}/AllPeaks_PS.bin`)),
  );
  for (const f of [1, 2, 3]) {
    assert(ps[f].length > 0, `frame ${f} has rows`);
    assertEquals([...partPs[f]], [...ps[f]], `frame ${f}`);
  }
  // The SR peaks and their re-fit on two workers (process/patch_rows.ts): every row the same.
  const two = await runOn({}, 2);
  const twoPs = await readAllPeaksPS(`${temp(two.outDir)}/AllPeaks_PS.bin`);
  assertEquals(twoPs.length, ps.length, "frames");
  ps.forEach((rows, f) => assertEquals([...twoPs[f]], [...rows], `frame ${f} on 2 workers`));
  await Deno.remove(noisy.dir, { recursive: true });
});

globalThis.addEventListener("unload", () => Deno.removeSync(sim.dir, { recursive: true }));
