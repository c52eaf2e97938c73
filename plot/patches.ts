/**
 * Image-patch grids: small images (e.g. one row per example, columns x1 → SR → fit), each
 * upscaled by nearest neighbour to the same on-screen cell, coloured by a colormap, with point
 * markers (truth ○, peaks ×) drawn into the pixels, then laid out as Vega-Lite
 * {@link imageChart}s with titles, axes (detector px when `extent` is given) and colour bars.
 *
 * Marker coordinates are in the patch's own pixel frame with pixel centres at integers — the
 * MIDAS convention (x = column, y = row), so an SR patch ×8 takes coordinates ×8 as well.
 *
 * @example
 * ```ts
 * import { patchImage } from "./patches.ts";
 * const data = new Float64Array(9).fill(1);
 * patchImage({ data, width: 3, height: 3 }, 30).image.width; // 30
 * ```
 * @module
 */
import { colormap, type ColormapName } from "./colormap.ts";
import { encodePng } from "./png.ts";
import { Raster } from "./raster.ts";
import { imageChart, pngDataUri, type VlSpec } from "./vega.ts";

/** A point drawn over a patch. */
export interface PatchMarker {
  /** Column, pixel centres at integers. */
  x: number;
  /** Row, pixel centres at integers. */
  y: number;
  shape: "circle" | "cross";
  color?: number;
}

/** One image of the grid, row-major `data` of `height × width`. */
export interface Patch {
  title?: string;
  data: ArrayLike<number>;
  width: number;
  height: number;
  markers?: readonly PatchMarker[];
  /** Data coordinates of the left/right and top/bottom edges (e.g. detector px) for the axes. */
  extent?: { x: readonly [number, number]; y: readonly [number, number] };
  /** Colour-bar title (what the values are, with units); default "value". */
  valueTitle?: string;
}

/** One row of the grid with an optional label (prefixed to its first title). */
export interface PatchRow {
  label?: string;
  panels: readonly Patch[];
}

/** Options of {@link patchPanel}. */
export interface PatchPanelSpec {
  title?: string;
  rows: readonly PatchRow[];
  /** On-screen size of each patch in px (default 160). */
  cellPx?: number;
  colormap?: ColormapName;
}

/** Colour of NaN pixels (outside the detector or the SR patch). */
export const NAN_COLOR = 0xeeeeee;

/**
 * The patch as an RGBA raster `cell` px on its long side (nearest-neighbour zoom), scaled
 * min → max of its finite pixels, with its markers; returns the range used.
 */
export function patchImage(
  p: Patch,
  cell: number,
  cmap: ColormapName = "viridis",
): { image: Raster; lo: number; hi: number } {
  if (p.data.length !== p.width * p.height) {
    throw new Error(`patchImage: ${p.data.length} values, expected ${p.width}×${p.height}`);
  }
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < p.data.length; i++) {
    const v = p.data[i];
    if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  }
  if (!(lo <= hi)) [lo, hi] = [0, 1];
  const range = hi > lo ? hi - lo : 1;
  const z = cell / Math.max(p.width, p.height);
  const W = Math.max(1, Math.round(p.width * z)), H = Math.max(1, Math.round(p.height * z));
  const r = new Raster(W, H);
  for (let yy = 0; yy < H; yy++) {
    const row = Math.min(p.height - 1, Math.floor(yy / z));
    for (let xx = 0; xx < W; xx++) {
      const v = p.data[row * p.width + Math.min(p.width - 1, Math.floor(xx / z))];
      r.set(xx, yy, Number.isFinite(v) ? colormap(cmap, (v - lo) / range) : NAN_COLOR);
    }
  }
  for (const m of p.markers ?? []) {
    const cx = (m.x + 0.5) * z, cy = (m.y + 0.5) * z;
    if (cx < 0 || cy < 0 || cx > W || cy > H) continue;
    const c = m.color ?? (m.shape === "circle" ? 0xffffff : 0xff3030);
    if (m.shape === "circle") {
      r.circle(cx, cy, 5, c);
      r.circle(cx, cy, 6, c);
    } else {
      r.cross(cx, cy, 4, c);
      r.cross(cx + 1, cy, 4, c);
    }
  }
  return { image: r, lo, hi };
}

/** The grid as a Vega-Lite spec: one row of image charts per {@link PatchRow}. */
export function patchPanel(spec: PatchPanelSpec): VlSpec {
  const cell = spec.cellPx ?? 160;
  const rows = spec.rows.map((row) => ({
    hconcat: row.panels.map((p, i) => {
      const { image, lo, hi } = patchImage(p, cell, spec.colormap);
      const title = [i === 0 ? row.label : undefined, p.title].filter(Boolean).join(": ");
      const ext = p.extent ?? { x: [0, p.width] as const, y: [0, p.height] as const };
      return imageChart({
        title,
        url: pngDataUri(encodePng(image)),
        x: ext.x,
        y: ext.y,
        xTitle: p.extent ? "y (px)" : undefined,
        yTitle: p.extent ? "z (px)" : undefined,
        width: image.width,
        height: image.height,
        colorBar: { title: p.valueTitle ?? "value", lo, hi, scheme: spec.colormap ?? "viridis" },
      });
    }),
  }));
  return { ...(spec.title ? { title: spec.title } : {}), vconcat: rows };
}
