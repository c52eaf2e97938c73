import { PEAK_COLUMNS } from "../midas/peak_table.ts";
import { nativePeakSearch, peakRecordRow, pixelREta, regionalMaxima } from "./native_search.ts";
import { isRealSpot } from "./noise_filter.ts";
import { assert, assertClose, assertEquals, renderSpot } from "./test_util.ts";

const W = 200, H = 200, YBC = 100.3, ZBC = 99.6, RING = 70;
const DEG = Math.PI / 180;
const shape = { sigmaGU: 1.1, sigmaLU: 0.9, mu: 0.25 };
/** Eta widths equivalent to ~1 px of arc at the ring. */
const etaShape = { sigmaGV: 1.0 / RING / DEG, sigmaLV: 0.8 / RING / DEG };

function frameWith(spots: { r: number; eta: number; iMax: number }[]) {
  const frame = new Float64Array(W * H);
  for (const s of spots) {
    renderSpot(frame, W, H, YBC, ZBC, { ...shape, ...etaShape, u0: s.r, v0: s.eta, iMax: s.iMax });
  }
  const ringNr = new Float64Array(W * H).fill(-1);
  for (let row = 0; row < H; row++) {
    for (let col = 0; col < W; col++) {
      if (Math.abs(pixelREta(col, row, YBC, ZBC)[0] - RING) < 9) ringNr[row * W + col] = 0;
    }
  }
  return { frame, ringNr };
}

const opts = (ringNr: Float64Array) => ({
  width: W,
  height: H,
  ybc: YBC,
  zbc: ZBC,
  ringNr,
  ringThresholds: [30],
  minNrPx: 1,
  maxNrPx: 10000,
  maxNPeaks: 5,
  omega: -12.5,
});

Deno.test("nativePeakSearch: isolated spots (incl. the Eta = ±180° seam) to < 0.01 px, 29 columns", () => {
  const spots = [
    { r: 70.31, eta: 30.2, iMax: 1000 },
    { r: 69.64, eta: -120.4, iMax: 800 },
    { r: 70.12, eta: 179.6, iMax: 900 }, // straddles the seam above the beam centre
  ];
  const { frame, ringNr } = frameWith(spots);
  const res = nativePeakSearch(frame, opts(ringNr));
  assertEquals(res.peaks.length, 3, "one peak per spot");
  assertEquals(res.peaks.map((p) => p.spotId), [1, 2, 3], "SpotID 1-based consecutive");
  for (const s of spots) {
    const y = YBC + s.r * Math.sin(s.eta * DEG), z = ZBC + s.r * Math.cos(s.eta * DEG);
    const p = res.peaks.find((q) => Math.hypot(q.yCen - y, q.zCen - z) < 1);
    assert(p, `spot at Eta ${s.eta} found`);
    assertClose(Math.hypot(p.yCen - y, p.zCen - z), 0, 0.01, `position error at Eta ${s.eta}`);
    assertClose(p.radius, s.r, 0.01, "Radius");
    assertClose(p.iMax, s.iMax, 0.01 * s.iMax, "IMax");
    // YCen/ZCen consistent with Radius/Eta and column/row convention.
    assertClose(p.yCen, YBC + p.radius * Math.sin(p.eta * DEG), 1e-9, "YCen from R, Eta");
    assertClose(p.diffY, p.maxY - p.yCen, 1e-12, "diffY");
    assertClose(frame[p.maxZ * W + p.maxY], p.rawIMax, 1e-12, "rawIMax at (maxY col, maxZ row)");
    assert(p.nrPixels <= p.nrPxTot && p.nPeaks === 1 && p.omega === -12.5, "counts");
    assertEquals(peakRecordRow(p).length, PEAK_COLUMNS.length, "29 columns");
    assert(p.returnCode > 0, `returnCode ${p.returnCode}`);
  }
  const seam = res.peaks.find((p) => Math.abs(p.eta) > 170)!;
  assert(seam.pixels.length === seam.nrPxTot, "pixel list is the region");
});

Deno.test("nativePeakSearch: two maxima in a region are fitted jointly; RawSum split ∝ IMax", () => {
  const dEta = 4.2 / RING / DEG; // 4.2 px of arc apart
  const { frame, ringNr } = frameWith([
    { r: 70.2, eta: -40, iMax: 1000 },
    { r: 69.9, eta: -40 + dEta, iMax: 500 },
  ]);
  const res = nativePeakSearch(frame, opts(ringNr));
  assertEquals(res.peaks.length, 2, "two peaks");
  const [a, b] = res.peaks;
  assert(a.nPeaks === 2 && b.nPeaks === 2 && a.pixels === b.pixels, "shared region");
  assertClose(
    a.rawSumIntensity + b.rawSumIntensity,
    a.pixels.reduce((s, i) => s + frame[i], 0),
    1e-6,
  );
  assertClose(a.rawSumIntensity / b.rawSumIntensity, a.iMax / b.iMax, 1e-9, "∝ IMax");
  const etas = res.peaks.map((p) => p.eta).sort((x, y) => x - y);
  assertClose(etas[0], -40, 0.05 / RING / DEG, "Eta 1");
  assertClose(etas[1], -40 + dEta, 0.05 / RING / DEG, "Eta 2");
});

Deno.test("nativePeakSearch: saturation, size filter and keepRegion hook", () => {
  const { frame, ringNr } = frameWith([
    { r: 70, eta: 60, iMax: 50000 },
    { r: 70, eta: -60, iMax: 1000 },
  ]);
  const res = nativePeakSearch(frame, { ...opts(ringNr), upperBoundThreshold: 20000 });
  assertEquals([res.peaks.length, res.nSaturated], [1, 1], "saturated region discarded");
  const tiny = nativePeakSearch(frame, { ...opts(ringNr), maxNrPx: 5 });
  assertEquals(tiny.peaks.length, 0, "regions ≥ MaxNrPx dropped");
  const hook = nativePeakSearch(frame, {
    ...opts(ringNr),
    keepRegion: (s) =>
      isRealSpot(s.values, { noise: { mean: 0, sigma: 12 }, threshold: s.threshold }),
  });
  // The 50 000-count spot's Lorentzian fringe adds weak extra maxima (MIDAS over-splitting).
  assertEquals(hook.nRejected, 0, "bright spots survive the noise rule");
  for (const eta of [60, -60]) {
    assert(hook.peaks.some((p) => Math.abs(p.eta - eta) < 1e-3), `spot at Eta ${eta} kept`);
  }
});

Deno.test("regionalMaxima: plateau gives several maxima; none → middle pixel", () => {
  const thr = new Float64Array([5, 5, 0, 0, 3, 2, 1, 0, 0]);
  assertEquals(regionalMaxima(thr, 3, 3, new Int32Array([0, 1, 4, 5]), 5), [0, 1], "plateau");
  assertEquals(regionalMaxima(thr, 3, 3, new Int32Array([0, 1, 4, 5]), 1), [0], "cap");
});
