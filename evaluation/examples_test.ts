import { assert, assertClose, assertEquals } from "./_test_util.ts";
import { cropMarkers, cropPatch, pickExamplePairs, renderFit } from "./examples.ts";
import { frameOf, peakRow } from "./fixture.ts";
import type { TruthPair } from "./metrics.ts";

Deno.test("cropPatch centres on the nearest pixel and pads with NaN", () => {
  const frame = Float64Array.from({ length: 16 }, (_, i) => i); // 4 × 4, value = row·4 + col
  const c = cropPatch(frame, 4, 4, 0.2, 3.4, 1);
  assertEquals([c.y0, c.z0, c.width], [-1, 2, 3]);
  assert(Number.isNaN(c.data[0]), "column −1 is outside");
  assertEquals([c.data[1], c.data[2], c.data[4], c.data[5]], [8, 9, 12, 13]);
  assert(Number.isNaN(c.data[7]), "row 4 is outside");
});

Deno.test("renderFit peaks at the fitted centre with IMax (+ BG)", () => {
  const row = peakRow(40, 30, 100, 10, 5); // beam centre (10, 5): R ≈ 39
  row[20] = 7; // BG
  const fit = renderFit(frameOf([row]), { width: 11, height: 11, y0: 35, z0: 25 });
  const at = (y: number, z: number) => fit[(z - 25) * 11 + (y - 35)];
  assertClose(at(40, 30), 100 / 5 + 7, 1e-9, "IMax + BG at the centre");
  assert(at(41, 30) < at(40, 30) && at(40, 31) < at(40, 30), "falls off around the centre");
  assertClose(at(35, 25), 7, 0.5, "corner ~ BG");
});

Deno.test("cropMarkers maps truth and peaks into crop pixels; pickExamplePairs mixes outcomes", () => {
  const m = cropMarkers(
    { width: 5, height: 5, y0: 10, z0: 20 },
    [[12.5, 21], [30, 30]],
    frameOf([
      peakRow(11, 22, 1),
    ]),
  );
  assertEquals(m.map((k) => [k.x, k.y, k.shape]), [[2.5, 1, "circle"], [1, 2, "cross"]]);
  const pair = (s: number, r: boolean): TruthPair => ({
    a: 0,
    b: 1,
    frame: 0,
    separationPx: s,
    resolved: r,
  });
  const picks = pickExamplePairs(
    [pair(0.5, true), pair(0.6, true), pair(0.7, false), pair(1.5, true), pair(3, false)],
    [0, 1, 2, 4],
  );
  assertEquals(picks.map((p) => [p.separationPx, p.resolved]), [
    [0.7, false],
    [0.5, true],
    [1.5, true],
    [3, false],
  ]);
});
