/**
 * Step `hp_optimize`: architecture / learning-rate / batch-size search for one CNNSR stage
 * (sr-midas `run_hp_optimize`, seed spec §7.3) with a TPE sampler and median pruning
 * (nn/hpo/tpe.ts).
 *
 * Space (sr-midas defaults, all overridable): `n_layers` ∈ [3, 8]; per layer `kernel_size_i` ∈
 * {3, 5, 7}; `out_channels_i` ∈ [16, 128] for all but the last layer (1 channel + sigmoid; the
 * rest ReLU); `lr` log-uniform [1e-5, 1e-1]; `batch_size` ∈ {32, …, 512}. Objective: best
 * validation MSE over at most `n_itrs` epochs, early stop after `patience` epochs without
 * improvement (checked before the pruning report), `MedianPruner(n_startup_trials,
 * n_warmup_steps)`. Differences: only Adam (the ONNX training graph implements Adam), no weight
 * decay, He/Kaiming-normal init only; R/Eta flags are honoured; every trial is seeded.
 *
 * Resumable: the study is `checkpointDir/study.json` (rewritten after every epoch report), and a
 * trial interrupted mid-training resumes from its own training checkpoint. Outputs: `study/`
 * (`study.json`, `all_trials_summary.tsv`, `best_arch.txt`, `best_trial.json`) and `model/`, the
 * best trial's exported network (sr-midas saved no weights).
 *
 * @example
 * ```ts
 * import { archFromParams } from "./hp_optimize.ts";
 * archFromParams({ n_layers: 3, kernel_size_0: 5, out_channels_0: 32, kernel_size_1: 3, out_channels_1: 16, kernel_size_2: 3 });
 * // "32-5-r_16-3-r_1-3-s"
 * ```
 * @module
 */
import * as v from "valibot";
import { join, resolve } from "node:path";
import { defineStep } from "../engine/step.ts";
import { channelList, patchstoreSource, sha256File } from "../nn/io/patch_source.ts";
import { exportModel } from "../nn/model_card.ts";
import {
  loadStudy,
  MedianPruner,
  newStudy,
  saveStudy,
  type Study,
  TpeSampler,
  type Trial,
} from "../nn/hpo/tpe.ts";
import { train } from "../nn/trainer.ts";
import { srFlag } from "./train.ts";

const int = v.pipe(v.number(), v.integer());
const range = (lo: number, hi: number) => v.optional(v.tuple([v.number(), v.number()]), [lo, hi]);

/** Parameters (sr-midas names; the space bounds are extensions). */
export const hpOptimizeParams = v.object({
  inSRx: v.optional(v.pipe(int, v.minValue(1)), 1),
  outSRx: v.optional(v.pipe(int, v.minValue(1)), 2),
  n_trials: v.optional(v.pipe(int, v.minValue(1)), 50),
  /** Epochs per trial at most. */
  n_itrs: v.optional(v.pipe(int, v.minValue(1)), 50),
  patience: v.optional(v.pipe(int, v.minValue(1)), 5),
  n_startup_trials: v.optional(v.pipe(int, v.minValue(0)), 5),
  n_warmup_steps: v.optional(v.pipe(int, v.minValue(0)), 10),
  /** Uniform random trials before TPE (Optuna's default 10). */
  tpe_startup_trials: v.optional(v.pipe(int, v.minValue(0)), 10),
  trainFrac: v.optional(v.pipe(v.number(), v.gtValue(0), v.ltValue(1)), 0.8),
  useRch: v.optional(srFlag, false),
  useEtach: v.optional(srFlag, false),
  study_name: v.optional(v.string(), "cnnsr_optimization"),
  seed: v.optional(int, 0),
  nLayers: range(3, 8),
  outChannels: range(16, 128),
  kernelSizes: v.optional(v.array(v.pipe(int, v.minValue(1))), [3, 5, 7]),
  lrRange: range(1e-5, 1e-1),
  batchSizes: v.optional(v.array(v.pipe(int, v.minValue(1))), [32, 64, 128, 256, 512]),
});

/** Parsed parameters of {@link hpOptimizeStep}. */
export type HpOptimizeParams = v.InferOutput<typeof hpOptimizeParams>;

/** The sr-midas architecture string of a trial's sampled layer parameters. */
export function archFromParams(p: Record<string, string | number>): string {
  const n = Number(p.n_layers);
  return Array.from({ length: n }, (_, i) => {
    const last = i === n - 1;
    return `${last ? 1 : p[`out_channels_${i}`]}-${p[`kernel_size_${i}`]}-${last ? "s" : "r"}`;
  }).join("_");
}

/** Samples a trial's parameters (nested per-layer ones depend on n_layers, as in sr-midas). */
function suggest(study: Study, t: Trial, s: TpeSampler, p: HpOptimizeParams) {
  const n = Number(
    s.sample(study, t, "n_layers", { kind: "int", low: p.nLayers[0], high: p.nLayers[1] }),
  );
  for (let i = 0; i < n; i++) {
    s.sample(study, t, `kernel_size_${i}`, { kind: "categorical", choices: p.kernelSizes });
    if (i < n - 1) {
      s.sample(study, t, `out_channels_${i}`, {
        kind: "int",
        low: p.outChannels[0],
        high: p.outChannels[1],
      });
    }
  }
  s.sample(study, t, "lr", { kind: "float", low: p.lrRange[0], high: p.lrRange[1], log: true });
  s.sample(study, t, "batch_size", { kind: "categorical", choices: p.batchSizes });
  return {
    arch: archFromParams(t.params),
    lr: Number(t.params.lr),
    batchSize: Number(t.params.batch_size),
  };
}

/** One row per trial: number, state, value, seconds, arch, lr, batch size. */
export function trialsTsv(study: Study): string {
  const head = [
    "number",
    "state",
    "value",
    "epochs",
    "seconds",
    "arch",
    "lr",
    "batch_size",
    "error",
  ];
  const rows = study.trials.map((t) =>
    [
      t.number,
      t.state,
      t.value ?? "",
      t.intermediate.length,
      t.seconds?.toFixed(2) ?? "",
      t.arch ?? "",
      t.params.lr ?? "",
      t.params.batch_size ?? "",
      (t.error ?? "").replace(/\s+/g, " "),
    ].join("\t")
  );
  return [head.join("\t"), ...rows].join("\n") + "\n";
}

export const hpOptimizeStep = defineStep({
  name: "hp-optimize",
  cliAliases: {
    pst: "in:patchstore",
    outPstPath: "in:patchstore",
    inPstPath: "in:inputPatchstore",
    nwork: "",
  },
  // sr-midas's results folder (it appends a timestamp; a cached re-run here publishes to the
  // same folder instead of a new one each time).
  publishOptions: ["output_base_dir"],
  publish: (_params, _inputs, o) => {
    const dir = resolve(o.output_base_dir ?? "optuna_results");
    return [{ port: "study", to: dir }, { port: "model", to: join(dir, "best_model") }];
  },
  version: "1",
  description:
    "TPE + median-pruning search over CNNSR architectures and training settings (sr-midas run_hp_optimize).",
  params: hpOptimizeParams,
  inputs: {
    patchstore: { kind: "patchstore", description: "ground-truth patchstore" },
    inputPatchstore: {
      kind: "patchstore",
      optional: true,
      description: "predicted input patchstore",
    },
  },
  outputs: {
    study: {
      kind: "dir",
      path: "study",
      description: "study.json, all_trials_summary.tsv, best_arch.txt",
    },
    model: { kind: "model", path: "model", description: "the best trial's network" },
  },
  module: import.meta.url,
  threads: 2,
  async run(ctx) {
    const p = ctx.params;
    const studyPath = `${ctx.checkpointDir}/study.json`;
    await Deno.mkdir(ctx.checkpointDir, { recursive: true });
    const study = (await loadStudy(studyPath)) ?? newStudy(p.study_name, p.seed);
    const sampler = new TpeSampler({ seed: p.seed, nStartupTrials: p.tpe_startup_trials });
    const pruner = new MedianPruner({
      nStartupTrials: p.n_startup_trials,
      nWarmupSteps: p.n_warmup_steps,
    });
    const channels = channelList(p.useRch, p.useEtach);
    const src = await patchstoreSource({
      target: ctx.inputs.patchstore,
      input: ctx.inputs.inputPatchstore,
      inSRx: p.inSRx,
      outSRx: p.outSRx,
      channels,
    });
    try {
      for (let k = 0; k < p.n_trials; k++) {
        ctx.signal.throwIfAborted();
        let t = study.trials.find((x) => x.number === k);
        if (t && t.state !== "running") continue;
        if (!t) {
          t = { number: k, state: "running", params: {}, intermediate: [] };
          study.trials.push(t);
        }
        const trial = t;
        const { arch, lr, batchSize } = suggest(study, trial, sampler, p);
        trial.arch = arch;
        saveStudy(studyPath, study);
        const dir = `${ctx.checkpointDir}/trial_${String(k).padStart(3, "0")}`;
        const stop = new AbortController();
        const onAbort = () => stop.abort();
        ctx.signal.addEventListener("abort", onAbort);
        let pruned = false;
        const t0 = performance.now();
        try {
          const r = await train(src, {
            arch,
            lr,
            batchSize: Math.min(batchSize, Math.floor(p.trainFrac * src.size)),
            epochs: p.n_itrs,
            trainFrac: p.trainFrac,
            seed: p.seed + k,
            threads: ctx.threads,
            checkpointDir: dir,
            resume: true,
            signal: stop.signal,
            onEpoch(m) {
              trial.intermediate[m.epoch] = m.valLoss;
              const best = Math.min(...trial.intermediate.filter((x): x is number => x !== null));
              const bestAt = trial.intermediate.indexOf(best);
              if (m.epoch - bestAt >= p.patience) stop.abort(); // early stopping first, as sr-midas
              else if (pruner.shouldPrune(study, trial, m.epoch)) {
                pruned = true;
                stop.abort();
              }
              saveStudy(studyPath, study);
            },
          });
          ctx.signal.throwIfAborted();
          const vals = trial.intermediate.filter((x): x is number =>
            x !== null && Number.isFinite(x)
          );
          trial.value = vals.length ? Math.min(...vals) : undefined;
          trial.state = pruned ? "pruned" : trial.value === undefined ? "failed" : "complete";
          if (trial.state === "complete") {
            await exportModel(`${dir}/model`, {
              arch: r.arch,
              inChannels: r.inChannels,
              weights: r.bestWeights,
              best: r.best,
            }, {
              srfacIn: p.inSRx,
              srfacOut: p.outSRx,
              channels,
              args: { arch, lr, mbsz: batchSize, trial: k, study: p.study_name },
            });
          }
        } catch (e) {
          if (ctx.signal.aborted) throw e;
          trial.state = "failed";
          trial.error = (e as Error).message;
          ctx.log.warn(`trial ${k} failed: ${trial.error}`);
        } finally {
          ctx.signal.removeEventListener("abort", onAbort);
        }
        trial.seconds = (Number(trial.seconds) || 0) + (performance.now() - t0) / 1000;
        saveStudy(studyPath, study);
        ctx.log.info(`trial ${k} ${trial.state}`, { arch, lr, batchSize, value: trial.value });
        ctx.log.progress(k + 1, p.n_trials, "trials");
      }
    } finally {
      src.close();
    }
    const complete = study.trials.filter((t) => t.state === "complete" && t.number < p.n_trials);
    if (!complete.length) {
      throw new Error(`hp_optimize: none of ${p.n_trials} trials completed (see study.json)`);
    }
    const best = complete.reduce((a, b) => (b.value! < a.value! ? b : a));
    const out = ctx.output("study");
    await Deno.mkdir(out, { recursive: true });
    saveStudy(`${out}/study.json`, study);
    await Deno.writeTextFile(`${out}/all_trials_summary.tsv`, trialsTsv(study));
    await Deno.writeTextFile(`${out}/best_arch.txt`, `${best.arch}\n`);
    await Deno.writeTextFile(
      `${out}/best_trial.json`,
      JSON.stringify(
        { ...best, data: { sha256: await sha256File(ctx.inputs.patchstore) } },
        null,
        1,
      ) + "\n",
    );
    const bestDir = `${ctx.checkpointDir}/trial_${String(best.number).padStart(3, "0")}/model`;
    const modelOut = ctx.output("model");
    await Deno.mkdir(modelOut, { recursive: true });
    for (const f of ["model.onnx", "model.json"]) {
      await Deno.copyFile(`${bestDir}/${f}`, `${modelOut}/${f}`);
    }
  },
});
