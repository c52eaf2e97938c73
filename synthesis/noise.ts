/**
 * Counting-statistics samplers for detector frames: Poisson (exact, any λ), and a precomputed
 * alias table for the integer distribution `round(Poisson(λ) + Normal(0, σ²))` of a pixel that
 * sees only flat background and read noise — one uniform draw per pixel, so a 2048² frame's
 * background costs a few milliseconds.
 *
 * The generator is the project's seeded {@link Rng} (patchstore/rng.ts, sfc32 + splitmix32).
 *
 * @example
 * ```ts
 * import { Rng } from "../patchstore/rng.ts";
 * import { poisson, backgroundSampler } from "./noise.ts";
 * const rng = new Rng(42);
 * poisson(rng, 3.5); // an integer ≥ 0
 * const bg = backgroundSampler(2, 4); // Poisson(2) + N(0, 4²), rounded
 * bg.sample(rng); // an integer, mean 2
 * ```
 * @module
 */
export { Rng } from "../patchstore/rng.ts";

/** What the samplers need from a generator. */
export interface RandomSource {
  /** Uniform in [0, 1). */
  random(): number;
  /** Normal(mean, sd²). */
  normal(mean?: number, sd?: number): number;
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** log(k!) via Stirling's series (exact table below 10). */
function logFactorial(k: number): number {
  if (k < 10) {
    let f = 1;
    for (let i = 2; i <= k; i++) f *= i;
    return Math.log(f);
  }
  const k1 = k + 1;
  return (k1 - 0.5) * Math.log(k1) - k1 + LOG_SQRT_2PI + 1 / (12 * k1) - 1 / (360 * k1 ** 3);
}

/**
 * Poisson(λ) sample. λ < 10: multiplication method; otherwise Hörmann's PTRS transformed
 * rejection (exact, ~1.2 uniforms pairs per draw).
 */
export function poisson(rng: RandomSource, lambda: number): number {
  if (!(lambda > 0)) return 0;
  if (lambda < 10) {
    const l = Math.exp(-lambda);
    let k = 0, p = rng.random();
    while (p > l) {
      k++;
      p *= rng.random();
    }
    return k;
  }
  const slam = Math.sqrt(lambda), loglam = Math.log(lambda);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rng.random() - 0.5;
    const v = rng.random();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor((2 * a / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (
      Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <=
        -lambda + k * loglam - logFactorial(k)
    ) return k;
  }
}

/** Walker/Vose alias table over the integers `offset … offset + n − 1`. */
export class AliasSampler {
  readonly offset: number;
  #prob: Float64Array;
  #alias: Int32Array;

  /** `weights[i]` is the (unnormalised) probability of `offset + i`. */
  constructor(weights: ArrayLike<number>, offset = 0) {
    const n = weights.length;
    if (n === 0) throw new Error("AliasSampler: empty weight list");
    let sum = 0;
    for (let i = 0; i < n; i++) sum += weights[i];
    if (!(sum > 0)) throw new Error("AliasSampler: weights must sum to > 0");
    this.offset = offset;
    this.#prob = new Float64Array(n);
    this.#alias = new Int32Array(n);
    const scaled = Float64Array.from(weights, (w) => (w * n) / sum);
    const small: number[] = [], large: number[] = [];
    scaled.forEach((p, i) => (p < 1 ? small : large).push(i));
    while (small.length && large.length) {
      const s = small.pop()!, l = large.pop()!;
      this.#prob[s] = scaled[s];
      this.#alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1;
      (scaled[l] < 1 ? small : large).push(l);
    }
    for (const i of [...small, ...large]) this.#prob[i] = 1;
  }

  /** One draw (a single uniform). */
  sample(rng: RandomSource): number {
    const x = rng.random() * this.#prob.length;
    const i = Math.floor(x);
    return this.offset + (x - i < this.#prob[i] ? i : this.#alias[i]);
  }
}

/** Standard normal CDF Φ(x). */
export function normalCdf(x: number): number {
  // Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7: ample for a noise table.
  const t = 1 / (1 + 0.3275911 * Math.abs(x) / Math.SQRT2);
  const y = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 +
                    t * 1.061405429)))) *
      Math.exp(-(x * x) / 2);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/**
 * Alias table of `round(Poisson(lambda) + Normal(0, readSigma²))`, the integer value a
 * background-only pixel records above its pedestal.
 */
export function backgroundSampler(lambda: number, readSigma: number): AliasSampler {
  const pMax = Math.ceil(lambda + 10 * Math.sqrt(lambda) + 10);
  const pois = new Float64Array(pMax + 1);
  for (let j = 0; j <= pMax; j++) {
    pois[j] = lambda > 0 ? Math.exp(-lambda + j * Math.log(lambda) - logFactorial(j)) : +(j === 0);
  }
  if (!(readSigma > 0)) return new AliasSampler(pois, 0);
  const lo = -Math.ceil(8 * readSigma), hi = pMax + Math.ceil(8 * readSigma);
  const w = new Float64Array(hi - lo + 1);
  for (let k = lo; k <= hi; k++) {
    let s = 0;
    for (let j = 0; j <= pMax; j++) {
      if (pois[j] < 1e-300) continue;
      s += pois[j] * (normalCdf((k - j + 0.5) / readSigma) - normalCdf((k - j - 0.5) / readSigma));
    }
    w[k - lo] = s;
  }
  return new AliasSampler(w, lo);
}
