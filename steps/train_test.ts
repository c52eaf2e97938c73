import { readCheckpoint } from "../nn/checkpoint.ts";
import { readModelCard } from "../nn/model_card.ts";
import { testContext } from "../engine/test_context.ts";
import { makeTinyPatchstore } from "../nn/io/testdata.ts";
import { assert } from "../nn/test_util.ts";
import { trainStep } from "./train.ts";

const PARAMS = {
  inSRx: 1,
  outSRx: 2,
  arch: "6-3-r_1-3-s",
  lr: 0.01,
  mbsz: 8,
  maxItr: 4,
  ecItr: 0,
  seed: 3,
  useRch: "false",
};

Deno.test("train step: val loss falls; model card, logs and data digest are written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srm_train_" });
  try {
    const n = await makeTinyPatchstore(`${dir}/pst.h5`, { nPatch: 48 });
    const { ctx, outDir, logs } = await testContext(trainStep, PARAMS, {
      patchstore: `${dir}/pst.h5`,
    }, {
      base: dir,
    });
    await trainStep.run(ctx);
    const card = await readModelCard(`${outDir}/model/model.json`);
    const hist = JSON.parse(await Deno.readTextFile(`${outDir}/model/train_log.json`));
    const first = hist[0].valLoss, last = hist.at(-1).valLoss;
    console.log(
      `train step: ${n} patches, val loss ${first.toFixed(5)} → ${
        last.toFixed(5)
      } over ${hist.length} epochs`,
    );
    assert(hist.length === 4 && last < 0.8 * first, `val loss must fall: ${first} → ${last}`);
    const data = card.data as { sha256: { patchstore: string }; samples: number };
    assert(
      /^[0-9a-f]{64}$/.test(data.sha256.patchstore) && data.samples === n,
      JSON.stringify(data),
    );
    assert(
      card.srfacOut === 2 && (card.channels as string[]).join() === "I",
      "card factors/channels",
    );
    const tsv = (await Deno.readTextFile(`${outDir}/model/train_log.tsv`)).trim().split("\n");
    assert(tsv.length === 5 && tsv[0].startsWith("epoch\tattempt\ttrain_loss"), tsv[0]);
    const srLog = await Deno.readTextFile(`${outDir}/model/_train_log.log`);
    assert(srLog.includes("INFO:root:[Valid] @ 00003 l2-norm of"), "sr-midas log lines");
    assert(logs.progress.at(-1)?.[0] === 4, "progress reaches maxItr");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train step: aborted after epoch 1, re-run resumes from checkpointDir to identical weights", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srm_train_resume_" });
  try {
    await makeTinyPatchstore(`${dir}/pst.h5`, { nPatch: 40 });
    const inputs = { patchstore: `${dir}/pst.h5` };
    const ref = await testContext(trainStep, PARAMS, inputs, { base: dir });
    await trainStep.run(ref.ctx);

    const ck = `${dir}/ckpt`;
    const ac = new AbortController();
    const a = await testContext(trainStep, PARAMS, inputs, {
      base: dir,
      checkpointDir: ck,
      signal: ac.signal,
      onProgress: (done) => done === 1 && ac.abort(),
    });
    let msg = "";
    await trainStep.run(a.ctx).catch((e) => (msg = e.message));
    assert(msg.includes("aborted after epoch 1"), `abort: ${msg}`);
    const mid = await readCheckpoint(`${ck}/last.ckpt`);
    assert(mid.meta.epoch === 1, `checkpoint after epoch 1, got ${mid.meta.epoch}`);

    const b = await testContext(trainStep, PARAMS, inputs, { base: dir, checkpointDir: ck });
    await trainStep.run(b.ctx);
    assert(b.logs.progress[0][0] === 2, `resumed at epoch 2, got ${b.logs.progress[0]}`);
    const want = (await readCheckpoint(`${ref.ctx.checkpointDir}/last.ckpt`)).tensors;
    const got = (await readCheckpoint(`${ck}/last.ckpt`)).tensors;
    for (const name of ["W0", "B0", "W1", "B1"]) {
      assert(want[name].every((x, i) => x === got[name][i]), `${name} differs after resume`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train step: loadChkpt starts from a previous run's weights", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srm_train_load_" });
  try {
    await makeTinyPatchstore(`${dir}/pst.h5`, { nPatch: 24 });
    const inputs = { patchstore: `${dir}/pst.h5` };
    const first = await testContext(trainStep, { ...PARAMS, maxItr: 2 }, inputs, { base: dir });
    await trainStep.run(first.ctx);
    const saved = (await readCheckpoint(`${first.ctx.checkpointDir}/best.ckpt`)).tensors;
    // lr ≈ 0: one epoch leaves the loaded weights (almost) unchanged.
    const second = await testContext(
      trainStep,
      {
        ...PARAMS,
        maxItr: 1,
        lr: 1e-12,
        exportWeights: "last",
        loadChkpt: `${first.ctx.checkpointDir}/best.ckpt`,
      },
      inputs,
      { base: dir },
    );
    await trainStep.run(second.ctx);
    const after = (await readCheckpoint(`${second.ctx.checkpointDir}/last.ckpt`)).tensors;
    const d = Math.max(...saved.W0.map((x, i) => Math.abs(x - after.W0[i])));
    assert(d < 1e-6, `loaded weights kept, max change ${d}`);
    let msg = "";
    const bad = await testContext(
      trainStep,
      { ...PARAMS, arch: "5-3-r_1-3-s", loadChkpt: `${first.ctx.checkpointDir}/best.ckpt` },
      inputs,
      {
        base: dir,
      },
    );
    await trainStep.run(bad.ctx).catch((e) => (msg = e.message));
    assert(msg.includes("has 54 values, expected 45"), msg);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train step: a pixel-shuffle arch trains on the low-resolution input and exports an x2 model", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srm_train_ps_" });
  try {
    await makeTinyPatchstore(`${dir}/pst.h5`, { nPatch: 32 });
    const { ctx, outDir } = await testContext(trainStep, {
      ...PARAMS,
      arch: "8-3-t_4-3-s_ps2",
      maxItr: 3,
    }, {
      patchstore: `${dir}/pst.h5`,
    }, { base: dir });
    await trainStep.run(ctx);
    const hist = JSON.parse(await Deno.readTextFile(`${outDir}/model/train_log.json`));
    assert(hist.length === 3 && Number.isFinite(hist.at(-1).valLoss), "trained 3 epochs");
    const card = await readModelCard(`${outDir}/model/model.json`);
    assert(
      card.srfacIn === 1 && card.srfacOut === 2,
      `card factors ${card.srfacIn} → ${card.srfacOut}`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
