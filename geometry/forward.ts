/**
 * FF-HEDM forward model: where each grain's reflections land on the detector and in which frame
 * (midas-formats §4.2, MIDAS `ForwardSimulationCompressed` with Wedge = 0).
 *
 * Per grain and reflection: G = OM·B·hkl; the ω solutions of `−x·cos ω + y·sin ω = |G|·sin θ`
 * (MIDAS `CalcOmega`); Eta of G rotated by ω; the ideal spot at `(−R sin η, R cos η)` shifted for
 * the grain position (`DisplacementInTheSpot`); then tilts and distortion through the exact
 * inverse of the detector's pixel map. Frame = `floor((ω − OmegaStart)/OmegaStep)`.
 *
 * @example
 * ```ts
 * import { exampleGeometry } from "./detector.ts";
 * import { forwardSpots } from "./forward.ts";
 * import { parseGrainsCsv } from "./grains.ts";
 * import { parseHklsCsv } from "./crystal.ts";
 * const dir = "tests/data/midas-example/";
 * const grains = parseGrainsCsv(await Deno.readTextFile(dir + "GrainsSim_3grain.csv"));
 * const hkls = parseHklsCsv(await Deno.readTextFile(dir + "hkls.csv"));
 * const spots = forwardSpots(grains, hkls, exampleGeometry(), {
 *   wavelengthA: 0.22291, omegaStartDeg: 180, omegaStepDeg: -0.25, nFrames: 1440,
 * });
 * spots.length; // 348
 * ```
 * @module
 */
import {
  type DetectorGeometry,
  etaDegFromLab,
  pixelFromIdealREta,
  rEtaFromYZ,
  tiltMatrix,
} from "./detector.ts";
import { bMatrix, midasOrientationRoundTrip, type Reflection } from "./crystal.ts";
import type { Grain } from "./grains.ts";

const DEG = Math.PI / 180;

/** Rotation scan and beam. */
export interface ScanGeometry {
  wavelengthA: number;
  /** ω of the start of frame 0 (OmegaStart), deg. */
  omegaStartDeg: number;
  /** ω step per frame (OmegaStep), deg; may be negative. */
  omegaStepDeg: number;
  nFrames: number;
}

/** One predicted diffraction spot (the truth-table row). */
export interface Spot {
  grainId: number;
  /** 1-based running id over the whole list. */
  spotId: number;
  h: number;
  k: number;
  l: number;
  ringNr: number;
  omegaDeg: number;
  /** 0-based frame index. */
  frame: number;
  /** Detector column/row (YCen/ZCen convention), px. */
  yPx: number;
  zPx: number;
  /** Radius (px) and Eta (deg) of (yPx, zPx) about the beam centre, raw detector frame — what a
   *  peak search reports as Radius / Eta. Equal to the ideal values when there is no tilt/distortion. */
  rPx: number;
  etaDeg: number;
  thetaDeg: number;
  /** Ideal lab position of the spot (µm; YLab, ZLab of SpotMatrixGen.csv). */
  yLabUm: number;
  zLabUm: number;
}

/**
 * MIDAS `CalcOmega`: ω solutions (deg, up to 2) bringing G = (x, y, z) into Bragg condition at θ,
 * each with the Eta (deg) of G rotated by ω.
 */
export function braggOmegas(
  x: number,
  y: number,
  z: number,
  thetaDeg: number,
): { omegaDeg: number; etaDeg: number }[] {
  const len = Math.sqrt(x * x + y * y + z * z);
  const v = Math.sin(thetaDeg * DEG) * len;
  const omegas: number[] = [];
  if (Math.abs(y) < 1e-4) {
    if (x !== 0) {
      const c = -v / x;
      if (Math.abs(c) <= 1) {
        const o = Math.acos(c);
        omegas.push(o, -o);
      }
    }
  } else {
    const y2 = y * y;
    const a = 1 + (x * x) / y2;
    const b = (2 * v * x) / y2;
    const c = (v * v) / y2 - 1;
    const discr = b * b - 4 * a * c;
    if (discr >= 0) {
      for (const sgn of [1, -1]) {
        const cosO = (-b + sgn * Math.sqrt(discr)) / (2 * a);
        if (Math.abs(cosO) > 1) continue;
        const oa = Math.acos(cosO);
        // The quadratic loses the sign of sin ω: keep the one that satisfies the equation.
        const da = Math.abs(-x * Math.cos(oa) + y * Math.sin(oa) - v);
        const db = Math.abs(-x * Math.cos(-oa) + y * Math.sin(-oa) - v);
        omegas.push(da < db ? oa : -oa);
      }
    }
  }
  return omegas.map((o) => {
    const gy = Math.sin(o) * x + Math.cos(o) * y; // G rotated about z by ω
    return { omegaDeg: o / DEG, etaDeg: etaDegFromLab(gy, z) };
  });
}

/**
 * MIDAS `DisplacementInTheSpot` (wedge 0): shift (Δy, Δz) µm of a spot at detector-plane
 * position (yi, zi) when the diffracting grain sits at (a, b, c) µm, at rotation ω.
 */
export function grainDisplacementUm(
  posUm: readonly [number, number, number],
  lsdUm: number,
  yi: number,
  zi: number,
  omegaDeg: number,
): [number, number] {
  const s = Math.sin(omegaDeg * DEG), c = Math.cos(omegaDeg * DEG);
  const xc = posUm[0] * c - posUm[1] * s;
  const yc = posUm[0] * s + posUm[1] * c;
  const zc = posUm[2];
  const ix = lsdUm - xc, iy = yi - yc, iz = zi - zc; // direction; normalisation cancels
  return [yc - (xc * iy) / ix, zc - (xc * iz) / ix];
}

/** Options of {@link forwardSpots}. */
export interface ForwardOptions {
  /** Apply MIDAS ForwardSim's OM→Euler→OM round trip (default true, for parity). */
  eulerRoundTrip?: boolean;
}

/**
 * All spots of `grains` for the reflections `hkls` (their h, k, l, RingNr; d and θ are recomputed
 * from each grain's own lattice). Spots with ω outside the open scan range, outside the frames or
 * off the detector are dropped. Order: grain, reflection, ω solution (as MIDAS).
 */
export function forwardSpots(
  grains: readonly Grain[],
  hkls: readonly Pick<Reflection, "h" | "k" | "l" | "ringNr">[],
  det: DetectorGeometry,
  scan: ScanGeometry,
  opts: ForwardOptions = {},
): Spot[] {
  const tilt = tiltMatrix(det.tx, det.ty, det.tz);
  const omEnd = scan.omegaStartDeg + scan.nFrames * scan.omegaStepDeg;
  const omLo = Math.min(scan.omegaStartDeg, omEnd), omHi = Math.max(scan.omegaStartDeg, omEnd);
  const spots: Spot[] = [];
  for (const grain of grains) {
    const om = opts.eulerRoundTrip === false ? grain.om : midasOrientationRoundTrip(grain.om);
    const B = bMatrix(grain.lattice);
    for (const r of hkls) {
      const gc = [
        B[0] * r.h + B[1] * r.k + B[2] * r.l,
        B[3] * r.h + B[4] * r.k + B[5] * r.l,
        B[6] * r.h + B[7] * r.k + B[8] * r.l,
      ];
      const dA = 1 / Math.hypot(gc[0], gc[1], gc[2]);
      const thetaDeg = Math.asin(scan.wavelengthA / (2 * dA)) / DEG;
      if (!Number.isFinite(thetaDeg)) continue;
      const ringUm = det.lsdUm * Math.tan(2 * thetaDeg * DEG);
      const g = [0, 1, 2].map((i) =>
        om[i * 3] * gc[0] + om[i * 3 + 1] * gc[1] + om[i * 3 + 2] * gc[2]
      );
      for (const sol of braggOmegas(g[0], g[1], g[2], thetaDeg)) {
        const ome = sol.omegaDeg;
        if (!(ome > omLo && ome < omHi) || Number.isNaN(sol.etaDeg)) continue;
        const frame = Math.floor((ome - scan.omegaStartDeg) / scan.omegaStepDeg);
        if (frame < 0 || frame >= scan.nFrames) continue;
        const y0 = -ringUm * Math.sin(sol.etaDeg * DEG);
        const z0 = ringUm * Math.cos(sol.etaDeg * DEG);
        const [dy, dz] = grainDisplacementUm(grain.posUm, det.lsdUm, y0, z0, ome);
        const yLab = y0 + dy, zLab = z0 + dz;
        const ideal = { r: Math.hypot(yLab, zLab) / det.pxUm, eta: etaDegFromLab(yLab, zLab) };
        const { yPx, zPx } = pixelFromIdealREta(det, ideal.r, ideal.eta, tilt);
        if (!(yPx >= 0 && yPx < det.nY && zPx >= 0 && zPx < det.nZ)) continue;
        const { rPx, etaDeg } = rEtaFromYZ(yPx, zPx, det.ybc, det.zbc);
        spots.push({
          grainId: grain.id,
          spotId: spots.length + 1,
          h: r.h,
          k: r.k,
          l: r.l,
          ringNr: r.ringNr,
          omegaDeg: ome,
          frame,
          yPx,
          zPx,
          rPx,
          etaDeg,
          thetaDeg,
          yLabUm: yLab,
          zLabUm: zLab,
        });
      }
    }
  }
  return spots;
}
