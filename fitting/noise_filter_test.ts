import {
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

Deno.test("isRealSpot: rejects noise components at 2.5σ and keeps faint real spots", () => {
  const w = 512, h = 512, mu = 100, sigma = 10;
  const rnd = gaussianRng(11), u = uniformRng(12);
  const frame = new Float64Array(w * h);
  for (let i = 0; i < frame.length; i++) frame[i] = mu + sigma * rnd();
  const uu = new Float64Array(w * h), vv = new Float64Array(w * h);
  for (let i = 0; i < w * h; i++) {
    uu[i] = i % w;
    vv[i] = Math.floor(i / w);
  }
  // 36 faint spots on a grid: peak 7σ, σ ≈ 1.2 px, random sub-pixel offsets.
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
        iMax: 7 * sigma,
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
  const noise = estimateNoise(frame);
  assertClose(noise.mean, mu, 0.5, "estimated μ");
  assertClose(noise.sigma, sigma, 0.5, "estimated σ");
  const t = mu + 2.5 * sigma;
  const thr = frame.map((v) => (v >= t ? v : 0));
  const comp = labelComponents(thr, w, h);
  let keptNoise = 0, keptReal = 0;
  const found = new Set<number>();
  for (let k = 0; k < comp.count; k++) {
    const pix = componentPixels(comp, k);
    const vals = Float64Array.from(pix, (i) => thr[i]);
    if (!isRealSpot(vals, { noise, threshold: t })) continue;
    const row = Math.floor(comp.argmax[k] / w), col = comp.argmax[k] % w;
    const j = truth.findIndex(([r, c]) => Math.abs(r - row) <= 3 && Math.abs(c - col) <= 3);
    if (j >= 0) {
      keptReal++;
      found.add(j);
    } else keptNoise++;
  }
  console.log(
    `components ${comp.count}, kept real ${keptReal} (${found.size}/36 spots), kept noise ${keptNoise}`,
  );
  assert(comp.count > 1000, `expected > 1000 noise components, got ${comp.count}`);
  assert(found.size >= 35, `kept ${found.size}/36 faint spots`);
  assert(keptNoise <= 1, `kept ${keptNoise} noise components`);
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
