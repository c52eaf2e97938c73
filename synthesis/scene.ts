/**
 * A simulated scene: forward-model spots plus everything needed to render them (per-spot
 * pseudo-Voigt widths in (R, Eta), peak height, ω spread over frames), saturated spots and
 * planted close pairs (midas-formats §4.4 recipe).
 *
 * Intensities span `decades` decades above `peakMin`: log10(IMax/peakMin) = decades·(½·g + ½·u),
 * g the grain's size rank (r³ ∝ volume; uniform per grain when all radii are equal), u uniform
 * per spot — so big grains are bright on every ring, with a spot-to-spot spread.
 *
 * @example
 * ```ts
 * import { buildScene } from "./scene.ts";
 * import { Rng } from "./noise.ts";
 * // spots from geometry/forward.ts forwardSpots(…)
 * const scene = buildScene([], { nFrames: 1440, omegaStartDeg: 180, omegaStepDeg: -0.25 }, new Rng(1));
 * scene.length; // 0
 * ```
 * @module
 */
import { rEtaFromYZ } from "../geometry/detector.ts";
import type { Spot } from "../geometry/forward.ts";
import type { SpotShape } from "./render.ts";
import { normalCdf, type RandomSource } from "./noise.ts";

const DEG = Math.PI / 180;

/**
 * A spot with its rendering attributes: one truth-table row. Its profile (`iMax`, the peak value
 * in counts at full ω weight, MIDAS IMax; widths; Lorentz fraction `mu`) is {@link SpotShape}'s.
 */
export interface SceneSpot extends Spot, Omit<SpotShape, keyof Spot> {
  /** Gaussian σ of the rocking curve in ω (0 = one frame). */
  omegaSigmaDeg: number;
  /** First frame the spot touches and its weight in each following frame (sum ≤ 1). */
  firstFrame: number;
  frameWeights: Float64Array;
  /** Integrated counts over pixels and frames (analytic, before truncation and noise). */
  intensity: number;
  /** IMax deliberately above the detector's saturation level. */
  saturated: boolean;
  /** spotId of the planted partner of a close pair (0 if none); partners have grainId 0. */
  pairOf: number;
}

/** Uniform range [lo, hi]. */
export type Range = readonly [number, number];

/** Controlled close pairs to plant (for SR tests). */
export interface PairPlan {
  count: number;
  /** Centre separations (px), cycled. */
  separationsPx: readonly number[];
  /** Intensity ratios primary:partner (≥ 1), cycled after each full pass over separations. */
  ratios: readonly number[];
}

/** Scene options; every range has a recipe default (§4.4). */
export interface SceneOptions {
  nFrames: number;
  omegaStartDeg: number;
  omegaStepDeg: number;
  sigmaRPx?: Range; // [0.7, 2]
  sigmaEtaPx?: Range; // [1, 4] px of arc
  /** Lorentz half-width / Gaussian σ. */
  lorentzScale?: Range; // [1, 1.5]
  mu?: Range; // [0, 0.3]
  omegaSigmaDeg?: Range; // [0.1, 0.5]
  peakMin?: number; // 30 counts
  decades?: number; // 3
  /** Fraction of spots made saturated, and the level they exceed. */
  saturatedFraction?: number; // 0.002
  saturationCounts?: number; // 16383
  pairs?: PairPlan;
  /** Which grains' size sets their brightness: id → radius µm. */
  grainRadiusUm?: ReadonlyMap<number, number>;
}

/**
 * Fraction of a Gaussian rocking curve (centre ω, σ) collected in each frame; frame f spans
 * [start + f·step, start + (f+1)·step). σ = 0 puts everything in the spot's frame.
 */
export function omegaFrameWeights(
  omegaDeg: number,
  sigmaDeg: number,
  o: Pick<SceneOptions, "nFrames" | "omegaStartDeg" | "omegaStepDeg">,
): { firstFrame: number; weights: Float64Array } {
  const fc = Math.floor((omegaDeg - o.omegaStartDeg) / o.omegaStepDeg);
  if (!(sigmaDeg > 0)) return { firstFrame: fc, weights: Float64Array.of(1) };
  const span = Math.ceil((4 * sigmaDeg) / Math.abs(o.omegaStepDeg));
  const f0 = Math.max(0, fc - span), f1 = Math.min(o.nFrames - 1, fc + span);
  const w = new Float64Array(f1 - f0 + 1);
  for (let f = f0; f <= f1; f++) {
    const a = (o.omegaStartDeg + f * o.omegaStepDeg - omegaDeg) / sigmaDeg;
    const b = (o.omegaStartDeg + (f + 1) * o.omegaStepDeg - omegaDeg) / sigmaDeg;
    w[f - f0] = Math.abs(normalCdf(b) - normalCdf(a));
  }
  return { firstFrame: f0, weights: w };
}

/** Integral over the detector plane (px²) of a unit-height (R, Eta) pseudo-Voigt at radius R. */
export function pseudoVoigtArea(
  s: Pick<SceneSpot, "rPx" | "sigmaGRPx" | "sigmaGEtaDeg" | "sigmaLRPx" | "sigmaLEtaDeg" | "mu">,
): number {
  const arc = s.rPx * DEG; // px of arc per degree
  const g = 2 * Math.PI * s.sigmaGRPx * s.sigmaGEtaDeg * arc;
  const l = Math.PI * Math.PI * s.sigmaLRPx * s.sigmaLEtaDeg * arc;
  return s.mu * l + (1 - s.mu) * g;
}

const pick = (rng: RandomSource, r: Range) => r[0] + (r[1] - r[0]) * rng.random();

/** Attaches rendering attributes to forward-model spots and plants pairs. Deterministic in `rng`. */
export function buildScene(
  spots: readonly Spot[],
  o: SceneOptions,
  rng: RandomSource,
): SceneSpot[] {
  const peakMin = o.peakMin ?? 30, decades = o.decades ?? 3;
  const sat = o.saturationCounts ?? 16383, satFrac = o.saturatedFraction ?? 0.002;
  // Grain brightness rank in [0, 1]: by radius when radii differ, else random per grain.
  const ids = [...new Set(spots.map((s) => s.grainId))];
  const radii = ids.map((id) => o.grainRadiusUm?.get(id) ?? 0);
  const distinct = new Set(radii).size > 1;
  const order = ids.map((_, i) => i).sort((a, b) => radii[a] - radii[b]);
  const rank = new Map<number, number>();
  order.forEach((i, k) =>
    rank.set(ids[i], distinct ? (ids.length > 1 ? k / (ids.length - 1) : 0.5) : 0)
  );
  if (!distinct) { for (const id of ids) rank.set(id, rng.random()); }

  const out: SceneSpot[] = spots.map((s) => {
    const sigmaGRPx = pick(rng, o.sigmaRPx ?? [0.7, 2]);
    const sigmaEtaPx = pick(rng, o.sigmaEtaPx ?? [1, 4]);
    const sigmaGEtaDeg = sigmaEtaPx / (s.rPx * DEG);
    const ls = o.lorentzScale ?? [1, 1.5];
    const spot: SceneSpot = {
      ...s,
      iMax: peakMin * 10 ** (decades * (0.5 * rank.get(s.grainId)! + 0.5 * rng.random())),
      sigmaGRPx,
      sigmaGEtaDeg,
      sigmaLRPx: sigmaGRPx * pick(rng, ls),
      sigmaLEtaDeg: sigmaGEtaDeg * pick(rng, ls),
      mu: pick(rng, o.mu ?? [0, 0.3]),
      omegaSigmaDeg: pick(rng, o.omegaSigmaDeg ?? [0.1, 0.5]),
      firstFrame: 0,
      frameWeights: new Float64Array(0),
      intensity: 0,
      saturated: false,
      pairOf: 0,
    };
    if (rng.random() < satFrac) {
      spot.saturated = true;
      spot.iMax = sat * pick(rng, [1.2, 3]);
    }
    return spot;
  });
  if (o.pairs && o.pairs.count > 0) plantPairs(out, o.pairs, rng);
  for (const s of out) {
    const fw = omegaFrameWeights(s.omegaDeg, s.omegaSigmaDeg, o);
    s.firstFrame = fw.firstFrame;
    s.frameWeights = fw.weights;
    s.intensity = s.iMax * pseudoVoigtArea(s) * fw.weights.reduce((a, b) => a + b, 0);
  }
  return out;
}

/**
 * Appends a partner next to `plan.count` isolated, unsaturated spots (nothing else within 15 px
 * in the same or adjacent frames): same ω and widths, centre `separation` px away in a random
 * direction, IMax divided by the ratio. Partners get grainId 0 and `pairOf` links both ways.
 */
function plantPairs(spots: SceneSpot[], plan: PairPlan, rng: RandomSource): void {
  if (plan.separationsPx.length === 0 || plan.ratios.length === 0) {
    throw new Error("buildScene: pairs.separationsPx and pairs.ratios must be non-empty");
  }
  const byFrame = new Map<number, SceneSpot[]>();
  for (const s of spots) byFrame.set(s.frame, [...(byFrame.get(s.frame) ?? []), s]);
  const isolated = spots.filter((s) =>
    !s.saturated && s.yPx > 20 && s.zPx > 20 &&
    [-1, 0, 1].every((df) =>
      (byFrame.get(s.frame + df) ?? []).every((t) =>
        t === s || Math.hypot(t.yPx - s.yPx, t.zPx - s.zPx) > 15
      )
    )
  );
  // Fisher–Yates over the candidates for an unbiased, seeded choice.
  for (let i = isolated.length - 1; i > 0; i--) {
    const j = Math.floor(rng.random() * (i + 1));
    [isolated[i], isolated[j]] = [isolated[j], isolated[i]];
  }
  const n = Math.min(plan.count, isolated.length);
  let nextId = spots.reduce((m, s) => Math.max(m, s.spotId), 0) + 1;
  for (let i = 0; i < n; i++) {
    const p = isolated[i];
    const sep = plan.separationsPx[i % plan.separationsPx.length];
    const ratio = plan.ratios[Math.floor(i / plan.separationsPx.length) % plan.ratios.length];
    const ang = 2 * Math.PI * rng.random();
    const yPx = p.yPx + sep * Math.cos(ang), zPx = p.zPx + sep * Math.sin(ang);
    const ybc = p.yPx - p.rPx * Math.sin(p.etaDeg * DEG),
      zbc = p.zPx - p.rPx * Math.cos(p.etaDeg * DEG);
    const { rPx, etaDeg } = rEtaFromYZ(yPx, zPx, ybc, zbc);
    const partner: SceneSpot = {
      ...p,
      grainId: 0,
      spotId: nextId++,
      yPx,
      zPx,
      rPx,
      etaDeg,
      // Planted partners have no physical origin, hence no lab position.
      yLabUm: Number.NaN,
      zLabUm: Number.NaN,
      iMax: p.iMax / ratio,
      sigmaGEtaDeg: (p.sigmaGEtaDeg * p.rPx) / rPx,
      sigmaLEtaDeg: (p.sigmaLEtaDeg * p.rPx) / rPx,
      pairOf: p.spotId,
    };
    p.pairOf = partner.spotId;
    spots.push(partner);
  }
}

/**
 * MIDAS ForwardSim's scene (midas-formats §4.1): every spot `peakIntensity` high, Gaussian
 * σ = `gaussWidthPx`, no Lorentz part, all of it in the spot's own frame.
 */
export function midasScene(
  spots: readonly Spot[],
  peakIntensity = 5000,
  gaussWidthPx = 1,
): SceneSpot[] {
  return spots.map((s) => {
    const sigmaEtaDeg = gaussWidthPx / (s.rPx * DEG);
    const spot: SceneSpot = {
      ...s,
      iMax: peakIntensity,
      sigmaGRPx: gaussWidthPx,
      sigmaGEtaDeg: sigmaEtaDeg,
      sigmaLRPx: gaussWidthPx,
      sigmaLEtaDeg: sigmaEtaDeg,
      mu: 0,
      omegaSigmaDeg: 0,
      firstFrame: s.frame,
      frameWeights: Float64Array.of(1),
      intensity: 0,
      saturated: false,
      pairOf: 0,
    };
    spot.intensity = peakIntensity * pseudoVoigtArea(spot);
    return spot;
  });
}
