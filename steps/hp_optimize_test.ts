import { readModelCard } from "../nn/model_card.ts";
import { testContext } from "../engine/test_context.ts";
import { makeTinyPatchstore } from "../nn/io/testdata.ts";
import { assert } from "../nn/test_util.ts";
import type { Study } from "../nn/hpo/tpe.ts";
import { archFromParams, hpOptimizeStep } from "./hp_optimize.ts";

const PARAMS = {
  inSRx: 1,
  outSRx: 2,
  n_trials: 4,
  n_itrs: 3,
  patience: 2,
  n_startup_trials: 1,
  n_warmup_steps: 1,
  tpe_startup_trials: 2,
  nLayers: [2, 3],
  outChannels: [2, 4],
  kernelSizes: [3],
  lrRange: [1e-3, 3e-2],
  batchSizes: [8, 16],
  seed: 4,
};

const summary = (s: Study) =>
  JSON.stringify(s.trials.map((t) => [t.number, t.state, t.params, t.value]));

Deno.test("hp_optimize step: tiny study, best arch + model; an aborted study resumes to the same result", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srm_hpo_" });
  try {
    await makeTinyPatchstore(`${dir}/pst.h5`, { nPatch: 40 });
    const inputs = { patchstore: `${dir}/pst.h5` };
    const ref = await testContext(hpOptimizeStep, PARAMS, inputs, { base: dir });
    await hpOptimizeStep.run(ref.ctx);
    const study: Study = JSON.parse(await Deno.readTextFile(`${ref.outDir}/study/study.json`));
    assert(study.trials.length === 4, `4 trials, got ${study.trials.length}`);
    const done = study.trials.filter((t) => t.state === "complete");
    const best = done.reduce((a, b) => (b.value! < a.value! ? b : a));
    const bestArch = (await Deno.readTextFile(`${ref.outDir}/study/best_arch.txt`)).trim();
    assert(bestArch === archFromParams(best.params) && bestArch.endsWith("-s"), bestArch);
    const card = await readModelCard(`${ref.outDir}/model/model.json`);
    assert(card.arch === bestArch, `best model ${card.arch} vs ${bestArch}`);
    const tsv = (await Deno.readTextFile(`${ref.outDir}/study/all_trials_summary.tsv`)).trim()
      .split("\n");
    assert(tsv.length === 5, "summary rows");
    console.log(
      `hp_optimize: ${
        study.trials.map((t) => `${t.state} ${t.arch} ${t.value?.toFixed(4)}`).join("; ")
      }`,
    );

    const ck = `${dir}/ck`;
    const ac = new AbortController();
    const a = await testContext(hpOptimizeStep, PARAMS, inputs, {
      base: dir,
      checkpointDir: ck,
      signal: ac.signal,
      onProgress: (d) => d === 2 && ac.abort(),
    });
    let msg = "";
    await hpOptimizeStep.run(a.ctx).catch((e) => (msg = String(e?.message ?? e)));
    const partial: Study = JSON.parse(await Deno.readTextFile(`${ck}/study.json`));
    assert(
      msg !== "" && partial.trials.filter((t) => t.state !== "running").length === 2,
      `aborted after 2: ${msg}`,
    );
    const b = await testContext(hpOptimizeStep, PARAMS, inputs, { base: dir, checkpointDir: ck });
    await hpOptimizeStep.run(b.ctx);
    assert(b.logs.progress[0][0] === 3, `resumed at trial 3, got ${b.logs.progress[0]}`);
    const resumed: Study = JSON.parse(await Deno.readTextFile(`${b.outDir}/study/study.json`));
    assert(summary(resumed) === summary(study), "resumed study equals the uninterrupted one");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
