import { assert, assertClose, assertEquals, assertThrows } from "./_test_util.ts";
import { FIXTURE_TRUTH_TSV, fixturePeakFrames } from "./fixture.ts";
import { matchPeaks } from "./matching.ts";
import { errorStats, evaluatePeaks, percentile } from "./metrics.ts";
import { fromFrames, peakPoints } from "./peak_table.ts";
import { parseTruthTable } from "./truth_table.ts";

const truth = parseTruthTable(FIXTURE_TRUTH_TSV);
const peaks = peakPoints(fromFrames(fixturePeakFrames()));

Deno.test("percentile interpolates linearly between order statistics", () => {
  assertEquals(percentile([4, 1, 3, 2], 50), 2.5);
  assertEquals(percentile([4, 1, 3, 2], 0), 1);
  assertEquals(percentile([4, 1, 3, 2], 100), 4);
  assertClose(percentile([0, 10], 95), 9.5);
  assert(Number.isNaN(percentile([], 50)));
  const s = errorStats([0.1, 0.1, 0.1, 0.2, 0.2, 0.3, 1.4]);
  assertClose(s.median, 0.2);
  assertClose(s.p95, 0.3 + 0.7 * 1.1);
  assertClose(s.max, 1.4);
  assertClose(s.mean, 2.4 / 7);
});

Deno.test("greedy matching is one-to-one and takes the closest pair first", () => {
  const t = parseTruthTable("frame\tY\tZ\n0\t0\t0\n0\t1\t0\n");
  const p = {
    n: 2,
    frame: Int32Array.of(0, 0),
    y: Float64Array.of(0.6, 0.7),
    z: Float64Array.of(0, 0),
  };
  const m = matchPeaks(t, p, 1.5);
  // Closest pair is peak 1 ↔ truth 1 (0.3); then peak 0 ↔ truth 0 (0.6).
  assertEquals(m.peakTruth, [0, 1]);
  assertClose(m.centreDist[0], 0.6);
  const lone = matchPeaks(parseTruthTable("frame\tY\tZ\n0\t0\t0\n"), p, 1.5);
  assertEquals(lone.peakTruth, [0, -1], "a second peak near the same truth stays unmatched");
  assertEquals(lone.peakNearTruth, [1, 1], "… and is flagged as near a truth spot (a split)");
  const far = evaluatePeaks(parseTruthTable("frame\tY\tZ\n0\t0\t0\n"), {
    ...p,
    nFrames: 1,
    y: Float64Array.of(0.6, 9),
    intensity: Float64Array.of(1, 1),
  }).metrics;
  assertEquals([far.nMatchedPeaks, far.nSplitPeaks], [1, 0], "a far peak is spurious, not split");
  const split = evaluatePeaks(parseTruthTable("frame\tY\tZ\n0\t0\t0\n"), {
    ...p,
    nFrames: 1,
    intensity: Float64Array.of(1, 1),
  }).metrics;
  assertEquals(split.nSplitPeaks, 1);
  const edge = matchPeaks(parseTruthTable("frame\tY\tZ\n0\t0\t0\n"), p, 0.6);
  assertEquals(edge.peakTruth[0], 0, "radius is inclusive");
  assertThrows(() => matchPeaks(t, p, 0), "radiusPx must be > 0");
});

Deno.test("fixture: recall, precision and localization are exact", () => {
  const { metrics: m, isolated } = evaluatePeaks(truth, peaks);
  assertEquals([m.nTruth, m.nTruthCounted, m.nPeaks], [9, 9, 9]);
  assertEquals([m.nMatchedTruth, m.nMatchedPeaks, m.nSplitPeaks], [7, 8, 0]);
  assertClose(m.recall, 7 / 9);
  assertClose(m.recallAnyFrame, 7 / 9);
  assertClose(m.precision, 8 / 9, 1e-12, "the side-frame peak of E is a true positive");
  assertClose(m.f1, (2 * (7 / 9) * (8 / 9)) / (7 / 9 + 8 / 9));
  assertEquals(Array.from(isolated), [0, 0, 1, 1, 0, 0, 1, 0, 0]);
  const all = m.localizationPx.all, iso = m.localizationPx.isolated;
  assertEquals(all.n, 7);
  assertClose(all.median, 0.2);
  assertClose(all.p95, 1.07);
  assertClose(all.max, 1.4);
  assertEquals(iso.n, 2);
  assertClose(iso.median, 0.8);
  assertClose(iso.p95, 0.2 + 0.95 * 1.2);
});

Deno.test("fixture: close pairs resolved per bin and the curve", () => {
  const { metrics: m, pairs } = evaluatePeaks(truth, peaks);
  assertEquals(
    pairs.map((p) => [p.a, p.b, p.frame, p.resolved]),
    [[0, 1, 0, true], [4, 5, 1, false], [7, 8, 2, true]],
  );
  assertEquals(m.pairs.bins.map((b) => [b.loPx, b.hiPx, b.n, b.resolved]), [
    [0, 1, 1, 0],
    [1, 2, 1, 1],
    [2, 4, 1, 1],
  ]);
  assertEquals(m.pairs.curve.length, 8);
  assertEquals(m.pairs.curve.map((b) => b.n), [0, 1, 1, 0, 0, 1, 0, 0]);
  assert(Number.isNaN(m.pairs.curve[0].fraction), "empty bin has NaN fraction");
  // A stricter resolve radius (0.2 px) loses the A–B pair (B's peak is 0.3 px off).
  const strict = evaluatePeaks(truth, peaks, { pairResolvePx: 0.2 }).metrics;
  assertEquals(strict.pairs.bins.map((b) => b.resolved), [0, 0, 1]);
});

Deno.test("fixture: intensity error after the global scale fit", () => {
  const { metrics: m } = evaluatePeaks(truth, peaks);
  assertEquals(m.intensity.n, 7);
  assertClose(m.intensity.scale, 2);
  assertClose(m.intensity.medianAbsRelError, 0);
  assertClose(m.intensity.p95AbsRelError, 0.7 * 0.4);
});

Deno.test("minTruthIntensity and the frame range restrict counted truth", () => {
  const bright = evaluatePeaks(truth, peaks, { minTruthIntensity: 50 }).metrics;
  assertEquals([bright.nTruthCounted, bright.nMatchedTruth], [8, 6]);
  const twoFrames = evaluatePeaks(truth, { ...peaks, nFrames: 2 }).metrics;
  assertEquals(twoFrames.nTruthCounted, 7, "spots of frame 2 lie outside the table");
  assertThrows(() => evaluatePeaks(truth, peaks, { pairBinEdgesPx: [0, 2, 1] }), "must ascend");
});
