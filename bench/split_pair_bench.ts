/**
 * Accuracy bench of the re-fit's model selection alone (issue #12): does `selectPeakCount` with
 * the split search resolve a close pair from the one seed its single maximum gives, and keep a
 * single spot as one? Outside the pipeline, so a change to `fitting/model_select.ts` can be
 * judged in seconds before a scan:
 *
 * - pairs of the simulator's pixel-integrated pseudo-Voigt spots in a 20² window (background 8
 *   counts, read noise 4, Poisson), two shapes (σ ≈ 1–1.4 px and 1.6–1.9 px), separations 1 /
 *   1.5 / 2 / 2.5 / 3 px in a random direction, ratios 1 / 3 / 6, the brighter spot at 400 /
 *   1,500 / 6,000 counts, `draws` noise draws each; only the pixels over a 5σ threshold are
 *   fitted, seeded at the brightest one;
 * - single spots of 100–20,000 counts, 3·`draws` draws per shape and height, for false splits.
 *
 * A pair is resolved when each spot has a peak within 0.5 px. Deterministic (seeded noise).
 *
 * Run: `deno run -A bench/split_pair_bench.ts [draws=4] [--min-gain 10]` (`--min-gain`: the split
 * margin, SR config `refine_split_min_gain`).
 * @module
 */
import { addPatch, integratedSpotPatch, type SpotShape, spotShapeAt } from "../synthesis/render.ts";
import { poisson, Rng } from "../synthesis/noise.ts";
import { pixelREta } from "../fitting/native_search.ts";
import { selectPeakCount } from "../fitting/model_select.ts";
import { BIC_FTOL_REL, MIN_SPOT_SIGMA_PX } from "../process/sr_peaks.ts";

const N = 20, Y0 = 1500, Z0 = 1000, YBC = 1022, ZBC = 1022, BG = 8, READ = 4;
const NOISE = { gain: 1, readSigma: Math.sqrt(READ * READ + 1 / 12) };
const THRESHOLD = 5 * Math.sqrt(BG + READ * READ);
const SHAPES = [
  { gR: 1, gArc: 1.4, lR: 1.2, lArc: 1.6, mu: 0.15 },
  { gR: 1.6, gArc: 1.5, lR: 1.9, lArc: 1.8, mu: 0.3 },
];
const SEPARATIONS_PX = [1, 1.5, 2, 2.5, 3], RATIOS = [1, 3, 6], HEIGHTS = [400, 1500, 6000];

const args = Deno.args.filter((a) => !a.startsWith("--"));
const draws = Number(args[0] ?? 4);
const gainAt = Deno.args.indexOf("--min-gain");
const minGain = gainAt >= 0 ? Number(Deno.args[gainAt + 1]) : 10;

const shapeAt = (y: number, z: number, iMax: number, k: number): SpotShape =>
  spotShapeAt(y, z, iMax, { ybc: YBC, zbc: ZBC }, SHAPES[k]);

/** The thresholded pixels of a noisy window holding `spots`, and the seed at its brightest. */
function thresholdedRegion(spots: SpotShape[], seed: number) {
  const signal = new Float64Array(N * N);
  for (const s of spots) {
    const local = { ...s, yPx: s.yPx - Y0, zPx: s.zPx - Z0 };
    addPatch(signal, N, integratedSpotPatch(N, N, YBC - Y0, ZBC - Z0, local));
  }
  const rng = new Rng(seed, 7);
  const r: number[] = [], eta: number[] = [], value: number[] = [];
  for (let i = 0; i < N * N; i++) {
    const v = poisson(rng, BG + signal[i]) + Math.round(rng.normal(0, READ)) - BG;
    if (v <= THRESHOLD) continue;
    const [pr, pe] = pixelREta(Y0 + (i % N), Z0 + Math.floor(i / N), YBC, ZBC);
    r.push(pr);
    eta.push(pe);
    value.push(v);
  }
  let top = 0;
  for (let i = 1; i < value.length; i++) if (value[i] > value[top]) top = i;
  const px = {
    r: Float64Array.from(r),
    eta: Float64Array.from(eta),
    value: Float64Array.from(value),
  };
  return { px, seed: { r: r[top], eta: eta[top], value: value[top] } };
}

/** Peaks of the model selection from the one seed, as the pipeline's re-fit runs it. */
function peaksOf(spots: SpotShape[], seed: number) {
  const { px, seed: s } = thresholdedRegion(spots, seed);
  if (px.value.length < 9) return null;
  const c = selectPeakCount(px, [s], {
    threshold: THRESHOLD,
    noise: NOISE,
    minSigmaPx: MIN_SPOT_SIGMA_PX,
    ftolRel: BIC_FTOL_REL,
    split: { minGain },
  });
  return c?.fit.peaks ?? [];
}

const hasPeakNear = (peaks: { r: number; eta: number }[], t: SpotShape) => {
  const [tr, te] = pixelREta(t.yPx, t.zPx, YBC, ZBC);
  return peaks.some((p) => Math.hypot(p.r - tr, p.r * (p.eta - te) * Math.PI / 180) < 0.5);
};

const t0 = performance.now();
const bySeparation = new Map(SEPARATIONS_PX.map((s) => [s, { resolved: 0, pairs: 0 }]));
let overSplit = 0;
for (const [k] of SHAPES.entries()) {
  for (const sep of SEPARATIONS_PX) {
    for (const ratio of RATIOS) {
      for (const height of HEIGHTS) {
        for (let d = 0; d < draws; d++) {
          const seed = 1000 * k + 100 * sep + 10 * ratio + height + d;
          const rng = new Rng(seed, 11);
          const dir = rng.random() * 2 * Math.PI;
          const a = shapeAt(1509.3 + 0.3 * rng.random(), 1009.6 + 0.3 * rng.random(), height, k);
          const b = shapeAt(
            a.yPx + sep * Math.cos(dir),
            a.zPx + sep * Math.sin(dir),
            height / ratio,
            k,
          );
          const peaks = peaksOf([a, b], seed);
          if (!peaks) continue;
          const bin = bySeparation.get(sep)!;
          bin.pairs++;
          if (hasPeakNear(peaks, a) && hasPeakNear(peaks, b)) bin.resolved++;
          if (peaks.length > 2) overSplit++;
        }
      }
    }
  }
}
let singles = 0, keptOne = 0;
for (const [k] of SHAPES.entries()) {
  for (const height of [100, 400, 1500, 6000, 20000]) {
    for (let d = 0; d < 3 * draws; d++) {
      const seed = 77000 + 1000 * k + height + d, rng = new Rng(seed, 11);
      const a = shapeAt(1509.3 + 0.3 * rng.random(), 1009.6 + 0.3 * rng.random(), height, k);
      const peaks = peaksOf([a], seed);
      if (!peaks) continue;
      singles++;
      if (peaks.length === 1) keptOne++;
    }
  }
}
const bins = [...bySeparation.values()];
const resolved = bins.reduce((n, b) => n + b.resolved, 0),
  pairs = bins.reduce((n, b) => n + b.pairs, 0);
console.log(`split margin (minGain) ${minGain}, ${draws} draws`);
console.log(
  `pairs resolved ${resolved} / ${pairs}; by separation ${SEPARATIONS_PX.join(" / ")} px: ` +
    bins.map((b) => `${b.resolved}/${b.pairs}`).join(" "),
);
console.log(
  `pair fits with > 2 peaks ${overSplit}; single spots kept as one ${keptOne} / ${singles}`,
);
console.log(`${((performance.now() - t0) / 1000).toFixed(1)} s`);
