/**
 * Rendering one spot into a frame buffer (row-major, nZ rows × nY cols, pixel centres at
 * integer (Y, Z)).
 *
 * * {@link addIntegratedSpot}: the shared pseudo-Voigt (peaks/pseudo_voigt.ts) in (R px, Eta deg)
 *   about the beam centre, **integrated over each pixel's area** by ss×ss sub-sampling (the mean
 *   of the sub-samples = the integral over the unit pixel). Realistic mode.
 * * {@link addMidasGaussianSpot}: MIDAS ForwardSim's shape — isotropic Gaussian σ px,
 *   **point-sampled** at the integer pixel centres within ±ceil(4σ) (midas-formats §4.1).
 *
 * @example
 * ```ts
 * import { addIntegratedSpot } from "./render.ts";
 * const buf = new Float64Array(64 * 64);
 * addIntegratedSpot(buf, 64, 64, 0, 0, {
 *   yPx: 40.3, zPx: 30.7, rPx: Math.hypot(40.3, 30.7), etaDeg: 52.7, iMax: 1000, mu: 0.1,
 *   sigmaGRPx: 1, sigmaGEtaDeg: 1.2, sigmaLRPx: 1.2, sigmaLEtaDeg: 1.5,
 * });
 * ```
 * @module
 */
import { pseudoVoigt, type PseudoVoigtParams } from "../peaks/pseudo_voigt.ts";
import { pseudoVoigtGradient, PV_GRAD } from "../fitting/pv_gradient.ts";

const RAD = 180 / Math.PI;

/** Shape and position of one spot, in the truth-table terms. */
export interface SpotShape {
  yPx: number;
  zPx: number;
  /** Radius and Eta of (yPx, zPx) about the beam centre. */
  rPx: number;
  etaDeg: number;
  iMax: number;
  sigmaGRPx: number;
  sigmaGEtaDeg: number;
  sigmaLRPx: number;
  sigmaLEtaDeg: number;
  mu: number;
}

/** Options of {@link addIntegratedSpot}. */
/** A spot's widths in detector pixels: radial, and along the ring's arc (σ, Gaussian and Lorentzian). */
export interface SpotWidthsPx {
  gR: number;
  gArc: number;
  lR: number;
  lArc: number;
  /** Lorentzian fraction. */
  mu: number;
}

/**
 * The shape of a spot centred at (`yPx`, `zPx`) on a ring about the beam centre (`ybc`, `zbc`),
 * with its widths along the arc given in pixels (the shape stores them in degrees of η there).
 */
export function spotShapeAt(
  yPx: number,
  zPx: number,
  iMax: number,
  beam: { ybc: number; zbc: number },
  w: SpotWidthsPx,
): SpotShape {
  const dy = yPx - beam.ybc, dz = zPx - beam.zbc;
  const rPx = Math.hypot(dy, dz);
  const degPerPx = 180 / (Math.PI * rPx);
  return {
    yPx,
    zPx,
    rPx,
    etaDeg: Math.atan2(dy, dz) * 180 / Math.PI,
    iMax,
    mu: w.mu,
    sigmaGRPx: w.gR,
    sigmaGEtaDeg: w.gArc * degPerPx,
    sigmaLRPx: w.lR,
    sigmaLEtaDeg: w.lArc * degPerPx,
  };
}

export interface IntegrateOptions {
  /** Sub-samples per pixel side (default 4). */
  subsample?: number;
  /** Cap on the half-size of the rendered box, px (default 15; clips far Lorentz tails). */
  maxHalfPx?: number;
}

/** Half-size (px) of the box a spot is rendered in. */
export function spotHalfWidthPx(s: SpotShape, maxHalfPx = 15): number {
  const arc = s.rPx / RAD;
  const g = 5 * Math.max(s.sigmaGRPx, s.sigmaGEtaDeg * arc);
  const l = s.mu > 0 ? 8 * Math.max(s.sigmaLRPx, s.sigmaLEtaDeg * arc) : 0;
  return Math.ceil(Math.min(maxHalfPx, Math.max(g, l, 2)));
}

/** A rendered spot: values over the inclusive pixel box [y0, y1] × [z0, z1], row-major. */
export interface SpotPatch {
  y0: number;
  y1: number;
  z0: number;
  z1: number;
  values: Float64Array;
}

/**
 * The pixel-integrated pseudo-Voigt of `s` on its box (clipped to the detector), unscaled.
 * The box is empty (y1 < y0 or z1 < z0, no values) when the spot is off the detector.
 */
export function integratedSpotPatch(
  nY: number,
  nZ: number,
  ybc: number,
  zbc: number,
  s: SpotShape,
  o: IntegrateOptions = {},
): SpotPatch {
  const ss = o.subsample ?? 4;
  const hw = spotHalfWidthPx(s, o.maxHalfPx);
  const yc = Math.round(s.yPx), zc = Math.round(s.zPx);
  const y0 = Math.max(0, yc - hw), y1 = Math.min(nY - 1, yc + hw);
  const z0 = Math.max(0, zc - hw), z1 = Math.min(nZ - 1, zc + hw);
  const box = { y0, y1, z0, z1 };
  return { ...box, values: integrateOnBox(ybc, zbc, s, box, ss) };
}

/** Pseudo-Voigt parameters of a spot shape in (R px, Eta deg). */
function pvParams(s: SpotShape): PseudoVoigtParams {
  return {
    u0: s.rPx,
    v0: s.etaDeg,
    sigmaGU: s.sigmaGRPx,
    sigmaGV: s.sigmaGEtaDeg,
    sigmaLU: s.sigmaLRPx,
    sigmaLV: s.sigmaLEtaDeg,
    mu: s.mu,
    iMax: s.iMax,
  };
}

/**
 * The ss×ss sub-sampled pixel integral of `s` over `box` (row-major). With `grad`, also the
 * derivatives of every pixel value with respect to the spot centre (u0 = R, v0 = Eta) written
 * into `grad.dR` and `grad.dEta`; the value path is the same arithmetic either way.
 */
function integrateOnBox(
  ybc: number,
  zbc: number,
  s: SpotShape,
  box: { y0: number; y1: number; z0: number; z1: number },
  ss: number,
  grad?: { dR: Float64Array; dEta: Float64Array },
): Float64Array {
  const { y0, y1, z0, z1 } = box;
  const w = Math.max(0, y1 - y0 + 1);
  const values = new Float64Array(w * Math.max(0, z1 - z0 + 1));
  const p = pvParams(s);
  const g = grad ? new Float64Array(8) : undefined;
  const off = Float64Array.from({ length: ss }, (_, i) => (i + 0.5) / ss - 0.5);
  const norm = 1 / (ss * ss);
  for (let z = z0; z <= z1; z++) {
    for (let y = y0; y <= y1; y++) {
      let acc = 0, aR = 0, aEta = 0;
      for (let a = 0; a < ss; a++) {
        const zl = z + off[a] - zbc;
        for (let b = 0; b < ss; b++) {
          const yl = ybc - (y + off[b]); // y_lab grows to the left
          const r = Math.sqrt(yl * yl + zl * zl);
          // Eta (MIDAS sign: + towards larger Y); difference wrapped so the ±180° seam is harmless.
          let dEta = Math.atan2(-yl, zl) * RAD - s.etaDeg;
          if (dEta > 180) dEta -= 360;
          else if (dEta < -180) dEta += 360;
          if (g) {
            acc += pseudoVoigtGradient(p, r, s.etaDeg + dEta, g);
            aR += g[PV_GRAD.u0];
            aEta += g[PV_GRAD.v0];
          } else acc += pseudoVoigt(p, r, s.etaDeg + dEta);
        }
      }
      const k = (z - z0) * w + (y - y0);
      values[k] = acc * norm;
      if (grad) {
        grad.dR[k] = aR * norm;
        grad.dEta[k] = aEta * norm;
      }
    }
  }
  return values;
}

/** A spot's pixel values on a fixed box with their derivatives in the spot centre (Y, Z). */
export interface SpotJacobian extends SpotPatch {
  /** ∂value/∂Y and ∂value/∂Z of the centre, per pixel (same layout as `values`). */
  dY: Float64Array;
  dZ: Float64Array;
}

/**
 * The pixel-integrated pseudo-Voigt of `s` (as {@link integratedSpotPatch} renders it) over a
 * caller-chosen inclusive box, with its exact derivatives in the centre (Y, Z) — what Fisher
 * information and fits of the simulator's own shape need. The centre's R and Eta are taken from
 * (`s.yPx`, `s.zPx`) about the beam centre (`s.rPx`/`s.etaDeg` are ignored); the widths stay in
 * (px, deg), so moving the centre keeps the spot's angular width, as planted partners do to
 * within 10⁻³.
 */
export function integratedSpotJacobian(
  ybc: number,
  zbc: number,
  s: SpotShape,
  box: { y0: number; y1: number; z0: number; z1: number },
  o: IntegrateOptions = {},
): SpotJacobian {
  const dy = s.yPx - ybc, dz = s.zPx - zbc;
  const r0 = Math.hypot(dy, dz);
  if (!(r0 > 0)) throw new Error("integratedSpotJacobian: the spot sits on the beam centre");
  const centred: SpotShape = { ...s, rPx: r0, etaDeg: Math.atan2(dy, dz) * RAD };
  const n = Math.max(0, box.y1 - box.y0 + 1) * Math.max(0, box.z1 - box.z0 + 1);
  const dR = new Float64Array(n), dEta = new Float64Array(n);
  const values = integrateOnBox(ybc, zbc, centred, box, o.subsample ?? 4, { dR, dEta });
  // Chain rule: R = |(dy, dz)|, Eta = atan2(dy, dz) in degrees.
  const rY = dy / r0, rZ = dz / r0;
  const eY = (RAD * dz) / (r0 * r0), eZ = (-RAD * dy) / (r0 * r0);
  const dY = new Float64Array(n), dZ = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    dY[i] = dR[i] * rY + dEta[i] * eY;
    dZ[i] = dR[i] * rZ + dEta[i] * eZ;
  }
  return { ...box, values, dY, dZ };
}

/** Adds `scale ×` a patch into a row-major nZ × nY frame buffer. */
export function addPatch(
  buf: Float32Array | Float64Array,
  nY: number,
  patch: SpotPatch,
  scale = 1,
): void {
  const w = patch.y1 - patch.y0 + 1;
  for (let z = patch.z0; z <= patch.z1; z++) {
    const row = z * nY + patch.y0, prow = (z - patch.z0) * w;
    for (let k = 0; k < w; k++) buf[row + k] += scale * patch.values[prow + k];
  }
}

/**
 * Adds `scale ×` the pixel-integrated pseudo-Voigt of `s` to `buf`. Returns the pixel box
 * touched `[y0, y1] × [z0, z1]` (inclusive), empty (y1 < y0) when off the detector.
 */
export function addIntegratedSpot(
  buf: Float32Array | Float64Array,
  nY: number,
  nZ: number,
  ybc: number,
  zbc: number,
  s: SpotShape,
  scale = 1,
  o: IntegrateOptions = {},
): { y0: number; y1: number; z0: number; z1: number } {
  const patch = integratedSpotPatch(nY, nZ, ybc, zbc, s, o);
  addPatch(buf, nY, patch, scale);
  return { y0: patch.y0, y1: patch.y1, z0: patch.z0, z1: patch.z1 };
}

/**
 * MIDAS ForwardSim spot: `iMax·exp(−d²/2σ²)` at integer pixel centres, |ΔY|, |ΔZ| ≤ ceil(4σ)
 * around the rounded centre. Returns the touched box like {@link addIntegratedSpot}.
 */
export function addMidasGaussianSpot(
  buf: Float32Array | Float64Array,
  nY: number,
  nZ: number,
  yPx: number,
  zPx: number,
  sigmaPx: number,
  iMax: number,
): { y0: number; y1: number; z0: number; z1: number } {
  const ext = Math.min(49, Math.ceil(4 * sigmaPx));
  const yc = Math.round(yPx), zc = Math.round(zPx);
  const y0 = Math.max(0, yc - ext), y1 = Math.min(nY - 1, yc + ext);
  const z0 = Math.max(0, zc - ext), z1 = Math.min(nZ - 1, zc + ext);
  const two = 2 * sigmaPx * sigmaPx;
  for (let z = z0; z <= z1; z++) {
    const wz = Math.exp(-((z - zPx) ** 2) / two);
    for (let y = y0; y <= y1; y++) buf[z * nY + y] += iMax * wz * Math.exp(-((y - yPx) ** 2) / two);
  }
  return { y0, y1, z0, z1 };
}
