/**
 * Step `qa` (issue #16): what a peak search found on a scan, without truth — peaks per frame
 * and per ring over ω, the busiest/median/emptiest frames with peaks and ring bands over the
 * log-scaled detector image, crops of the most crowded spots (x1 → SR → fit), histograms of
 * intensity, widths and fit residual, the η–R map and, with `baseline`, a comparison of two peak
 * tables of the same scan (peaks only in one, split vs merged spots, position shifts). The work
 * lives in qa/run.ts.
 *
 * Inputs: `scan` (analysis dir with `*.MIDAS.zip` + `hkls.csv`, or the zip), optional `peaks`
 * (a peak-table dir with `Temp/`; default the scan dir's own `Temp/`, i.e. MIDAS's output) and
 * optional `baseline` (a second table). Output `report/`: `report.md` + SVG figures,
 * `report.html` (self-contained), `frame_{busiest,median,emptiest}.png`, `qa.json`.
 * Frames are streamed by decode workers with bounded memory; the intensity-over-ω curve reads
 * at most `maxIntensityFrames` of them (every k-th), so a 1,440-frame 2048² scan reports in
 * well under a minute on 2 cores (bench/qa_bench.ts).
 *
 * @example
 * ```ts
 * import { qaStep } from "./qa.ts";
 * qaStep.outputs.report.path; // "report"
 * ```
 * @module
 */
import * as v from "valibot";
import { defineStep } from "../engine/step.ts";
import { runQa } from "../qa/run.ts";

const count = (max: number) => v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(max));

/** Parameters of the qa step. */
export const qaParams = v.object({
  title: v.optional(v.string(), "Peak-search QA"),
  label: v.optional(v.string(), "peaks"),
  baselineLabel: v.optional(v.string(), "baseline"),
  /** Crowded spots shown as crops. */
  crowdedSpots: v.optional(count(24), 6),
  /** Crops are (2·half+1)² px. */
  cropHalfPx: v.optional(v.pipe(v.number(), v.integer(), v.minValue(2), v.maxValue(32)), 7),
  /** Comparison: peaks of the two tables this close (px) are linked. */
  linkPx: v.optional(v.pipe(v.number(), v.gtValue(0)), 1.5),
  /** Longest side of a detector image in the report (px). */
  maxImagePx: v.optional(v.pipe(v.number(), v.integer(), v.minValue(64)), 1024),
  /** Frames decoded for the intensity curve at most (every k-th; shown frames always). */
  maxIntensityFrames: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 240),
});

export const qaStep = defineStep({
  name: "qa",
  version: "1",
  description:
    "QA report of a peak search without truth: peaks over ω and rings, frames with overlays, crops, histograms, comparison.",
  params: qaParams,
  inputs: {
    scan: { kind: "scan", description: "MIDAS analysis dir (*.MIDAS.zip + hkls.csv)" },
    peaks: {
      kind: "peaks",
      optional: true,
      description: "peak-table dir (Temp/AllPeaks_PS.bin); default the scan's Temp/",
    },
    baseline: { kind: "peaks", optional: true, description: "second peak table to compare" },
  },
  outputs: {
    report: {
      kind: "report",
      path: "report",
      description: "report.md + SVGs, report.html, frame PNGs, qa.json",
    },
  },
  threads: 2,
  module: import.meta.url,
  cliAliases: { midasZarrDir: "in:scan" },
  async run(ctx) {
    const p = ctx.params;
    const scan = ctx.inputs.scan;
    const tables = [{ label: p.label, dir: ctx.inputs.peaks ?? (await scanTemp(scan)) }];
    if (ctx.inputs.baseline) tables.push({ label: p.baselineLabel, dir: ctx.inputs.baseline });
    const out = ctx.output("report");
    await Deno.mkdir(out, { recursive: true });
    const s = await runQa({
      scan,
      tables,
      outDir: out,
      title: p.title,
      crowdedSpots: p.crowdedSpots,
      cropHalfPx: p.cropHalfPx,
      linkPx: p.linkPx,
      maxImagePx: p.maxImagePx,
      maxIntensityFrames: p.maxIntensityFrames,
      workers: Math.max(1, ctx.threads ?? 2),
      log: ctx.log,
      signal: ctx.signal,
    });
    ctx.log.info("qa summary", {
      frames: s.nFrames,
      peaks: s.tables.map((t) => t.nPeaks),
      report: `${out}/report.html`,
    });
  },
});

/** MIDAS's own output next to the zip: `<scan>/Temp` (an error says what was expected). */
async function scanTemp(scan: string): Promise<string> {
  const dir = (await Deno.stat(scan)).isFile
    ? scan.slice(0, scan.lastIndexOf("/") + 1) || "."
    : scan;
  try {
    await Deno.stat(`${dir}/Temp`);
  } catch {
    throw new Error(
      `${dir}/Temp: not found; pass the peak table with --peaks DIR (process output or MIDAS Temp/)`,
    );
  }
  return dir;
}
