import { comPatchPeaks } from "./patch_peaks.ts";
import { assert, assertClose, assertEquals } from "./test_util.ts";

/** An SR×s patch of Gaussians given in detector px (relative to the patch origin), SR-pixel centred. */
function srPatch(s: number, spots: { row: number; col: number; amp: number }[]): Float64Array {
  const n = 20 * s, out = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const y = -0.5 + (c + 0.5) / s, z = -0.5 + (r + 0.5) / s;
      for (const p of spots) {
        out[r * n + c] += p.amp * Math.exp(-0.5 * ((y - p.col) ** 2 + (z - p.row) ** 2) / 0.36);
      }
    }
  }
  return out;
}

const x8 = { minDistance: 5, thresholdRel: 0.1, peakCropSize: 20 };

Deno.test("comPatchPeaks: one spot at SRx8 recovered in detector px on the centred grid", () => {
  const patch = srPatch(8, [{ row: 9.83, col: 10.27, amp: 100 }]);
  const { peaks, nMaxima } = comPatchPeaks(patch, 8, x8);
  assertEquals([peaks.length, nMaxima], [1, 1]);
  assertClose(peaks[0].detRow, 9.83, 0.02, "detRow");
  assertClose(peaks[0].detCol, 10.27, 0.02, "detCol");
  assertEquals([peaks[0].maxRow, peaks[0].maxCol], [10, 10], "argmax of Q");
});

Deno.test("comPatchPeaks: two close spots split by the watershed; edge maxima cut", () => {
  const patch = srPatch(8, [
    { row: 10, col: 8.6, amp: 100 },
    { row: 10, col: 11.4, amp: 60 },
    { row: 1, col: 1, amp: 80 }, // inside the 2.5 px edge band
  ]);
  const { peaks, nMaxima } = comPatchPeaks(patch, 8, x8);
  assertEquals([peaks.length, nMaxima], [2, 3], "edge maximum counted, not emitted");
  const [a, b] = peaks;
  assertClose(a.detCol, 8.6, 0.1, "brighter first");
  assertClose(b.detCol, 11.4, 0.1, "fainter second");
  assert(a.integratedIntensity > b.integratedIntensity && b.integratedIntensity > 0, "split");
});
