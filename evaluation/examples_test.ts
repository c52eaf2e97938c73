import { assert, assertClose, assertEquals } from "./_test_util.ts";
import {
  cropMarkers,
  cropPatch,
  examplePanels,
  pickExamplePairs,
  renderFit,
  srCrop,
} from "./examples.ts";
import { frameOf, peakRow } from "./fixture.ts";
import type { TruthPair } from "./metrics.ts";
import type { SrPatchFrame } from "./sr_patches.ts";
import { parseTruthTable } from "./truth_table.ts";

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

/**
 * Two ×2 SR patches of a 4² low-res spot box: patch 0 at detector (8, 8), patch 1 at (10, 9);
 * SR pixel (row, col) of patch p holds 1000·p + 8·row + col.
 */
function srFixture(): SrPatchFrame {
  const n = 8;
  return {
    s: 2,
    lowRes: 4,
    count: 2,
    y00: Int32Array.of(8, 10),
    z00: Int32Array.of(8, 9),
    data: Float32Array.from({ length: 2 * n * n }, (_, i) => 1000 * Math.floor(i / 64) + i % 64),
  };
}

Deno.test("srCrop takes the x1 crop's area from the best-centred SR patch, NaN past its edge", () => {
  const sr = srFixture();
  // (10.25, 10) lies in both patches; patch 0's centre (9.5, 9.5) is the nearer one.
  const c = srCrop(sr, { width: 5, height: 5, y0: 8, z0: 8 }, 10.25, 10)!;
  assertEquals([c.patch, c.s, c.width, c.height], [0, 2, 10, 10]);
  for (let j = 0; j < 10; j++) {
    for (let i = 0; i < 10; i++) {
      const v = c.data[j * 10 + i];
      if (i < 8 && j < 8) assertEquals(v, 8 * j + i, `SR pixel (${j}, ${i})`);
      else assert(Number.isNaN(v), `(${j}, ${i}) is past patch 0`);
    }
  }
  // A crop starting one low-res pixel in starts s = 2 SR pixels in.
  const d = srCrop(sr, { width: 3, height: 3, y0: 9, z0: 9 }, 10.25, 10)!;
  assertEquals(d.data[0], 8 * 2 + 2);
  // Only patch 1 reaches (12.4, 11); nothing reaches (20, 20).
  assertEquals(srCrop(sr, { width: 3, height: 3, y0: 11, z0: 10 }, 12.4, 11)?.patch, 1);
  assertEquals(srCrop(sr, { width: 3, height: 3, y0: 19, z0: 19 }, 20, 20), undefined);
});

Deno.test("cropMarkers at s× lands on the SR pixel whose centre is the position", () => {
  const crop = { width: 5, height: 5, y0: 8, z0: 8 };
  // SR column k of a ×2 crop from y0 = 8 is centred at 8 − ½ + (k + ½)/2: 10 is between 4 and 5,
  // 10.25 is the centre of column 5, 9.75 of column 4.
  const m = cropMarkers(crop, [[10, 10], [9.75, 10.25]], frameOf([peakRow(10.25, 9.75, 1)]), 2);
  assertEquals(m.map((k) => [k.x, k.y, k.shape]), [
    [4.5, 4.5, "circle"],
    [4, 5, "circle"],
    [5, 4, "cross"],
  ]);
  assertEquals(cropMarkers(crop, [[10, 10]], undefined, 1)[0].x, 2, "s = 1 is the x1 crop");
});

Deno.test("examplePanels reads x1 → SR → fit with markers on the SR grid", () => {
  const truth = parseTruthTable("frame\tY\tZ\n0\t10\t10\n0\t10.5\t10\n1\t30\t30\n1\t31\t30\n");
  const pairs: TruthPair[] = [
    { a: 0, b: 1, frame: 0, separationPx: 0.5, resolved: false },
    { a: 2, b: 3, frame: 1, separationPx: 1, resolved: false },
  ];
  const frame = new Float64Array(64 * 64);
  const rows = [frameOf([peakRow(10.25, 10, 5)]), frameOf([])];
  const sr = srFixture();
  const out = examplePanels({
    pairs,
    truth,
    runLabels: ["SR"],
    runRows: (_k, f) => rows[f],
    frames: new Map([[0, frame], [1, frame]]),
    nY: 64,
    nZ: 64,
    halfPx: 2,
    srFrames: { s: 2, get: (f) => f === 0 ? sr : undefined },
  });
  assertEquals(out[0].panels.map((p) => p.title), ["x1", "SRx2", "fit SR"]);
  const p = out[0].panels[1];
  assertEquals([p.width, p.height, p.data.length], [10, 10, 100]);
  // Crop centred on round(10.25) = 10 → y0 = z0 = 8: truth (10, 10) at SR (4.5, 4.5),
  // (10.5, 10) at (5.5, 4.5); the peak (10.25, 10) at the centre of SR column 5.
  assertEquals(p.markers!.map((k) => [k.x, k.y, k.shape]), [
    [4.5, 4.5, "circle"],
    [5.5, 4.5, "circle"],
    [5, 4.5, "cross"],
  ]);
  assertEquals(p.data[4 * 10 + 5], 8 * 4 + 5, "SR data under the marker is patch 0's");
  // Frame 1 has no saved patch: an empty panel of the same size keeps the columns aligned.
  const q = out[1].panels[1];
  assertEquals([q.title, q.width, q.height, q.markers!.length], ["SRx2: no patch", 10, 10, 0]);
  assert(Array.from(q.data).every(Number.isNaN), "empty panel");
  // Without SR patches the row is as before.
  const plain = examplePanels({
    pairs,
    truth,
    runLabels: ["SR"],
    runRows: (_k, f) => rows[f],
    frames: new Map([[0, frame]]),
    nY: 64,
    nZ: 64,
    halfPx: 2,
  });
  assertEquals(plain[0].panels.map((p) => p.title), ["x1", "fit SR"]);
});
