/**
 * Input preparation before the CNN (sr-midas-seed §5): nearest-neighbour upscale by an integer
 * factor f with every f×f block divided by f² (preserving the sum), then per-patch
 * max-normalization of channel 0.
 *
 * A zero maximum is replaced by 1 (as `sr_process` does) instead of producing NaN like sr-midas
 * training/predict, so an empty patch stays all-zero.
 *
 * @example
 * ```ts
 * import { prepareIntensity } from "./upscale.ts";
 * // two 2×2 patches → two 4×4 patches in [0, 1], max exactly 1
 * const x = prepareIntensity(new Float32Array([1, 2, 3, 4, 0, 0, 0, 5]), 2, 2, 2, 2);
 * ```
 * @module
 */

/** Nearest-neighbour upscale of [n, c, h, w] by `factor`, each value divided by factor². */
export function upscaleNearest(
  x: Float32Array,
  n: number,
  c: number,
  h: number,
  w: number,
  factor: number,
): Float32Array {
  if (!Number.isInteger(factor) || factor < 1) {
    throw new Error(`upscaleNearest: factor must be a positive integer, got ${factor}`);
  }
  if (x.length !== n * c * h * w) {
    throw new Error(`upscaleNearest: x has ${x.length} values, expected ${n}·${c}·${h}·${w}`);
  }
  const f2 = factor * factor;
  const wo = w * factor;
  const out = new Float32Array(x.length * f2);
  for (let p = 0; p < n * c; p++) {
    const ib = p * h * w;
    const ob = ib * f2;
    for (let y = 0; y < h * factor; y++) {
      const row = ib + Math.floor(y / factor) * w;
      const orow = ob + y * wo;
      for (let xx = 0; xx < wo; xx++) out[orow + xx] = x[row + Math.floor(xx / factor)] / f2;
    }
  }
  return out;
}

/**
 * Divides channel `channel` of every patch of [n, c, h, w] by its own maximum, in place.
 * A maximum ≤ 0 is treated as 1. Returns `x`.
 */
export function maxNormalize(
  x: Float32Array,
  n: number,
  c: number,
  h: number,
  w: number,
  channel = 0,
): Float32Array {
  const hw = h * w;
  for (let p = 0; p < n; p++) {
    const b = (p * c + channel) * hw;
    let m = -Infinity;
    for (let i = 0; i < hw; i++) if (x[b + i] > m) m = x[b + i];
    const s = m > 0 ? 1 / m : 1;
    for (let i = 0; i < hw; i++) x[b + i] *= s;
  }
  return x;
}

/** Single-channel intensity patches [n, h, w] → network input [n, 1, h·f, w·f] (§5). */
export function prepareIntensity(
  patches: Float32Array,
  n: number,
  h: number,
  w: number,
  factor: number,
): Float32Array {
  return maxNormalize(upscaleNearest(patches, n, 1, h, w, factor), n, 1, h * factor, w * factor);
}

/**
 * sr-midas §7.1 R/Eta input channels, in place on [n, c, h, w]: pixels where channel 0 is zero get
 * R = Eta = 0; then, per patch over the nonzero pixels only, R ← (R − min R)/(max R − min R) and
 * Eta ← (|Eta| − min|Eta|)/(max|Eta| − min|Eta|). Pass the channel index of each present grid
 * (e.g. `{ r: 1, eta: 2 }`, or only one of them; sr-midas crashes in that case, we do not).
 * A constant channel (max = min) becomes 0.
 */
export function normalizeGeometryChannels(
  x: Float32Array,
  n: number,
  c: number,
  h: number,
  w: number,
  channels: { r?: number; eta?: number },
): Float32Array {
  const hw = h * w;
  for (const [key, ch] of Object.entries(channels)) {
    if (ch === undefined) continue;
    if (!Number.isInteger(ch) || ch < 1 || ch >= c) {
      throw new Error(
        `normalizeGeometryChannels: channel ${key} must be an index in 1…${c - 1}, got ${ch}`,
      );
    }
    const abs = key === "eta";
    for (let p = 0; p < n; p++) {
      const i0 = p * c * hw;
      const b = (p * c + ch) * hw;
      let lo = Infinity, hi = -Infinity;
      for (let i = 0; i < hw; i++) {
        if (x[i0 + i] === 0) continue;
        const v = abs ? Math.abs(x[b + i]) : x[b + i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const span = hi - lo;
      for (let i = 0; i < hw; i++) {
        const v = abs ? Math.abs(x[b + i]) : x[b + i];
        x[b + i] = x[i0 + i] === 0 || !(span > 0) ? 0 : (v - lo) / span;
      }
    }
  }
  return x;
}
