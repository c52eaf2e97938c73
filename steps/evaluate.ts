/**
 * Step `evaluate` (issue #6): compares a peak table with a simulation's truth and writes a
 * Markdown report with SVG figures and `metrics.json`.
 *
 * Inputs: `peaks` (a MIDAS peak-table directory with `Temp/AllPeaks_PS.bin` or `_PS.csv`),
 * `truth` (truth.tsv), optionally `baseline` (a second peak table, e.g. the native search,
 * reported side by side) and `scan` (the simulated MIDAS directory or `.MIDAS.zip`, for the raw
 * x1 crops of the example patches). When `peaks` kept its SR patches (`process --saveSRpatches`:
 * `SR_out/SR_patches/`), each example row also shows the SR patch of the pair, so it reads
 * x1 → SR → fit. Output `report/`: `report.md`, `metrics.json`
 * (`{ runs: [{ label, metrics }] }`, NaN written as null) and the SVG figures the report links
 * (charts by Vega-Lite; patch images inside them are PNG).
 * Metric definitions: evaluation/metrics.ts.
 *
 * @example
 * ```ts
import { evaluateStep } from "./evaluate.ts";
 * evaluateStep.outputs.report.path; // "report"
 * ```
 * @module
 */
import { findMidasZip } from "../midas/scan_dir.ts";
import * as v from "valibot";
import { defineStep } from "../engine/step.ts";
import { openMidasZip } from "../midas/zip_reader.ts";
import { examplePanels, pickExamplePairs } from "../evaluation/examples.ts";
import { evaluatePeaks, type Evaluation } from "../evaluation/metrics.ts";
import { frameRows, peakPoints, type PeakTable, readPeakTable } from "../evaluation/peak_table.ts";
import {
  type FigureSpec,
  formatReport,
  pairHeatmapFigure,
  reportFigures,
  writeReportMetrics,
} from "../evaluation/report.ts";
import { openSrPatches, type SrPatchFrame } from "../evaluation/sr_patches.ts";
import { type PhysicalLimits, physicalLimits } from "../evaluation/physical_limits.ts";
import { noiseModelFromScan, simulatorNoise } from "../synthesis/noise_model.ts";
import { parseTruthTsv, type TruthRow } from "../synthesis/truth.ts";
import { parseTruthTable, type TruthSpots } from "../evaluation/truth_table.ts";
import { patchPanel } from "../plot/patches.ts";
import { renderSvg } from "../plot/vega.ts";

const positive = v.pipe(v.number(), v.gtValue(0));

/** Parameters of the evaluate step. */
export const evaluateParams = v.object({
  title: v.optional(v.string(), "Peak-finding evaluation"),
  /** Max distance (px, inclusive) of a peak–truth match. */
  matchRadiusPx: v.optional(positive, 1.5),
  /** A close pair is resolved when each spot has its own peak this close (px). */
  pairResolvePx: v.optional(positive, 0.5),
  /** A spot is isolated when no other truth spot of its frame lies within this (px). */
  isolationPx: v.optional(positive, 4),
  /** Truth spots below this intensity are left out of recall, errors and pairs. */
  minTruthIntensity: v.optional(v.number(), 0),
  label: v.optional(v.string(), "peaks"),
  baselineLabel: v.optional(v.string(), "baseline"),
  /** Close pairs shown as example patches (0: no patch figure). */
  examplePairs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 6),
  /** Example patches are (2·half+1)² px. */
  patchHalfPx: v.optional(v.pipe(v.number(), v.integer(), v.minValue(2), v.maxValue(64)), 7),
  /**
   * Physical limits (Cramér–Rao bound per truth spot, oracle per close pair): needs a simulator
   * truth.tsv (shape columns); the oracle also needs `scan`.
   */
  physicalLimits: v.optional(v.boolean(), true),
  /** ω of frame 0 and ω step (deg), for the spots' ω weights when no `scan` is wired. */
  omegaStartDeg: v.optional(v.number(), 180),
  omegaStepDeg: v.optional(v.pipe(v.number(), v.check((x) => x !== 0, "omegaStepDeg ≠ 0")), -0.25),
  /**
   * The simulation's background (counts/px/frame) and read σ. Default: measured from the scan's
   * frames and darks, else the simulator's defaults (2, 4).
   */
  backgroundFlux: v.optional(v.pipe(v.number(), v.minValue(0))),
  readSigma: v.optional(v.pipe(v.number(), v.minValue(0))),
});

export const evaluateStep = defineStep({
  name: "evaluate",
  version: "1",
  description:
    "Scores a peak table against simulation truth (recall, precision, errors, close pairs) as a report.",
  params: evaluateParams,
  inputs: {
    peaks: { kind: "peaks", description: "peak-table directory (Temp/AllPeaks_PS.bin)" },
    truth: { kind: "truth", description: "truth.tsv of the simulation" },
    baseline: { kind: "peaks", optional: true, description: "second peak table to compare" },
    scan: { kind: "scan", optional: true, description: "scan directory or .MIDAS.zip (x1 crops)" },
  },
  outputs: {
    report: { kind: "report", path: "report", description: "report.md, metrics.json, SVG figures" },
  },
  module: import.meta.url,
  async run(ctx) {
    const p = ctx.params;
    const truth = parseTruthTable(await Deno.readTextFile(ctx.inputs.truth), ctx.inputs.truth);
    const tables: { label: string; table: PeakTable }[] = [
      { label: p.label, table: await readPeakTable(ctx.inputs.peaks) },
    ];
    if (ctx.inputs.baseline) {
      tables.push({ label: p.baselineLabel, table: await readPeakTable(ctx.inputs.baseline) });
    }
    const options = {
      matchRadiusPx: p.matchRadiusPx,
      pairResolvePx: p.pairResolvePx,
      isolationPx: p.isolationPx,
      minTruthIntensity: p.minTruthIntensity,
    };
    const runs = tables.map(({ label, table }, k) => {
      const evaluation = evaluatePeaks(truth, peakPoints(table), options);
      ctx.log.progress(k + 1, tables.length, "peak tables");
      const m = evaluation.metrics;
      ctx.log.info(`evaluated ${label}`, {
        recall: m.recall,
        precision: m.precision,
        medianErrorPx: m.localizationPx.all.median,
      });
      return { label, evaluation };
    });

    const dir = ctx.output("report");
    await Deno.mkdir(dir, { recursive: true });
    const figures: FigureSpec[] = reportFigures(runs);
    const notes: string[] = [];
    if (p.examplePairs > 0) {
      const examples = await exampleFigure(
        ctx.inputs.scan,
        ctx.inputs.peaks,
        truth,
        runs,
        tables,
        p,
        notes,
      );
      if (examples) figures.push(examples);
    }
    const limits = p.physicalLimits
      ? await limitsOf(ctx.inputs.truth, ctx.inputs.scan, truth, runs, p, notes)
      : undefined;
    if (limits) {
      ctx.log.info("physical limits", {
        oraclePairs: limits.pairs.reduce((a, c) => a + c.nOracle, 0),
        oracleResolved: limits.pairs.reduce((a, c) => a + (c.oracle || 0), 0),
      });
      if (limits.pairs.some((c) => c.n > 0)) {
        figures.push(pairHeatmapFigure(limits, runs.map((r) => r.label)));
      }
    }
    for (const f of figures) await Deno.writeTextFile(`${dir}/${f.file}`, await renderSvg(f.spec));
    const reportRuns = runs.map((r) => ({ label: r.label, metrics: r.evaluation.metrics }));
    await Deno.writeTextFile(
      `${dir}/report.md`,
      formatReport({ title: p.title, runs: reportRuns, figures, notes, limits }),
    );
    await writeReportMetrics(dir, { title: p.title, runs: reportRuns, limits });
  },
});

/**
 * CRLB and oracle tables (evaluation/physical_limits.ts); undefined, with a note, when the truth
 * table is not a simulator's (no shape columns).
 */
async function limitsOf(
  truthPath: string,
  scan: string | undefined,
  truth: TruthSpots,
  runs: readonly { label: string; evaluation: Evaluation }[],
  p: v.InferOutput<typeof evaluateParams>,
  notes: string[],
): Promise<PhysicalLimits | undefined> {
  let rows: TruthRow[];
  try {
    rows = parseTruthTsv(await Deno.readTextFile(truthPath), truthPath);
  } catch (e) {
    notes.push(`No physical limits: ${(e as Error).message}.`);
    return undefined;
  }
  if (rows.length !== truth.n) {
    notes.push(
      `No physical limits: ${truthPath} parses to ${rows.length} rows and ${truth.n} spots.`,
    );
    return undefined;
  }
  const given = p.backgroundFlux !== undefined || p.readSigma !== undefined;
  let noise = simulatorNoise({ backgroundFlux: p.backgroundFlux, readSigma: p.readSigma });
  const lastFrame = truth.n > 0 ? Math.max(...truth.lastFrame) : 0;
  let omega = {
    omegaStartDeg: p.omegaStartDeg,
    omegaStepDeg: p.omegaStepDeg,
    nFrames: lastFrame + 1,
  };
  const evaluations = runs.map((r) => r.evaluation);
  if (!scan) {
    notes.push(
      `Physical limits without a scan: ω ${p.omegaStartDeg}° step ${p.omegaStepDeg}°, noise ` +
        `${given ? "as given" : "the simulator's defaults"}; no oracle (it needs the frames).`,
    );
    return physicalLimits({ truth, rows, evaluations, scan: omega, noise });
  }
  const zip = await openMidasZip(await findMidasZip(scan));
  try {
    const { nY, nZ } = zip;
    const params = await zip.params();
    omega = { omegaStartDeg: params.start, omegaStepDeg: params.step, nFrames: zip.nFrames };
    const dark = await zip.readDark();
    const darkMean = await zip.darkMean();
    const pairFrames = [...new Set(runs[0].evaluation.pairs.map((q) => q.frame))]
      .filter((f) => f < zip.nFrames).sort((a, b) => a - b);
    const frames = new Map<number, Float64Array>();
    const f0 = pairFrames[0] ?? 0;
    let raw0: Awaited<ReturnType<typeof zip.readFrame>> | undefined;
    for (const f of pairFrames) {
      const raw = await zip.readFrame(f);
      if (f === f0) raw0 = raw;
      frames.set(f, Float64Array.from(raw, (x, i) => x - darkMean[i]));
    }
    if (!given) {
      if (dark && dark.n >= 2) {
        // The first pair frame, read above once (a scan without pairs: frame 0).
        noise = noiseModelFromScan(raw0 ?? await zip.readFrame(f0), nY, nZ, dark);
        notes.push(`Noise model measured on frame ${f0} and the ${dark.n} dark frames.`);
      } else {
        notes.push("Noise model: the simulator's defaults (the scan has < 2 dark frames).");
      }
    }
    return physicalLimits({
      truth,
      rows,
      evaluations,
      scan: omega,
      noise,
      frame: (f) => frames.get(f),
      nY,
      nZ,
    });
  } finally {
    zip.close();
  }
}

/** The example-patch figure, or undefined when there is no close pair to show. */
async function exampleFigure(
  scan: string | undefined,
  peaksDir: string,
  truth: TruthSpots,
  runs: readonly { label: string; evaluation: Evaluation }[],
  tables: readonly { table: PeakTable }[],
  p: v.InferOutput<typeof evaluateParams>,
  notes: string[],
): Promise<FigureSpec | undefined> {
  const m0 = runs[0].evaluation.metrics;
  const edges = m0.options.pairBinEdgesPx;
  const perBin = Math.max(1, Math.ceil(p.examplePairs / (edges.length - 1)));
  const pairs = pickExamplePairs(runs[0].evaluation.pairs, edges, perBin).slice(0, p.examplePairs);
  if (pairs.length === 0) {
    notes.push("No close truth pairs: no example patches.");
    return undefined;
  }
  let frames: Map<number, Float64Array> | undefined;
  let nY = 0, nZ = 0;
  if (scan) {
    const zipPath = await findMidasZip(scan);
    const zip = await openMidasZip(zipPath);
    try {
      nY = zip.nY;
      nZ = zip.nZ;
      const dark = await zip.darkMean();
      frames = new Map();
      for (const f of new Set(pairs.map((q) => q.frame))) {
        if (f >= zip.nFrames) continue;
        const raw = await zip.readFrame(f);
        frames.set(f, Float64Array.from(raw, (x, i) => x - dark[i]));
      }
    } finally {
      zip.close();
    }
  } else {
    notes.push("No scan wired: example patches show the fitted models only (no x1 crop).");
  }
  // SR patches of run 0 (the `peaks` input), for the pairs' frames only.
  const srSource = await openSrPatches(peaksDir);
  let srFrames: { s: number; get(frame: number): SrPatchFrame | undefined } | undefined;
  if (srSource) {
    const byFrame = new Map<number, SrPatchFrame>();
    for (const f of new Set(pairs.map((q) => q.frame))) {
      const sr = await srSource.read(f);
      if (sr) byFrame.set(f, sr);
    }
    srFrames = { s: srSource.s, get: (f) => byFrame.get(f) };
  }
  notes.push(
    "Example patches: ○ truth, × peaks; the 'fit' panels re-render each run's pseudo-Voigt " +
      "peak rows. " +
      (srSource
        ? `The SRx${srSource.s} panels show ${runs[0].label}'s saved SR patch (raw network ` +
          "output) over the x1 crop's area, with run markers on the SR grid."
        : "SR images are not shown (the peak directory has no SR_out/SR_patches; run process " +
          "with saveSRpatches)."),
  );
  const rows = examplePanels({
    pairs,
    truth,
    runLabels: runs.map((r) => r.label),
    runRows: (k, f) => frameRows(tables[k].table, f),
    frames,
    nY,
    nZ,
    halfPx: p.patchHalfPx,
    srFrames,
  });
  const what = srFrames
    ? `x1 crop, SRx${srFrames.s} patch and fitted models`
    : "x1 crop and fitted models";
  return {
    file: "example_patches.svg",
    caption: `Example close pairs: ${what} (○ truth, × peaks); row labels judge ${runs[0].label}`,
    spec: patchPanel({ title: `Close pairs: ${what}`, rows }),
  };
}
