import * as v from "valibot";
import { createPatchstoreStep, peakbankBeamCentre } from "../steps/create_patchstore.ts";
import { createPeakbankStep } from "../steps/create_peakbank.ts";
import { makeMidasDir, MIDAS_FIXTURE } from "./testdata_midas.ts";
import { PatchstoreReader } from "./h5.ts";
import { BEAM_Y_COLUMN, BEAM_Z_COLUMN, readPeakbankCsv, writePeakbankCsv } from "./peakbank_csv.ts";
import { syntheticPeakbank } from "./testdata.ts";
import { testContext } from "../engine/test_context.ts";
import { assert } from "./test_assert.ts";

Deno.test("create_patchstore step: runs on a peakbank file and reports progress", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pst_step_" });
  try {
    const pb = syntheticPeakbank();
    pb.columns.push(BEAM_Y_COLUMN, BEAM_Z_COLUMN);
    pb.numeric[BEAM_Y_COLUMN] = new Float64Array(pb.length).fill(1024);
    pb.numeric[BEAM_Z_COLUMN] = new Float64Array(pb.length).fill(1024);
    assert(peakbankBeamCentre(pb)?.y === 1024, "beam centre column");
    await writePeakbankCsv(`${dir}/pb.csv`, pb);
    await Deno.mkdir(`${dir}/out`);
    const { ctx, logs } = await testContext(
      createPatchstoreStep,
      {
        n_patches: 5,
        cvsz: 26,
        srfac_list: "1-8",
        nPeak: "1-2",
        pSepMax: 8,
        seed: 11,
        savename: "x.h5",
      },
      { peakbank: `${dir}/pb.csv` },
      { outDir: `${dir}/out`, base: dir },
    );
    await createPatchstoreStep.run(ctx);
    const progress = logs.progress.map(([d]) => d), warnings = logs.warn;
    const r = await PatchstoreReader.open(`${dir}/out/patchstore.h5`);
    try {
      assert(r.factors.join() === "1,8" && r.count >= 1 && r.count <= 5, `${r.factors} ${r.count}`);
      const args = r.readCreationArgs();
      assert(args.Ypx_BC === 1024 && args.seed === 11 && args.nPatch === 5, JSON.stringify(args));
    } finally {
      r.close();
    }
    assert(progress.at(-1) === 5, `progress ${progress}`);
    assert(warnings.some((w) => w.includes("savename")), "ignored keys are reported");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("create_peakbank step: MIDAS dir → peakbank CSV that create_patchstore accepts", async () => {
  const root = await Deno.makeTempDir({ prefix: "pb_step_" });
  try {
    const dir = await makeMidasDir(root, "scan", "bin");
    await Deno.mkdir(`${root}/out`);
    const { ctx, logs } = await testContext(
      createPeakbankStep,
      {
        cvsz: 16,
        I_thresh: 20,
        peak_recon_err_threshold: "None",
        midas_dir: [dir],
        save_frame_gen: "false",
      },
      { scan: [dir], peaks: [] },
      { outDir: `${root}/out`, base: root },
    );
    assert(ctx.params.peak_recon_err_threshold === null, "None → no threshold");
    await createPeakbankStep.run(ctx);
    const progress = logs.progress.map(([d]) => d);
    const pb = await readPeakbankCsv(`${root}/out/df_peakbank.csv`);
    assert(pb.length === 3 && pb.text.SourceDir[0] === dir, `rows ${pb.length}`);
    assert(
      peakbankBeamCentre(pb)?.y === MIDAS_FIXTURE.BC,
      "beam centre column for create_patchstore",
    );
    assert(progress.at(-1) === 2, `progress ${progress}`);
    assert(!v.safeParse(createPeakbankStep.params, { I_tresh: 5 }).success, "typos rejected");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
