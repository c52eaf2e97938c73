/**
 * Charts as SVG through Vega-Lite: `vega-lite` compiles a spec to Vega, `vega` renders it to an
 * SVG string with its headless renderer (no DOM, no canvas; text widths are estimated). The
 * builders below return plain Vega-Lite specs, so a report can compose them (`hconcat`,
 * `vconcat`) before {@link renderSvg}. Images (detector frames, patches) stay PNG and enter a
 * chart as an `image` mark over pixel axes ({@link imageChart}), which gives them axes, a title
 * and a colour bar.
 *
 * @example
 * ```ts
 * import { lineChart, renderSvg } from "./vega.ts";
 * const svg = await renderSvg(lineChart({
 *   title: "peaks per frame",
 *   xTitle: "ω (deg)",
 *   yTitle: "peaks",
 *   series: [{ label: "srfac 1", x: [0, 0.25], y: [10, 12] }],
 * }));
 * svg.startsWith("<svg"); // true
 * ```
 * @module
 */
import * as vega from "vega";
import { compile } from "vega-lite";

/** A Vega-Lite specification (kept loose: the builders below are the typed entry points). */
export type VlSpec = Record<string, unknown>;

/** Colours cycled over series (Tableau 10, Vega's default categorical scheme). */
export const PALETTE: readonly string[] = [
  "#4c78a8",
  "#f58518",
  "#54a24b",
  "#e45756",
  "#72b7b2",
  "#b279a2",
  "#ff9da6",
  "#9d755d",
];

/** Renders a Vega-Lite spec to a standalone SVG document (white background). */
export async function renderSvg(spec: VlSpec): Promise<string> {
  const full = { background: "white", config: { font: "sans-serif" }, ...spec };
  // deno-lint-ignore no-explicit-any
  const vg = compile(full as any).spec;
  const view = new vega.View(vega.parse(vg), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Layout and labels shared by the builders. */
export interface ChartOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /** Plot area in px (default 560 × 260). */
  width?: number;
  height?: number;
  /** Fixed axis domains; otherwise from the data. */
  xDomain?: readonly [number, number];
  yDomain?: readonly [number, number];
  /** Logarithmic y axis (zero and negative values are dropped). */
  yLog?: boolean;
}

/** One line of a {@link lineChart}; points with a non-finite x or y are left out. */
export interface LineSeries {
  label: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

/** One data set of a {@link histogramChart} or {@link barChart}. */
export interface ValueSeries {
  label: string;
  values: ArrayLike<number>;
}

function frame(o: ChartOptions): VlSpec {
  return {
    ...(o.title ? { title: o.title } : {}),
    width: o.width ?? 560,
    height: o.height ?? 260,
  };
}

function scale(domain?: readonly [number, number], log = false): VlSpec {
  return {
    ...(domain ? { domain: [...domain], nice: false } : {}),
    ...(log ? { type: "log" } : { zero: false }),
  };
}

function colorBy(labels: readonly string[]): VlSpec {
  return {
    field: "series",
    type: "nominal",
    title: null,
    sort: [...labels],
    scale: { domain: [...labels], range: PALETTE.slice(0, Math.max(1, labels.length)) },
    legend: labels.length > 1 ? { orient: "top" } : null,
  };
}

/** Line chart with point markers, one colour per series. */
export function lineChart(o: ChartOptions & { series: readonly LineSeries[] }): VlSpec {
  const values: VlSpec[] = [];
  for (const s of o.series) {
    if (s.x.length !== s.y.length) {
      throw new Error(`lineChart: series "${s.label}" has ${s.x.length} x but ${s.y.length} y`);
    }
    for (let i = 0; i < s.x.length; i++) {
      if (!Number.isFinite(s.x[i]) || !Number.isFinite(s.y[i]) || (o.yLog && !(s.y[i] > 0))) {
        continue;
      }
      values.push({ series: s.label, x: s.x[i], y: s.y[i] });
    }
  }
  const many = o.series.some((s) => s.x.length > 60);
  return {
    ...frame(o),
    data: { values },
    mark: { type: "line", point: !many, strokeWidth: many ? 1.2 : 2 },
    encoding: {
      x: { field: "x", type: "quantitative", title: o.xTitle ?? "x", scale: scale(o.xDomain) },
      y: {
        field: "y",
        type: "quantitative",
        title: o.yTitle ?? "y",
        scale: scale(o.yDomain, o.yLog),
      },
      color: colorBy(o.series.map((s) => s.label)),
    },
  };
}

/** Counts of `values` in the bins [edges[i], edges[i+1]); values past the ends are clamped in. */
export function histogramCounts(values: ArrayLike<number>, edges: readonly number[]): number[] {
  if (edges.length < 2) throw new Error("histogramCounts: need at least two bin edges");
  const counts = new Array<number>(edges.length - 1).fill(0);
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (!Number.isFinite(v)) continue;
    let a = 0, b = counts.length - 1; // last bin whose lower edge ≤ v (binary search)
    while (a < b) {
      const m = (a + b + 1) >> 1;
      if (v >= edges[m]) a = m;
      else b = m - 1;
    }
    counts[a]++;
  }
  return counts;
}

/** `n` equal bins over the [lo, hi] of the finite values of all series (for a histogram). */
export function binEdges(series: readonly ArrayLike<number>[], n = 40): number[] {
  let lo = Infinity, hi = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.length; i++) {
      if (Number.isFinite(s[i])) [lo, hi] = [Math.min(lo, s[i]), Math.max(hi, s[i])];
    }
  }
  if (!(lo <= hi)) [lo, hi] = [0, 1];
  if (hi === lo) [lo, hi] = [lo - 0.5, hi + 0.5];
  return Array.from({ length: n + 1 }, (_, i) => lo + ((hi - lo) * i) / n);
}

/**
 * Histogram over explicit bin `edges` (binned here, so large inputs stay small in the SVG);
 * several series are overlaid as outlined steps.
 */
export function histogramChart(
  o: ChartOptions & { series: readonly ValueSeries[]; edges: readonly number[] },
): VlSpec {
  const values: VlSpec[] = [];
  for (const s of o.series) {
    histogramCounts(s.values, o.edges).forEach((count, i) => {
      values.push({ series: s.label, lo: o.edges[i], hi: o.edges[i + 1], count });
    });
  }
  const one = o.series.length <= 1;
  return {
    ...frame(o),
    data: { values },
    mark: { type: "rect", opacity: one ? 0.9 : 0.45, stroke: one ? "white" : null },
    encoding: {
      x: {
        field: "lo",
        type: "quantitative",
        title: o.xTitle ?? "value",
        scale: { domain: [o.edges[0], o.edges[o.edges.length - 1]], nice: false, zero: false },
      },
      x2: { field: "hi" },
      y: { field: "count", type: "quantitative", title: o.yTitle ?? "count", stack: null },
      y2: { datum: 0 },
      color: colorBy(o.series.map((s) => s.label)),
    },
  };
}

/** Grouped bar chart: one group per category, one bar per series; NaN values are skipped. */
export function barChart(
  o: ChartOptions & { categories: readonly string[]; series: readonly ValueSeries[] },
): VlSpec {
  const values: VlSpec[] = [];
  for (const s of o.series) {
    if (s.values.length !== o.categories.length) {
      throw new Error(
        `barChart: series "${s.label}" has ${s.values.length} values for ${o.categories.length} categories`,
      );
    }
    o.categories.forEach((c, i) => {
      if (Number.isFinite(s.values[i])) values.push({ series: s.label, c, v: s.values[i] });
    });
  }
  return {
    ...frame(o),
    data: { values },
    mark: "bar",
    encoding: {
      x: { field: "c", type: "nominal", title: o.xTitle ?? null, sort: [...o.categories] },
      xOffset: { field: "series", sort: o.series.map((s) => s.label) },
      y: { field: "v", type: "quantitative", title: o.yTitle ?? "value", scale: scale(o.yDomain) },
      color: colorBy(o.series.map((s) => s.label)),
    },
  };
}

/** One cell of a {@link heatmapChart}: a value in [0, 1] (NaN: empty) and the text it shows. */
export interface HeatCell {
  panel: string;
  x: string;
  y: string;
  value: number;
  text: string;
}

/**
 * Heat maps side by side, one panel per distinct `panel` (in first-seen order), cells on
 * categorical axes in the order given, coloured by `value` on [0, 1] and labelled with `text`.
 */
export function heatmapChart(
  o: ChartOptions & {
    cells: readonly HeatCell[];
    xOrder: readonly string[];
    yOrder: readonly string[];
    valueTitle?: string;
  },
): VlSpec {
  const panels = [...new Set(o.cells.map((c) => c.panel))];
  const values = o.cells.map((c) => ({
    ...c,
    value: Number.isFinite(c.value) ? c.value : null,
  }));
  const enc = {
    x: { field: "x", type: "ordinal", title: o.xTitle ?? null, sort: [...o.xOrder] },
    y: { field: "y", type: "ordinal", title: o.yTitle ?? null, sort: [...o.yOrder] },
  };
  return {
    ...(o.title ? { title: o.title } : {}),
    data: { values },
    facet: { column: { field: "panel", type: "nominal", title: null, sort: panels } },
    spec: {
      width: o.width ?? 180,
      height: o.height ?? 140,
      layer: [
        {
          mark: "rect",
          encoding: {
            ...enc,
            color: {
              field: "value",
              type: "quantitative",
              title: o.valueTitle ?? null,
              scale: { domain: [0, 1], scheme: "viridis" },
            },
          },
        },
        {
          mark: { type: "text", fontSize: 10 },
          encoding: {
            ...enc,
            text: { field: "text" },
            color: { condition: { test: "datum.value > 0.5", value: "black" }, value: "white" },
          },
        },
      ],
    },
  };
}

/** A colour bar for an {@link imageChart}: the value range its colours stand for. */
export interface ColorBar {
  title: string;
  lo: number;
  hi: number;
  log?: boolean;
  /** Vega scheme name matching the image's colormap (default "viridis"). */
  scheme?: string;
}

/** Options of {@link imageChart}. */
export interface ImageChartOptions {
  title?: string;
  /** PNG as a `data:` URI (see {@link pngDataUri}). */
  url: string;
  /** Data coordinates covered by the image: left/right and top/bottom edges. */
  x: readonly [number, number];
  y: readonly [number, number];
  xTitle?: string;
  yTitle?: string;
  /** On-screen plot size (px). */
  width: number;
  height: number;
  colorBar?: ColorBar;
  /** Extra layers drawn over the image (same x/y fields and scales). */
  layers?: readonly VlSpec[];
}

/**
 * An image over quantitative axes: `x` runs left → right and `y` top → bottom (image rows), so
 * detector pixel (column y, row z) sits where the axes say. With `colorBar` a gradient legend
 * shows the colour scale (an invisible layer carries it).
 */
export function imageChart(o: ImageChartOptions): VlSpec {
  const xs = { domain: [...o.x], nice: false, zero: false };
  // Vega puts the low end of a y domain at the bottom: reverse it when the top edge is the low one.
  const ys = {
    domain: [Math.min(...o.y), Math.max(...o.y)],
    nice: false,
    zero: false,
    reverse: o.y[0] < o.y[1],
  };
  const layer: VlSpec[] = [{
    data: { values: [{ x: o.x[0], y: o.y[0], url: o.url }] },
    mark: {
      type: "image",
      aria: false, // else Vega copies the whole data: URI into an aria-label
      smooth: false, // show pixels as pixels
      width: o.width,
      height: o.height,
      align: "left",
      baseline: "top",
      aspect: false,
    },
    encoding: {
      x: { field: "x", type: "quantitative", scale: xs, title: o.xTitle ?? null },
      y: { field: "y", type: "quantitative", scale: ys, title: o.yTitle ?? null },
      url: { field: "url", type: "nominal" },
    },
  }];
  if (o.colorBar) {
    const c = o.colorBar;
    const lo = c.log ? Math.max(c.lo, 1e-9) : c.lo;
    const hi = c.hi > lo ? c.hi : lo + 1;
    layer.push({
      data: { values: [{ v: lo }, { v: hi }] },
      mark: { type: "point", opacity: 0 },
      encoding: {
        color: {
          field: "v",
          type: "quantitative",
          title: c.title,
          scale: {
            type: c.log ? "log" : "linear",
            scheme: c.scheme ?? "viridis",
            domain: [lo, hi],
          },
          legend: { gradientLength: Math.min(o.height, 240) },
        },
      },
    });
  }
  for (const l of o.layers ?? []) layer.push(l);
  return {
    ...(o.title ? { title: o.title } : {}),
    width: o.width,
    height: o.height,
    layer,
    resolve: { scale: { color: "independent" } },
  };
}

/** `data:image/png;base64,…` for PNG bytes. */
export function pngDataUri(png: Uint8Array): string {
  let s = "";
  for (let i = 0; i < png.length; i += 0x8000) {
    s += String.fromCharCode(...png.subarray(i, i + 0x8000));
  }
  return `data:image/png;base64,${btoa(s)}`;
}
