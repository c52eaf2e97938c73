/**
 * Dependency-free plotting: RGBA rasters, a 5×7 bitmap font, line/histogram/bar charts,
 * image-patch panels with colormaps, and a PNG encoder.
 *
 * @example
 * ```ts
 * import { encodePng, lineChart } from "./mod.ts";
 * const png = encodePng(lineChart({ series: [{ label: "a", x: [0, 1], y: [0, 1] }] }));
 * png.length > 0; // true
 * ```
 * @module
 */
export * from "./png.ts";
export * from "./raster.ts";
export * from "./chart.ts";
export * from "./colormap.ts";
export * from "./patches.ts";
export { ADVANCE, glyph, GLYPH_H, GLYPH_W, textWidth } from "./font.ts";
