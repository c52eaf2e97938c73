import { extractSpotPatches, pixelPairsYZ } from "./spots.ts";
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
