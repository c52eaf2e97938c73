/**
 * Image-patch panels: a grid of small images (e.g. one row per example, columns x1 → SR → fit),
 * each scaled to the same on-screen cell by nearest-neighbour zoom and coloured by a colormap,
 * with optional point markers (truth, found peaks) and titles.
 *
 * Marker coordinates are in the patch's own pixel frame with pixel centres at integers — the
 * MIDAS convention (x = column, y = row), so an SR patch ×8 takes coordinates ×8 as well.
 *
 * @example
 * ```ts
 * import { patchPanel } from "./patches.ts";
 * const data = new Float64Array(9).fill(1);
 * const img = patchPanel({
 *   rows: [{ label: "pair 1.0 px", panels: [{ title: "x1", data, width: 3, height: 3 }] }],
 * });
 * img.width > 0; // true
 * ```
 * @module
 */
import { colormap, type ColormapName } from "./colormap.ts";
import { textWidth } from "./font.ts";
import { Raster } from "./raster.ts";

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
}

/** One row of the grid with an optional label drawn at its left. */
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

const INK = 0x222222;
const S = 2; // font scale
const CH = 7 * S;

/** Renders the grid; every patch is scaled min → max of its own pixels. */
export function patchPanel(spec: PatchPanelSpec): Raster {
  const cell = spec.cellPx ?? 160;
  const cmap = spec.colormap ?? "viridis";
  const nCols = Math.max(1, ...spec.rows.map((r) => r.panels.length));
  const labelW = Math.max(0, ...spec.rows.map((r) => textWidth(r.label ?? "") * S)) +
    (spec.rows.some((r) => r.label) ? 16 : 0);
  const gap = 12, rowH = cell + CH + 10 + gap;
  const top = spec.title ? CH + 24 : 8;
  const W = 8 + labelW + nCols * (cell + gap);
  const H = top + spec.rows.length * rowH + 4;
  const r = new Raster(W, H);
  if (spec.title) r.text(W / 2, 10, spec.title, INK, { scale: S, align: "center" });
  spec.rows.forEach((row, ri) => {
    const y0 = top + ri * rowH;
    if (row.label) r.text(8, y0 + CH + 8 + cell / 2 - CH / 2, row.label, INK, { scale: S });
    row.panels.forEach((p, ci) => {
      if (p.data.length !== p.width * p.height) {
        throw new Error(
          `patchPanel: row ${ri} panel ${ci} has ${p.data.length} values, expected ${p.width}×${p.height}`,
        );
      }
      const x0 = 8 + labelW + ci * (cell + gap);
      if (p.title) r.text(x0 + cell / 2, y0, p.title, INK, { scale: S, align: "center" });
      drawPatch(r, p, x0, y0 + CH + 8, cell, cmap);
    });
  });
  return r;
}

function drawPatch(r: Raster, p: Patch, x0: number, y0: number, cell: number, cmap: ColormapName) {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < p.data.length; i++) {
    const v = p.data[i];
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  const range = hi > lo ? hi - lo : 1;
  const z = cell / Math.max(p.width, p.height);
  for (let yy = 0; yy < Math.round(p.height * z); yy++) {
    const row = Math.min(p.height - 1, Math.floor(yy / z));
    for (let xx = 0; xx < Math.round(p.width * z); xx++) {
      const col = Math.min(p.width - 1, Math.floor(xx / z));
      r.set(x0 + xx, y0 + yy, colormap(cmap, (p.data[row * p.width + col] - lo) / range));
    }
  }
  r.strokeRect(x0 - 1, y0 - 1, Math.round(p.width * z) + 2, Math.round(p.height * z) + 2, INK);
  for (const m of p.markers ?? []) {
    const cx = x0 + (m.x + 0.5) * z, cy = y0 + (m.y + 0.5) * z;
    if (cx < x0 || cy < y0 || cx > x0 + p.width * z || cy > y0 + p.height * z) continue;
    const c = m.color ?? (m.shape === "circle" ? 0xffffff : 0xff3030);
    if (m.shape === "circle") {
      r.circle(cx, cy, 5, c);
      r.circle(cx, cy, 6, c);
    } else {
      r.cross(cx, cy, 4, c);
      r.cross(cx + 1, cy, 4, c);
    }
  }
}
