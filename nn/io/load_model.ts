/**
 * Opens a trained model for inference from any of the forms a step may be handed: an exported
 * model directory (`model.json` + `model.onnx`), a card path, an sr-midas checkpoint directory
 * (`_train_args.json` + `mod-it{N}.pth`, the named iteration or the newest) or one `mod-it{N}.pth`
 * file.
 * {@link runStage} then applies the model to patches of its input level (§5 preparation).
 *
 * @example
 * ```ts
 * import { openModel, runStage } from "./load_model.ts";
 * const m = await openModel("models/x1_x2");
 * const x1Patches = new Float32Array(100 * 20 * 20); // [100, 1, 20, 20] intensity
 * const y = await runStage(m, x1Patches, 100, 1, 20); // [100, 1, 40, 40]
 * await m.predictor.release();
 * ```
 * @module
 */
import { parseArch } from "../arch.ts";
import { onnxPathOf, readModelCard } from "../model_card.ts";
import { Predictor, type PredictorOptions } from "../session.ts";
import { type ChannelName, prepareModelInput } from "./patch_source.ts";
import { type CheckpointIteration, loadSrMidasCheckpoint } from "./pth.ts";

/** A model ready to run. */
export interface OpenedModel {
  predictor: Predictor;
  srfacIn: number;
  srfacOut: number;
  channels: ChannelName[];
  /** Resolution gain inside the network (pixel shuffles); 1 for sr-midas models. */
  netUpscale: number;
  /** Where it came from, for logs and errors. */
  source: string;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** Opens a model from a directory, card, sr-midas checkpoint dir or `.pth`; see the module doc. */
export async function openModel(
  path: string,
  opts: PredictorOptions & {
    /** The checkpoint of an sr-midas directory (`-modItr`, `mod_itr`); exported models have one. */
    itr?: CheckpointIteration;
  } = {},
): Promise<OpenedModel> {
  let card = path;
  if (!path.endsWith(".json") && !path.endsWith(".pth")) {
    if (await isFile(`${path}/model.json`)) card = `${path}/model.json`;
    else if (await isFile(`${path}/_train_args.json`)) card = "";
    else {
      throw new Error(
        `${path}: not a model (expected model.json, or _train_args.json + mod-it{N}.pth)`,
      );
    }
  }
  if (card.endsWith(".json")) {
    const c = await readModelCard(card);
    const channels = (c.channels as ChannelName[] | undefined) ?? ["I"];
    if (channels.length !== c.inChannels) {
      throw new Error(
        `${card}: field channels lists ${channels.length} names, inChannels is ${c.inChannels}`,
      );
    }
    for (const k of ["srfacIn", "srfacOut"]) {
      if (!Number.isInteger(c[k]) || (c[k] as number) < 1) {
        throw new Error(
          `${card}: field ${k} must be a positive integer, got ${JSON.stringify(c[k])}`,
        );
      }
    }
    return {
      predictor: await Predictor.fromModel(parseArch(c.arch), c.inChannels, onnxPathOf(card), opts),
      srfacIn: c.srfacIn as number,
      srfacOut: c.srfacOut as number,
      channels,
      netUpscale: c.netUpscale ?? 1,
      source: card,
    };
  }
  const dir = path.endsWith(".pth")
    ? path.slice(0, Math.max(0, path.lastIndexOf("/"))) || "."
    : path;
  const itr = path.endsWith(".pth") ? Number(/mod-it(\d+)\.pth$/.exec(path)?.[1]) : opts.itr;
  if (typeof itr === "number" && !Number.isInteger(itr)) {
    throw new Error(`${path}: expected a mod-it{N}.pth file name`);
  }
  const m = await loadSrMidasCheckpoint(dir, { itr });
  return {
    predictor: await Predictor.create(m.arch, m.inChannels, m.weights, opts),
    srfacIn: m.srfacIn,
    srfacOut: m.srfacOut,
    channels: m.channels as ChannelName[],
    netUpscale: 1,
    source: m.checkpoint,
  };
}

/**
 * Runs `model` on `n` patches `src` ([n, srcChannels, size, size] at the model's input level,
 * channel 0 used): upscale to the network's input resolution, max-normalize, predict. R/Eta
 * models need `geometry` ([n, 3, ·, ·] at the output level). Returns raw sigmoid outputs.
 */
export async function runStage(
  model: OpenedModel,
  src: Float32Array,
  n: number,
  srcChannels: number,
  size: number,
  geometry?: Float32Array,
): Promise<Float32Array> {
  const total = model.srfacOut / model.srfacIn;
  const prep = total / model.netUpscale;
  if (!Number.isInteger(prep) || prep < 1) {
    throw new Error(
      `${model.source}: SRx${model.srfacIn} → SRx${model.srfacOut} with a ×${model.netUpscale} network leaves a non-integer input upscale ${prep}`,
    );
  }
  if (model.channels.length > 1 && model.netUpscale !== 1) {
    throw new Error(`${model.source}: R/Eta channels with in-network upsampling are not supported`);
  }
  const x = prepareModelInput(src, n, srcChannels, size, prep, model.channels, geometry);
  return await model.predictor.predict(x, n, size * prep, size * prep);
}
