/**
 * Step `bundle-models` (issue #7): gathers trained models into the layout `process` and the
 * repository's `models/` use — one folder per key (`x1_x2/`, `x2_x4/`, `x4_x8/`, `x1_x8/`) with
 * `model.onnx`, the card `model.json` (plus provenance and, when given, the evaluation),
 * `train_log.tsv`, `training_curve.svg` and a human-readable `README.md` — and a top-level
 * `README.md` with the evaluation table. The output is what `process --in models=…` reads and
 * what a campaign ships by copying it into `models/`.
 *
 * Inputs: any of `x1_x2`, `x2_x4`, `x4_x8`, `x1_x8` (train step outputs), optionally `report`
 * (an evaluate report of this cascade) and `workflow` (the campaign file, copied verbatim).
 * Param `provenance`: free-form record of how the models were made (campaign params, seed).
 *
 * @example
 * ```ts
 * import { bundleModelsStep } from "./bundle_models.ts";
 * bundleModelsStep.outputs.models.path; // "models"
 * ```
 * @module
 */
import * as v from "valibot";
import { defineStep } from "../engine/step.ts";
import { type ModelCard, readModelCard } from "../nn/model_card.ts";
import type { EpochMetrics } from "../nn/trainer.ts";
import { formatReport, readReportMetrics, type ReportRun } from "../evaluation/report.ts";
import { MODEL_KEYS, type ModelKey, modelKeyFor } from "../models/mod.ts";
import { lineChart, renderSvg } from "../plot/vega.ts";

/** Parameters of {@link bundleModelsStep}. */
export const bundleModelsParams = v.object({
  title: v.optional(v.string(), "srmidas models"),
  provenance: v.optional(v.record(v.string(), v.unknown()), {}),
});

const modelPort = (key: ModelKey) => ({
  kind: "model",
  optional: true,
  description: `train output for ${key}`,
} as const);

export const bundleModelsStep = defineStep({
  name: "bundle-models",
  version: "1",
  description: "Bundles trained models (x1_x2, x2_x4, x4_x8, x1_x8) with cards for process.",
  params: bundleModelsParams,
  inputs: {
    x1_x2: modelPort("x1_x2"),
    x2_x4: modelPort("x2_x4"),
    x4_x8: modelPort("x4_x8"),
    x1_x8: modelPort("x1_x8"),
    report: { kind: "report", optional: true, description: "evaluate report of these models" },
    workflow: { kind: "file", optional: true, description: "the workflow that trained them" },
  },
  outputs: {
    models: { kind: "cascade", path: "models", description: "<key>/model.onnx + cards, README" },
  },
  module: import.meta.url,
  async run(ctx) {
    const out = ctx.output("models");
    await Deno.mkdir(out, { recursive: true });
    const evaluation = ctx.inputs.report
      ? (await readReportMetrics(ctx.inputs.report)).runs
      : undefined;
    const workflowName = ctx.inputs.workflow?.split("/").pop();
    if (ctx.inputs.workflow) {
      await Deno.copyFile(ctx.inputs.workflow, `${out}/${workflowName}`);
    }
    const bundled: { key: ModelKey; card: ModelCard; history: EpochMetrics[] }[] = [];
    for (const key of MODEL_KEYS) {
      const src = ctx.inputs[key];
      if (!src) continue;
      const card = await readModelCard(`${src}/model.json`);
      if (modelKeyFor(Number(card.srfacIn), Number(card.srfacOut)) !== key) {
        throw new Error(
          `bundle-models: input ${key} (${src}/model.json) is a ${
            modelKeyFor(Number(card.srfacIn), Number(card.srfacOut))
          } model (srfacIn → srfacOut)`,
        );
      }
      const dir = `${out}/${key}`;
      await Deno.mkdir(dir);
      await Deno.copyFile(`${src}/model.onnx`, `${dir}/model.onnx`);
      const history = await readHistory(`${src}/train_log.json`);
      for (const f of ["train_log.tsv", "_train_log.log"]) {
        try {
          await Deno.copyFile(`${src}/${f}`, `${dir}/${f}`);
        } catch (e) {
          if (!(e instanceof Deno.errors.NotFound)) throw e;
        }
      }
      const full: ModelCard = {
        ...card,
        key,
        provenance: {
          ...ctx.params.provenance,
          ...(workflowName ? { workflow: workflowName } : {}),
        },
        ...(evaluation ? { evaluation: evaluation.map((r) => summarize(r)) } : {}),
      };
      await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify(full, null, 2) + "\n");
      if (history.length > 0) {
        await Deno.writeTextFile(
          `${dir}/training_curve.svg`,
          await renderSvg(trainingCurve(key, history)),
        );
      }
      await Deno.writeTextFile(`${dir}/README.md`, modelReadme(key, full, history, evaluation));
      bundled.push({ key, card: full, history });
      ctx.log.progress(bundled.length, MODEL_KEYS.length, "models");
    }
    if (bundled.length === 0) {
      throw new Error("bundle-models: wire at least one of the inputs " + MODEL_KEYS.join(", "));
    }
    await Deno.writeTextFile(
      `${out}/README.md`,
      bundleReadme(ctx.params.title, bundled, evaluation, workflowName, ctx.params.provenance),
    );
    if (evaluation) {
      await Deno.writeTextFile(
        `${out}/evaluation.json`,
        JSON.stringify({ runs: evaluation }, null, 2) + "\n",
      );
    }
  },
});

async function readHistory(path: string): Promise<EpochMetrics[]> {
  try {
    const h = JSON.parse(await Deno.readTextFile(path));
    if (!Array.isArray(h)) throw new Error(`${path}: expected a JSON array of epoch metrics`);
    return h;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

/** The headline numbers of one evaluated run (for the JSON card). */
function summarize(r: ReportRun) {
  const m = r.metrics;
  return {
    label: r.label,
    recall: m.recall,
    precision: m.precision,
    isolatedMedianErrorPx: m.localizationPx.isolated.median,
    isolatedP95ErrorPx: m.localizationPx.isolated.p95,
    pairs: m.pairs.bins.map((b) => ({
      loPx: b.loPx,
      hiPx: b.hiPx,
      resolved: b.resolved,
      n: b.n,
    })),
  };
}

function trainingCurve(key: string, history: readonly EpochMetrics[]) {
  const x = history.map((_, i) => i + 1);
  return lineChart({
    title: `${key}: loss per epoch`,
    xTitle: "epoch",
    yTitle: "loss (log scale)",
    yLog: true,
    series: [
      { label: "train", x, y: history.map((m) => m.trainLoss) },
      { label: "validation", x, y: history.map((m) => m.valLoss) },
    ],
  });
}

const num = (x: unknown, d = 4) => (typeof x === "number" ? x.toPrecision(d) : "–");

function cardLines(card: ModelCard, history: readonly EpochMetrics[]): string[] {
  const args = (card.args ?? {}) as Record<string, unknown>;
  const data = (card.data ?? {}) as Record<string, any>;
  const best = card.metrics as EpochMetrics | undefined;
  const seconds = history.reduce((s, m) => s + m.seconds, 0);
  return [
    `| field | value |`,
    `|---|---|`,
    `| architecture | \`${card.arch}\` |`,
    `| SR factor | x${card.srfacIn} → x${card.srfacOut} (network upscale ${card.netUpscale}) |`,
    `| input channels | ${card.inChannels} |`,
    `| parameters | ${card.params.toLocaleString("en-US")} |`,
    `| MAC per input pixel | ${card.macsPerInputPixel.toLocaleString("en-US")} |`,
    `| training samples (train / validation) | ${data.train ?? "–"} / ${data.val ?? "–"} |`,
    `| patchstore sha256 | \`${data.sha256?.patchstore ?? "–"}\` |`,
    ...(data.sha256?.inputPatchstore
      ? [`| input patchstore sha256 | \`${data.sha256.inputPatchstore}\` |`]
      : []),
    `| epochs / mini-batch / lr / loss | ${history.length} / ${args.mbsz ?? "–"} / ${
      args.lr ?? "–"
    } / ${args.lossF ?? "–"} |`,
    `| training wall time | ${seconds.toFixed(0)} s |`,
    `| best epoch: train / validation loss | ${best ? best.epoch + 1 : "–"}: ${
      num(best?.trainLoss)
    } / ${num(best?.valLoss)} |`,
  ];
}

function evaluationLines(evaluation: readonly ReportRun[] | undefined, title: string): string[] {
  if (!evaluation) return [];
  const md = formatReport({ title, runs: evaluation, figures: [] });
  // Keep the two tables (summary, close pairs); drop the title and the definitions.
  const body = md.split("\n## Definitions")[0].split("\n").slice(1);
  return ["", ...body.map((l) => l.replace(/^## /, "### "))];
}

function modelReadme(
  key: string,
  card: ModelCard,
  history: readonly EpochMetrics[],
  evaluation: readonly ReportRun[] | undefined,
): string {
  return [
    `# Model ${key}`,
    "",
    ...cardLines(card, history),
    "",
    ...(history.length ? ["![training curve](training_curve.svg)", ""] : []),
    "Provenance (campaign parameters) is in `model.json` field `provenance`; the exact training",
    "arguments in field `args`.",
    ...evaluationLines(evaluation, "Evaluation of the bundle this model belongs to"),
    "",
  ].join("\n");
}

function bundleReadme(
  title: string,
  bundled: readonly { key: string; card: ModelCard; history: EpochMetrics[] }[],
  evaluation: readonly ReportRun[] | undefined,
  workflowName: string | undefined,
  provenance: Record<string, unknown>,
): string {
  const secs = (h: readonly EpochMetrics[]) => h.reduce((s, m) => s + m.seconds, 0).toFixed(0);
  return [
    `# ${title}`,
    "",
    "| key | architecture | params | MAC / input px | epochs | train time (s) | best val loss |",
    "|---|---|---:|---:|---:|---:|---:|",
    ...bundled.map(({ key, card, history }) =>
      `| [${key}](${key}/README.md) | \`${card.arch}\` | ${card.params} | ${card.macsPerInputPixel} | ${history.length} | ${
        secs(history)
      } | ${num((card.metrics as EpochMetrics | undefined)?.valLoss)} |`
    ),
    "",
    ...(workflowName ? [`Trained by \`${workflowName}\` (copied here) with:`, ""] : []),
    "```json",
    JSON.stringify(provenance, null, 2),
    "```",
    ...evaluationLines(evaluation, "Evaluation"),
    "",
  ].join("\n");
}
