/**
 * Exported models: `<name>.onnx` (inference graph, weights as initializers) next to a JSON model
 * card `<name>.json` describing architecture, channels, factors, training args and metrics.
 *
 * @example
 * ```ts
 * import { parseArch, paramSpecs } from "./arch.ts";
 * import { exportModel, readModelCard } from "./model_card.ts";
 * const arch = parseArch("4-3-r_1-3-s");
 * const weights = paramSpecs(arch, 1).map((p) => new Float32Array(p.dims.reduce((a, b) => a * b)));
 * const { cardPath } = await exportModel("/tmp/m", { arch, inChannels: 1, weights }, { srfacIn: 1, srfacOut: 2 });
 * const card = await readModelCard(cardPath);
 * ```
 * @module
 */
import { type Arch, archCost, parseArch } from "./arch.ts";
import { buildInferenceModel } from "./infer_graph.ts";
import type { EpochMetrics } from "./trainer.ts";

/** The JSON model card written next to an exported model. */
export interface ModelCard {
  format: "srmidas-model/1";
  arch: string;
  inChannels: number;
  outChannels: number;
  /** Resolution gain inside the network (pixel shuffles); 1 for sr-midas models. */
  netUpscale: number;
  params: number;
  /** Multiply-accumulates per input pixel. */
  macsPerInputPixel: number;
  /** Free-form provenance: srfacIn/srfacOut, channel list, training args, metrics… */
  [key: string]: unknown;
}

/**
 * Writes `<dir>/<name>.onnx` (weights as initializers) and `<dir>/<name>.json` (model card with
 * `extra` merged in, e.g. `{ srfacIn: 1, srfacOut: 2, channels: ["I"], args }`; a
 * {@link TrainResult}'s best-epoch metrics become `metrics`, without the epoch's wall time: the
 * same weights give the same files, so a re-run or a resumed run exports the same model and the
 * steps that read it keep their cache keys; timings stay in the training log). Pass
 * `weights: r.bestWeights` to export the best epoch instead of the last.
 */
export async function exportModel(
  dir: string,
  model: { arch: Arch; inChannels: number; weights: Float32Array[]; best?: EpochMetrics | null },
  extra: Record<string, unknown> = {},
  name = "model",
): Promise<{ onnxPath: string; cardPath: string; card: ModelCard }> {
  await Deno.mkdir(dir, { recursive: true });
  const cost = archCost(model.arch, model.inChannels, 1, 1);
  const { seconds: _wallTime, ...metrics } = model.best ?? {};
  const card: ModelCard = {
    ...(model.best ? { metrics } : {}),
    ...extra,
    format: "srmidas-model/1",
    arch: model.arch.text,
    inChannels: model.inChannels,
    outChannels: cost.outChannels,
    netUpscale: cost.upscale,
    params: cost.params,
    macsPerInputPixel: cost.macsPerPatch,
  };
  const onnxPath = `${dir}/${name}.onnx`;
  const cardPath = `${dir}/${name}.json`;
  await Deno.writeFile(
    onnxPath,
    buildInferenceModel(model.arch, model.inChannels, {
      weights: model.weights,
      docString: JSON.stringify(card),
    }),
  );
  await Deno.writeTextFile(cardPath, JSON.stringify(card, null, 2) + "\n");
  return { onnxPath, cardPath, card };
}

/** The .onnx file that belongs to a card path (`x.json` → `x.onnx`). */
export function onnxPathOf(cardPath: string): string {
  return cardPath.replace(/\.json$/, "") + ".onnx";
}

/** Reads and checks a model card written by {@link exportModel}. */
export async function readModelCard(path: string): Promise<ModelCard> {
  const card = JSON.parse(await Deno.readTextFile(path));
  if (card?.format !== "srmidas-model/1") {
    throw new Error(
      `${path}: field format must be "srmidas-model/1", got ${JSON.stringify(card?.format)}`,
    );
  }
  parseArch(card.arch, { source: `${path} field arch` });
  if (!Number.isInteger(card.inChannels) || card.inChannels < 1) {
    throw new Error(`${path}: field inChannels must be a positive integer`);
  }
  return card as ModelCard;
}
