import { readCheckpoint } from "../nn/checkpoint.ts";
import { readTorchStateDict } from "../nn/io/pth.ts";
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
    // The epochs before the abort keep their mod-it{N}.pth, identical to the uninterrupted run's.
    for (const e of [0, 1, 2, 3]) {
      const f = `model/mod-it${e}.pth`;
      const x = await Deno.readFile(`${ref.outDir}/${f}`);
      const y = await Deno.readFile(`${b.outDir}/${f}`);
      assert(x.length === y.length && x.every((v, i) => v === y[i]), `${f} differs after resume`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train step: loadChkpt starts from a previous run's weights (.ckpt, mod-it{N}.pth, or its folder)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srm_train_load_" });
  try {
    await makeTinyPatchstore(`${dir}/pst.h5`, { nPatch: 24 });
    const inputs = { patchstore: `${dir}/pst.h5` };
    const first = await testContext(trainStep, { ...PARAMS, maxItr: 2 }, inputs, { base: dir });
    await trainStep.run(first.ctx);
    const out1 = `${first.outDir}/model`;
    const saved = (await readCheckpoint(`${first.ctx.checkpointDir}/best.ckpt`)).tensors;
    const last1 = readTorchStateDict(await Deno.readFile(`${out1}/mod-it1.pth`));
    // lr ≈ 0: one epoch leaves the loaded weights (almost) unchanged.
    const again = async (loadChkpt: string) => {
      const c = await testContext(
        trainStep,
        { ...PARAMS, maxItr: 1, lr: 1e-12, exportWeights: "last" },
        { ...inputs, loadChkpt },
        { base: dir },
      );
      await trainStep.run(c.ctx);
      return { c, W0: (await readCheckpoint(`${c.ctx.checkpointDir}/last.ckpt`)).tensors.W0 };
    };
    const maxDiff = (a: Float32Array, b: Float32Array) =>
      Math.max(...a.map((x, i) => Math.abs(x - b[i])));
    const fromCkpt = await again(`${first.ctx.checkpointDir}/best.ckpt`);
    assert(maxDiff(saved.W0, fromCkpt.W0) < 1e-6, "loaded .ckpt weights kept");
    const want = last1.get("module.cnn_layers.0.weight")!.data;
    const fromDir = await again(out1);
    assert(maxDiff(want, fromDir.W0) < 1e-6, "a training folder loads its newest mod-it{N}.pth");
    const args = JSON.parse(await Deno.readTextFile(`${fromDir.c.outDir}/model/_train_args.json`));
    assert(args.loadChkpt === out1, `_train_args.json loadChkpt ${args.loadChkpt}`);
    const log = await Deno.readTextFile(`${fromDir.c.outDir}/model/_train_log.log`);
    assert(log.includes(`INFO:root:Loaded pre-trained model: ${out1}`), "logged as sr-midas");
    const fromPth = await again(`${out1}/mod-it0.pth`);
    const want0 = readTorchStateDict(await Deno.readFile(`${out1}/mod-it0.pth`))
      .get("module.cnn_layers.0.weight")!.data;
    assert(maxDiff(want0, fromPth.W0) < 1e-6 && maxDiff(want0, want) > 1e-5, "the named .pth");
    let msg = "";
    const bad = await testContext(
      trainStep,
      { ...PARAMS, arch: "5-3-r_1-3-s" },
      { ...inputs, loadChkpt: `${first.ctx.checkpointDir}/best.ckpt` },
      { base: dir },
    );
    await trainStep.run(bad.ctx).catch((e) => (msg = e.message));
    assert(msg.includes("has 54 values, expected 45"), msg);
    const badPth = await testContext(
      trainStep,
      { ...PARAMS, arch: "5-3-r_1-3-s" },
      { ...inputs, loadChkpt: out1 },
      { base: dir },
    );
    await trainStep.run(badPth.ctx).catch((e) => (msg = e.message));
    assert(
      msg.includes(
        "mod-it1.pth (loadChkpt): module.cnn_layers.0.weight has shape [6,1,3,3], expected [5,1,3,3]",
      ),
      msg,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train step: sr-midas's files (mod-it{N}.pth every pthEvery epochs + the last, _train_args.json, _train_log.log)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srm_train_srfiles_" });
  try {
    await makeTinyPatchstore(`${dir}/pst.h5`, { nPatch: 24 });
    const { ctx, outDir } = await testContext(
      trainStep,
      { ...PARAMS, maxItr: 5, pthEvery: 2, expName: "e1", trainOutDir: "runs/" },
      { patchstore: `${dir}/pst.h5` },
      { base: dir },
    );
    await trainStep.run(ctx);
    const out = `${outDir}/model`;
    const names = [];
    for await (const e of Deno.readDir(out)) names.push(e.name);
    const pths = names.filter((n) => n.endsWith(".pth")).sort();
    assert(pths.join() === "mod-it1.pth,mod-it3.pth,mod-it4.pth", pths.join());
    const args = JSON.parse(await Deno.readTextFile(`${out}/_train_args.json`));
    assert(
      Object.keys(args).join() ===
        "model,expName,pst,inSRx,outSRx,useRch,useEtach,arch,lr,lossF,mbsz,maxItr,trainFrac,nwork,ecVal,ecItr,inPstPath,outPstPath,loadChkpt,trainOutDir",
      Object.keys(args).join(),
    );
    assert(
      args.model === "cnnsr" && args.expName === "e1" && args.trainOutDir === "runs/" &&
        args.useRch === "false" && args.pst === `${dir}/pst.h5` && args.loadChkpt === null,
      JSON.stringify(args),
    );
    // The last epoch's .pth holds the last weights (= last.ckpt).
    const last = (await readCheckpoint(`${ctx.checkpointDir}/last.ckpt`)).tensors;
    const sd = readTorchStateDict(await Deno.readFile(`${out}/mod-it4.pth`));
    assert(
      sd.get("module.cnn_layers.2.bias")!.data.every((x, i) => x === last.B1[i]),
      "mod-it4.pth = last weights",
    );
    const log = await Deno.readTextFile(`${out}/_train_log.log`);
    const valid = log.split("\n").filter((l) => l.startsWith("INFO:root:[Valid] @ "));
    assert(valid.length === 5 && valid[4].startsWith("INFO:root:[Valid] @ 00004"), valid.join());
    assert(log.includes("INFO:root:Trained for   5 epochs"), "final line");
    assert(
      trainStep.publish!(ctx.params, {}, {})[0].to.endsWith("/runs/e1-itrOut"),
      "published to {trainOutDir}/{expName}-itrOut",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train step: the convergence phase runs all ecItr epochs (-maxItr 2 -ecItr 3), and failing it names the flags", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srm_train_conv_" });
  try {
    await makeTinyPatchstore(`${dir}/pst.h5`, { nPatch: 24 });
    const inputs = { patchstore: `${dir}/pst.h5` };
    const ok = await testContext(
      trainStep,
      { ...PARAMS, maxItr: 2, ecItr: 3, ecVal: 1 },
      inputs,
      { base: dir },
    );
    await trainStep.run(ok.ctx);
    const hist = JSON.parse(await Deno.readTextFile(`${ok.outDir}/model/train_log.json`));
    assert(
      hist.length === 3,
      `3 epochs (sr-midas: ecItr convergence epochs first), got ${hist.length}`,
    );
    assert(ok.logs.progress.at(-1)?.join() === "3,3", `progress ${ok.logs.progress.at(-1)}`);
    const log = await Deno.readTextFile(`${ok.outDir}/model/_train_log.log`);
    assert(
      log.indexOf("MODEL CONVERGENCE VERIFIED") > log.indexOf("[Valid] @ 00002"),
      "verified after the convergence phase",
    );
    let msg = "";
    const bad = await testContext(
      trainStep,
      { ...PARAMS, maxItr: 1, ecItr: 2, ecVal: 1e-9, ecMaxAttempts: 2 },
      inputs,
      { base: dir },
    );
    await trainStep.run(bad.ctx).catch((e) => (msg = e.message));
    assert(
      /no convergence: 2 attempts \(-ecMaxAttempts 2\) of -ecItr 2 epochs each ended with a last mini-batch loss ≥ -ecVal 1e-9 \([\d.e-]+, [\d.e-]+\)\. sr-midas would retry forever/
        .test(msg),
      msg,
    );
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
