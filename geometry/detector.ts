/**
 * Detector geometry in MIDAS's conventions (midas-formats §0, sr-midas-seed §0.2 and §10.2).
 *
 * Pixel coordinates: Y = column index (fast axis), Z = row index (slow axis), pixel centres at
 * integers. Lab coordinates relative to the beam centre: `y_lab = (Ybc − Y)·px`,
 * `z_lab = (Z − Zbc)·px` (y_lab grows to the left). Eta is measured from +Z and is **positive
 * towards larger Y** (MIDAS `CalcEtaAngle(y_lab, z_lab)`: `acos(z/R)`, negated where y_lab > 0).
 *
 * The pixel → ideal-(R, Eta) map applies the tilts `Rx(tx)·Ry(ty)·Rz(tz)` to `(0, y_lab, z_lab)`,
 * projects back to the plane at distance Lsd and applies MIDAS's 15-parameter radial distortion
 * (p0 … p14, normalised by RhoD). The forward direction (ideal → pixel) is the exact inverse,
 * found by Newton iteration.
 *
 * @example
 * ```ts
 * import { exampleGeometry, idealREtaFromPixel, pixelFromIdealREta } from "./detector.ts";
 * const g = exampleGeometry();
 * const { yPx, zPx } = pixelFromIdealREta(g, 917.3, 24.6);
 * idealREtaFromPixel(g, yPx, zPx); // ≈ { rPx: 917.3, etaDeg: 24.6 }
 * ```
 * @module
 */

const DEG = Math.PI / 180;

/** Detector geometry (MIDAS parameter names in comments). */
export interface DetectorGeometry {
  /** Columns (NrPixelsY). */
  nY: number;
  /** Rows (NrPixelsZ). */
  nZ: number;
  /** Pixel size in µm (px). */
  pxUm: number;
  /** Sample–detector distance in µm (Lsd). */
  lsdUm: number;
  /** Beam centre column, px (BC y / YCen). */
  ybc: number;
  /** Beam centre row, px (BC z / ZCen). */
  zbc: number;
  /** Tilts in degrees (tx, ty, tz). */
  tx: number;
  ty: number;
  tz: number;
  /** Distortion coefficients p0 … p14 (length 15; missing entries are 0). */
  p: readonly number[];
  /** Distortion normalisation radius in µm (RhoD / MaxRingRad). */
  rhoDUm: number;
}

/** The "Example" geometry of midas-formats §4.4 (Au example, 2048², BC 1022/1022, no tilts). */
export function exampleGeometry(): DetectorGeometry {
  return {
    nY: 2048,
    nZ: 2048,
    pxUm: 200,
    lsdUm: 1_000_000,
    ybc: 1022,
    zbc: 1022,
    tx: 0,
    ty: 0,
    tz: 0,
    p: new Array(15).fill(0),
    rhoDUm: 204_800,
  };
}

/** MIDAS `CalcEtaAngle`: Eta (deg) of a lab vector (y, z); negative where y > 0. 0 at the origin. */
export function etaDegFromLab(yLab: number, zLab: number): number {
  const r = Math.sqrt(yLab * yLab + zLab * zLab);
  if (r === 0) return 0;
  const eta = Math.acos(Math.max(-1, Math.min(1, zLab / r))) / DEG;
  return yLab > 0 ? -eta : eta;
}

/** Pixel (Y, Z) → (R px, Eta deg) about the beam centre, no tilt or distortion. */
export function rEtaFromYZ(
  yPx: number,
  zPx: number,
  ybc: number,
  zbc: number,
): { rPx: number; etaDeg: number } {
  const yLab = ybc - yPx;
  const zLab = zPx - zbc;
  return { rPx: Math.sqrt(yLab * yLab + zLab * zLab), etaDeg: etaDegFromLab(yLab, zLab) };
}

/** (R px, Eta deg) → pixel (Y, Z), no tilt or distortion: `Y = Ybc + R·sin η`, `Z = Zbc + R·cos η`. */
export function yzFromREta(
  rPx: number,
  etaDeg: number,
  ybc: number,
  zbc: number,
): { yPx: number; zPx: number } {
  return { yPx: ybc + rPx * Math.sin(etaDeg * DEG), zPx: zbc + rPx * Math.cos(etaDeg * DEG) };
}

/** Row-major 3×3 matrix `Rx(tx)·Ry(ty)·Rz(tz)` (angles in degrees), as MIDAS's goodCoords map. */
export function tiltMatrix(tx: number, ty: number, tz: number): Float64Array {
  const [cx, sx] = [Math.cos(tx * DEG), Math.sin(tx * DEG)];
  const [cy, sy] = [Math.cos(ty * DEG), Math.sin(ty * DEG)];
  const [cz, sz] = [Math.cos(tz * DEG), Math.sin(tz * DEG)];
  const rx = [1, 0, 0, 0, cx, -sx, 0, sx, cx];
  const ry = [cy, 0, sy, 0, 1, 0, -sy, 0, cy];
  const rz = [cz, -sz, 0, sz, cz, 0, 0, 0, 1];
  return mul33(rx, mul33(ry, rz));
}

/** Row-major 3×3 product a·b. */
export function mul33(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const r = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      r[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
    }
  }
  return r;
}

/**
 * MIDAS radial distortion factor f (Rcorrected = R·f) at normalised radius ρ = R/RhoD and Eta;
 * θ = 90° − Eta, phases p3, p6, p8, p10, p12, p14 in degrees (sr-midas-seed §10.2 step 5).
 */
export function distortionFactor(rho: number, etaDeg: number, p: readonly number[]): number {
  const c = (i: number) => p[i] ?? 0;
  const t = (90 - etaDeg) * DEG;
  const r2 = rho * rho, r3 = r2 * rho, r4 = r2 * r2, r5 = r4 * rho, r6 = r4 * r2;
  return 1 +
    c(0) * r2 * Math.cos(2 * t + c(6) * DEG) +
    c(1) * r4 * Math.cos(4 * t + c(3) * DEG) +
    c(2) * r2 + c(4) * r6 + c(5) * r4 +
    c(7) * r4 * Math.cos(t + c(8) * DEG) +
    c(9) * r3 * Math.cos(3 * t + c(10) * DEG) +
    c(11) * r5 * Math.cos(5 * t + c(12) * DEG) +
    c(13) * r6 * Math.cos(6 * t + c(14) * DEG);
}

/** True when the geometry has no tilt and no distortion (the pixel map is the identity). */
export function isIdealGeometry(g: DetectorGeometry): boolean {
  return g.tx === 0 && g.ty === 0 && g.tz === 0 && g.p.every((v) => v === 0);
}

/**
 * Corrected (ideal) R (px) and Eta (deg) of a detector pixel position: tilts, projection to
 * the Lsd plane, radial distortion (MIDAS goodCoords / ringNr map). Residual map not included.
 * Pass `tilt` (from {@link tiltMatrix}) when calling in a loop.
 */
export function idealREtaFromPixel(
  g: DetectorGeometry,
  yPx: number,
  zPx: number,
  tilt: ArrayLike<number> = tiltMatrix(g.tx, g.ty, g.tz),
): { rPx: number; etaDeg: number } {
  const yLab = (g.ybc - yPx) * g.pxUm;
  const zLab = (zPx - g.zbc) * g.pxUm;
  // (0, yLab, zLab) rotated: only the 2nd and 3rd columns contribute.
  const a = tilt[1] * yLab + tilt[2] * zLab;
  const b = tilt[4] * yLab + tilt[5] * zLab;
  const c = tilt[7] * yLab + tilt[8] * zLab;
  const rUm = (g.lsdUm / (g.lsdUm + a)) * Math.sqrt(b * b + c * c);
  const etaDeg = etaDegFromLab(b, c);
  const f = distortionFactor(rUm / g.rhoDUm, etaDeg, g.p);
  return { rPx: (rUm * f) / g.pxUm, etaDeg };
}

/**
 * Inverse of {@link idealREtaFromPixel}: the detector position (Y, Z) px whose corrected
 * (R, Eta) equals the given ideal spot. Newton iteration with a finite-difference Jacobian;
 * converges to < 1e-9 px in a few steps for realistic tilts (< 5°) and distortions.
 * (MIDAS ForwardSim instead looks up a per-pixel displacement table, nearest pixel.)
 */
export function pixelFromIdealREta(
  g: DetectorGeometry,
  rPx: number,
  etaDeg: number,
  tilt: ArrayLike<number> = tiltMatrix(g.tx, g.ty, g.tz),
): { yPx: number; zPx: number } {
  const target = yzFromREta(rPx, etaDeg, g.ybc, g.zbc);
  if (isIdealGeometry(g)) return target;
  // Work in the ideal (Y, Z) plane to avoid the Eta seam at ±180°.
  const fwd = (y: number, z: number) => {
    const m = idealREtaFromPixel(g, y, z, tilt);
    return yzFromREta(m.rPx, m.etaDeg, g.ybc, g.zbc);
  };
  let y = target.yPx, z = target.zPx;
  const h = 1e-3;
  for (let it = 0; it < 30; it++) {
    const f0 = fwd(y, z);
    const ey = f0.yPx - target.yPx, ez = f0.zPx - target.zPx;
    if (Math.abs(ey) + Math.abs(ez) < 1e-10) break;
    const fy = fwd(y + h, z), fz = fwd(y, z + h);
    const j11 = (fy.yPx - f0.yPx) / h, j21 = (fy.zPx - f0.zPx) / h;
    const j12 = (fz.yPx - f0.yPx) / h, j22 = (fz.zPx - f0.zPx) / h;
    const det = j11 * j22 - j12 * j21;
    y -= (j22 * ey - j12 * ez) / det;
    z -= (-j21 * ey + j11 * ez) / det;
  }
  return { yPx: y, zPx: z };
}
