import {
  boxSignificance,
  countVarianceModel,
  estimateNoise,
  isRealSpot,
  truncatedNormalMoments,
} from "./noise_filter.ts";
import { applyNoise, simulatorNoise } from "../synthesis/noise_model.ts";
import { Rng } from "../synthesis/noise.ts";
import { componentPixels, labelComponents } from "./components.ts";
import { addPseudoVoigt } from "../peaks/pseudo_voigt.ts";
import { assert, assertClose, gaussianRng, uniformRng } from "./test_util.ts";

Deno.test("truncatedNormalMoments: matches the closed form at k = 2.5", () => {
  const { mean, sd } = truncatedNormalMoments(2.5);
  assertClose(mean, 2.82274, 1e-4, "m_k (scipy truncnorm)");
  assertClose(sd, 0.29828, 1e-4, "s_k (scipy truncnorm)");
});

/** A 512² frame of N(μ, σ) noise with 36 spots of peak `peakSigma`·σ, σ ≈ 1.2 px, on a grid. */
function faintSpotFrame(peakSigma: number, seed: number) {
  const w = 512, h = 512, mu = 100, sigma = 10;
  const rnd = gaussianRng(seed), u = uniformRng(seed + 1);
  const frame = new Float64Array(w * h);
  for (let i = 0; i < frame.length; i++) frame[i] = mu + sigma * rnd();
  const uu = new Float64Array(w * h), vv = new Float64Array(w * h);
  for (let i = 0; i < w * h; i++) {
    uu[i] = i % w;
    vv[i] = Math.floor(i / w);
  }
  // Random sub-pixel offsets.
  const truth: [number, number][] = [];
  for (let a = 0; a < 6; a++) {
    for (let b = 0; b < 6; b++) {
      const c = 40 + 85 * a + u(), r = 40 + 85 * b + u();
      truth.push([r, c]);
      const p = {
        u0: c,
        v0: r,
        sigmaGU: 1.2,
        sigmaGV: 1.2,
        sigmaLU: 1,
        sigmaLV: 1,
        mu: 0,
        iMax: peakSigma * sigma,
      };
      // Only render near the spot: the shape is negligible beyond ±8 px.
      for (let dr = -8; dr <= 8; dr++) {
        const row = Math.round(r) + dr;
        const o = row * w + Math.round(c) - 8;
        addPseudoVoigt(
          frame.subarray(o, o + 17),
          uu.subarray(o, o + 17),
          vv.subarray(o, o + 17),
          p,
        );
      }
    }
  }
  return { frame, w, h, mu, sigma, truth };
}

/** Components of `frame` above `tSigma`·σ that the noise rule keeps: real spots and noise. */
function keptComponents(
  f: ReturnType<typeof faintSpotFrame>,
  tSigma: number,
  withBox: boolean,
) {
  const { frame, w, h, truth } = f;
  const noise = estimateNoise(frame);
  const t = noise.mean + tSigma * noise.sigma;
  const thr = frame.map((v) => (v >= t ? v : 0));
  const comp = labelComponents(thr, w, h);
  let keptNoise = 0;
  const found = new Set<number>();
  for (let k = 0; k < comp.count; k++) {
    const pix = componentPixels(comp, k);
    const vals = Float64Array.from(pix, (i) => thr[i]);
    const box = withBox ? () => boxSignificance(frame, w, h, pix, noise) : undefined;
    if (!isRealSpot(vals, { noise, threshold: t }, box)) continue;
    const row = Math.floor(comp.argmax[k] / w), col = comp.argmax[k] % w;
    const j = truth.findIndex(([r, c]) => Math.abs(r - row) <= 3 && Math.abs(c - col) <= 3);
    if (j >= 0) found.add(j);
    else keptNoise++;
  }
  return { noise, components: comp.count, found: found.size, keptNoise };
}

Deno.test("isRealSpot: rejects noise components at 2.5σ and keeps faint real spots", () => {
  const f = faintSpotFrame(7, 11);
  const r = keptComponents(f, 2.5, false);
  assertClose(r.noise.mean, f.mu, 0.5, "estimated μ");
  assertClose(r.noise.sigma, f.sigma, 0.5, "estimated σ");
  console.log(`components ${r.components}, kept ${r.found}/36 spots, kept noise ${r.keptNoise}`);
  assert(r.components > 1000, `expected > 1000 noise components, got ${r.components}`);
  assert(r.found >= 35, `kept ${r.found}/36 faint spots`);
  assert(r.keptNoise <= 1, `kept ${r.keptNoise} noise components`);
});

Deno.test("isRealSpot: the 3×3-box test keeps spots of peak 4σ that the brightest pixel misses", () => {
  let peakOnly = 0, withBox = 0, noiseKept = 0, components = 0;
  for (const seed of [21, 31, 41]) {
    const f = faintSpotFrame(4, seed);
    const a = keptComponents(f, 2, false), b = keptComponents(f, 2, true);
    peakOnly += a.found;
    withBox += b.found;
    noiseKept += b.keptNoise;
    components += b.components;
  }
  console.log(
    `of 108 spots: brightest pixel ${peakOnly}, with the box ${withBox}; ` +
      `noise kept ${noiseKept} of ${components} components`,
  );
  assert(components > 10000, `expected > 10000 noise components at 2σ, got ${components}`);
  // Measured: 21 and 92 of 108 (a box of a spot off the pixel grid gathers less).
  assert(peakOnly <= 35, `the 5σ pixel rule alone kept ${peakOnly}/108`);
  assert(withBox >= 85, `with the box ${withBox}/108`);
  assert(noiseKept <= 1, `kept ${noiseKept} noise components`);
});

Deno.test("boxSignificance: a 2σ plateau's 3×3 box is 6σ; a frame-edge box uses the pixels inside", () => {
  const frame = new Float64Array(25).fill(10);
  for (const i of [6, 7, 8, 11, 12, 13, 16, 17, 18]) frame[i] = 14;
  const noise = { mean: 10, sigma: 2 };
  assertClose(boxSignificance(frame, 5, 5, Int32Array.of(12), noise), 6, 1e-12, "centre");
  // Corner (0, 0): 4 pixels inside, one of them (6) on the plateau → 4/(2·√4) = 1.
  assertClose(boxSignificance(frame, 5, 5, Int32Array.of(0), noise), 1, 1e-12, "corner");
  // The best box over the component wins.
  assertClose(boxSignificance(frame, 5, 5, Int32Array.of(0, 12), noise), 6, 1e-12, "best");
});

Deno.test("countVarianceModel: a simulated background frame gives back the simulator's read noise", () => {
  const truth = simulatorNoise(); // background 2, gain 1, read σ 4 (+ rounding)
  const frame = applyNoise(new Float64Array(300 * 300), truth, new Rng(5));
  const m = countVarianceModel(estimateNoise(frame, { stride: 1 }));
  assert(m.gain === 1, `gain ${m.gain}`);
  // The MAD of integer counts is coarse: within 10 % of √(16 + 1/12).
  assertClose(m.readSigma, truth.readSigma, 0.1 * truth.readSigma, "readSigma");
  const sub = countVarianceModel({ mean: 10, sigma: 2 });
  assert(sub.readSigma === 0 && Math.abs(sub.gain - 0.4) < 1e-12, `sub-Poisson ${sub.gain}`);
});
