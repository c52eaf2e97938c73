/**
 * The evaluation report: figures (Vega-Lite specs, rendered to SVG by the step) and the Markdown text that
 * compares one or more runs (e.g. SR ×8 vs the native search) side by side.
 *
 * @example
 * ```ts
 * import { formatReport } from "./report.ts";
 * import { evaluatePeaks } from "./metrics.ts";
 * import { parseTruthTable } from "./truth_table.ts";
 * const truth = parseTruthTable("frame\tY\tZ\n0\t5\t5\n");
 * const peaks = { n: 0, nFrames: 1, frame: new Int32Array(0), y: new Float64Array(0),
 *   z: new Float64Array(0), intensity: new Float64Array(0) };
 * const md = formatReport({
 *   title: "demo",
 *   runs: [{ label: "native", metrics: evaluatePeaks(truth, peaks).metrics }],
 *   figures: [],
 * });
 * md.startsWith("# demo"); // true
 * ```
 * @module
 */
import {
  barChart,
  type HeatCell,
  heatmapChart,
  histogramChart,
  lineChart,
  type VlSpec,
} from "../plot/vega.ts";
import type { Evaluation, EvaluationMetrics, PairBin } from "./metrics.ts";
import type { PairCell, PhysicalLimits } from "./physical_limits.ts";
import { PAIR_DETECTION_CHI2 } from "./oracle.ts";

/** One evaluated peak table with its display label. */
export interface ReportRun {
  label: string;
  metrics: EvaluationMetrics;
}

/** A figure file referenced by the report. */
export interface ReportFigure {
  file: string;
  caption: string;
}

/** A figure before rendering: its Vega-Lite spec (written as `file`, an SVG). */
export interface FigureSpec extends ReportFigure {
  spec: VlSpec;
}

/** Fixed-decimals number, "–" for NaN/undefined. */
export function fmt(x: number | undefined, digits = 3): string {
  return x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(digits);
}

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : "–");
const binName = (b: PairBin) => `[${b.loPx}, ${b.hiPx}) px`;

/** Error histogram, resolved-fraction curve and per-bin bars for the runs. */
export function reportFigures(
  runs: readonly { label: string; evaluation: Evaluation }[],
): FigureSpec[] {
  const o = runs[0].evaluation.metrics.options;
  const step = o.matchRadiusPx / 15;
  const edges = Array.from({ length: 16 }, (_, i) => Number((i * step).toFixed(10)));
  const curve = (e: Evaluation) => e.metrics.pairs.curve;
  const bins = runs[0].evaluation.metrics.pairs.bins;
  return [
    {
      file: "localization_error.svg",
      caption:
        "Localization error of matched truth spots in their own frame (isolated-only stats in the table)",
      spec: histogramChart({
        title: "Localization error (matched truth spots)",
        xTitle: "distance to truth (px)",
        yTitle: "spots",
        edges,
        series: runs.map((r) => ({ label: r.label, values: r.evaluation.errorsPx })),
      }),
    },
    {
      file: "resolved_vs_separation.svg",
      caption:
        `Fraction of close truth pairs resolved (both within ${o.pairResolvePx} px of a distinct peak) vs separation`,
      spec: lineChart({
        title: "Resolved close pairs vs separation",
        xTitle: "pair separation (px)",
        yTitle: "fraction resolved",
        xDomain: [0, bins[bins.length - 1].hiPx],
        yDomain: [0, 1.05],
        series: runs.map((r) => ({
          label: r.label,
          x: curve(r.evaluation).map((b) => (b.loPx + b.hiPx) / 2),
          y: curve(r.evaluation).map((b) => b.fraction),
        })),
      }),
    },
    {
      file: "resolved_pairs.svg",
      caption: "Resolved fraction per separation bin",
      spec: barChart({
        title: "Resolved close pairs per separation bin",
        xTitle: "pair separation",
        yTitle: "fraction resolved",
        yDomain: [0, 1.05],
        categories: bins.map((b) => `${b.loPx}-${b.hiPx} px`),
        series: runs.map((r) => ({
          label: r.label,
          values: r.evaluation.metrics.pairs.bins.map((b) => b.fraction),
        })),
      }),
    },
  ];
}

/**
 * The close-pair heat map over separation × intensity ratio: one panel for the oracle, one for
 * the pairs it resolves that are also detectable (Δχ² over one spot ≥ {@link PAIR_DETECTION_CHI2})
 * and one per run, each cell the fraction of that cell's pairs resolved (text: resolved / pairs).
 */
export function pairHeatmapFigure(limits: PhysicalLimits, labels: readonly string[]): FigureSpec {
  const cells = limits.pairs.filter((c) => c.n > 0);
  const sepName = (c: PairCell) => `${c.sepLo}–${c.sepHi}`;
  const ratioName = (c: PairCell) => `${c.ratioLo}–${edge(c.ratioHi)}`;
  const heat: HeatCell[] = [];
  const panel = (name: string, k: (c: PairCell) => number, of: (c: PairCell) => number) => {
    for (const c of cells) {
      const n = of(c), v = k(c);
      heat.push({
        panel: name,
        x: sepName(c),
        y: ratioName(c),
        value: n > 0 && Number.isFinite(v) ? v / n : NaN,
        text: Number.isFinite(v) ? `${v}/${n}` : "–",
      });
    }
  };
  panel("oracle", (c) => c.oracle, (c) => c.nOracle);
  // What a detector could claim at a 1 % false-split rate (the oracles are told "two").
  panel("oracle, detectable", (c) => c.oracleDetectable, (c) => c.nOracle);
  labels.forEach((l, k) => panel(l, (c) => c.resolved[k], (c) => c.n));
  const order = (f: (c: PairCell) => string) => [...new Set(cells.map(f))];
  return {
    file: "resolved_pairs_heatmap.svg",
    caption: "Close pairs resolved by separation × intensity ratio: the oracle, the pairs it " +
      "resolves that a detector could tell from one spot, and each run " +
      "(cells: resolved / pairs, colour: fraction)",
    spec: heatmapChart({
      title: "Resolved close pairs",
      xTitle: "separation (px)",
      yTitle: "intensity ratio",
      valueTitle: "fraction resolved",
      cells: heat,
      xOrder: order(sepName),
      yOrder: order(ratioName),
    }),
  };
}

/** The Markdown report: summary table (one column per run), pair table, figures, definitions. */
export function formatReport(opts: {
  title: string;
  runs: readonly ReportRun[];
  figures: readonly ReportFigure[];
  notes?: readonly string[];
  /** Physical limits (CRLB, oracle) of the runs, in the same run order. */
  limits?: PhysicalLimits;
}): string {
  const { runs } = opts;
  if (runs.length === 0) throw new Error("formatReport: no runs to report");
  const o = runs[0].metrics.options;
  const row = (name: string, f: (m: EvaluationMetrics) => string) =>
    `| ${name} | ${runs.map((r) => f(r.metrics)).join(" | ")} |`;
  const head = [
    `| metric | ${runs.map((r) => r.label).join(" | ")} |`,
    `|---|${runs.map(() => "---:|").join("")}`,
  ];
  const L = (m: EvaluationMetrics) => m.localizationPx;
  const lines = [
    `# ${opts.title}`,
    "",
    "## Summary",
    "",
    ...head,
    row("truth spots (counted / all)", (m) => `${m.nTruthCounted} / ${m.nTruth}`),
    row("peaks found", (m) => String(m.nPeaks)),
    row("recall", (m) => `${fmt(m.recall)} (${m.nMatchedTruth}/${m.nTruthCounted})`),
    row("recall, any frame of the ω spread", (m) => fmt(m.recallAnyFrame)),
    row("precision", (m) => `${fmt(m.precision)} (${m.nMatchedPeaks}/${m.nPeaks})`),
    row("unmatched peaks: split / spurious", (m) => {
      const unmatched = m.nPeaks - m.nMatchedPeaks;
      return `${m.nSplitPeaks} / ${unmatched - m.nSplitPeaks}`;
    }),
    row("F1", (m) => fmt(m.f1)),
    row("loc. error median, px (all)", (m) => fmt(L(m).all.median)),
    row("loc. error p95, px (all)", (m) => fmt(L(m).all.p95)),
    row("loc. error max, px (all)", (m) => fmt(L(m).all.max)),
    row(
      "loc. error median, px (isolated)",
      (m) => `${fmt(L(m).isolated.median)} (n=${L(m).isolated.n})`,
    ),
    row("loc. error p95, px (isolated)", (m) => fmt(L(m).isolated.p95)),
    row("loc. error max, px (isolated)", (m) => fmt(L(m).isolated.max)),
    row("intensity |rel. error| median", (m) => pct(m.intensity.medianAbsRelError)),
    row("intensity |rel. error| p95", (m) => pct(m.intensity.p95AbsRelError)),
    row("intensity scale (truth / measured)", (m) => fmt(m.intensity.scale, 4)),
    "",
    "## Close pairs",
    "",
    `Truth pairs in one frame; resolved = each spot has its own peak within ${o.pairResolvePx} px.`,
    "",
    `| separation | ${runs.map((r) => `${r.label}: resolved / pairs`).join(" | ")} |`,
    `|---|${runs.map(() => "---:|").join("")}`,
    ...runs[0].metrics.pairs.bins.map((b, i) =>
      `| ${binName(b)} | ${
        runs.map((r) => {
          const x = r.metrics.pairs.bins[i];
          return `${x.resolved} / ${x.n} (${pct(x.fraction)})`;
        }).join(" | ")
      } |`
    ),
    "",
  ];
  if (opts.limits) lines.push(...formatLimits(opts.limits, runs.map((r) => r.label)));
  if (opts.figures.length > 0) {
    lines.push("## Figures", "");
    for (const f of opts.figures) {
      lines.push(`![${f.caption}](${f.file})`, "", `*${f.caption}*`, "");
    }
  }
  lines.push(
    "## Definitions",
    "",
    `- Matching: per frame, greedy one-to-one by distance within ${o.matchRadiusPx} px; a truth spot`,
    "  can be matched in every frame of its ω spread, so peaks in neighbouring frames are not false.",
    `- Recall counts truth spots (intensity ≥ ${o.minTruthIntensity}, frame inside the peak table)`,
    "  matched in their own frame; precision counts peaks matched to any truth spot present.",
    `- Isolated: no other truth spot present in the frame within ${o.isolationPx} px.`,
    "- Percentiles interpolate linearly between order statistics.",
    "- Intensity: Σ IntegratedIntensity of all peaks matched to a spot vs its truth intensity, after",
    "  one global scale so that the median ratio is 1 (truth and detector units differ).",
    "",
  );
  if (opts.notes?.length) lines.push("## Notes", "", ...opts.notes.map((n) => `- ${n}`), "");
  return lines.join("\n");
}

/** What `metrics.json` of a report holds (NaN written as null). */
export interface ReportMetrics {
  title: string;
  runs: ReportRun[];
  /** Without the pair list, which goes to `pairs.tsv`. */
  limits?: Omit<PhysicalLimits, "pairList">;
}

const edge = (x: number) => (Number.isFinite(x) ? String(x) : "∞");

/**
 * The physical-limits section: localization efficiency and recall by SNR (one table per run),
 * and close pairs resolved vs the oracle by separation × intensity ratio.
 */
export function formatLimits(l: PhysicalLimits, labels: readonly string[]): string[] {
  const n = l.noise;
  const lines = [
    "## Physical limits",
    "",
    `Noise model: background ${fmt(n.background, 2)} counts/px, gain ${fmt(n.gain, 3)}, ` +
    `read σ ${fmt(n.readSigma, 2)}. SNR = peak height in the spot's frame / background σ. ` +
    "Bound = median distance error of an efficient estimator at the Cramér–Rao bound; " +
    "efficiency = median of error / bound over isolated matched spots (1 = at the bound).",
    "",
  ];
  labels.forEach((label, k) => {
    lines.push(
      `### ${label}: localization and recall by SNR`,
      "",
      "| SNR | spots | recall | recall (isolated) | isolated matched | median error px | median bound px | efficiency |",
      "|---|---:|---:|---:|---:|---:|---:|---:|",
      ...l.bySnr[k].map((b) =>
        `| [${edge(b.lo)}, ${edge(b.hi)}) | ${b.nCounted} | ${fmt(b.recall)} | ` +
        `${fmt(b.recallIsolated)} | ${b.nIsolated} | ` +
        `${fmt(b.medianErrorPx)} | ${fmt(b.medianBoundPx)} | ${fmt(b.efficiency, 2)} |`
      ),
      "",
    );
  });
  const cells = l.pairs.filter((c) => c.n > 0);
  lines.push(
    "### Close pairs vs the oracle",
    "",
    "Oracle: weighted least-squares fit of the two true shapes on the same noisy pixels, " +
      "started at the truth, judged by the same rule. Shape fitted: the same, but with the " +
      "pipeline's pseudo-Voigt model and one shared shape fitted (no knowledge of the widths). " +
      "Detectable: of those, the pairs whose two-spot fit beats one spot by " +
      `Δχ² ≥ ${PAIR_DETECTION_CHI2} (a 1 % false-split rate; the oracles are told there are two, ` +
      "a peak finder must tell it from the counts). Cells: resolved / pairs.",
    "",
    `| separation px | intensity ratio | pairs | oracle | shape fitted | detectable | ${
      labels.map((x) => `${x}`).join(" | ")
    } | ${labels.map((x) => `${x} / oracle`).join(" | ")} |`,
    `|---|---|---:|---:|---:|---:|${labels.map(() => "---:|").join("")}${
      labels.map(() => "---:|").join("")
    }`,
    ...cells.map((c) =>
      `| [${edge(c.sepLo)}, ${edge(c.sepHi)}) | [${edge(c.ratioLo)}, ${
        edge(c.ratioHi)
      }) | ${c.n} | ${Number.isNaN(c.oracle) ? "–" : `${c.oracle} / ${c.nOracle}`} | ${
        Number.isNaN(c.oracleShapeFitted) ? "–" : c.oracleShapeFitted
      } | ${Number.isNaN(c.oracleDetectable) ? "–" : c.oracleDetectable} | ${
        c.resolved.map((r) => String(r)).join(" | ")
      } | ${c.resolved.map((r) => (c.oracle > 0 ? pct(r / c.oracle) : "–")).join(" | ")} |`
    ),
    "",
  );
  if (cells.length === 0) lines.push("No close truth pairs.", "");
  if (l.pairsWithoutOracle > 0) {
    lines.push(`${l.pairsWithoutOracle} pairs had no oracle fit (a saturated spot).`, "");
  }
  return lines;
}

/**
 * `pairs.tsv`: every close pair of the limits' table, one per line, with each run's verdict and
 * the oracles' (1 / 0, empty where not run), so a run's misses can be looked at pair by pair.
 * Spots are truth-table rows (0-based, as `a`/`b` of metrics.json's pairs).
 *
 * @example
 * ```ts
 * import { formatPairTable } from "./report.ts";
 * formatPairTable([], ["SR x8"]).split("\n")[0].split("\t").length; // 12
 * ```
 */
export function formatPairTable(
  pairs: PhysicalLimits["pairList"],
  labels: readonly string[],
): string {
  const flag = (b: boolean | undefined) => (b === undefined ? "" : b ? "1" : "0");
  const num = (x: number | undefined, d: number) =>
    x === undefined || Number.isNaN(x) ? "" : Number.isFinite(x) ? x.toFixed(d) : "inf";
  const head = [
    "frame",
    "a",
    "b",
    "separationPx",
    "ratio",
    "snrA",
    "snrB",
    ...labels.map((l) => `resolved:${l}`),
    "oracle",
    "oracleShapeFitted",
    "deltaChi2",
    "detectable",
  ];
  const rows = pairs.map((p) =>
    [
      p.frame,
      p.a,
      p.b,
      num(p.separationPx, 3),
      num(p.ratio, 2),
      num(p.snrA, 1),
      num(p.snrB, 1),
      ...p.resolved.map(flag),
      flag(p.oracle),
      flag(p.oracleShapeFitted),
      num(p.deltaChi2, 1),
      flag(
        p.oracleShapeFitted === undefined
          ? undefined
          : p.oracleShapeFitted && p.deltaChi2! >= PAIR_DETECTION_CHI2,
      ),
    ].join("\t")
  );
  return [head.join("\t"), ...rows].join("\n") + "\n";
}

/**
 * Writes `<dir>/metrics.json` for {@link readReportMetrics} (evaluate and compare reports), and
 * the limits' pair list as `<dir>/pairs.tsv` ({@link formatPairTable}) rather than in the JSON.
 */
export async function writeReportMetrics(
  dir: string,
  m: ReportMetrics & { limits?: PhysicalLimits },
): Promise<void> {
  let json: ReportMetrics = m;
  if (m.limits) {
    const { pairList, ...limits } = m.limits;
    await Deno.writeTextFile(
      `${dir}/pairs.tsv`,
      formatPairTable(pairList, m.runs.map((r) => r.label)),
    );
    json = { ...m, limits };
  }
  await Deno.writeTextFile(`${dir}/metrics.json`, JSON.stringify(json, null, 2) + "\n");
}

/** Reads a report folder's `metrics.json`; errors name the file and the field. */
export async function readReportMetrics(dir: string): Promise<ReportMetrics> {
  const path = `${dir}/metrics.json`;
  const j = JSON.parse(await Deno.readTextFile(path));
  if (!Array.isArray(j?.runs) || j.runs.some((r: any) => typeof r?.label !== "string")) {
    throw new Error(`${path}: field runs must be a list of { label, metrics }`);
  }
  return { title: typeof j.title === "string" ? j.title : dir, runs: j.runs };
}
