/**
 * Noise-robust regional maxima of one component (issue #6). On a noisy frame every real spot
 * carries many strict 8-neighbour maxima (noise bumps on its flanks and in the threshold
 * fringe); MIDAS fits each as a peak. This keeps only maxima that stand out from the noise:
 *
 * 1. Optionally (`smooth`, off by default) **smooth** the corrected frame with a 3×3 binomial
 *    kernel ([1 2 1]ᵀ[1 2 1]/16); white noise shrinks to 0.375σ, but pairs of σ ≈ 1 px spots
 *    3 px apart then merge, so the default tests raw values.
 * 2. **Prominence**: flood the region from its brightest smoothed pixel down (union-find over
 *    8-connected region pixels). When two basins meet at a saddle value `s`, the one with the
 *    lower summit `p` ends; its prominence is `p − s`. The highest summit never ends and is
 *    always kept.
 * 3. **Keep** a summit when `p − s ≥ k · f · √(σ² + gain·max(0, p − μ))` (k = 3; f = 1, or 0.375
 *    when smoothed): the pixel noise at the summit, with the Poisson variance of its excess
 *    counts (`gain` counts per photon, 1 for counting detectors and the simulator) on top of the
 *    background σ. Flank and fringe bumps of a real spot have prominence ≈ 1–2σ; a second spot
 *    3 px from an equal one stands ≈ 0.3·IMax above the saddle.
 *
 * The caller fits raw values seeded at the kept summits.
 *
 * @example
 * ```ts
 * import { prominentMaxima } from "./prominent_maxima.ts";
 * const w = 5, frame = new Float64Array(25);
 * frame[12] = 100; frame[11] = 60; frame[13] = 60; frame[7] = 60; frame[17] = 60;
 * const pix = Int32Array.from([6, 7, 8, 11, 12, 13, 16, 17, 18]);
 * prominentMaxima(frame, w, 5, pix, { noise: { mean: 0, sigma: 2 } }); // [4]: index into pix
 * ```
 * @module
 */
import type { NoiseModel } from "./noise_filter.ts";

/** Options of {@link prominentMaxima}. */
export interface ProminenceRule {
  /** Background level and σ of the frame (`estimateNoise`). */
  noise: NoiseModel;
  /** Required prominence in units of the smoothed local noise; default 3. */
  k?: number;
  /** Counts per photon for the Poisson term; default 1 (0 = background σ only). */
  gain?: number;
  /** Smooth with the 3×3 binomial kernel first; default false (it merges pairs 3 px apart). */
  smooth?: boolean;
  /** At most this many summits, the most prominent first; default ∞. */
  maxPeaks?: number;
}

/** σ of 3×3 binomial-smoothed white noise relative to the raw σ: √Σw² = 6/16. */
export const BINOMIAL3_NOISE_FACTOR = 0.375;

const W1 = [1, 2, 1];

/** 3×3 binomial smoothing of `frame` at the given flat indices (edge-clamped). */
export function smoothAt(
  frame: ArrayLike<number>,
  width: number,
  height: number,
  pix: Int32Array,
): Float64Array {
  const out = new Float64Array(pix.length);
  for (let k = 0; k < pix.length; k++) {
    const r = (pix[k] / width) | 0, c = pix[k] - r * width;
    let s = 0;
    for (let dr = -1; dr <= 1; dr++) {
      const rr = Math.min(height - 1, Math.max(0, r + dr));
      for (let dc = -1; dc <= 1; dc++) {
        const cc = Math.min(width - 1, Math.max(0, c + dc));
        s += W1[dr + 1] * W1[dc + 1] * frame[rr * width + cc];
      }
    }
    out[k] = s / 16;
  }
  return out;
}

/**
 * Summits of a region that pass the prominence rule (module doc): indices into `pix`, the
 * highest summit first, then by decreasing prominence.
 */
export function prominentMaxima(
  frame: ArrayLike<number>,
  width: number,
  height: number,
  pix: Int32Array,
  rule: ProminenceRule,
): number[] {
  const n = pix.length;
  if (n === 0) return [];
  const v = rule.smooth ?? false ? smoothAt(frame, width, height, pix) : Float64Array.from(
    pix,
    (i) => frame[i],
  );
  const k = rule.k ?? 3, gain = rule.gain ?? 1;
  const { mean, sigma } = rule.noise;
  const factor = (rule.smooth ?? false) ? BINOMIAL3_NOISE_FACTOR : 1;
  const need = (p: number) => k * factor * Math.sqrt(sigma * sigma + gain * Math.max(0, p - mean));

  // Region-local index of each flat pixel (hash map: regions are small, frames large).
  const local = new Map<number, number>();
  for (let j = 0; j < n; j++) local.set(pix[j], j);
  const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => v[b] - v[a] || a - b);
  const parent = new Int32Array(n).fill(-1); // -1 = not yet flooded
  const summit = new Int32Array(n); // per root: its basin's summit
  const find = (x: number) => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]];
    return x;
  };
  const kept: { j: number; prom: number }[] = [];
  for (const j of order) {
    parent[j] = j;
    summit[j] = j;
    const r = (pix[j] / width) | 0, c = pix[j] - r * width;
    for (let dr = -1; dr <= 1; dr++) {
      const rr = r + dr;
      if (rr < 0 || rr >= height) continue;
      for (let dc = -1; dc <= 1; dc++) {
        const cc = c + dc;
        if ((dr === 0 && dc === 0) || cc < 0 || cc >= width) continue;
        const q = local.get(rr * width + cc);
        if (q === undefined || parent[q] < 0) continue;
        const a = find(j), b = find(q);
        if (a === b) continue;
        // The lower summit's basin ends at this saddle (value v[j]).
        const [hi, lo] = v[summit[a]] >= v[summit[b]] ? [a, b] : [b, a];
        const p = v[summit[lo]];
        if (p - v[j] >= need(p)) kept.push({ j: summit[lo], prom: p - v[j] });
        parent[lo] = hi;
      }
    }
  }
  const top = summit[find(order[0])];
  kept.sort((x, y) => y.prom - x.prom);
  const out = [top, ...kept.map((x) => x.j)];
  if (rule.maxPeaks !== undefined && out.length > rule.maxPeaks) out.length = rule.maxPeaks;
  return out;
}
