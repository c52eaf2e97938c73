import { extractSpotPatches, ownsPosition, pixelPairsYZ } from "./spots.ts";
import { assertEquals } from "./_test_util.ts";

Deno.test("spot patches: centred on the max, own pixels only, full pixel list, drops", () => {
  const nY = 50, nZ = 40, img = new Float64Array(nY * nZ);
  const set = (y: number, z: number, v: number) => (img[z * nY + y] = v);
  // Spot A: 3 px, max at (Y 20, Z 15); spot B touches A's window but is a separate component.
  set(20, 15, 90), set(21, 15, 40), set(20, 16, 30);
  set(24, 15, 50), set(25, 15, 50);
  set(2, 2, 80), set(3, 2, 70); // C: too close to the edge for a 20×20 patch
  set(40, 30, 500), set(41, 30, 400); // D: saturated
  set(30, 35, 60); // E: single pixel, below minPxCount
  const s = extractSpotPatches(img, nZ, nY, {
    patchSize: 20,
    minPxCount: 2,
    upperBoundThreshold: 300,
  });
  assertEquals([s.count, s.nAtEdge, s.nSaturated, s.nComponents], [2, 1, 1, 4]);
  assertEquals([s.y00[0], s.z00[0], s.nPx[0], s.patchSum[0]], [10, 5, 3, 160]);
  const p0 = s.patches.subarray(0, 400);
  assertEquals(
    [p0[10 * 20 + 10], p0[10 * 20 + 14]],
    [90, 0],
    "max at (10,10); B's pixels excluded",
  );
  assertEquals(Array.from(pixelPairsYZ(s.pixels[0], nY)), [20, 15, 21, 15, 20, 16], "(Y, Z) pairs");
});

Deno.test("spot patches: a component wider than a patch gets a patch per far maximum", () => {
  const nY = 80, nZ = 60, img = new Float64Array(nY * nZ);
  // Two bright spots 16 px apart (Y 24 and 40, Z 30) joined by a dim bridge: one component.
  for (let y = 18; y <= 46; y++) {
    for (let z = 27; z <= 33; z++) {
      const a = 900 * Math.exp(-((y - 24) ** 2 + (z - 30) ** 2) / 8);
      const b = 500 * Math.exp(-((y - 40) ** 2 + (z - 30) ** 2) / 8);
      img[z * nY + y] = Math.max(20, a + b);
    }
  }
  const s = extractSpotPatches(img, nZ, nY, { patchSize: 20, minPxCount: 2 });
  assertEquals([s.nComponents, s.count], [1, 2], "one component, two patches");
  assertEquals([s.centreY[0], s.centreZ[0], s.centreY[1], s.centreZ[1]], [24, 30, 40, 30]);
  assertEquals(Array.from(s.component), [0, 0]);
  assertEquals([s.y00[1], s.z00[1], s.nPx[1]], [30, 20, s.nPx[0]], "second patch on its maximum");
  // Each spot is reported by the patch around it; the midpoint tie goes to the first patch.
  assertEquals([ownsPosition(s, 0, 24.3, 30), ownsPosition(s, 1, 24.3, 30)], [true, false]);
  assertEquals([ownsPosition(s, 0, 39.6, 30.2), ownsPosition(s, 1, 39.6, 30.2)], [false, true]);
  assertEquals([ownsPosition(s, 0, 32, 30), ownsPosition(s, 1, 32, 30)], [true, false]);
  // A 30-count ripple on the bridge, 8 px from both spots: a strict maximum at 2.5× the floor,
  // so a patch without the noise rule; under it (σ 10: needs 3·√(10² + 50) ≈ 37 above its
  // saddle) not a spot, while the far spot (≈ 480 above its saddle) still gets its patch.
  const rippled = img.slice();
  rippled[30 * nY + 32] += 30;
  const opts = { patchSize: 20, minPxCount: 2 };
  assertEquals(extractSpotPatches(rippled, nZ, nY, opts).count, 3, "ripple: a patch");
  const ruled = extractSpotPatches(rippled, nZ, nY, {
    ...opts,
    prominence: { noise: { mean: 0, sigma: 10 } },
  });
  assertEquals([ruled.count, ruled.centreY[1]], [2, 40], "prominent summits only");
  // A compact component keeps one patch, which owns everything.
  const one = extractSpotPatches(img.map((v, i) => (i % nY < 32 ? v : 0)), nZ, nY, {
    patchSize: 20,
    minPxCount: 2,
  });
  assertEquals([one.count, ownsPosition(one, 0, 50, 50)], [1, true]);
});

Deno.test("spot patches: the ring holds the frame's below-threshold pixels around the component only", () => {
  const nY = 40, nZ = 40, frame = new Float64Array(nY * nZ);
  for (let i = 0; i < frame.length; i++) frame[i] = 1 + (i % 7) * 0.1; // below-threshold values
  const thr = new Float64Array(nY * nZ);
  const set = (y: number, z: number, v: number) => (thr[z * nY + y] = frame[z * nY + y] = v);
  set(20, 20, 90), set(21, 20, 40); // the spot: a 2-pixel component
  set(23, 20, 30), set(23, 21, 30); // another component, 2 px to the right
  const s = extractSpotPatches(thr, nZ, nY, {
    patchSize: 20,
    minPxCount: 2,
    ring: { frame, px: 1 },
  });
  const j = Array.from(s.centreY).indexOf(20);
  const ring = s.ring!.subarray(j * 400, (j + 1) * 400), y0 = s.y00[j], z0 = s.z00[j];
  const at = (y: number, z: number) => ring[(z - z0) * 20 + y - y0];
  // Ring = the 3×4 box around the component minus its 2 pixels: 10 pixels.
  assertEquals(ring.filter(Number.isFinite).length, 10, "ring size");
  assertEquals([at(19, 19), at(22, 21)], [frame[19 * nY + 19], frame[21 * nY + 22]], "ring values");
  assertEquals(
    [at(20, 20), at(23, 20), at(18, 20)].map(Number.isNaN),
    [true, true, true],
    "not ring",
  );
  // A component as bright as `maxPeak` gets none.
  const bright = extractSpotPatches(thr, nZ, nY, {
    patchSize: 20,
    minPxCount: 2,
    ring: { frame, px: 1, maxPeak: 90 },
  });
  assertEquals(bright.ring!.subarray(j * 400, (j + 1) * 400).filter(Number.isFinite).length, 0);
  // Without `ring` there is none.
  assertEquals(extractSpotPatches(thr, nZ, nY, { patchSize: 20, minPxCount: 2 }).ring, undefined);
});
