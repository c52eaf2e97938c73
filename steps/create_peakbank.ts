/**
 * Step `create_peakbank`: isolated, well-reconstructed MIDAS peaks → peakbank CSV (seed spec §2,
 * with the §12.1-11 fixes: dark-corrected frames, the configured window for rendering and
 * scoring, edge-safe windows, source directory and beam centre kept per row, and
 * `Temp/AllPeaks_PS.bin` accepted besides the legacy `Temp/*_PS.csv`).
 *
 * Inputs: one or more MIDAS analysis directories (`scan`: `*.MIDAS.zip` + `Temp/`), and
 * optionally a peak-table directory per scan (`peaks`) when the tables live elsewhere.
 * Params take sr-midas's config keys (§2.1): from the CLI (`-config in_create_peakbank.json`),
 * `midas_dir` names the scans and the CSV is published to `{peakbank_savedir}/{peakbank_savename}`;
 * `srfac`, `save_exp_patches`, `dir_ignore`, `save_frame_gen` are accepted and ignored (sr-midas
 * ignores most of them too).
 *
 * @example
 * ```ts
 * import { createPeakbankStep } from "./create_peakbank.ts";
 * createPeakbankStep.outputs.peakbank.path; // "df_peakbank.csv"
 * ```
 * @module
 */
import * as v from "valibot";
import { join, resolve } from "node:path";
import { defineStep } from "../engine/step.ts";
import { writePeakbankCsv } from "../patchstore/peakbank_csv.ts";
import { peakbankFromDirs } from "../patchstore/peakbank_dir.ts";

const ignored = v.optional(v.pipe(v.unknown(), v.description("ignored (sr-midas compatibility)")));

/** Params: sr-midas `create_peakbank` config keys (§2.1) plus the fixes' switches. */
export const createPeakbankParams = v.strictObject({
  cvsz: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(2),
      v.description("render and scoring window, px [20]"),
    ),
    20,
  ),
  I_thresh: v.optional(
    v.pipe(
      v.number(),
      v.description("absolute threshold on dark-corrected counts (not a percentile) [99]"),
    ),
    99,
  ),
  peak_recon_err_threshold: v.optional(
    v.pipe(
      v.union([v.number(), v.null(), v.picklist(["None", "none", "null"])]),
      v.description("keep rows with error_reconstruction below this; None keeps all [0.5]"),
      v.transform((x) => (typeof x === "number" ? x : null)),
    ),
    0.5,
  ),
  eta_exclude: v.optional(v.pipe(v.number(), v.description("Eta pole cut, deg [3]")), 3),
  dark_correct: v.optional(
    v.pipe(
      v.boolean(),
      v.description("subtract the dark mean before thresholding (sr-midas: no) [true]"),
    ),
    true,
  ),
  midas_dir: ignored,
  peakbank_savedir: ignored,
  peakbank_savename: ignored,
  srfac: ignored,
  save_exp_patches: ignored,
  dir_ignore: ignored,
  save_frame_gen: ignored,
});

export const createPeakbankStep = defineStep({
  name: "create-peakbank",
  version: "1",
  description:
    "Collects isolated, well-reconstructed MIDAS peaks into a peakbank CSV (sr-midas create_peakbank).",
  params: createPeakbankParams,
  inputs: {
    scan: {
      kind: "scan",
      many: true,
      description: "MIDAS analysis directories (*.MIDAS.zip + Temp/)",
    },
    peaks: {
      kind: "peaks",
      many: true,
      optional: true,
      description:
        "peak-table directories (AllPeaks_PS.bin or *_PS.csv), one per scan; default <scan>/Temp",
    },
  },
  outputs: {
    peakbank: { kind: "peakbank", path: "df_peakbank.csv", description: "sr-midas peakbank CSV" },
  },
  module: import.meta.url,
  // sr-midas's config: `midas_dir` lists the scans; the CSV lands at
  // `{peakbank_savedir}/{peakbank_savename}`.
  cliAliases: { midas_dir: "in:scan" },
  publishOptions: ["peakbank_savedir", "peakbank_savename"],
  publish: (_params, _inputs, o) =>
    o.peakbank_savedir
      ? [{
        port: "peakbank",
        to: join(resolve(o.peakbank_savedir), o.peakbank_savename ?? "df_peakbank.csv"),
      }]
      : [],
  async run(ctx) {
    const scans = ctx.inputs.scan;
    const peaks = ctx.inputs.peaks?.length ? ctx.inputs.peaks : undefined; // unwired → []
    if (peaks && peaks.length !== scans.length) {
      throw new Error(
        `create_peakbank: ${peaks.length} peak-table dirs for ${scans.length} scans; give one per scan`,
      );
    }
    const p = ctx.params;
    const pb = await peakbankFromDirs(scans, {
      cvsz: p.cvsz,
      iThresh: p.I_thresh,
      maxError: p.peak_recon_err_threshold,
      etaExclude: p.eta_exclude,
      darkCorrect: p.dark_correct,
      peakDirs: peaks,
      signal: ctx.signal,
      onProgress: (done, total, dir) => ctx.log.progress(done, total, `frames of ${dir}`),
    });
    if (pb.length === 0) ctx.log.warn("the peakbank is empty: no isolated peak passed the filters");
    await writePeakbankCsv(ctx.output("peakbank"), pb);
    ctx.log.info("peakbank written", { rows: pb.length, scans: scans.length });
  },
});
