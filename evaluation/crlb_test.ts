import { assert, assertClose } from "./_test_util.ts";
import type { SpotShape } from "../synthesis/render.ts";
import { medianDistance2d, simulatorNoise, spotCrlb } from "./crlb.ts";

const YBC = 1022, ZBC = 1022, R = 1000;

/** An isotropic Gaussian spot of σ `s` px far from the beam centre (the arc is ~straight). */
function gaussian(s: number, iMax: number, dy = 0.3, dz = -0.2): SpotShape {
  const arcDeg = 180 / (Math.PI * R);
  return {
    yPx: YBC + R + dy,
    zPx: ZBC + dz,
    rPx: R,
    etaDeg: 90,
    iMax,
    mu: 0,
    sigmaGRPx: s,
    sigmaGEtaDeg: s * arcDeg,
    sigmaLRPx: s,
    sigmaLEtaDeg: s * arcDeg,
  };
}

Deno.test("crlb: pixelated Gaussian, Poisson only, matches (s² + a²/12)/N", () => {
  for (const s of [1, 1.5, 2.5]) {
    const iMax = 800;
    const b = spotCrlb(gaussian(s, iMax), YBC, ZBC, { background: 0, gain: 1, readSigma: 0 }, {
      subsample: 8,
    });
    const N = iMax * 2 * Math.PI * s * s;
    assertClose(b.signal / N, 1, 2e-3);
    const closed = (s * s + 1 / 12) / N;
    assertClose(b.sigmaY ** 2 / closed, 1, 0.005);
    assertClose(b.sigmaZ ** 2 / closed, 1, 0.005);
    // The unpixelated bound σ²/N is lower: pixels cost information.
    assert(b.sigmaY ** 2 > (s * s) / N, `s=${s}: below the unpixelated bound`);
  }
});

Deno.test("crlb: with background matches Mortensen's maximum-likelihood variance", () => {
  // var = σa²/N · 1/(1 + ∫₀¹ ln t / (1 + t/τ) dt), τ = 2π σa² b / (N a²) (Mortensen 2010, eq. 5).
  for (const [s, iMax, bg] of [[1.5, 100, 10], [1.2, 40, 2], [2, 300, 30]]) {
    const N = iMax * 2 * Math.PI * s * s;
    const sa2 = s * s + 1 / 12;
    const tau = (2 * Math.PI * sa2 * bg) / N;
    let integral = 0;
    const n = 20000;
    for (let k = 0; k < n; k++) {
      const t = (k + 0.5) / n;
      integral += Math.log(t) / (1 + t / tau) / n;
    }
    const mortensen = sa2 / N / (1 + integral);
    const b = spotCrlb(gaussian(s, iMax), YBC, ZBC, { background: bg, gain: 1, readSigma: 0 }, {
      subsample: 8,
    });
    assertClose(b.sigmaY ** 2 / mortensen, 1, 0.05);
    assertClose(b.snr, iMax / Math.sqrt(bg), 1e-9);
  }
});

Deno.test("crlb: read noise, fainter frames and gain all loosen the bound", () => {
  const shape = gaussian(1.3, 200);
  const base = spotCrlb(shape, YBC, ZBC, { background: 2, gain: 1, readSigma: 0 });
  const read = spotCrlb(shape, YBC, ZBC, simulatorNoise());
  const faint = spotCrlb(shape, YBC, ZBC, simulatorNoise(), { frameWeight: 0.3 });
  const gain = spotCrlb(shape, YBC, ZBC, { background: 2, gain: 3, readSigma: 0 });
  assert(read.rmsPx > base.rmsPx && faint.rmsPx > read.rmsPx && gain.rmsPx > base.rmsPx);
  assertClose(read.snr, 200 / Math.sqrt(2 + 16 + 1 / 12), 1e-9);
  assertClose(faint.snr, 0.3 * read.snr, 1e-9);
  assertClose(read.rmsPx, Math.hypot(read.sigmaY, read.sigmaZ), 1e-12);
  assert(Number.isNaN(spotCrlb({ ...shape, iMax: 0 }, YBC, ZBC, simulatorNoise()).rmsPx));
});

Deno.test("crlb: median distance of a 2-D Gaussian", () => {
  assertClose(medianDistance2d(4, 4, 0), 2 * Math.sqrt(2 * Math.LN2), 1e-6);
  // 1-D limit: the median of |N(0, 1)| is 0.6745.
  assertClose(medianDistance2d(1, 0, 0), 0.6745, 1e-3);
  // Rotation invariance: a correlated Σ with the same eigenvalues gives the same median.
  const a = 3, b = 1, th = 0.6;
  const c = Math.cos(th), s = Math.sin(th);
  const r = medianDistance2d(a * c * c + b * s * s, a * s * s + b * c * c, (a - b) * c * s);
  assertClose(r, medianDistance2d(a, b, 0), 1e-6);
});
