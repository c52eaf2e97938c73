import { assert, assertClose, assertEq, assertThrows } from "../geometry/_assert.ts";
import type { Spot } from "../geometry/forward.ts";
import { Rng } from "./noise.ts";
import { buildScene, omegaFrameWeights } from "./scene.ts";

const SCAN = { nFrames: 1440, omegaStartDeg: 180, omegaStepDeg: -0.25 };

function fakeSpots(n: number): Spot[] {
  return Array.from({ length: n }, (_, i) => {
    const eta = (i * 37) % 360 - 179.5, r = 500 + (i % 5) * 100;
    const omegaDeg = 179 - (i * 2.4) % 358;
    return {
      grainId: 1 + (i % 7),
      spotId: i + 1,
      h: 1,
      k: 1,
      l: 1,
      ringNr: 1,
      omegaDeg,
      frame: Math.floor((omegaDeg - 180) / -0.25),
      yPx: 1022 + r * Math.sin(eta * Math.PI / 180),
      zPx: 1022 + r * Math.cos(eta * Math.PI / 180),
      rPx: r,
      etaDeg: eta,
      thetaDeg: 3,
      yLabUm: 0,
      zLabUm: 0,
    };
  });
}

Deno.test("omegaFrameWeights: single frame at σ=0; Gaussian fractions sum to ~1 otherwise", () => {
  const one = omegaFrameWeights(100.1, 0, SCAN);
  assertEq(one.firstFrame, 319, "frame of ω = 100.1");
  assertEq(one.weights.length, 1, "one frame");
  const w = omegaFrameWeights(100.1, 0.3, SCAN);
  assertClose(w.weights.reduce((a, b) => a + b, 0), 1, 1e-4, "sum");
  const peak = w.weights.indexOf(Math.max(...w.weights)) + w.firstFrame;
  assertEq(peak, 319, "brightest frame holds ω");
});

Deno.test("buildScene: intensities span ~3 decades, widths in range, deterministic", () => {
  const spots = fakeSpots(400);
  const a = buildScene(spots, { ...SCAN, saturatedFraction: 0 }, new Rng(5));
  const b = buildScene(spots, { ...SCAN, saturatedFraction: 0 }, new Rng(5));
  assertEq(a[17].iMax, b[17].iMax, "same seed, same scene");
  const lo = Math.min(...a.map((s) => s.iMax)), hi = Math.max(...a.map((s) => s.iMax));
  assert(lo >= 30 && hi <= 30_000, `IMax in [30, 30000], got ${lo}…${hi}`);
  assert(hi / lo > 300, `spans > 2.5 decades (${(hi / lo).toFixed(0)}×)`);
  for (const s of a) {
    assert(s.sigmaGRPx >= 0.7 && s.sigmaGRPx <= 2, "σR");
    const etaPx = s.sigmaGEtaDeg * s.rPx * Math.PI / 180;
    assert(etaPx >= 1 - 1e-9 && etaPx <= 4 + 1e-9, "σEta px");
    assert(s.mu >= 0 && s.mu <= 0.3, "μ");
    assert(s.intensity > 0, "integrated intensity");
  }
});

Deno.test("buildScene: saturated spots exceed the saturation level", () => {
  const sc = buildScene(fakeSpots(300), { ...SCAN, saturatedFraction: 0.1 }, new Rng(2));
  const sat = sc.filter((s) => s.saturated);
  assert(sat.length > 10 && sat.length < 60, `about 10 % saturated, got ${sat.length}`);
  assert(sat.every((s) => s.iMax > 16383), "IMax above saturation");
});

Deno.test("buildScene: planted pairs at the requested separations and ratios", () => {
  const pairs = { count: 6, separationsPx: [0.5, 1, 2], ratios: [1, 10] };
  const sc = buildScene(fakeSpots(200), { ...SCAN, pairs }, new Rng(3));
  const partners = sc.filter((s) => s.grainId === 0);
  assertEq(partners.length, 6, "partners");
  const byId = new Map(sc.map((s) => [s.spotId, s]));
  partners.forEach((p, i) => {
    const q = byId.get(p.pairOf)!;
    assertEq(q.pairOf, p.spotId, "link back");
    assertClose(
      Math.hypot(p.yPx - q.yPx, p.zPx - q.zPx),
      pairs.separationsPx[i % 3],
      1e-9,
      "separation",
    );
    assertClose(q.iMax / p.iMax, pairs.ratios[Math.floor(i / 3)], 1e-9, "ratio");
    assertEq(p.firstFrame, q.firstFrame, "same frames");
  });
  assertThrows(
    () =>
      buildScene(
        fakeSpots(5),
        { ...SCAN, pairs: { count: 1, separationsPx: [], ratios: [1] } },
        new Rng(1),
      ),
    "separationsPx",
  );
});
