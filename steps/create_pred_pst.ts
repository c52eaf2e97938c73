/**
 * Step `create_pred_pst`: runs one model over a patchstore level and writes a *predicted
 * patchstore* (sr-midas `sr-midas-create-pred-pst`, seed spec §9): only `/patchArr/SRx{out}`,
 * float32 (N, 1, H, W), raw sigmoid outputs (not max-normalized). It is the `inputPatchstore`
 * of the next cascade stage's `train` step (stage-2 X = upscale(pred x2), Y = ground truth).
 *
 * @example
 * ```ts
 * import { createPredPstStep } from "./create_pred_pst.ts";
 * createPredPstStep.outputs.patchstore.path; // "pred_patchstore.h5"
 * ```
 * @module
 */
import * as v from "valibot";
import { join, resolve } from "node:path";
import { defineStep } from "../engine/step.ts";
import { openModel, runStage } from "../nn/io/load_model.ts";
import { PredPatchstoreWriter } from "../nn/io/pred_pst.ts";
import { PatchstoreReader } from "../patchstore/h5.ts";

/** Parameters (sr-midas flag names); the factors default to the model card's. */
export const createPredPstParams = v.object({
  srfacIn: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  srfacOut: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  /** Upper bound on patches per forward batch (sr-midas `-bsz`, default 500). */
  bsz: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 500),
  chunk: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 2048),
  /** Checkpoint of an sr-midas model dir (`mod-it{N}.pth`; default the newest). */
  trainedModItr: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
});

export const createPredPstStep = defineStep({
  name: "create-pred-pst",
  cliAliases: { pstPath: "in:patchstore", trainedModDir: "in:model" },
  // sr-midas writes `{saveDir}/{saveName}`.
  publishOptions: ["saveDir", "saveName"],
  publish: (_params, _inputs, o) =>
    o.saveDir
      ? [{ port: "patchstore", to: join(resolve(o.saveDir), o.saveName ?? "pred_patchstore.h5") }]
      : [],
  version: "1",
  description:
    "Writes a predicted patchstore (raw model outputs) as the next cascade stage's training input.",
  params: createPredPstParams,
  inputs: {
    patchstore: { kind: "patchstore", description: "patchstore holding patchArr/SRx{srfacIn}" },
    model: { kind: "model", description: "model dir (exported, or an sr-midas checkpoint dir)" },
  },
  outputs: {
    patchstore: {
      kind: "patchstore",
      path: "pred_patchstore.h5",
      description: "predicted patchstore",
    },
  },
  module: import.meta.url,
  threads: 2,
  async run(ctx) {
    const p = ctx.params;
    const model = await openModel(ctx.inputs.model, {
      threads: ctx.threads,
      maxBatch: p.bsz,
      itr: p.trainedModItr,
    });
    const pst = await PatchstoreReader.open(ctx.inputs.patchstore).catch(async (e) => {
      await model.predictor.release();
      throw e;
    });
    let w: PredPatchstoreWriter | undefined;
    try {
      for (const [k, want] of [["srfacIn", p.srfacIn], ["srfacOut", p.srfacOut]] as const) {
        if (want !== undefined && want !== model[k]) {
          throw new Error(`create_pred_pst: ${k} is ${want} but ${model.source} has ${model[k]}`);
        }
      }
      if (!pst.factors.includes(model.srfacIn)) {
        throw new Error(`patchstore ${pst.path}: no level SRx${model.srfacIn} for ${model.source}`);
      }
      const geomNeeded = model.channels.length > 1;
      if (geomNeeded && (pst.channels !== 3 || !pst.factors.includes(model.srfacOut))) {
        throw new Error(
          `patchstore ${pst.path}: ${model.source} needs R/Eta grids at SRx${model.srfacOut}`,
        );
      }
      const sizeIn = pst.lrsz * model.srfacIn;
      w = await PredPatchstoreWriter.create(
        ctx.output("patchstore"),
        model.srfacOut,
        pst.lrsz * model.srfacOut,
      );
      for (let i = 0; i < pst.count; i += p.chunk) {
        ctx.signal.throwIfAborted();
        const j = Math.min(pst.count, i + p.chunk);
        const geom = geomNeeded ? pst.readPatches(i, j, model.srfacOut) : undefined;
        const y = await runStage(
          model,
          pst.readPatches(i, j, model.srfacIn),
          j - i,
          pst.channels,
          sizeIn,
          geom,
        );
        w.append(y, j - i);
        ctx.log.progress(j, pst.count, "patches");
      }
      w.commit();
      ctx.log.info("predicted patchstore written", {
        patches: pst.count,
        level: `SRx${model.srfacOut}`,
      });
    } catch (e) {
      w?.abort();
      throw e;
    } finally {
      pst.close();
      await model.predictor.release();
    }
  },
});
