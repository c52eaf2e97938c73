/**
 * Step `train`: trains one CNNSR stage (sr-midas `train_cnnsr`, seed spec §7.1–§7.2) from a
 * patchstore and exports it as ONNX + model card.
 *
 * Data stream from the HDF5 patchstore one patch per read (upscale + max-normalize on the fly),
 * so memory is one batch, not sr-midas's whole float64 copy of the store. Checkpoints go to
 * `ctx.checkpointDir` every epoch; a re-run after a kill or abort resumes bit-identically.
 * Deliberate differences: seeded init/split/shuffle (`seed`; `shuffleSplit: false` restores
 * sr-midas's "first floor(frac·N) train"), the convergence phase has a retry cap, only Adam.
 *
 * Output `model/` holds `model.onnx`, `model.json` (card: arch, channels, factors, args, data
 * SHA-256, best-epoch metrics), `train_log.tsv` / `train_log.json` (per-epoch losses and
 * |error| percentiles) and `_train_log.log` (sr-midas's log lines, parsable by `err_from_log`).
 *
 * @example
 * ```ts
 * import { trainStep } from "./train.ts";
 * trainStep.outputs.model.path; // "model"
 * ```
 * @module
 */
import * as v from "valibot";
import { defineStep } from "../engine/step.ts";
import { readCheckpoint } from "../nn/checkpoint.ts";
import { archIO, paramSpecs, parseArch } from "../nn/arch.ts";
import { exportModel } from "../nn/model_card.ts";
import { channelList, patchstoreSource, sha256File } from "../nn/io/patch_source.ts";
import { loadSrMidasCheckpoint, srMidasTrue } from "../nn/io/pth.ts";
import { type EpochMetrics, formatErrorLine, train } from "../nn/trainer.ts";

/** A boolean that also accepts sr-midas's strings ("true", "Yes", "y", "false", …). */
export const srFlag = v.pipe(
  v.union([v.boolean(), v.string()]),
  v.transform((x) => (typeof x === "boolean" ? x : srMidasTrue(x))),
);

/** Parameters, named as sr-midas's `sr-midas-train cnnsr` flags (plus `seed` and extensions). */
export const trainParams = v.object({
  inSRx: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 1),
  outSRx: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 2),
  arch: v.optional(v.string(), "256-5-r_128-5-r_64-5-r_32-5-r_16-5-r_8-5-r_1-5-s"),
  lr: v.optional(v.pipe(v.number(), v.gtValue(0)), 1e-4),
  mbsz: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 512),
  maxItr: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 1000),
  /** Convergence phase: last mini-batch loss after `ecItr` epochs must be < `ecVal`; 0 = off. */
  ecVal: v.optional(v.number(), 0.02),
  ecItr: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 10),
  /** Convergence attempts before failing (sr-midas retries forever). */
  ecMaxAttempts: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 5),
  lossF: v.optional(v.picklist(["mse", "mae"]), "mse"),
  trainFrac: v.optional(v.pipe(v.number(), v.gtValue(0), v.maxValue(1)), 0.8),
  useRch: v.optional(srFlag, false),
  useEtach: v.optional(srFlag, false),
  /**
   * Initial weights: an srmidas `.ckpt` (e.g. a previous run's `best.ckpt`), an sr-midas
   * checkpoint directory or a `mod-it{N}.pth` inside one. "None"/"none" = fresh init.
   */
  loadChkpt: v.optional(v.nullable(v.string())),
  seed: v.optional(v.pipe(v.number(), v.integer()), 0),
  shuffleSplit: v.optional(v.boolean(), true),
  /** Which weights to export: the lowest validation loss or the last epoch. */
  exportWeights: v.optional(v.picklist(["best", "last"]), "best"),
  /** Also keep `epoch-NNNNN.ckpt` every this many epochs (0 = only last/best). */
  checkpointEvery: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 0),
});

/** Parsed parameters of {@link trainStep}. */
export type TrainParams = v.InferOutput<typeof trainParams>;

async function initialWeights(
  path: string | null | undefined,
  arch: string,
  cin: number,
): Promise<Float32Array[] | undefined> {
  if (!path || path === "None" || path === "none") return undefined;
  const specs = paramSpecs(parseArch(arch), cin);
  let weights: Float32Array[];
  if (path.endsWith(".ckpt")) {
    const { tensors } = await readCheckpoint(path);
    weights = specs.map((s) => {
      const t = tensors[s.name];
      if (!t) throw new Error(`${path}: loadChkpt lacks tensor ${s.name} for arch "${arch}"`);
      return t;
    });
  } else {
    const m = path.endsWith(".pth")
      ? await loadSrMidasCheckpoint(path.slice(0, path.lastIndexOf("/")) || ".", {
        itr: Number(/mod-it(\d+)\.pth$/.exec(path)?.[1]),
      })
      : await loadSrMidasCheckpoint(path);
    if (m.arch.text !== parseArch(arch).text || m.inChannels !== cin) {
      throw new Error(
        `${m.checkpoint}: loadChkpt has arch "${m.arch.text}" with ${m.inChannels} channels, training uses "${arch}" with ${cin}`,
      );
    }
    weights = m.weights;
  }
  specs.forEach((s, i) => {
    const n = s.dims.reduce((a, b) => a * b, 1);
    if (weights[i].length !== n) {
      throw new Error(
        `${path}: loadChkpt tensor ${s.name} has ${weights[i].length} values, expected ${n}`,
      );
    }
  });
  return weights;
}

const pct = (e: EpochMetrics["train"]) => [e.mean, e.p50, e.p75, e.p95, e.p995];

/** One TSV row per epoch: losses and |error| mean/percentiles (train, then validation). */
export function trainLogTsv(history: EpochMetrics[]): string {
  const head = [
    "epoch",
    "attempt",
    "train_loss",
    "last_batch_loss",
    "val_loss",
    ...["train", "val"].flatMap((t) =>
      ["mean", "p50", "p75", "p95", "p99.5"].map((s) => `${t}_abs_${s}`)
    ),
    "seconds",
  ];
  const rows = history.map((m) =>
    [
      m.epoch,
      m.attempt,
      m.trainLoss,
      m.lastBatchLoss,
      m.valLoss,
      ...pct(m.train),
      ...pct(m.val),
      m.seconds,
    ]
      .join("\t")
  );
  return [head.join("\t"), ...rows].join("\n") + "\n";
}

export const trainStep = defineStep({
  name: "train",
  cliAliases: {
    pst: "in:patchstore",
    outPstPath: "in:patchstore",
    inPstPath: "in:inputPatchstore",
    expName: "",
    trainOutDir: "",
    nwork: "",
  },
  version: "1",
  description: "Trains one CNNSR super-resolution stage on a patchstore (sr-midas train_cnnsr).",
  params: trainParams,
  inputs: {
    patchstore: {
      kind: "patchstore",
      description: "ground-truth patchstore (targets; inputs too unless inputPatchstore is wired)",
    },
    inputPatchstore: {
      kind: "patchstore",
      optional: true,
      description: "predicted patchstore holding the SRx{inSRx} inputs of a cascaded stage",
    },
  },
  outputs: {
    model: { kind: "model", path: "model", description: "model.onnx + model.json + training logs" },
  },
  module: import.meta.url,
  threads: 2,
  async run(ctx) {
    const p = ctx.params;
    const channels = channelList(p.useRch, p.useEtach);
    const src = await patchstoreSource({
      target: ctx.inputs.patchstore,
      input: ctx.inputs.inputPatchstore,
      inSRx: p.inSRx,
      outSRx: p.outSRx,
      channels,
      // Pixel-shuffle networks take the input at low resolution and upscale themselves.
      netUpscale: archIO(parseArch(p.arch), channels.length).upscale,
    });
    const logLines: string[] = [];
    const log = (line: string) => {
      logLines.push(`INFO:root:${line}`);
      ctx.log.info(line);
    };
    const trainN = Math.floor(p.trainFrac * src.size);
    let result;
    try {
      const init = await initialWeights(p.loadChkpt, p.arch, channels.length);
      log(`training ${p.arch} SRx${p.inSRx} → SRx${p.outSRx} on ${src.size} patches`);
      result = await train(src, {
        arch: p.arch,
        loss: p.lossF,
        lr: p.lr,
        batchSize: p.mbsz,
        epochs: p.maxItr,
        trainFrac: p.trainFrac,
        seed: p.seed,
        shuffleSplit: p.shuffleSplit,
        threads: ctx.threads,
        checkpointDir: ctx.checkpointDir,
        checkpointEvery: p.checkpointEvery,
        resume: true,
        initialWeights: init,
        convergence: p.ecItr > 0 && p.ecVal > 0
          ? { epochs: Math.min(p.ecItr, p.maxItr), maxLoss: p.ecVal, maxAttempts: p.ecMaxAttempts }
          : undefined,
        signal: ctx.signal,
        onEpoch(m) {
          log(`Epoch: ${m.epoch}, loss: ${m.trainLoss}, elapse ${m.seconds.toFixed(3)}s`);
          log(formatErrorLine("Train", m.epoch, trainN, m.train));
          log(formatErrorLine("Valid", m.epoch, src.size - trainN, m.val));
          ctx.log.progress(m.epoch + 1, p.maxItr, "epochs");
        },
      });
    } finally {
      src.close();
    }
    if (result.stopped) {
      throw new Error(
        `train: aborted after epoch ${result.history.length}; re-run to resume from the checkpoint`,
      );
    }
    const dir = ctx.output("model");
    const digests: Record<string, string> = { patchstore: await sha256File(ctx.inputs.patchstore) };
    if (ctx.inputs.inputPatchstore) {
      digests.inputPatchstore = await sha256File(ctx.inputs.inputPatchstore);
    }
    const steps = result.history.at(-1)?.steps ?? 0;
    log(
      `Done: ${result.history.length} epochs, ${steps} steps/epoch, mini-batch ${p.mbsz}, ${
        result.history.reduce((s, m) => s + m.seconds, 0).toFixed(1)
      }s`,
    );
    await exportModel(dir, {
      arch: result.arch,
      inChannels: result.inChannels,
      weights: p.exportWeights === "best" ? result.bestWeights : result.weights,
      best: result.best,
    }, {
      srfacIn: p.inSRx,
      srfacOut: p.outSRx,
      channels,
      args: { ...p, model: "cnnsr" },
      exportedWeights: p.exportWeights,
      data: { sha256: digests, samples: src.size, train: result.trainCount, val: result.valCount },
    });
    await Deno.writeTextFile(`${dir}/train_log.tsv`, trainLogTsv(result.history));
    await Deno.writeTextFile(
      `${dir}/train_log.json`,
      JSON.stringify(result.history, null, 1) + "\n",
    );
    await Deno.writeTextFile(`${dir}/_train_log.log`, logLines.join("\n") + "\n");
  },
});
