/**
 * Per-pixel corrected-radius map and ring-band map (MIDAS goodCoords; sr-midas-seed §10.2).
 *
 * Computed once per geometry: `radiusMapPx` holds the tilt- and distortion-corrected radius
 * (px, float64, plus the optional residual map) of every pixel; `ringIndexMap` marks each pixel
 * with the index of the ring whose band `|Rt − ringRadius| < Width/px` contains it (−1 if none;
 * later rings overwrite earlier ones, strict `<` as in MIDAS C).
 *
 * @example
 * ```ts
 * import { exampleGeometry } from "./detector.ts";
 * import { radiusMapPx, ringIndexMap } from "./ring_map.ts";
 * const g = { ...exampleGeometry(), nY: 64, nZ: 64, ybc: 32, zbc: 32 };
 * const r = radiusMapPx(g);
 * const rings = ringIndexMap(r, [20], 1500 / g.pxUm); // Int16Array, 0 on the ring, −1 elsewhere
 * ```
 * @module
 */
import { type DetectorGeometry, idealREtaFromPixel, tiltMatrix } from "./detector.ts";

/**
 * Corrected radius (px) of every pixel, row-major (nZ rows × nY cols).
 * `residualPx` (same layout, e.g. MIDAS `ResidualCorrectionMap`) is added when given.
 */
export function radiusMapPx(g: DetectorGeometry, residualPx?: ArrayLike<number>): Float64Array {
  const n = g.nY * g.nZ;
  if (residualPx && residualPx.length !== n) {
    throw new Error(`radiusMapPx: residual map has ${residualPx.length} values, expected ${n}`);
  }
  const out = new Float64Array(n);
  const tilt = tiltMatrix(g.tx, g.ty, g.tz);
  for (let z = 0; z < g.nZ; z++) {
    for (let y = 0; y < g.nY; y++) {
      const i = z * g.nY + y;
      out[i] = idealREtaFromPixel(g, y, z, tilt).rPx + (residualPx ? residualPx[i] : 0);
    }
  }
  return out;
}

/** Eta (deg) of every pixel after tilt correction, row-major. */
export function etaMapDeg(g: DetectorGeometry): Float64Array {
  const out = new Float64Array(g.nY * g.nZ);
  const tilt = tiltMatrix(g.tx, g.ty, g.tz);
  for (let z = 0; z < g.nZ; z++) {
    for (let y = 0; y < g.nY; y++) out[z * g.nY + y] = idealREtaFromPixel(g, y, z, tilt).etaDeg;
  }
  return out;
}

/**
 * Ring index per pixel: i where `|rMap − ringRadiiPx[i]| < halfWidthPx`, the last matching ring
 * wins, −1 outside every band. `halfWidthPx` = MIDAS `Width` (µm) / px.
 */
export function ringIndexMap(
  rMapPx: ArrayLike<number>,
  ringRadiiPx: readonly number[],
  halfWidthPx: number,
): Int16Array {
  if (!(halfWidthPx > 0)) {
    throw new Error(`ringIndexMap: halfWidthPx must be > 0, got ${halfWidthPx}`);
  }
  const out = new Int16Array(rMapPx.length).fill(-1);
  for (let i = 0; i < rMapPx.length; i++) {
    const r = rMapPx[i];
    for (let k = 0; k < ringRadiiPx.length; k++) {
      if (Math.abs(r - ringRadiiPx[k]) < halfWidthPx) out[i] = k;
    }
  }
  return out;
}
