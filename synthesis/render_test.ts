import { assert, assertClose } from "../geometry/_assert.ts";
import { rEtaFromYZ } from "../geometry/detector.ts";
import {
  addIntegratedSpot,
  addMidasGaussianSpot,
  integratedSpotJacobian,
  integratedSpotPatch,
  type SpotShape,
} from "./render.ts";
import { pseudoVoigtArea } from "./scene.ts";

const N = 96, YBC = -400, ZBC = 30; // spot ~450 px from an off-frame beam centre

function shapeAt(yPx: number, zPx: number, extra: Partial<SpotShape> = {}): SpotShape {
  const { rPx, etaDeg } = rEtaFromYZ(yPx, zPx, YBC, ZBC);
  const arcDeg = 180 / (Math.PI * rPx); // degrees per px of arc
  return {
    yPx,
    zPx,
    rPx,
    etaDeg,
    iMax: 1000,
    sigmaGRPx: 1.1,
    sigmaGEtaDeg: 1.6 * arcDeg,
    sigmaLRPx: 1.3,
    sigmaLEtaDeg: 1.9 * arcDeg,
    mu: 0,
    ...extra,
  };
}

function centroid(buf: Float64Array): { y: number; z: number; sum: number } {
  let s = 0, sy = 0, sz = 0;
  for (let z = 0; z < N; z++) {
    for (let y = 0; y < N; y++) {
      const v = buf[z * N + y];
      s += v;
      sy += v * y;
      sz += v * z;
    }
  }
  return { y: sy / s, z: sz / s, sum: s };
}

Deno.test("integrated spot: centroid within 0.02 px of the truth, sum = analytic area", () => {
  for (const [y, z] of [[48.3, 47.71], [50.5, 44.5], [47.02, 51.93]]) {
    const s = shapeAt(y, z);
    const buf = new Float64Array(N * N);
    addIntegratedSpot(buf, N, N, YBC, ZBC, s, 1, { subsample: 8 });
    const c = centroid(buf);
    assertClose(c.y, y, 0.02, "centroid Y");
    assertClose(c.z, z, 0.02, "centroid Z");
    assertClose(c.sum / (s.iMax * pseudoVoigtArea(s)), 1, 0.01, "integrated intensity");
  }
});

Deno.test("integration differs from point sampling for a sub-pixel-narrow spot", () => {
  // σ = 0.3 px: a point sample at the centre pixel sees ~iMax, the pixel integral much less.
  const s = shapeAt(48, 48, { sigmaGRPx: 0.3 });
  s.sigmaGEtaDeg = s.sigmaGRPx * 180 / (Math.PI * s.rPx);
  const buf = new Float64Array(N * N);
  addIntegratedSpot(buf, N, N, YBC, ZBC, s, 1, { subsample: 8 });
  assert(buf[48 * N + 48] < 0.5 * s.iMax, `centre pixel ${buf[48 * N + 48]} is an area average`);
  assertClose(centroid(buf).sum / (s.iMax * pseudoVoigtArea(s)), 1, 0.02, "flux conserved");
});

Deno.test("pseudo-Voigt tails: μ > 0 widens the box and keeps the centroid", () => {
  const s = shapeAt(48.4, 47.6, { mu: 0.3 });
  const buf = new Float64Array(N * N);
  const box = addIntegratedSpot(buf, N, N, YBC, ZBC, s, 0.5);
  assert(box.y1 - box.y0 > 20, "Lorentz tails rendered");
  const c = centroid(buf);
  assertClose(c.y, 48.4, 0.03, "centroid Y");
  assertClose(c.z, 47.6, 0.03, "centroid Z");
});

Deno.test("MIDAS Gaussian: point-sampled exp(−d²/2σ²)·iMax at pixel centres, ±4σ box", () => {
  const buf = new Float64Array(N * N);
  const box = addMidasGaussianSpot(buf, N, N, 40.4, 30.1, 1, 5000);
  assertClose(buf[30 * N + 40], 5000 * Math.exp(-(0.16 + 0.01) / 2), 1e-9, "centre pixel");
  assertClose(buf[31 * N + 42], 5000 * Math.exp(-(1.6 ** 2 + 0.9 ** 2) / 2), 1e-9, "off pixel");
  assert(box.y1 - box.y0 === 8 && box.z1 - box.z0 === 8, "9×9 box");
});

Deno.test("integrated spot Jacobian: values as rendered, centre derivatives = finite differences", () => {
  const s = shapeAt(48.3, 47.7, { mu: 0.3 });
  const patch = integratedSpotPatch(N, N, YBC, ZBC, s);
  const box = { y0: patch.y0, y1: patch.y1, z0: patch.z0, z1: patch.z1 };
  const j = integratedSpotJacobian(YBC, ZBC, s, box);
  let maxV = 0;
  for (let i = 0; i < j.values.length; i++) {
    maxV = Math.max(maxV, patch.values[i]);
    assertClose(j.values[i], patch.values[i], 1e-9 * s.iMax);
  }
  const h = 1e-4;
  const at = (dy: number, dz: number) =>
    integratedSpotJacobian(YBC, ZBC, { ...s, yPx: s.yPx + dy, zPx: s.zPx + dz }, box).values;
  const yp = at(h, 0), ym = at(-h, 0), zp = at(0, h), zm = at(0, -h);
  let maxD = 0;
  for (let i = 0; i < j.values.length; i++) {
    maxD = Math.max(maxD, Math.abs(j.dY[i]));
    assertClose(j.dY[i], (yp[i] - ym[i]) / (2 * h), 1e-5 * maxV);
    assertClose(j.dZ[i], (zp[i] - zm[i]) / (2 * h), 1e-5 * maxV);
  }
  assert(maxD > 0.1 * maxV, "derivatives are not trivially zero");
});
