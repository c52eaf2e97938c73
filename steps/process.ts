/**
 * Step `process`: super-resolved peak search on a MIDAS scan, the main job (issue #6;
 * sr-midas `sr-midas-process` / `run_sr_process`). The work lives in `process/run.ts`.
 *
 * Inputs: `scan` (analysis dir with `*.MIDAS.zip` + `hkls.csv`), optional `config` (SR config
 * .json/.txt; default `configs/sr_config.default.json`), optional `models` (a folder of model
 * folders `x1_x2/`, `x2_x4/`, … overriding the bundled `models/`). Output `peaks/`:
 * `Temp/<zip>_NNNNNN_PS.csv`, `Temp/AllPeaks_PS.bin`, `Temp/AllPeaks_PX.bin`, `SR_out/`.
 * `srfac 1` is MIDAS's native search (no models needed). Killed runs resume per frame.
 * Run alone (`srmidas process -midasZarrDir DIR`), copies of `Temp/` and `SR_out/` are published
 * into DIR, as sr-midas leaves them (`--no-publish` keeps them in the store only).
 *
 * @example
 * ```ts
 * import { processStep } from "./process.ts";
 * processStep.outputs.peaks.path; // "peaks"
 * ```
 * @module
 */
import * as v from "valibot";
import { defineStep } from "../engine/step.ts";
import { join } from "node:path";
import { scanInputFiles } from "../midas/scan_dir.ts";
import { runProcess } from "../process/run.ts";

const frameNr = v.pipe(v.number(), v.integer(), v.minValue(0));
const flag = v.pipe(
  v.union([v.boolean(), v.picklist([0, 1])]),
  v.transform((x) => x === true || x === 1),
);

/** Parameters of the process step (sr-midas CLI names). */
export const processParams = v.object({
  srfac: v.optional(v.picklist([1, 2, 4, 8]), 1),
  saveSRpatches: v.optional(flag, false),
  saveFrameGoodCoords: v.optional(flag, false),
  /** SR re-fit: keep each region's model-selection input (`SR_out/refit_regions.jsonl`). */
  saveRefitRegions: v.optional(flag, false),
  /**
   * Reject pure-noise components before fitting (fitting/noise_filter.ts). Unset: on for SR
   * (srfac 2/4/8), off for srfac 1 (MIDAS's own search).
   */
  noiseRule: v.optional(v.boolean()),
  /** Which `*.MIDAS.zip` of the scan directory (file name; needed when it holds several). */
  zip: v.optional(v.pipe(v.string(), v.minLength(1))),
  /** Inclusive [first, last] frame range, 0-based after SkipFrame. */
  frames: v.optional(v.pipe(
    v.tuple([frameNr, frameNr]),
    v.check(([a, b]) => a <= b, "frames [first, last] needs first ≤ last"),
  )),
  /** `[index, count]`: this run's part of the frames, for a sharded scan (see merge-peaks). */
  shard: v.optional(v.pipe(
    v.tuple([frameNr, v.pipe(v.number(), v.integer(), v.minValue(1))]),
    v.check(([i, n]) => i < n, "shard [index, count] needs index < count"),
  )),
});

export const processStep = defineStep({
  name: "process",
  version: "1",
  description:
    "Finds and fits diffraction spots in a MIDAS scan (srfac 1 = MIDAS; 2/4/8 = CNN SR).",
  params: processParams,
  inputs: {
    scan: {
      kind: "scan",
      description: "MIDAS analysis dir (*.MIDAS.zip + hkls.csv)",
      // The key covers what process reads, not the folder: results published into it, or a
      // user's note, must not re-run the scan.
      contents: (dir, p: { zip?: string }) => scanInputFiles(dir, p.zip),
    },
    config: { kind: "config", optional: true, description: "SR config (.json or .txt)" },
    models: { kind: "cascade", optional: true, description: "folder of model folders (x1_x2 …)" },
  },
  outputs: {
    peaks: {
      kind: "peaks",
      path: "peaks",
      description: "Temp/ (PS csv, AllPeaks_PS/PX.bin) + SR_out/",
    },
  },
  threads: 2,
  module: import.meta.url,
  cliAliases: {
    midasZarrDir: "in:scan",
    SRconfig: "in:config",
    SRconfig_path: "in:config",
    use_gpu: "",
  },
  // sr-midas leaves its peak files in the analysis directory, where MIDAS's next stages read them.
  publish: (_params, inputs) => {
    const scan = inputs.scan as string;
    return [
      { port: "peaks", from: "Temp", to: join(scan, "Temp") },
      { port: "peaks", from: "SR_out", to: join(scan, "SR_out") },
    ];
  },
  async run(ctx) {
    const p = ctx.params;
    const out = ctx.output("peaks");
    await Deno.mkdir(out, { recursive: true });
    const r = await runProcess({
      scanDir: ctx.inputs.scan,
      zip: p.zip,
      configPath: ctx.inputs.config,
      modelsDir: ctx.inputs.models,
      srfac: p.srfac,
      outDir: out,
      checkpointDir: ctx.checkpointDir,
      saveSRpatches: p.saveSRpatches,
      saveFrameGoodCoords: p.saveFrameGoodCoords,
      saveRefitRegions: p.saveRefitRegions,
      noiseRule: p.noiseRule,
      frames: p.frames,
      shard: p.shard,
      log: ctx.log,
      signal: ctx.signal,
      threads: ctx.threads,
    });
    ctx.log.info("process summary", { ...r });
  },
});
