/**
 * Benchmarks of the fitting library: components on a noisy 2048² frame, single and two-peak
 * pseudo-Voigt region fits, and a full native search on a 2048² frame.
 *
 * Run: `deno bench -A bench/fitting_bench.ts` (fits/s = 1 / time per iteration).
 * @module
 */
import { labelComponents } from "../fitting/components.ts";
import { fitPseudoVoigtRegion, type PeakSeed, wrapDeg } from "../fitting/pv_fit.ts";
import { LmWorkspace } from "../fitting/levenberg_marquardt.ts";
import { nativePeakSearch } from "../fitting/native_search.ts";
import { estimateNoise, isRealSpot } from "../fitting/noise_filter.ts";
import { pseudoVoigt, type PseudoVoigtParams } from "../peaks/pseudo_voigt.ts";
import { gaussianRng, uniformRng } from "../fitting/test_util.ts";

const N = 2048;
const rnd = gaussianRng(3);
const noisy = new Float64Array(N * N);
for (let i = 0; i < noisy.length; i++) noisy[i] = 100 + 10 * rnd();
const thr25 = noisy.map((v) => (v >= 125 ? v : 0));
const nComp = labelComponents(thr25, N, N).count;
console.log(`2048² frame at 2.5σ: ${nComp} components`);

Deno.bench(`components: 2048² noisy frame at 2.5σ (${nComp} components)`, () => {
  labelComponents(thr25, N, N, { minNrPx: 1, maxNrPx: 10000 });
});

function region(peaks: PseudoVoigtParams[], rC: number, etaC: number, thr: number) {
  const dEta = (180 / Math.PI) / rC;
  const r: number[] = [], eta: number[] = [], value: number[] = [];
  const noise = gaussianRng(5);
  for (let a = -6; a <= 6; a++) {
    for (let b = -6; b <= 6; b++) {
      const R = rC + a, E = wrapDeg(etaC + b * dEta);
      let v = 20 + 3 * noise();
      for (const p of peaks) v += pseudoVoigt(p, R, E);
      if (v >= thr) {
        r.push(R);
        eta.push(E);
        value.push(v);
      }
    }
  }
  return { r, eta, value };
}
const shape = { sigmaGU: 1.1, sigmaGV: 0.07, sigmaLU: 0.9, sigmaLV: 0.06, mu: 0.3 };
const one = region([{ ...shape, u0: 800.3, v0: 30.01, iMax: 1000 }], 800, 30, 50);
const oneSeed: PeakSeed[] = [{ r: 800, eta: 30, value: Math.max(...one.value) }];
const dE = (180 / Math.PI) / 800;
const two = region(
  [
    { ...shape, u0: 800.2, v0: 30, iMax: 1000 },
    { ...shape, u0: 799.8, v0: 30 + 4 * dE, iMax: 600 },
  ],
  800,
  30,
  50,
);
const seedAt = (R: number, E: number): PeakSeed => {
  const k = two.r.findIndex((x, i) => x === R && Math.abs(two.eta[i] - E) < 1e-9);
  return { r: R, eta: E, value: two.value[k] };
};
const twoSeeds = [seedAt(800, 30), seedAt(800, wrapDeg(30 + 4 * dE))];
const ws = new LmWorkspace(17, 256);
console.log(`single-peak region ${one.value.length} px, two-peak region ${two.value.length} px`);

Deno.bench(`pv fit: single peak (${one.value.length} px)`, () => {
  fitPseudoVoigtRegion(one, oneSeed, { threshold: 50, workspace: ws });
});
Deno.bench(`pv fit: two peaks (${two.value.length} px)`, () => {
  fitPseudoVoigtRegion(two, twoSeeds, { threshold: 50, workspace: ws });
});
Deno.bench(`pv fit: single peak, MIDAS tolerances ftol=xtol=1e-5`, () => {
  fitPseudoVoigtRegion(one, oneSeed, {
    threshold: 50,
    workspace: ws,
    ftolRel: 1e-5,
    xtolRel: 1e-5,
  });
});

// Full native search: 2048² noisy frame, 300 real spots on 5 rings, threshold 2.5σ.
const ybc = 1024.3, zbc = 1023.7;
const frame = noisy.slice();
const ringR = [300, 450, 600, 750, 900];
const u = uniformRng(9);
const truthYZ: [number, number][] = [];
for (let s = 0; s < 300; s++) {
  const R = ringR[s % 5] + (u() - 0.5) * 4, eta = (u() - 0.5) * 360;
  const p = { sigmaGU: 1.2, sigmaLU: 1, mu: 0.2, sigmaGV: 1.2 / R * 57.3, sigmaLV: 1 / R * 57.3 };
  const pk = { ...p, u0: R, v0: eta, iMax: 100 + 900 * u() };
  const yc = ybc + R * Math.sin(eta * Math.PI / 180), zc = zbc + R * Math.cos(eta * Math.PI / 180);
  truthYZ.push([yc, zc]);
  for (let row = Math.round(zc) - 8; row <= Math.round(zc) + 8; row++) {
    for (let col = Math.round(yc) - 8; col <= Math.round(yc) + 8; col++) {
      const dy = col - ybc, dz = row - zbc, rr = Math.hypot(dy, dz);
      const e = Math.sign(dy || 1) * Math.acos(dz / rr) * 180 / Math.PI;
      frame[row * N + col] += pseudoVoigt(pk, rr, eta + wrapDeg(e - eta));
    }
  }
}
const ringNr = new Float64Array(N * N).fill(-1);
for (let row = 0; row < N; row++) {
  for (let col = 0; col < N; col++) {
    const rr = Math.hypot(col - ybc, row - zbc);
    for (let k = 0; k < 5; k++) if (Math.abs(rr - ringR[k]) < 10) ringNr[row * N + col] = k;
  }
}
const noise = estimateNoise(frame, { ringNr });
const searchOpts = {
  width: N,
  height: N,
  ybc,
  zbc,
  ringNr,
  ringThresholds: [125, 125, 125, 125, 125],
  minNrPx: 1,
  maxNrPx: 10000,
  maxNPeaks: 5,
};
const plain = nativePeakSearch(frame, searchOpts);
const filtered = nativePeakSearch(frame, {
  ...searchOpts,
  keepRegion: (s) => isRealSpot(s.values, { noise, threshold: s.threshold }),
});
const recall = (peaks: { yCen: number; zCen: number }[]) =>
  truthYZ.filter(([y, z]) => peaks.some((p) => Math.hypot(p.yCen - y, p.zCen - z) < 1)).length;
console.log(
  `native search, 300 spots: MIDAS rule ${plain.peaks.length} peaks from ${plain.nRegions} regions ` +
    `(${
      recall(plain.peaks)
    }/300 spots within 1 px); with noise rule ${filtered.peaks.length} peaks, ` +
    `${filtered.nRejected} regions rejected (${recall(filtered.peaks)}/300 within 1 px)`,
);

Deno.bench("native search: 2048² frame, 5 rings, 300 spots, MIDAS rule (fits noise too)", () => {
  nativePeakSearch(frame, searchOpts);
});
Deno.bench("native search: same frame with the noise rule", () => {
  nativePeakSearch(frame, {
    ...searchOpts,
    keepRegion: (s) => isRealSpot(s.values, { noise, threshold: s.threshold }),
  });
});
