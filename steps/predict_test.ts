import { parseArch } from "../nn/arch.ts";
import { exportModel } from "../nn/model_card.ts";
import { readNpy } from "../nn/io/npy.ts";
import { testContext } from "../engine/test_context.ts";
import { makeTinyPatchstore } from "../nn/io/testdata.ts";
import { Rng } from "../nn/rng.ts";
import { Predictor } from "../nn/session.ts";
import { assert } from "../nn/test_util.ts";
import { initParams } from "../nn/trainer.ts";
import { maxNormalize, prepareIntensity } from "../nn/upscale.ts";
import { PatchstoreReader } from "../patchstore/h5.ts";
import { createPredPstStep } from "./create_pred_pst.ts";
import { chainStages, predictStep } from "./predict.ts";
import { trainStep } from "./train.ts";

const LRSZ = 8;

/** A random-weight model SRx{a} → SRx{b} exported to `dir`. */
async function randomModel(dir: string, a: number, b: number, seed: number): Promise<string> {
  const arch = parseArch("4-3-r_1-3-s");
  const weights = initParams(arch, 1, new Rng(seed));
  await exportModel(dir, { arch, inChannels: 1, weights }, {
    srfacIn: a,
    srfacOut: b,
    channels: ["I"],
  });
  return dir;
}

/** Reference path independent of the steps: prepareIntensity + Predictor on whole arrays. */
async function reference(model: string, x: Float32Array, n: number, size: number, f: number) {
  const pred = await Predictor.fromCard(`${model}/model.json`, { threads: 1 });
  const y = await pred.predict(prepareIntensity(x, n, size, size, f), n, size * f, size * f);
  await pred.release();
  return y;
}

function channel0(x: Float32Array, n: number, c: number, hw: number): Float32Array {
  const out = new Float32Array(n * hw);
  for (let p = 0; p < n; p++) out.set(x.subarray(p * c * hw, p * c * hw + hw), p * hw);
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

Deno.test("predict step: single model and x1→x2→x4 cascade match a direct reference", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srm_predict_" });
  try {
    const n = await makeTinyPatchstore(`${dir}/pst.h5`, { nPatch: 20, factors: [1, 2, 4] });
    const m12 = await randomModel(`${dir}/m12`, 1, 2, 1);
    const m24 = await randomModel(`${dir}/m24`, 2, 4, 2);
    const r = await PatchstoreReader.open(`${dir}/pst.h5`);
    const x1 = channel0(r.readPatches(0, n, 1), n, 3, LRSZ * LRSZ);
    r.close();
    const want2 = maxNormalize(await reference(m12, x1, n, LRSZ, 2), n, 1, 16, 16);
    const want4 = maxNormalize(await reference(m24, want2, n, 16, 2), n, 1, 32, 32);

    const single = await testContext(predictStep, { chunk: 7 }, {
      patchstore: `${dir}/pst.h5`,
      model: [m12],
    }, {
      base: dir,
    });
    await predictStep.run(single.ctx);
    const s = await readNpy(`${single.outDir}/predictions/predictions.npy`);
    assert(s.shape.join() === `${n},1,16,16`, `shape ${s.shape}`);
    const d1 = maxAbsDiff(s.data, want2);
    assert(d1 < 1e-6, `single vs reference ${d1}`);

    const cas = await testContext(
      predictStep,
      { saveName: "run.npy", outSRx: 4 },
      { patchstore: `${dir}/pst.h5`, model: [m24, m12] },
      { base: dir },
    );
    await predictStep.run(cas.ctx);
    const c2 = await readNpy(`${cas.outDir}/predictions/run_SRx2.npy`);
    const c4 = await readNpy(`${cas.outDir}/predictions/run_SRx4.npy`);
    const d2 = maxAbsDiff(c2.data, want2), d4 = maxAbsDiff(c4.data, want4);
    console.log(
      `predict: ${n} patches, max |step − reference| single ${d1.toExponential(1)}, x4 ${
        d4.toExponential(1)
      }`,
    );
    assert(c4.shape.join() === `${n},1,32,32` && d2 < 1e-6 && d4 < 1e-6, `cascade ${d2} ${d4}`);
    for (let p = 0; p < n; p++) {
      const m = Math.max(...c4.data.subarray(p * 1024, (p + 1) * 1024));
      assert(Math.abs(m - 1) < 1e-6, `patch ${p} max-normalized, max ${m}`);
    }
    let msg = "";
    try {
      chainStages([{ srfacIn: 1, srfacOut: 2, source: "a" }, {
        srfacIn: 4,
        srfacOut: 8,
        source: "b",
      }]);
    } catch (e) {
      msg = (e as Error).message;
    }
    assert(msg.includes("a ends at SRx2 but b starts at SRx4"), msg);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("create_pred_pst step: raw predictions as SRx2 store; train consumes it as inputPatchstore", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srm_predpst_" });
  try {
    const n = await makeTinyPatchstore(`${dir}/pst.h5`, { nPatch: 24, factors: [1, 2, 4] });
    const m12 = await randomModel(`${dir}/m12`, 1, 2, 1);
    const { ctx, outDir } = await testContext(createPredPstStep, { chunk: 10 }, {
      patchstore: `${dir}/pst.h5`,
      model: m12,
    }, { base: dir });
    await createPredPstStep.run(ctx);
    const pred = await PatchstoreReader.open(`${outDir}/pred_patchstore.h5`);
    const got = pred.readPatches(0, pred.count, 2);
    assert(pred.channels === 1 && pred.factors.join() === "2" && pred.count === n, "layout");
    pred.close();
    const r = await PatchstoreReader.open(`${dir}/pst.h5`);
    const x1 = channel0(r.readPatches(0, n, 1), n, 3, LRSZ * LRSZ);
    r.close();
    const want = await reference(m12, x1, n, LRSZ, 2);
    const d = maxAbsDiff(got, want);
    assert(d < 1e-6, `pred pst vs reference ${d}`);
    assert(Math.max(...got) < 0.999, "raw sigmoid outputs, not max-normalized");

    const t = await testContext(
      trainStep,
      {
        inSRx: 2,
        outSRx: 4,
        arch: "4-3-r_1-3-s",
        mbsz: 8,
        maxItr: 1,
        ecItr: 0,
      },
      { patchstore: `${dir}/pst.h5`, inputPatchstore: `${outDir}/pred_patchstore.h5` },
      { base: dir },
    );
    await trainStep.run(t.ctx);
    const card = JSON.parse(await Deno.readTextFile(`${t.outDir}/model/model.json`));
    assert(
      card.srfacIn === 2 && card.data.sha256.inputPatchstore.length === 64,
      "cascaded stage card",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
