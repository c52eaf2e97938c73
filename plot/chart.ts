/**
 * Line charts, histograms and grouped bar charts on a {@link Raster}: axes with "nice" 1-2-5
 * ticks, tick labels, title, axis labels and a legend, all in the built-in bitmap font.
 *
 * @example
 * ```ts
 * import { lineChart } from "./chart.ts";
 * import { encodePng } from "./png.ts";
 * const img = lineChart({
 *   title: "resolved fraction",
 *   xLabel: "separation (px)",
 *   series: [{ label: "SR x8", x: [0.5, 1.5, 3], y: [0.1, 0.6, 0.95] }],
 *   yRange: [0, 1],
 * });
 * encodePng(img).length > 0; // true
 * ```
 * @module
 */
import { textWidth } from "./font.ts";
import { Raster } from "./raster.ts";

/** Colours cycled over series (Tableau 10). */
export const PALETTE: readonly number[] = [
  0x1f77b4,
  0xff7f0e,
  0x2ca02c,
  0xd62728,
  0x9467bd,
  0x8c564b,
  0xe377c2,
  0x7f7f7f,
];

/** Layout and labels shared by every chart kind. */
export interface ChartSpec {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Canvas size in px (default 720 × 440). */
  width?: number;
  height?: number;
  /** Fixed axis ranges; otherwise derived from the data and rounded out to ticks. */
  xRange?: readonly [number, number];
  yRange?: readonly [number, number];
}

/** One line of a {@link lineChart}; NaN y values break the line. */
export interface LineSeries {
  label: string;
  x: readonly number[];
  y: readonly number[];
  color?: number;
}

/** One data set of a {@link histogram} or {@link barChart}. */
export interface ValueSeries {
  label: string;
  values: readonly number[];
  color?: number;
}

const FONT_SCALE = 2;
const CHAR_H = 7 * FONT_SCALE;
const INK = 0x222222, GRID = 0xe6e6e6;

/**
 * Tick positions with a 1, 2 or 5 ×10^k step covering [lo, hi] with about `n` intervals.
 *
 * @example
 * ```ts
 * import { niceTicks } from "./chart.ts";
 * niceTicks(0, 1, 5); // { step: 0.2, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] }
 * ```
 */
export function niceTicks(lo: number, hi: number, n = 5): { step: number; ticks: number[] } {
  if (!(hi > lo)) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return niceTicks(lo - pad, hi + pad, n);
  }
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
  const ticks: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
    ticks.push(Number((k * step).toPrecision(12)));
  }
  return { step, ticks };
}

/** Formats a tick value with just enough decimals for `step`. */
export function formatTick(v: number, step: number): string {
  const abs = Math.abs(v);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-4)) return v.toExponential(1);
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return v.toFixed(decimals);
}

/** Counts of `values` in the bins [edges[i], edges[i+1]); values past the ends are clamped in. */
export function histogramCounts(values: readonly number[], edges: readonly number[]): number[] {
  if (edges.length < 2) throw new Error("histogramCounts: need at least two bin edges");
  const counts = new Array<number>(edges.length - 1).fill(0);
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    let i = 0;
    while (i < counts.length - 1 && v >= edges[i + 1]) i++;
    counts[i]++;
  }
  return counts;
}

interface Axes {
  r: Raster;
  px(x: number): number;
  py(y: number): number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function span(values: Iterable<number>): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/** Canvas, frame, grid, ticks and labels; x ticks replaced by `categories` when given. */
function axes(
  spec: ChartSpec,
  xr: readonly [number, number],
  yr: readonly [number, number],
  categories?: readonly string[],
  exactX = false,
  nLegend = 0,
): Axes {
  const W = spec.width ?? 720, H = spec.height ?? 440;
  const r = new Raster(W, H);
  const xt = niceTicks(xr[0], xr[1]);
  const yt = niceTicks(yr[0], yr[1]);
  const x0 = spec.xRange || exactX ? xr[0] : Math.min(xr[0], xt.ticks[0]);
  const x1 = spec.xRange || exactX ? xr[1] : Math.max(xr[1], xt.ticks[xt.ticks.length - 1]);
  const y0 = spec.yRange ? yr[0] : Math.min(yr[0], yt.ticks[0]);
  const y1 = spec.yRange ? yr[1] : Math.max(yr[1], yt.ticks[yt.ticks.length - 1]);
  const yLabels = yt.ticks.map((t) => formatTick(t, yt.step));
  const yTickW = Math.max(...yLabels.map((s) => textWidth(s))) * FONT_SCALE;
  const left = 16 + (spec.yLabel ? CHAR_H + 10 : 0) + yTickW + 8;
  const top = (spec.title ? 16 + CHAR_H + 12 : 16) + (nLegend > 0 ? CHAR_H + 14 : 0);
  const right = W - 32;
  const bottom = H - (16 + (spec.xLabel ? CHAR_H + 10 : 0) + CHAR_H + 8);
  const px = (x: number) => left + ((x - x0) / (x1 - x0 || 1)) * (right - left);
  const py = (y: number) => bottom - ((y - y0) / (y1 - y0 || 1)) * (bottom - top);
  for (let i = 0; i < yt.ticks.length; i++) {
    const t = yt.ticks[i];
    if (t < y0 || t > y1) continue;
    const yy = Math.round(py(t));
    r.fillRect(left, yy, right - left, 1, GRID);
    r.fillRect(left - 5, yy, 5, 1, INK);
    r.text(left - 8, yy - CHAR_H / 2, yLabels[i], INK, { scale: FONT_SCALE, align: "right" });
  }
  if (categories) {
    categories.forEach((c, i) => {
      r.text(px(i + 0.5), bottom + 8, c, INK, { scale: FONT_SCALE, align: "center" });
    });
  } else {
    for (const t of xt.ticks) {
      if (t < x0 || t > x1) continue;
      const xx = Math.round(px(t));
      r.fillRect(xx, top, 1, bottom - top, GRID);
      r.fillRect(xx, bottom, 1, 5, INK);
      r.text(xx, bottom + 8, formatTick(t, xt.step), INK, { scale: FONT_SCALE, align: "center" });
    }
  }
  r.strokeRect(left, top, right - left + 1, bottom - top + 1, INK);
  if (spec.title) r.text(W / 2, 16, spec.title, INK, { scale: FONT_SCALE, align: "center" });
  if (spec.xLabel) {
    r.text((left + right) / 2, H - 16 - CHAR_H, spec.xLabel, INK, {
      scale: FONT_SCALE,
      align: "center",
    });
  }
  if (spec.yLabel) {
    r.text(16, (top + bottom) / 2, spec.yLabel, INK, {
      scale: FONT_SCALE,
      align: "center",
      rotate: true,
    });
  }
  return { r, px, py, left, right, top, bottom };
}

/** Legend: one row of colour swatches and labels between the title and the plot area. */
function legend(a: Axes, entries: readonly { label: string; color: number }[]): void {
  if (entries.length === 0) return;
  const widths = entries.map((e) => 26 + textWidth(e.label) * FONT_SCALE);
  const total = widths.reduce((x, y) => x + y, 0) + 20 * (entries.length - 1);
  let x = (a.left + a.right) / 2 - total / 2;
  const y = a.top - CHAR_H - 10;
  entries.forEach((e, i) => {
    a.r.fillRect(x, y + CHAR_H / 2 - 2, 18, 5, e.color);
    a.r.text(x + 26, y, e.label, INK, { scale: FONT_SCALE });
    x += widths[i] + 20;
  });
}

const colorOf = (s: { color?: number }, i: number) => s.color ?? PALETTE[i % PALETTE.length];

/** Line chart with dot markers; each series is drawn in order, NaN y values break lines. */
export function lineChart(spec: ChartSpec & { series: readonly LineSeries[] }): Raster {
  for (const s of spec.series) {
    if (s.x.length !== s.y.length) {
      throw new Error(`lineChart: series "${s.label}" has ${s.x.length} x but ${s.y.length} y`);
    }
  }
  const xr = spec.xRange ?? span(spec.series.flatMap((s) => s.x));
  const yr = spec.yRange ?? span(spec.series.flatMap((s) => s.y));
  const a = axes(spec, xr, yr, undefined, false, spec.series.length);
  spec.series.forEach((s, k) => {
    const c = colorOf(s, k);
    for (let i = 0; i < s.x.length; i++) {
      if (!Number.isFinite(s.y[i])) continue;
      const X = a.px(s.x[i]), Y = a.py(s.y[i]);
      if (i > 0 && Number.isFinite(s.y[i - 1])) {
        a.r.line(a.px(s.x[i - 1]), a.py(s.y[i - 1]), X, Y, c, 3);
      }
      a.r.fillRect(X - 4, Y - 4, 9, 9, c);
    }
  });
  legend(a, spec.series.map((s, k) => ({ label: s.label, color: colorOf(s, k) })));
  return a.r;
}

/** Histogram over explicit bin `edges`; several series share each bin side by side. */
export function histogram(
  spec: ChartSpec & { series: readonly ValueSeries[]; edges: readonly number[] },
): Raster {
  const counts = spec.series.map((s) => histogramCounts(s.values, spec.edges));
  const e = spec.edges;
  const yr = spec.yRange ?? [0, Math.max(1, ...counts.flat()) * 1.1];
  const a = axes(
    spec,
    spec.xRange ?? [e[0], e[e.length - 1]],
    yr,
    undefined,
    true,
    spec.series.length,
  );
  const n = Math.max(1, spec.series.length);
  counts.forEach((cs, k) => {
    const c = colorOf(spec.series[k], k);
    cs.forEach((count, i) => {
      const xl = a.px(e[i]), xr = a.px(e[i + 1]);
      const w = (xr - xl - 2) / n;
      const yTop = a.py(count);
      a.r.fillRect(xl + 1 + k * w, yTop, Math.max(1, w), a.bottom - yTop, c);
    });
  });
  legend(a, spec.series.map((s, k) => ({ label: s.label, color: colorOf(s, k) })));
  return a.r;
}

/** Grouped bar chart: one group per category, one bar per series; NaN values are skipped. */
export function barChart(
  spec: ChartSpec & { categories: readonly string[]; series: readonly ValueSeries[] },
): Raster {
  for (const s of spec.series) {
    if (s.values.length !== spec.categories.length) {
      throw new Error(
        `barChart: series "${s.label}" has ${s.values.length} values for ${spec.categories.length} categories`,
      );
    }
  }
  const yr = spec.yRange ?? [0, Math.max(1e-12, ...spec.series.flatMap((s) => s.values))];
  const a = axes(spec, [0, spec.categories.length], yr, spec.categories, true, spec.series.length);
  const n = Math.max(1, spec.series.length);
  spec.series.forEach((s, k) => {
    const c = colorOf(s, k);
    s.values.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      const xl = a.px(i + 0.15), xr = a.px(i + 0.85);
      const w = (xr - xl) / n;
      const yTop = a.py(v);
      a.r.fillRect(xl + k * w, yTop, Math.max(1, w - 2), a.bottom - yTop, c);
    });
  });
  legend(a, spec.series.map((s, k) => ({ label: s.label, color: colorOf(s, k) })));
  return a.r;
}
