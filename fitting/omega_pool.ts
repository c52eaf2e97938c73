/**
 * Counts summed over neighbouring frames (ω). A far-field spot spreads over its rocking curve,
 * 2–3 frames of 0.25° for most grains, so frame f holds only part of its counts: summing the
 * same pixels of frames f ± 1 where they hold the spot too gives the model selection 2.4–2.6×
 * the counts (median, issue #12's acceptance scan), and a pair whose second spot buys too little
 * χ² in one frame becomes detectable. Realistic spots keep their shape across the frames they
 * touch (only the ω weight changes), so the sum holds the same spots; the frame's own heights
 * are then re-fitted with the sum's centres and shapes ({@link refitHeights}).
 *
 * @example
 * ```ts
 * import { poolNeighbourFrames } from "./omega_pool.ts";
 * const here = Float64Array.of(10, 20, 10), own = Uint8Array.of(1, 1, 1);
 * const { value, frames } = poolNeighbourFrames(here, own, [Float64Array.of(8, 16, 8)]);
 * frames; // 2
 * value[1]; // 36
 * ```
 * @module
 */
import { levenbergMarquardt } from "./levenberg_marquardt.ts";
import { regionModel } from "./model_select.ts";
import type { RegionFit, RegionPixels } from "./pv_fit.ts";

/** A region's counts summed over frames, and how many frames the sum holds. */
export interface PooledCounts {
  value: Float64Array;
  frames: number;
}

/**
 * Frame f's counts `here` plus the neighbouring frames' counts on the same pixels, added
 * brightest first (by their sum over the `own` pixels, the component's) while each raises the
 * background-limited SNR of the sum, `signal / √frames`: a neighbour adds its read and
 * background noise, so one where the spot has faded would dilute it. Pure.
 */
export function poolNeighbourFrames(
  here: ArrayLike<number>,
  own: ArrayLike<number>,
  neighbours: readonly ArrayLike<number>[],
): PooledCounts {
  const m = here.length;
  const sumOwn = (v: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < m; i++) if (own[i]) s += v[i];
    return s;
  };
  for (const v of neighbours) {
    if (v.length !== m) {
      throw new Error(`poolNeighbourFrames: a neighbour has ${v.length} values, expected ${m}`);
    }
  }
  const value = Float64Array.from(here);
  let signal = sumOwn(here), frames = 1;
  const ranked = neighbours.map((v) => ({ v, s: sumOwn(v) })).sort((a, b) => b.s - a.s);
  for (const { v, s } of ranked) {
    if (!((signal + s) / Math.sqrt(frames + 1) > signal / Math.sqrt(frames))) break;
    for (let i = 0; i < m; i++) value[i] += v[i];
    signal += s;
    frames++;
  }
  return { value, frames };
}

/**
 * Background and per-peak heights (IMax ≥ 0) of `fit`'s peaks on other counts of the same
 * pixels, centres and shapes held: ordinary least squares on unit-height peaks plus a flat
 * background. Used to carry a fit of summed frames back to one frame. Pure.
 */
export function refitHeights(
  px: RegionPixels,
  fit: RegionFit,
  value: ArrayLike<number>,
): { bg: number; iMax: Float64Array } {
  const m = px.value.length, k = fit.peaks.length + 1;
  const cols = [
    new Float64Array(m).fill(1),
    ...fit.peaks.map((p) => regionModel(px, { ...fit, bg: 0, peaks: [{ ...p, iMax: 1 }] })),
  ];
  const res = levenbergMarquardt(
    {
      nParams: k,
      nResiduals: m,
      evaluate(x, r, jac) {
        for (let i = 0; i < m; i++) {
          let mu = 0;
          for (let a = 0; a < k; a++) {
            mu += x[a] * cols[a][i];
            if (jac) jac[a * m + i] = cols[a][i];
          }
          r[i] = mu - value[i];
        }
      },
    },
    [0, ...fit.peaks.map((p) => p.iMax)],
    {
      lower: [-Infinity, ...fit.peaks.map(() => 0)],
      upper: [Infinity, ...fit.peaks.map(() => Infinity)],
      maxIter: 20,
    },
  );
  return { bg: res.x[0], iMax: Float64Array.from(res.x.subarray(1)) };
}
