/**
 * Step `merge-peaks`: joins the `peaks` outputs of a `process` run split into frame shards
 * (`process` with `shard: [i, n]`, e.g. a workflow matrix over `i`, run as parallel jobs) into
 * the `peaks` output an unsharded run gives, byte for byte (process/merge.ts).
 *
 * @example
 * ```ts
 * import { mergePeaksStep } from "./merge_peaks.ts";
 * mergePeaksStep.inputs.peaks.many; // true
 * ```
 * @module
 */
import * as v from "valibot";
import { defineStep } from "../engine/step.ts";
import { mergePeakOutputs } from "../process/merge.ts";

export const mergePeaksStep = defineStep({
  name: "merge-peaks",
  version: "1",
  description: "Merges frame-sharded process outputs into one Temp/ + SR_out/ set.",
  params: v.object({
    /** How many shards to expect (checked when given). */
    shards: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  }),
  inputs: {
    peaks: { kind: "peaks", many: true, description: "the shards' peaks outputs, in any order" },
  },
  outputs: {
    peaks: {
      kind: "peaks",
      path: "peaks",
      description: "Temp/ (PS csv, AllPeaks_PS/PX.bin) + SR_out/",
    },
  },
  module: import.meta.url,
  async run(ctx) {
    const r = await mergePeakOutputs(ctx.inputs.peaks, ctx.output("peaks"), ctx.params.shards);
    ctx.log.info("merged shards", { ...r });
  },
});
