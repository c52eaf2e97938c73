/**
 * Plotting: charts as SVG through Vega-Lite (vega.ts), images as PNG through fast-png
 * (png.ts), colormaps, an RGBA raster for markers, and image-patch grids.
 *
 * @example
 * ```ts
 * import { lineChart, renderSvg } from "./mod.ts";
 * const svg = await renderSvg(lineChart({ series: [{ label: "a", x: [0, 1], y: [0, 1] }] }));
 * svg.includes("<svg"); // true
 * ```
 * @module
 */
export * from "./png.ts";
export * from "./raster.ts";
export * from "./vega.ts";
export * from "./colormap.ts";
export * from "./patches.ts";
