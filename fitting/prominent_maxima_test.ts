import { nativePeakSearch, pixelREta, regionalMaxima } from "./native_search.ts";
import { isRealSpot } from "./noise_filter.ts";
import { prominentMaxima, smoothAt } from "./prominent_maxima.ts";
import { assert, assertClose, assertEquals, gaussianRng, renderSpot } from "./test_util.ts";

const W = 120, H = 120, YBC = 60.2, ZBC = 59.7, RING = 40;
const BG = 100, SIGMA = 10, THRESH = BG + 2.5 * SIGMA;
const DEG = Math.PI / 180;
/** σ ≈ 1 px in R and in arc, Gaussian: the compact spots of the demo scans. */
const shape = {
  sigmaGU: 1,
  sigmaLU: 1,
  mu: 0,
  sigmaGV: 1 / RING / DEG,
  sigmaLV: 1 / RING / DEG,
};

/** Background + spots + Poisson-like noise √(σ² + signal)·N(0, 1), and the ring band. */
function noisyFrame(
  spots: { r: number; eta: number; iMax: number; widthPx?: number }[],
  seed: number,
) {
  const signal = new Float64Array(W * H);
  for (const s of spots) {
    const w = s.widthPx ?? 1;
    renderSpot(signal, W, H, YBC, ZBC, {
      ...shape,
      sigmaGU: w,
      sigmaLU: w,
      sigmaGV: w * shape.sigmaGV,
      sigmaLV: w * shape.sigmaLV,
      u0: s.r,
      v0: s.eta,
      iMax: s.iMax,
    });
  }
  const rnd = gaussianRng(seed);
  const frame = signal.map((s) => BG + s + Math.sqrt(SIGMA * SIGMA + s) * rnd());
  const ringNr = new Float64Array(W * H).fill(-1);
  for (let row = 0; row < H; row++) {
    for (let col = 0; col < W; col++) {
      if (Math.abs(pixelREta(col, row, YBC, ZBC)[0] - RING) < 8) ringNr[row * W + col] = 0;
    }
  }
  return { frame, ringNr };
}

const noise = { mean: BG, sigma: SIGMA };
function search(frame: Float64Array, ringNr: Float64Array, withRule: boolean) {
  return nativePeakSearch(frame, {
    width: W,
    height: H,
    ybc: YBC,
    zbc: ZBC,
    ringNr,
    ringThresholds: [THRESH],
    minNrPx: 1,
    maxNrPx: 10000,
    maxNPeaks: 20,
    keepRegion: (r) => isRealSpot(r.values, { noise, threshold: r.threshold }),
    prominence: withRule ? { noise } : undefined,
  });
}

const SEEDS = [1, 2, 3, 4, 5, 6];

Deno.test("prominentMaxima: a noisy single spot gives exactly 1 peak (strict maxima give more)", () => {
  let strictTotal = 0;
  for (const seed of SEEDS) {
    const { frame, ringNr } = noisyFrame([{ r: RING, eta: 30, iMax: 300, widthPx: 2 }], seed);
    const res = search(frame, ringNr, true);
    assertEquals(res.peaks.length, 1, `seed ${seed}: peaks`);
    const p = res.peaks[0];
    assertClose(p.radius, RING, 0.15, `seed ${seed}: R`);
    strictTotal += search(frame, ringNr, false).peaks.length;
  }
  assert(strictTotal > SEEDS.length, `strict maxima should over-split, got ${strictTotal}`);
});

Deno.test("prominentMaxima: two equal noisy spots 3 px apart give 2 peaks", () => {
  // Along R on a pixel row (Eta 0): the saddle is a pixel. Along a diagonal, 8-connected paths
  // skirt the dip and ~20 % of seeds merge at k = 3 (σ = 1 px spots are barely resolved).
  for (const seed of SEEDS) {
    const { frame, ringNr } = noisyFrame([
      { r: RING - 1.5, eta: 0, iMax: 800 },
      { r: RING + 1.5, eta: 0, iMax: 800 },
    ], seed);
    const res = search(frame, ringNr, true);
    assertEquals(res.peaks.length, 2, `seed ${seed}: peaks`);
    const radii = res.peaks.map((p) => p.radius).sort((a, b) => a - b);
    assertClose(radii[0], RING - 1.5, 0.5, `seed ${seed}: R 1`);
    assertClose(radii[1], RING + 1.5, 0.5, `seed ${seed}: R 2`);
  }
});

Deno.test("prominentMaxima: a faint spot with a 7σ peak survives the noise rule", () => {
  for (const seed of SEEDS) {
    const { frame, ringNr } = noisyFrame([{ r: RING, eta: -60, iMax: 7 * SIGMA }], seed);
    const res = search(frame, ringNr, true);
    const near = res.peaks.filter((p) => Math.abs(p.radius - RING) < 1.5);
    assertEquals(near.length, 1, `seed ${seed}: peaks on the faint spot`);
  }
});

Deno.test("prominentMaxima: noiseless flanks keep strict maxima; plateau summit; cap", () => {
  // 1-D profile along a 7×1 strip: summit 100, saddle 50, second summit 80.
  const frame = new Float64Array([0, 60, 100, 50, 80, 20, 0]);
  const pix = Int32Array.from([1, 2, 3, 4, 5]);
  const rule = { noise: { mean: 0, sigma: 1 }, smooth: false, gain: 0 };
  assertEquals(prominentMaxima(frame, 7, 1, pix, rule), [1, 3], "both summits");
  assertEquals(prominentMaxima(frame, 7, 1, pix, { ...rule, k: 31 }), [1], "prominence 30 < 31");
  assertEquals(prominentMaxima(frame, 7, 1, pix, { ...rule, maxPeaks: 1 }), [1], "cap");
  assertEquals(regionalMaxima(frame, 7, 1, pix, 5), [1, 3], "strict maxima agree");
  const flat = new Float64Array(9).fill(16);
  assertEquals(
    Array.from(smoothAt(flat, 3, 3, Int32Array.from([0, 4, 8]))),
    [16, 16, 16],
    "smooth",
  );
});
