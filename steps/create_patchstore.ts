/**
 * Step `create_patchstore`: synthesizes an sr-midas patchstore HDF5 from a peakbank CSV
 * (seed spec §4; fixes of §12.1-12). Params: see `patchstore/params.ts` (sr-midas keys, their
 * CLI/README aliases, and `seed`). The output is reproducible from (peakbank, params).
 *
 * @example
 * ```ts
 * import { createPatchstoreStep } from "./create_patchstore.ts";
 * createPatchstoreStep.outputs.patchstore.path; // "patchstore.h5"
 * ```
 * @module
 */
import { join, resolve } from "node:path";
import { defineStep } from "../engine/step.ts";
import { createPatchstore } from "../patchstore/create.ts";
import {
  BEAM_Y_COLUMN,
  BEAM_Z_COLUMN,
  type Peakbank,
  readPeakbankCsv,
} from "../patchstore/peakbank_csv.ts";
import { createPatchstoreParams, IGNORED_KEYS, toSynthesisConfig } from "../patchstore/params.ts";

/** The beam centre shared by every peakbank row, or undefined when absent or not unique. */
export function peakbankBeamCentre(pb: Peakbank): { y: number; z: number } | undefined {
  const ys = pb.numeric[BEAM_Y_COLUMN], zs = pb.numeric[BEAM_Z_COLUMN];
  if (!ys || !zs || pb.length === 0) return undefined;
  const y = ys[0], z = zs[0];
  for (let i = 1; i < pb.length; i++) if (ys[i] !== y || zs[i] !== z) return undefined;
  return Number.isFinite(y) && Number.isFinite(z) ? { y, z } : undefined;
}

export const createPatchstoreStep = defineStep({
  name: "create-patchstore",
  version: "1",
  description:
    "Synthesizes multi-peak training patches at every SR level from a peakbank (sr-midas create_patchstore).",
  params: createPatchstoreParams,
  inputs: { peakbank: { kind: "peakbank", description: "peakbank CSV (sr-midas columns)" } },
  // sr-midas's README: `-peakbankPath pb.csv -savedir out/ -savename patchstore.h5`.
  cliAliases: { peakbankPath: "in:peakbank", peakbank: "in:peakbank" },
  publishOptions: ["savedir", "savename"],
  publish: (_params, _inputs, o) =>
    o.savedir
      ? [{ port: "patchstore", to: join(resolve(o.savedir), o.savename ?? "patchstore.h5") }]
      : [],
  outputs: {
    patchstore: {
      kind: "patchstore",
      path: "patchstore.h5",
      description: "sr-midas patchstore HDF5",
    },
  },
  module: import.meta.url,
  /** sr-midas `nwork`; default 4 render Workers (the scheduler grants at most the machine's cores). */
  threads: (p) => p.nwork ?? 4,
  async run(ctx) {
    const pb = await readPeakbankCsv(ctx.inputs.peakbank);
    const given = IGNORED_KEYS.filter((k) => ctx.params[k] !== undefined && ctx.params[k] !== null);
    if (given.length) {
      ctx.log.warn(
        `ignored sr-midas keys (files are wired by the engine; R/Eta channels are always written): ${
          given.join(", ")
        }`,
      );
    }
    const cfg = toSynthesisConfig(ctx.params, peakbankBeamCentre(pb));
    const stats = await createPatchstore(pb, cfg, ctx.output("patchstore"), {
      source: ctx.inputs.peakbank,
      signal: ctx.signal,
      onProgress: (done, total) => ctx.log.progress(done, total, "patches"),
      threads: ctx.threads,
    });
    ctx.log.info("patchstore written", { ...stats });
  },
});
