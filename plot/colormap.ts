/**
 * Colormaps: value in [0, 1] → 0xRRGGBB. `viridis` interpolates linearly between ten anchors of
 * matplotlib's viridis (perceptually uniform, readable in greyscale); `gray` is black → white.
 *
 * @example
 * ```ts
 * import { colormap } from "./colormap.ts";
 * colormap("gray", 1); // 0xffffff
 * ```
 * @module
 */

/** Supported colormap names. */
export type ColormapName = "viridis" | "gray";

const VIRIDIS = [
  0x440154,
  0x482878,
  0x3e4989,
  0x31688e,
  0x26828e,
  0x1f9e89,
  0x35b779,
  0x6ece58,
  0xb5de2b,
  0xfde725,
];

/** Colour of `t` (clamped to [0, 1]; NaN maps to 0) under `name`. */
export function colormap(name: ColormapName, t: number): number {
  const u = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  if (name === "gray") {
    const g = Math.round(u * 255);
    return (g << 16) | (g << 8) | g;
  }
  const x = u * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i], b = VIRIDIS[i + 1];
  let out = 0;
  for (const sh of [16, 8, 0]) {
    const ca = (a >> sh) & 0xff, cb = (b >> sh) & 0xff;
    out |= Math.round(ca + (cb - ca) * f) << sh;
  }
  return out;
}
