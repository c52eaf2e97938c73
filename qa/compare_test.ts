import { assertEquals } from "../tests/assert.ts";
import { fromFrames } from "../evaluation/peak_table.ts";
import { N_PEAK_COLS, PEAK_COL } from "../midas/peak_table.ts";
import { comparePeakTables } from "./compare.ts";

/** One frame's rows from (y, z) points. */
const frame = (...pts: [number, number][]) => {
  const rows = new Float64Array(pts.length * N_PEAK_COLS);
  pts.forEach(([y, z], p) => {
    rows[p * N_PEAK_COLS + PEAK_COL.YCen] = y;
    rows[p * N_PEAK_COLS + PEAK_COL.ZCen] = z;
  });
  return rows;
};

Deno.test("comparePeakTables classifies matched, only-in-one, split, merged and complex groups", () => {
  const a = fromFrames([
    frame([10, 10], [50, 50], [80, 80], [81, 80], [120, 120], [121, 120], [200, 10]),
    frame([5, 5]),
  ]);
  const b = fromFrames([
    frame([10.3, 10.4], [49.5, 50], [50.5, 50], [80.5, 80], [120.2, 120], [121.2, 120], [10, 200]),
    frame(),
  ]);
  const c = comparePeakTables(a, b, 1.5);
  assertEquals(
    [c.matched, c.splitInB, c.splitInA, c.complex, c.onlyA, c.onlyB],
    [1, 1, 1, 1, 2, 1],
    "matched (10,10); B splits (50,50); A splits (80,80); 2:2 at (120,120); A-only (200,10) and frame 1; B-only (10,200)",
  );
  assertEquals([c.shiftY[0], c.shiftZ[0]].map((x) => Math.round(x * 10) / 10), [0.3, 0.4]);
  const split = c.groups.find((g) => g.kind === "splitInB")!;
  assertEquals([split.frame, split.y, split.z, split.nA, split.nB], [0, 50, 50, 1, 2]);
  // Two peaks of one table never link by themselves: A's (80, 80), (81, 80) with no B nearby.
  const alone = comparePeakTables(fromFrames([frame([80, 80], [81, 80])]), fromFrames([frame()]));
  assertEquals([alone.onlyA, alone.splitInA], [2, 0]);
});
