import { assertEquals } from "../tests/assert.ts";
import { fromFrames } from "../evaluation/peak_table.ts";
import { N_PEAK_COLS, PEAK_COL } from "../midas/peak_table.ts";
import { chooseFrames, crowdedSpots, peaksPerRingFrame, ringOfPeaks } from "./stats.ts";

const rows = (...pts: [number, number, number][]) => {
  const out = new Float64Array(pts.length * N_PEAK_COLS);
  pts.forEach(([y, z, r], p) => {
    out[p * N_PEAK_COLS + PEAK_COL.YCen] = y;
    out[p * N_PEAK_COLS + PEAK_COL.ZCen] = z;
    out[p * N_PEAK_COLS + PEAK_COL.Radius] = r;
  });
  return out;
};

Deno.test("ringOfPeaks takes the nearest ring within the half width; per ring and frame counts", () => {
  const t = fromFrames([rows([0, 0, 100.5], [0, 0, 104], [0, 0, 150]), rows([0, 0, 108.9])]);
  const rings = { nr: [1, 2], radiusPx: [100, 110], halfWidthPx: 3 };
  assertEquals(Array.from(ringOfPeaks(t, rings)), [0, -1, -1, 1]);
  const per = peaksPerRingFrame(t, ringOfPeaks(t, rings), 2);
  assertEquals(per.map((r) => Array.from(r)), [[1, 0], [0, 1], [2, 0]], "ring 1, ring 2, none");
});

Deno.test("chooseFrames: busiest, median, emptiest without repeats; crowdedSpots ranks clusters", () => {
  assertEquals(chooseFrames([3, 9, 0, 5]).map((c) => [c.label, c.frame]), [
    ["busiest", 1],
    ["median", 3],
    ["emptiest", 2],
  ]);
  assertEquals(chooseFrames([4]).length, 1);
  const t = fromFrames([
    rows([10, 10, 0], [11, 10, 0], [12, 11, 0], [100, 100, 0], [101, 100, 0]),
    rows([50, 50, 0]),
  ]);
  const spots = crowdedSpots(t, 3, 5);
  assertEquals(spots.map((s) => [s.frame, s.peaks]), [[0, 3], [0, 2]], "3-cluster, then 2-cluster");
  assertEquals([spots[0].y, spots[0].z], [11, 31 / 3]);
});
