/**
 * Step `train`: trains one CNNSR stage (sr-midas `train_cnnsr`, seed spec §7.1–§7.2) from a
 * patchstore and exports it as ONNX + model card, beside sr-midas's own files.
 *
 * Data stream from the HDF5 patchstore one patch per read (upscale + max-normalize on the fly),
 * so memory is one batch, not sr-midas's whole float64 copy of the store. Checkpoints go to
 * `ctx.checkpointDir` every epoch; a re-run after a kill or abort resumes bit-identically.
 *
 * Convergence as sr-midas (§7.2): the first `ecItr` epochs are the convergence phase, run in
 * full even when `maxItr` is smaller; it is retried from a fresh init (or `loadChkpt`) until the
 * last mini-batch loss is < `ecVal`, then epochs ecItr … maxItr−1 follow, so a run has
 * max(ecItr, maxItr) epochs. Deliberate differences: at most `ecMaxAttempts` attempts (sr-midas
 * retries forever), seeded init/split/shuffle (`seed`; `shuffleSplit: false` restores sr-midas's
 * "first floor(frac·N) train"), only Adam.
 *
 * Output `model/` holds `model.onnx` + `model.json` (card: arch, channels, factors, args, data
 * SHA-256, best-epoch metrics), `train_log.tsv` / `train_log.json` (per-epoch losses and |error|
 * percentiles) and sr-midas's files: `mod-it{N}.pth` (PyTorch checkpoints with sr-midas's keys,
 * every `pthEvery` epochs and the last; sr-midas writes every epoch), `_train_args.json` (its
 * keys) and `_train_log.log` (its log lines, parsable by `err_from_log`). Run alone with
 * `-expName`, the folder is published to `{trainOutDir}/{expName}-itrOut/`, where sr-midas
 * writes it. `expName` and `trainOutDir` are recorded in `_train_args.json`, so they are part of
 * the cache key: another name trains again.
 *
 * @example
 * ```ts
 * import { trainStep } from "./train.ts";
 * trainStep.outputs.model.path; // "model"
 * ```
 * @module
 */
import * as v from "valibot";
import { resolve } from "node:path";
import { defineStep } from "../engine/step.ts";
import { readCheckpoint } from "../nn/checkpoint.ts";
import { type Arch, archIO, paramSpecs, parseArch } from "../nn/arch.ts";
import { exportModel } from "../nn/model_card.ts";
import { channelList, patchstoreSource, sha256File } from "../nn/io/patch_source.ts";
import {
  checkpointIterations,
  readTorchStateDict,
  srMidasTrue,
  stateDictWeights,
} from "../nn/io/pth.ts";
import { writeSrMidasCheckpoint } from "../nn/io/pth_write.ts";
import { ConvergenceError, type EpochMetrics, formatErrorLine, train } from "../nn/trainer.ts";

/** A boolean that also accepts sr-midas's strings ("true", "Yes", "y", "false", …). */
export const srFlag = v.pipe(
  v.union([v.boolean(), v.string()]),
  v.transform((x) => (typeof x === "boolean" ? x : srMidasTrue(x))),
);

/** Parameters, named as sr-midas's `sr-midas-train cnnsr` flags (plus `seed` and extensions). */
export const trainParams = v.object({
  /** sr-midas's experiment name: publishes to `{trainOutDir}/{expName}-itrOut/` when run alone. */
  expName: v.optional(v.pipe(v.string(), v.regex(/^[^/\\]+$/, "a name, not a path"))),
  /** sr-midas's output folder (default: the working directory); relative to it. */
  trainOutDir: v.optional(v.pipe(v.string(), v.minLength(1))),
  inSRx: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 1),
  outSRx: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 2),
  arch: v.optional(v.string(), "256-5-r_128-5-r_64-5-r_32-5-r_16-5-r_8-5-r_1-5-s"),
  lr: v.optional(v.pipe(v.number(), v.gtValue(0)), 1e-4),
  mbsz: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 512),
  maxItr: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 1000),
  /** Convergence phase: last mini-batch loss after `ecItr` epochs must be < `ecVal`; 0 = off. */
  ecVal: v.optional(v.number(), 0.02),
  /** Epochs of the convergence phase (run in full even if more than `maxItr`); 0 = off. */
  ecItr: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 10),
  /** Convergence attempts before failing (sr-midas retries forever). */
  ecMaxAttempts: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 5),
  lossF: v.optional(v.picklist(["mse", "mae"]), "mse"),
  trainFrac: v.optional(v.pipe(v.number(), v.gtValue(0), v.maxValue(1)), 0.8),
  useRch: v.optional(srFlag, false),
  useEtach: v.optional(srFlag, false),
  seed: v.optional(v.pipe(v.number(), v.integer()), 0),
  shuffleSplit: v.optional(v.boolean(), true),
  /** Which weights to export as ONNX: the lowest validation loss or the last epoch. */
  exportWeights: v.optional(v.picklist(["best", "last"]), "best"),
  /** Also keep `epoch-NNNNN.ckpt` every this many epochs (0 = only last/best). */
  checkpointEvery: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 0),
  /**
   * Write sr-midas's `mod-it{N}.pth` every this many epochs (sr-midas: 1, every epoch); the last
   * epoch's is always written; 0 = only the last.
   */
  pthEvery: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 1),
});

/** Parsed parameters of {@link trainStep}. */
export type TrainParams = v.InferOutput<typeof trainParams>;

/** `mod-it{N}.pth` names inside a folder, newest last. */
async function newestPth(dir: string): Promise<string> {
  const its = await checkpointIterations(dir);
  if (!its.length) {
    throw new Error(
      `${dir}: loadChkpt folder has no mod-it{N}.pth (expected an sr-midas/srmidas training output)`,
    );
  }
  return `mod-it${its[its.length - 1]}.pth`;
}

/** The files of a `loadChkpt` input that are read, for the cache key. */
async function loadChkptFiles(path: string): Promise<string[]> {
  return (await Deno.stat(path)).isDirectory ? [await newestPth(path)] : [""];
}

/**
 * Initial weights from `loadChkpt`: a `mod-it{N}.pth` (any torch state_dict of a CNNSR), a folder
 * holding them (its newest), or an srmidas `.ckpt`. Tensors must fit the arch being trained.
 */
async function initialWeights(
  path: string | undefined,
  arch: Arch,
  cin: number,
): Promise<{ weights: Float32Array[]; from: string } | undefined> {
  if (!path) return undefined;
  const specs = paramSpecs(arch, cin);
  let weights: Float32Array[];
  let from = path;
  if (path.endsWith(".ckpt")) {
    const { tensors } = await readCheckpoint(path);
    weights = specs.map((s) => {
      const t = tensors[s.name];
      if (!t) throw new Error(`${path}: loadChkpt lacks tensor ${s.name} for arch "${arch.text}"`);
      return t;
    });
  } else {
    if ((await Deno.stat(path)).isDirectory) from = `${path}/${await newestPth(path)}`;
    weights = stateDictWeights(
      readTorchStateDict(await Deno.readFile(from), from),
      arch,
      cin,
      `${from} (loadChkpt)`,
    );
  }
  specs.forEach((s, i) => {
    const n = s.dims.reduce((a, b) => a * b, 1);
    if (weights[i].length !== n) {
      throw new Error(
        `${path}: loadChkpt tensor ${s.name} has ${weights[i].length} values, expected ${n}`,
      );
    }
  });
  return { weights, from };
}

/** sr-midas's `_train_args.json` (its keys, in its order; `vars(args)` of `sr-midas-train`). */
export function srMidasTrainArgs(
  p: TrainParams,
  inputs: { patchstore: string; inputPatchstore?: string; loadChkpt?: string },
): Record<string, unknown> {
  return {
    model: "cnnsr",
    expName: p.expName ?? null,
    pst: inputs.patchstore,
    inSRx: p.inSRx,
    outSRx: p.outSRx,
    useRch: String(p.useRch),
    useEtach: String(p.useEtach),
    arch: p.arch,
    lr: p.lr,
    lossF: p.lossF,
    mbsz: p.mbsz,
    maxItr: p.maxItr,
    trainFrac: p.trainFrac,
    nwork: 1, // data are read in-process; sr-midas's -nwork is accepted and ignored
    ecVal: p.ecVal,
    ecItr: p.ecItr,
    inPstPath: inputs.inputPatchstore ?? null,
    outPstPath: null,
    loadChkpt: inputs.loadChkpt ?? null,
    trainOutDir: p.trainOutDir ?? null,
  };
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

/** What {@link srMidasTrainLog} needs besides the per-epoch history. */
export interface TrainLogInfo {
  trainCount: number;
  valCount: number;
  batchSize: number;
  /** [C, H, W] of one input and one target sample. */
  inShape: readonly number[];
  outShape: readonly number[];
  /** Where the initial weights came from (sr-midas `loadChkpt`), if anywhere. */
  loadedFrom?: string;
  /** Epochs of the convergence phase (sr-midas `ecItr`); 0 = off. */
  convergenceEpochs: number;
}

/**
 * sr-midas's `_train_log.log` (Python logging, `INFO:root:` lines, §7.2) rebuilt from the epoch
 * history, so a resumed run's log is whole: one "Initiating MODEL" block per convergence attempt,
 * the epoch, `[Train]` and `[Valid]` lines (read by sr-midas's `err_from_log`), "MODEL
 * CONVERGENCE VERIFIED" after the successful attempt's convergence phase.
 */
export function srMidasTrainLog(history: EpochMetrics[], info: TrainLogInfo): string {
  const lines: string[] = [];
  const log = (msg: string) => lines.push(`INFO:root:${msg}`);
  const shape = (n: number, s: readonly number[]) => `(${[n, ...s].join(", ")})`;
  log("---------------------------------");
  log("Device selected for training: cpu (onnxruntime)\n");
  log("Loading data into device memory...");
  log("DONE.\n");
  log(
    `X shape: ${shape(info.trainCount, info.inShape)};   Y shape: ${
      shape(info.trainCount, info.outShape)
    }`,
  );
  const lastAttempt = history.at(-1)?.attempt ?? 0;
  let attempt = -1;
  for (const m of history) {
    if (m.attempt !== attempt) {
      attempt = m.attempt;
      log(`\n---------Initiating MODEL: Count (${attempt + 1})-----------`);
      log(`Loaded ${info.trainCount} training / ${info.valCount} validation samples.`);
      log(
        info.loadedFrom
          ? `Loaded pre-trained model: ${info.loadedFrom}`
          : "Initialized model weights using Kaiming normal distribution",
      );
    }
    log("---------------------------------");
    log(
      `Epoch: ${m.epoch}, loss: ${m.trainLoss}, elapse: ${(m.seconds * 1000).toFixed(3)}ms/epoch`,
    );
    log(formatErrorLine("Train", m.epoch, m.steps * info.batchSize, m.train));
    log(formatErrorLine("Valid", m.epoch, info.valCount, m.val));
    if (m.attempt === lastAttempt && m.epoch === info.convergenceEpochs - 1) {
      log("---------------------------------\n");
      log("--------- MODEL CONVERGENCE VERIFIED -----------\n");
      log("---------------------------------");
    }
  }
  const epochs = history.filter((m) => m.attempt === lastAttempt).length;
  const seconds = history.reduce((s, m) => s + m.seconds, 0);
  log("---------------------------------\n");
  log("\n----------- Training finished -----------");
  log(
    `Trained for ${String(epochs).padStart(3)} epochs, each with ${
      history.at(-1)?.steps ?? 0
    } steps (mini-batch size=${info.batchSize}). Total time: ${seconds.toFixed(3)} seconds\n`,
  );
  return lines.join("\n") + "\n";
}

export const trainStep = defineStep({
  name: "train",
  cliAliases: {
    pst: "in:patchstore",
    outPstPath: "in:patchstore",
    inPstPath: "in:inputPatchstore",
    nwork: "",
  },
  version: "2",
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
    loadChkpt: {
      kind: "model",
      optional: true,
      description:
        "initial weights (sr-midas -loadChkpt; None = fresh): a mod-it{N}.pth, a training output folder (its newest mod-it{N}.pth) or an srmidas .ckpt",
      contents: loadChkptFiles,
    },
  },
  outputs: {
    model: {
      kind: "model",
      path: "model",
      description:
        "model.onnx + model.json, sr-midas's mod-it{N}.pth + _train_args.json + _train_log.log, train_log.tsv/json",
    },
  },
  module: import.meta.url,
  threads: 2,
  publish: (p) =>
    p.expName ? [{ port: "model", to: resolve(p.trainOutDir ?? ".", `${p.expName}-itrOut`) }] : [],
  async run(ctx) {
    const p = ctx.params;
    const arch = parseArch(p.arch);
    const channels = channelList(p.useRch, p.useEtach);
    const src = await patchstoreSource({
      target: ctx.inputs.patchstore,
      input: ctx.inputs.inputPatchstore,
      inSRx: p.inSRx,
      outSRx: p.outSRx,
      channels,
      // Pixel-shuffle networks take the input at low resolution and upscale themselves.
      netUpscale: archIO(arch, channels.length).upscale,
    });
    const trainN = Math.floor(p.trainFrac * src.size);
    const conv = p.ecItr > 0 && p.ecVal > 0;
    const total = conv ? Math.max(p.maxItr, p.ecItr) : p.maxItr;
    // mod-it{N}.pth files live beside the resumable checkpoint until the run succeeds.
    const pthDir = `${ctx.checkpointDir}/pth`;
    await Deno.mkdir(pthDir, { recursive: true });
    const keepPth = (e: number) =>
      e === total - 1 || (p.pthEvery > 0 && (e + 1) % p.pthEvery === 0);
    let result;
    let init;
    try {
      init = await initialWeights(ctx.inputs.loadChkpt, arch, channels.length);
      ctx.log.info(
        `training ${p.arch} SRx${p.inSRx} → SRx${p.outSRx} on ${src.size} patches, ${total} epochs${
          init ? ` from ${init.from}` : ""
        }`,
      );
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
        initialWeights: init?.weights,
        convergence: conv
          ? { epochs: p.ecItr, maxLoss: p.ecVal, maxAttempts: p.ecMaxAttempts }
          : undefined,
        signal: ctx.signal,
        async onEpochWeights(m, w) {
          if (keepPth(m.epoch)) {
            await writeSrMidasCheckpoint(`${pthDir}/mod-it${m.epoch}.pth`, arch, channels.length, [
              ...w,
            ]);
          }
        },
        onEpoch(m) {
          ctx.log.info(`Epoch: ${m.epoch}, loss: ${m.trainLoss}, elapse ${m.seconds.toFixed(3)}s`);
          ctx.log.info(formatErrorLine("Train", m.epoch, m.steps * p.mbsz, m.train));
          ctx.log.info(formatErrorLine("Valid", m.epoch, src.size - trainN, m.val));
          ctx.log.progress(m.epoch + 1, total, "epochs");
        },
      });
    } catch (e) {
      if (e instanceof ConvergenceError) {
        throw new Error(
          `train: no convergence: ${e.attempts} attempts (-ecMaxAttempts ${p.ecMaxAttempts}) of -ecItr ${e.epochs} epochs each ended with a last mini-batch loss ≥ -ecVal ${e.maxLoss} (${
            e.lastLosses.map((l) => l.toPrecision(4)).join(", ")
          }). sr-midas would retry forever; try a larger -ecVal, another -lr or -arch, more attempts with -ecMaxAttempts N, or -ecItr 0 to skip the check`,
        );
      }
      throw e;
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
    await Deno.writeTextFile(
      `${dir}/_train_log.log`,
      srMidasTrainLog(result.history, {
        trainCount: result.trainCount,
        valCount: result.valCount,
        batchSize: p.mbsz,
        inShape: src.inShape,
        outShape: src.outShape,
        loadedFrom: init && ctx.inputs.loadChkpt,
        convergenceEpochs: conv ? p.ecItr : 0,
      }),
    );
    await Deno.writeTextFile(
      `${dir}/_train_args.json`,
      JSON.stringify(srMidasTrainArgs(p, ctx.inputs)),
    );
    // The checkpoint folder is removed when the step commits: hard links keep the files for free.
    for await (const e of Deno.readDir(pthDir)) {
      const m = /^mod-it(\d+)\.pth$/.exec(e.name);
      if (!m || !keepPth(Number(m[1])) || Number(m[1]) >= total) continue;
      await Deno.link(`${pthDir}/${e.name}`, `${dir}/${e.name}`).catch(() =>
        Deno.copyFile(`${pthDir}/${e.name}`, `${dir}/${e.name}`)
      );
    }
  },
});
