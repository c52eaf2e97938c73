/**
 * Frame-by-frame scan synthesis. Frames come out of a generator one at a time, each rendering only
 * the spots that touch it, so a 1440-frame 2048² scan never sits in memory.
 *
 * * `"realistic"`: pixel-integrated pseudo-Voigt spots spread over frames by their rocking curve;
 *   each pixel records `pedestal + Poisson(backgroundFlux + signal) + round(N(0, readSigma²))`,
 *   clipped to [0, saturationCounts]. Background-only pixels draw from a precomputed alias table.
 *   Dark frames: `pedestal + round(N(0, readSigma²))`.
 * * `"midas"`: MIDAS ForwardSim as it made the golden (midas-formats §5.2): σ px point-sampled
 *   Gaussians of height `iMax` in their single frame, the whole scan scaled so its brightest
 *   pixel is `midasMaxOutput`, truncated to uint16; no noise, no dark.
 *
 * Randomness: frame f uses the stream `Rng(seed, 1, f)`, dark frame k `Rng(seed, 2, k)`, so any
 * frame can be regenerated alone and the result does not depend on the consumer.
 *
 * @example
 * ```ts
 * import { simulateFrames } from "./frames.ts";
 * const opts = { nY: 32, nZ: 32, ybc: 16, zbc: 16, nFrames: 2, seed: 1, mode: "realistic" as const };
 * for (const frame of simulateFrames([], opts)) frame.length; // 1024 (uint16, pedestal + noise)
 * ```
 * @module
 */
import { addMidasGaussianSpot, addPatch, integratedSpotPatch, type SpotPatch } from "./render.ts";
import { backgroundSampler, poisson, Rng } from "./noise.ts";
import type { SceneSpot } from "./scene.ts";

/** Smallest peak height (counts) a spot must reach in a frame to be rendered there. */
export const MIN_FRAME_PEAK = 0.05;

/** Detector and noise model for frame synthesis. */
export interface FrameOptions {
  nY: number;
  nZ: number;
  ybc: number;
  zbc: number;
  nFrames: number;
  seed: number;
  mode: "realistic" | "midas";
  /** Realistic: dark offset in counts (default 100). */
  pedestal?: number;
  /** Realistic: flat X-ray background, counts per pixel per frame (default 2). */
  backgroundFlux?: number;
  /** Realistic: Gaussian read noise σ (default 4). */
  readSigma?: number;
  /** Realistic: detector saturation; pixels clip here (default 16383, 14-bit GE). */
  saturationCounts?: number;
  /** Realistic: Poisson + read noise on (default true); false gives the noiseless expectation. */
  noise?: boolean;
  /** Realistic: sub-samples per pixel side (default 4) and render box cap (default 15 px). */
  subsample?: number;
  maxHalfPx?: number;
  /** MIDAS: Gaussian σ px (GaussWidth, default 1) and the scan maximum (default 15000). */
  midasSigmaPx?: number;
  midasMaxOutput?: number;
  /**
   * MIDAS mode: the scan maximum to scale by, when it was computed over a longer scan than
   * this one (see `SimulationSetup.midasScaleFrames`); default: this scan's own maximum.
   */
  midasScanMax?: number;
}

/**
 * Spot indices per frame: a spot appears in every frame its rocking curve puts at least
 * `MIN_FRAME_PEAK` counts of peak height into (fainter slivers are invisible under read noise
 * and would dominate the rendering cost).
 */
export function spotsByFrame(
  spots: readonly SceneSpot[],
  nFrames: number,
  mode: FrameOptions["mode"],
) {
  const lists: number[][] = Array.from({ length: nFrames }, () => []);
  spots.forEach((s, i) => {
    if (mode === "midas") {
      if (s.frame >= 0 && s.frame < nFrames) lists[s.frame].push(i);
      return;
    }
    for (let k = 0; k < s.frameWeights.length; k++) {
      const f = s.firstFrame + k;
      if (f >= 0 && f < nFrames && s.frameWeights[k] * s.iMax >= MIN_FRAME_PEAK) lists[f].push(i);
    }
  });
  return lists;
}

/**
 * Adds the spots of frame f to `sig`. Realistic spots have the same shape in every frame they
 * touch (only the ω weight changes), so their patches are cached while the spot is live.
 */
function renderSignal(
  sig: Float64Array,
  spots: readonly SceneSpot[],
  idx: readonly number[],
  f: number,
  o: FrameOptions,
  cache?: Map<number, SpotPatch>,
): void {
  if (cache) {
    for (const i of cache.keys()) {
      const s = spots[i];
      if (f < s.firstFrame || f >= s.firstFrame + s.frameWeights.length) cache.delete(i);
    }
  }
  for (const i of idx) {
    const s = spots[i];
    if (o.mode === "midas") {
      addMidasGaussianSpot(sig, o.nY, o.nZ, s.yPx, s.zPx, o.midasSigmaPx ?? 1, s.iMax);
      continue;
    }
    let patch = cache?.get(i);
    if (!patch) {
      patch = integratedSpotPatch(o.nY, o.nZ, o.ybc, o.zbc, s, {
        subsample: o.subsample,
        maxHalfPx: o.maxHalfPx,
      });
      cache?.set(i, patch);
    }
    addPatch(sig, o.nY, patch, s.frameWeights[f - s.firstFrame]);
  }
}

/** Brightest pixel of the whole scan in MIDAS mode (the pre-pass ForwardSim's scaling needs). */
export function midasScanMax(spots: readonly SceneSpot[], o: FrameOptions): number {
  const lists = spotsByFrame(spots, o.nFrames, "midas");
  const sig = new Float64Array(o.nY * o.nZ);
  let max = 0;
  for (const idx of lists) {
    if (idx.length === 0) continue;
    const boxes = idx.map((i) =>
      addMidasGaussianSpot(
        sig,
        o.nY,
        o.nZ,
        spots[i].yPx,
        spots[i].zPx,
        o.midasSigmaPx ?? 1,
        spots[i].iMax,
      )
    );
    for (const b of boxes) {
      for (let z = b.z0; z <= b.z1; z++) {
        for (let y = b.y0; y <= b.y1; y++) {
          const k = z * o.nY + y;
          if (sig[k] > max) max = sig[k];
        }
      }
    }
    for (const b of boxes) {
      for (let z = b.z0; z <= b.z1; z++) sig.fill(0, z * o.nY + b.y0, z * o.nY + b.y1 + 1);
    }
  }
  return max;
}

/** Renders any single frame of the scan on demand (uint16, row-major nZ × nY). */
export interface FrameRenderer {
  readonly nFrames: number;
  frame(f: number): Uint16Array;
}

/**
 * Prepares the per-frame spot lists (and, in MIDAS mode, the scan maximum) once; each
 * `frame(f)` call then renders only the spots touching frame f.
 */
export function createFrameRenderer(spots: readonly SceneSpot[], o: FrameOptions): FrameRenderer {
  const n = o.nY * o.nZ;
  const lists = spotsByFrame(spots, o.nFrames, o.mode);
  const sig = new Float64Array(n);
  const check = (f: number) => {
    if (!(Number.isInteger(f) && f >= 0 && f < o.nFrames)) {
      throw new Error(`frame index ${f} outside 0 … ${o.nFrames - 1}`);
    }
  };
  if (o.mode === "midas") {
    const max = o.midasScanMax ?? midasScanMax(spots, o);
    const k = max > 0 ? (o.midasMaxOutput ?? 15000) / max : 0;
    return {
      nFrames: o.nFrames,
      frame(f) {
        check(f);
        sig.fill(0);
        renderSignal(sig, spots, lists[f], f, o);
        const out = new Uint16Array(n);
        for (let i = 0; i < n; i++) out[i] = Math.min(65535, Math.trunc(sig[i] * k));
        return out;
      },
    };
  }
  const ped = o.pedestal ?? 100, bg = o.backgroundFlux ?? 2, read = o.readSigma ?? 4;
  const satMax = Math.min(65535, o.saturationCounts ?? 16383);
  const noise = o.noise ?? true;
  const table = noise ? backgroundSampler(bg, read) : undefined;
  const cache = new Map<number, SpotPatch>();
  return {
    nFrames: o.nFrames,
    frame(f) {
      check(f);
      sig.fill(0);
      renderSignal(sig, spots, lists[f], f, o, cache);
      const rng = new Rng(o.seed, 1, f);
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) {
        const s = sig[i];
        let v: number;
        if (!noise) v = Math.round(ped + bg + s);
        else if (s === 0) v = ped + table!.sample(rng);
        else v = ped + poisson(rng, bg + s) + Math.round(rng.normal(0, read));
        out[i] = v < 0 ? 0 : v > satMax ? satMax : v;
      }
      return out;
    },
  };
}

/** Yields the scan's frames in order, one at a time (uint16, row-major nZ × nY). */
export function* simulateFrames(
  spots: readonly SceneSpot[],
  o: FrameOptions,
): Generator<Uint16Array> {
  const r = createFrameRenderer(spots, o);
  for (let f = 0; f < o.nFrames; f++) yield r.frame(f);
}

/** `count` dark frames stacked (count × nZ × nY): pedestal + rounded read noise. */
export function darkFrames(count: number, o: FrameOptions): Uint16Array {
  const n = o.nY * o.nZ;
  const out = new Uint16Array(count * n);
  const ped = o.pedestal ?? 100;
  const noise = o.noise ?? true;
  const table = noise ? backgroundSampler(0, o.readSigma ?? 4) : undefined;
  for (let k = 0; k < count; k++) {
    const rng = new Rng(o.seed, 2, k);
    for (let i = 0; i < n; i++) out[k * n + i] = Math.max(0, ped + (table ? table.sample(rng) : 0));
  }
  return out;
}
