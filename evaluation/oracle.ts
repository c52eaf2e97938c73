/**
 * The oracle for a close pair (issue #12): the best a peak finder could hope to do on the very
 * same noisy pixels. Two spots with the simulator's **true** shapes are fitted by weighted least
 * squares (bounded Levenberg–Marquardt, fitting/levenberg_marquardt.ts) to the frame's counts
 * around the pair; positions, heights and the flat background are free and start at the truth,
 * other truth spots reaching into the window are added as known. The fit is judged by the
 * evaluation's own close-pair rule ({@link pairResolved}, 0.5 px by default), so "resolved by the
 * oracle" is the ceiling that "resolved by the pipeline" is measured against.
 *
 * Weights: 1/var_i with var_i = gain·μ_i + readSigma² of the true model μ (crlb.ts noise model),
 * fixed during the fit; the oracle knows the truth, so these are the exact variances.
 *
 * @example
 * ```ts
 * import { oracleFitPair } from "./oracle.ts";
 * // const fit = oracleFitPair({ image, nY, nZ, ybc, zbc, a, b, noise });
 * // fit.resolved; // true when each truth spot has its own fitted spot within 0.5 px
 * ```
 * @module
 */
import { levenbergMarquardt } from "../fitting/levenberg_marquardt.ts";
import { pixelREta } from "../fitting/native_search.ts";
import { fitPseudoVoigtRegion, wrapDeg } from "../fitting/pv_fit.ts";
import { yzFromREta } from "../geometry/detector.ts";
import { integratedSpotJacobian, spotHalfWidthPx, type SpotShape } from "../synthesis/render.ts";
import { type NoiseModel, pixelVariance } from "./crlb.ts";
import { pairResolved } from "./metrics.ts";

/** A spot with its true shape and its peak height in the frame (counts). */
export interface ModelSpot {
  shape: SpotShape;
  height: number;
}

/** Inputs of {@link oracleFitPair}. */
export interface OraclePairInput {
  /** The frame in counts above the pedestal (dark-subtracted), row-major nZ × nY. */
  image: ArrayLike<number>;
  nY: number;
  nZ: number;
  /** Beam centre the shapes are defined about. */
  ybc: number;
  zbc: number;
  a: ModelSpot;
  b: ModelSpot;
  /** Other spots present in the frame: their true signal is added, not fitted. */
  others?: readonly ModelSpot[];
  noise: NoiseModel;
}

/** Options of {@link oracleFitPair}. */
export interface OracleOptions {
  /** The close-pair rule's radius (px, inclusive; default 0.5). */
  resolvePx?: number;
  /** Cap on the fit window's half-size around the pair's midpoint (px, default 10). */
  maxHalfPx?: number;
  /** Each fitted centre stays within this of its truth (px, default 2). */
  positionBoundPx?: number;
  /** Sub-samples per pixel side of the model (default 4, as the simulator). */
  subsample?: number;
}

/** A fitted spot. */
export interface OracleSpot {
  yPx: number;
  zPx: number;
  height: number;
  /** Distance to its truth (px). */
  errorPx: number;
}

/** Result of {@link oracleFitPair}. */
export interface OracleResult {
  a: OracleSpot;
  b: OracleSpot;
  background: number;
  /** The evaluation's close-pair rule applied to the two fitted centres. */
  resolved: boolean;
  /** Σ weighted residual² (χ²) and the number of window pixels. */
  chi2: number;
  nPixels: number;
  /** Optimiser status (levenberg_marquardt.ts codes). */
  status: number;
  /**
   * Shape-fitted oracle only: χ² of one spot (the same model, started at the pair's
   * height-weighted centre) minus χ² of the two — the evidence for a second spot a detector
   * has, unlike the oracles, which are told there are two.
   */
  deltaChi2?: number;
}

/**
 * Δχ² ({@link OracleResult.deltaChi2}) a second spot must buy to be told from one: the 99th
 * percentile of χ² with 3 degrees of freedom (the second spot's position and height; its shape
 * is shared). Under a single spot, noise alone exceeds it in 1 % of fits, so a detector that
 * claims pairs below it pays about a false split per hundred spots, and the precision
 * target (0.97) leaves room for little more.
 */
export const PAIR_DETECTION_CHI2 = 11.34;

/** The pair's fit window: data, the known neighbours' signal and the exact 1/σ per pixel. */
function oracleWindow(inp: OraclePairInput, o: OracleOptions, fn: string) {
  const { a, b, nY, nZ, ybc, zbc, noise } = inp;
  if (inp.image.length !== nY * nZ) {
    throw new Error(`${fn}: image has ${inp.image.length} values, expected ${nY}×${nZ}`);
  }
  const sep = Math.hypot(a.shape.yPx - b.shape.yPx, a.shape.zPx - b.shape.zPx);
  const half = Math.min(
    o.maxHalfPx ?? 10,
    Math.max(spotHalfWidthPx(a.shape), spotHalfWidthPx(b.shape)) + Math.ceil(sep / 2),
  );
  const yc = Math.round((a.shape.yPx + b.shape.yPx) / 2);
  const zc = Math.round((a.shape.zPx + b.shape.zPx) / 2);
  const box = {
    y0: Math.max(0, yc - half),
    y1: Math.min(nY - 1, yc + half),
    z0: Math.max(0, zc - half),
    z1: Math.min(nZ - 1, zc + half),
  };
  const w = box.y1 - box.y0 + 1, m = w * (box.z1 - box.z0 + 1);
  if (!(w > 0 && m > 0)) throw new Error(`${fn}: the pair lies off the detector`);
  const data = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const z = box.z0 + Math.floor(k / w), y = box.y0 + (k % w);
    data[k] = inp.image[z * nY + y];
  }
  const unit = (s: SpotShape, yPx = s.yPx, zPx = s.zPx) =>
    integratedSpotJacobian(ybc, zbc, { ...s, yPx, zPx, iMax: 1 }, box, {
      subsample: o.subsample ?? 4,
    });
  const known = new Float64Array(m);
  for (const q of inp.others ?? []) {
    if (!(q.height > 0)) continue;
    const v = unit(q.shape).values;
    for (let k = 0; k < m; k++) known[k] += q.height * v[k];
  }
  const ua = unit(a.shape), ub = unit(b.shape);
  const invSd = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const mu = noise.background + known[k] + a.height * ua.values[k] + b.height * ub.values[k];
    invSd[k] = 1 / Math.sqrt(pixelVariance(mu, noise));
  }
  return { box, width: w, m, data, known, invSd, unit };
}

/** Which fitted centres lie within `resolvePx` of each truth spot: the close-pair rule. */
function judge(
  inp: OraclePairInput,
  fitted: readonly { yPx: number; zPx: number; height: number }[],
  resolvePx: number,
): Pick<OracleResult, "a" | "b" | "resolved"> {
  const near = (t: SpotShape) =>
    fitted.flatMap((p, i) =>
      Math.hypot(p.yPx - t.yPx, p.zPx - t.zPx) <= resolvePx * (1 + 1e-12) ? [i] : []
    );
  const err = (p: { yPx: number; zPx: number }, t: SpotShape) =>
    Math.hypot(p.yPx - t.yPx, p.zPx - t.zPx);
  return {
    a: { ...fitted[0], errorPx: err(fitted[0], inp.a.shape) },
    b: { ...fitted[1], errorPx: err(fitted[1], inp.b.shape) },
    resolved: pairResolved(near(inp.a.shape), near(inp.b.shape)),
  };
}

/** Fits the pair with its true shapes on the frame's pixels (see module doc). Pure. */
export function oracleFitPair(inp: OraclePairInput, o: OracleOptions = {}): OracleResult {
  const resolvePx = o.resolvePx ?? 0.5;
  const bound = o.positionBoundPx ?? 2;
  const { a, b, noise } = inp;
  const { m, data, known, invSd, unit } = oracleWindow(inp, o, "oracleFitPair");
  // x = [B, hA, yA, zA, hB, yB, zB]
  const nPar = 7;
  const problem = {
    nParams: nPar,
    nResiduals: m,
    evaluate(x: Float64Array, r: Float64Array, jac: Float64Array | null) {
      const ja = unit(a.shape, x[2], x[3]), jb = unit(b.shape, x[5], x[6]);
      for (let k = 0; k < m; k++) {
        const mu = x[0] + known[k] + x[1] * ja.values[k] + x[4] * jb.values[k];
        const s = invSd[k];
        r[k] = (mu - data[k]) * s;
        if (!jac) continue;
        jac[k] = s;
        jac[m + k] = ja.values[k] * s;
        jac[2 * m + k] = x[1] * ja.dY[k] * s;
        jac[3 * m + k] = x[1] * ja.dZ[k] * s;
        jac[4 * m + k] = jb.values[k] * s;
        jac[5 * m + k] = x[4] * jb.dY[k] * s;
        jac[6 * m + k] = x[4] * jb.dZ[k] * s;
      }
    },
  };
  const ya = a.shape.yPx, za = a.shape.zPx, yb = b.shape.yPx, zb = b.shape.zPx;
  const res = levenbergMarquardt(
    problem,
    [noise.background, a.height, ya, za, b.height, yb, zb],
    {
      lower: [-Infinity, 0, ya - bound, za - bound, 0, yb - bound, zb - bound],
      upper: [Infinity, Infinity, ya + bound, za + bound, Infinity, yb + bound, zb + bound],
      maxIter: 100,
    },
  );
  const x = res.x;
  const fitted = [
    { yPx: x[2], zPx: x[3], height: x[1] },
    { yPx: x[5], zPx: x[6], height: x[4] },
  ];
  return {
    ...judge(inp, fitted, resolvePx),
    background: x[0],
    chi2: res.ssr,
    nPixels: m,
    status: res.status,
  };
}

/**
 * The oracle without the true shapes: the same window, known neighbours and exact weights, but
 * the two spots are fitted with the model the pipeline fits (one shared pseudo-Voigt shape,
 * pv_fit.ts, widths and µ free; MIDAS's bounds about the truth: centres ± `positionBoundPx`,
 * heights ½–5× the truth), started at the truth. It separates what the true shapes buy from what
 * being told "two spots, here" buys: on the held-out scans the two oracles resolve about as many
 * pairs, so the pipeline's gap below a peak width is deciding that there are two spots.
 */
export function oracleFitPairShapeFitted(
  inp: OraclePairInput,
  o: OracleOptions = {},
): OracleResult {
  const resolvePx = o.resolvePx ?? 0.5;
  const { ybc, zbc } = inp;
  const { box, width, m, data, known, invSd } = oracleWindow(inp, o, "oracleFitPairShapeFitted");
  const r = new Float64Array(m), eta = new Float64Array(m), value = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    [r[k], eta[k]] = pixelREta(box.y0 + (k % width), box.z0 + Math.floor(k / width), ybc, zbc);
    value[k] = data[k] - known[k];
  }
  const seed = (t: ModelSpot) => ({
    r: t.shape.rPx,
    eta: t.shape.etaDeg,
    value: Math.max(t.height, 1),
    shape: {
      mu: t.shape.mu,
      sigmaGR: t.shape.sigmaGRPx,
      sigmaLR: t.shape.sigmaLRPx,
      sigmaGEta: t.shape.sigmaGEtaDeg,
      sigmaLEta: t.shape.sigmaLEtaDeg,
    },
  });
  const fit = fitPseudoVoigtRegion({ r, eta, value }, [seed(inp.a), seed(inp.b)], {
    // BG starts at threshold/2 within [0, threshold]: room for the flat background.
    threshold: 4 * inp.noise.background + 10,
    weights: invSd,
    shapeGroups: [0, 0],
    seedBoundPx: o.positionBoundPx ?? 2,
  });
  const fitted = fit.peaks.map((p) => ({ ...yzFromREta(p.r, p.eta, ybc, zbc), height: p.iMax }));
  // One spot where the two are, the brighter's shape, both heights: the hypothesis to beat.
  const [hi, lo] = inp.a.height >= inp.b.height ? [inp.a, inp.b] : [inp.b, inp.a];
  const wHi = hi.height / Math.max(hi.height + lo.height, 1e-12);
  const one = fitPseudoVoigtRegion({ r, eta, value }, [{
    ...seed(hi),
    r: wHi * hi.shape.rPx + (1 - wHi) * lo.shape.rPx,
    eta: hi.shape.etaDeg + (1 - wHi) * wrapDeg(lo.shape.etaDeg - hi.shape.etaDeg),
    value: Math.max(hi.height + lo.height, 1),
  }], {
    threshold: 4 * inp.noise.background + 10,
    weights: invSd,
    seedBoundPx: o.positionBoundPx ?? 2,
  });
  return {
    ...judge(inp, fitted, resolvePx),
    background: fit.bg,
    chi2: fit.retVal ** 2,
    nPixels: m,
    status: fit.returnCode,
    deltaChi2: one.retVal ** 2 - fit.retVal ** 2,
  };
}
