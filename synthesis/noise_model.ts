/**
 * The detector's noise as a model: measured from a frame's background pixels, applied to
 * noise-free patches (issue #12: training data that looks like the detector).
 *
 * Model, in counts above the pedestal: a pixel with expected value μ (flat background included)
 * records `gain·Poisson(μ/gain) + ε`, ε the signal-independent noise (read noise and the
 * rounding to integers, variance readSigma²), so `var = gain·μ + readSigma²` — the simulator's
 * noise (synthesis/frames.ts) with gain 1 and readSigma² = σ_read² + 1/12.
 *
 * Measuring it ({@link measureBackground}, {@link fitNoiseModel}): background pixels are those
 * away from spots and rings: pixels above median + `clipSigma`·σ (σ from the MAD) are masked,
 * with `dilatePx` around them (defaults 4σ and 8 px); the mean and variance of the rest give the background and the
 * total variance. Dark frames (pedestal + read noise only) give readSigma² directly and then
 * gain = (var − readSigma²)/mean; without dark frames one level cannot separate gain from read
 * noise, so gain is taken as 1 (photon-counting units, as the simulator). At a low background
 * under read noise the gain is poorly pinned (σ_gain ≈ √(2/n)·var/mean from n pixels), while
 * the total variance, what fits and bounds use, is measured to ≈ √(2/n).
 *
 * @example
 * ```ts
 * import { applyNoise, fitNoiseModel } from "./noise_model.ts";
 * import { Rng } from "./noise.ts";
 * const model = fitNoiseModel({ mean: 2, variance: 18.08, n: 1e5 }, { mean: 0, variance: 16.08, n: 1e5 });
 * model.gain; // ≈ 1
 * const noisy = applyNoise(new Float64Array(64), model, new Rng(1)); // background + noise
 * ```
 * @module
 */
import { poisson, type RandomSource } from "./noise.ts";

/**
 * Detector noise in counts above the pedestal: a pixel with expected value μ (background
 * included) has variance `gain·μ + readSigma²`.
 */
export interface NoiseModel {
  /** Flat background, counts per pixel per frame. */
  background: number;
  /** Counts per detected photon (1 for the simulator). */
  gain: number;
  /** σ of the signal-independent noise (read noise, with the rounding's 1/12 folded in). */
  readSigma: number;
}

/** Variance of a pixel whose expected value (background included) is `mu`. */
export function pixelVariance(mu: number, n: Pick<NoiseModel, "gain" | "readSigma">): number {
  return n.gain * Math.max(mu, 0) + n.readSigma * n.readSigma;
}

/**
 * The simulator's noise (synthesis/frames.ts, realistic mode) as a {@link NoiseModel}: Poisson
 * counts (gain 1) on `backgroundFlux`, plus rounded N(0, readSigma²) read noise (variance
 * readSigma² + 1/12). Defaults are the frame renderer's (background 2, read σ 4).
 */
export function simulatorNoise(
  o: { backgroundFlux?: number; readSigma?: number } = {},
): NoiseModel {
  const read = o.readSigma ?? 4;
  return { background: o.backgroundFlux ?? 2, gain: 1, readSigma: Math.sqrt(read * read + 1 / 12) };
}

/** Mean and variance of a set of background pixels. */
export interface BackgroundStats {
  mean: number;
  variance: number;
  /** Pixels used. */
  n: number;
}

/** Options of {@link measureBackground}. */
export interface BackgroundOptions {
  /** Subtracted first: a scalar pedestal or a per-pixel dark mean (default 0). */
  pedestal?: number | ArrayLike<number>;
  /** Pixels above median + clipSigma·σ_MAD are signal (default 4). */
  clipSigma?: number;
  /** Signal pixels mask this many pixels around them too (default 8: Lorentz wings reach far). */
  dilatePx?: number;
}

/** Median of a copy of `v` (NaN when empty). */
function median(v: Float64Array): number {
  if (v.length === 0) return NaN;
  const s = v.slice().sort();
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/**
 * Background statistics of one frame (row-major nZ × nY): mean and variance of the pixels
 * left after masking spots and rings (see module doc). Throws when no pixel is left.
 */
export function measureBackground(
  frame: ArrayLike<number>,
  nY: number,
  nZ: number,
  o: BackgroundOptions = {},
): BackgroundStats {
  const n = nY * nZ;
  if (frame.length !== n) {
    throw new Error(`measureBackground: frame has ${frame.length} values, expected ${nY}×${nZ}`);
  }
  const ped = o.pedestal ?? 0;
  if (typeof ped !== "number" && ped.length !== n) {
    throw new Error(`measureBackground: pedestal has ${ped.length} values, expected ${n}`);
  }
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = frame[i] - (typeof ped === "number" ? ped : ped[i]);
  const med = median(v);
  const dev = v.map((x) => Math.abs(x - med));
  const sigma = 1.4826 * median(dev);
  const cut = med + (o.clipSigma ?? 4) * Math.max(sigma, 1e-12);
  const d = o.dilatePx ?? 8;
  const masked = new Uint8Array(n);
  for (let z = 0; z < nZ; z++) {
    for (let y = 0; y < nY; y++) {
      if (!(v[z * nY + y] > cut)) continue;
      for (let zz = Math.max(0, z - d); zz <= Math.min(nZ - 1, z + d); zz++) {
        masked.fill(1, zz * nY + Math.max(0, y - d), zz * nY + Math.min(nY - 1, y + d) + 1);
      }
    }
  }
  let k = 0, sum = 0;
  for (let i = 0; i < n; i++) {
    if (masked[i]) continue;
    k++;
    sum += v[i];
  }
  if (k < 2) throw new Error("measureBackground: no background pixels left after masking");
  const mean = sum / k;
  let ss = 0;
  for (let i = 0; i < n; i++) if (!masked[i]) ss += (v[i] - mean) ** 2;
  return { mean, variance: ss / (k - 1), n: k };
}

/**
 * The noise model of a frame's background statistics, and of dark-frame statistics when there
 * are dark frames (readSigma² = their variance, gain = (var − readSigma²)/mean); without them
 * gain is 1 and readSigma² = var − mean. Throws on statistics no model can produce.
 */
export function fitNoiseModel(frame: BackgroundStats, dark?: BackgroundStats): NoiseModel {
  const background = frame.mean;
  let gain = 1, read2: number;
  if (dark) {
    read2 = dark.variance;
    if (background > 0) gain = (frame.variance - read2) / background;
  } else read2 = frame.variance - background;
  if (!(gain > 0) || !(read2 >= 0)) {
    throw new Error(
      `fitNoiseModel: background mean ${frame.mean.toFixed(3)}, variance ` +
        `${frame.variance.toFixed(3)}${dark ? `, dark variance ${dark.variance.toFixed(3)}` : ""}` +
        " fit no gain > 0 with read variance ≥ 0",
    );
  }
  return { background, gain, readSigma: Math.sqrt(read2) };
}

/**
 * A noisy copy of a noise-free patch (expected signal above the background, counts): each pixel
 * becomes `round(gain·Poisson((background + s)/gain) + N(0, readSigma² − 1/12))`, the integer a
 * detector records above its pedestal (the rounding supplies the 1/12 the model folds into
 * readSigma²). Deterministic in `rng`.
 */
export function applyNoise(
  expected: ArrayLike<number>,
  model: NoiseModel,
  rng: RandomSource,
): Float64Array {
  const { background, gain } = model;
  const read = Math.sqrt(Math.max(0, model.readSigma ** 2 - 1 / 12));
  const out = new Float64Array(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const mu = Math.max(0, background + expected[i]);
    out[i] = Math.round(gain * poisson(rng, mu / gain) + (read > 0 ? rng.normal(0, read) : 0));
  }
  return out;
}

/**
 * A scan's noise model from one frame and its dark frames (`darks`: n stacked nZ × nY frames,
 * n ≥ 2). The read noise comes from the difference of two darks (var(d₀ − d₁)/2, free of any
 * fixed pedestal pattern); the frame's background is measured above the mean dark, whose own
 * noise (readSigma²/n per pixel) is taken back out of the frame's variance.
 */
export function noiseModelFromScan(
  frame: ArrayLike<number>,
  nY: number,
  nZ: number,
  darks: { n: number; data: ArrayLike<number> },
  o: Omit<BackgroundOptions, "pedestal"> = {},
): NoiseModel {
  const npx = nY * nZ;
  if (darks.n < 2 || darks.data.length !== darks.n * npx) {
    throw new Error(
      `noiseModelFromScan: need ≥ 2 dark frames of ${nY}×${nZ}, got ${darks.data.length} values`,
    );
  }
  const diff = new Float64Array(npx), mean = new Float64Array(npx);
  for (let p = 0; p < npx; p++) diff[p] = (darks.data[p] - darks.data[npx + p]) / Math.SQRT2;
  for (let k = 0; k < darks.n; k++) {
    for (let p = 0; p < npx; p++) mean[p] += darks.data[k * npx + p] / darks.n;
  }
  const dark = measureBackground(diff, nY, nZ, o);
  const bg = measureBackground(frame, nY, nZ, { ...o, pedestal: mean });
  return fitNoiseModel({ ...bg, variance: bg.variance - dark.variance / darks.n }, dark);
}
