/**
 * Step `predict`: super-resolves a patchstore level with one model or a cascade (sr-midas
 * `sr-midas-predict cnnsr`, seed spec §8) and writes `.npy` arrays with sr-midas's names.
 *
 * - Single model (one `model` wired, `cascade` false): `predictions/<saveName>` (default
 *   `predictions.npy`), (N, 1, H, W) float32, each patch max-normalized. Unlike sr-midas the
 *   levels come from the model card (sr-midas hard-wires x1 → x8).
 * - Cascade (several models, or `cascade` true): models are chained by their SRx factors
 *   (x1→x2, x2→x4, x4→x8); each stage's output is max-normalized before the next; every stage
 *   writes `predictions/<stem>_SRx{out}.npy` (stem = saveName without `.npy`).
 *
 * Patches stream from the HDF5 store in slabs of `chunk`, so memory is bounded by one slab. R/Eta
 * models take their grids from the patchstore's own SRx{out} level (sr-midas leaves them 0).
 *
 * @example
 * ```ts
 * import { predictStep } from "./predict.ts";
 * predictStep.outputs.predictions.path; // "predictions"
 * ```
 * @module
 */
import * as v from "valibot";
import { resolve } from "node:path";
import { defineStep } from "../engine/step.ts";
import { type OpenedModel, openModel, runStage } from "../nn/io/load_model.ts";
import { NpyWriter } from "../nn/io/npy.ts";
import { maxNormalize } from "../nn/upscale.ts";
import { PatchstoreReader } from "../patchstore/h5.ts";

const itrNr = v.pipe(v.number(), v.integer(), v.minValue(0));

/** Parameters (sr-midas flag names where they exist). */
export const predictParams = v.object({
  /** Input level; must match the (first) model's srfacIn when given. */
  inSRx: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  /** Final level; must match the (last) model's srfacOut when given. */
  outSRx: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  saveName: v.optional(v.pipe(v.string(), v.regex(/^[^/]+$/)), "predictions.npy"),
  cascade: v.optional(v.boolean(), false),
  /** Upper bound on patches per forward batch (sr-midas `-bsz`); memory-bounded below that. */
  bsz: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 200),
  /** Patches read from the store per slab. */
  chunk: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 2048),
  /** Checkpoint of an sr-midas model dir (`mod-it{N}.pth`; default the newest). */
  modItr: v.optional(itrNr),
  /** Per cascade stage, by the level it produces (sr-midas `-x2ModItr` …). */
  x2ModItr: v.optional(itrNr),
  x4ModItr: v.optional(itrNr),
  x8ModItr: v.optional(itrNr),
});

/** Orders cascade stages by factor and checks they chain; throws naming the gap. */
export function chainStages<T extends { srfacIn: number; srfacOut: number; source: string }>(
  models: T[],
): T[] {
  const s = [...models].sort((a, b) => a.srfacIn - b.srfacIn);
  for (let i = 1; i < s.length; i++) {
    if (s[i].srfacIn !== s[i - 1].srfacOut) {
      throw new Error(
        `predict cascade: ${s[i - 1].source} ends at SRx${s[i - 1].srfacOut} but ${
          s[i].source
        } starts at SRx${s[i].srfacIn}`,
      );
    }
  }
  return s;
}

export const predictStep = defineStep({
  name: "predict",
  cliAliases: {
    pstPath: "in:patchstore",
    modDir: "in:model",
    x2ModDir: "in:model",
    x4ModDir: "in:model",
    x8ModDir: "in:model",
  },
  // The .npy files land in sr-midas's `-saveDir`.
  publishOptions: ["saveDir"],
  publish: (_params, _inputs, o) =>
    o.saveDir ? [{ port: "predictions", to: resolve(o.saveDir) }] : [],
  version: "1",
  description:
    "Super-resolves patchstore patches with one CNNSR model or an x2/x4/x8 cascade (.npy).",
  params: predictParams,
  inputs: {
    patchstore: { kind: "patchstore", description: "patchstore holding patchArr/SRx{inSRx}" },
    model: {
      kind: "model",
      many: true,
      description: "model dir(s): exported, or sr-midas checkpoint dirs",
    },
  },
  outputs: { predictions: { kind: "dir", path: "predictions", description: ".npy predictions" } },
  module: import.meta.url,
  threads: 2,
  async run(ctx) {
    const p = ctx.params;
    if (!ctx.inputs.model.length) throw new Error("predict: no model wired to port model");
    const models: OpenedModel[] = [];
    const pst = await PatchstoreReader.open(ctx.inputs.patchstore);
    const writers: NpyWriter[] = [];
    try {
      for (const path of ctx.inputs.model) {
        const itr = (srfacOut: number) =>
          ({ 2: p.x2ModItr, 4: p.x4ModItr, 8: p.x8ModItr })[srfacOut] ?? p.modItr;
        models.push(await openModel(path, { threads: ctx.threads, maxBatch: p.bsz, itr }));
      }
      const cascade = p.cascade || models.length > 1;
      const stages = chainStages(models);
      const first = stages[0], last = stages[stages.length - 1];
      if (p.inSRx !== undefined && p.inSRx !== first.srfacIn) {
        throw new Error(
          `predict: inSRx is ${p.inSRx} but ${first.source} takes SRx${first.srfacIn}`,
        );
      }
      if (p.outSRx !== undefined && p.outSRx !== last.srfacOut) {
        throw new Error(
          `predict: outSRx is ${p.outSRx} but ${last.source} gives SRx${last.srfacOut}`,
        );
      }
      if (!pst.factors.includes(first.srfacIn)) {
        throw new Error(`patchstore ${pst.path}: no level SRx${first.srfacIn} for ${first.source}`);
      }
      const dir = ctx.output("predictions");
      await Deno.mkdir(dir, { recursive: true });
      const stem = p.saveName.replace(/\.npy$/, "");
      const n = pst.count;
      const size0 = pst.lrsz * first.srfacIn;
      for (const st of cascade ? stages : [last]) {
        const size = pst.lrsz * st.srfacOut;
        const name = cascade ? `${stem}_SRx${st.srfacOut}.npy` : p.saveName;
        writers.push(await NpyWriter.create(`${dir}/${name}`, [n, 1, size, size]));
      }
      for (let i = 0; i < n; i += p.chunk) {
        ctx.signal.throwIfAborted();
        const j = Math.min(n, i + p.chunk);
        let cur = pst.readPatches(i, j, first.srfacIn);
        let curC = pst.channels, size = size0;
        for (const [k, st] of stages.entries()) {
          const needGeom = st.channels.length > 1;
          if (needGeom && (pst.channels !== 3 || !pst.factors.includes(st.srfacOut))) {
            throw new Error(
              `patchstore ${pst.path}: ${st.source} needs R/Eta grids at SRx${st.srfacOut}`,
            );
          }
          const geom = needGeom ? pst.readPatches(i, j, st.srfacOut) : undefined;
          const y = await runStage(st, cur, j - i, curC, size, geom);
          size = pst.lrsz * st.srfacOut;
          maxNormalize(y, j - i, 1, size, size);
          if (cascade) await writers[k].write(y);
          cur = y;
          curC = 1;
        }
        if (!cascade) await writers[0].write(cur);
        ctx.log.progress(j, n, "patches");
      }
      ctx.log.info("predictions written", {
        patches: n,
        files: writers.map((w) => w.path.split("/").pop()),
      });
    } finally {
      const errors: unknown[] = [];
      for (const w of writers) {
        try {
          w.close();
        } catch (e) {
          errors.push(e);
        }
      }
      pst.close();
      for (const m of models) await m.predictor.release();
      if (errors.length && !ctx.signal.aborted) {
        ctx.log.warn(`incomplete .npy files: ${errors.length}`);
      }
    }
  },
});
