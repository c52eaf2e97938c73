import { srPatchRows } from "./sr_peaks.ts";
import { assert, assertEquals } from "./_test_util.ts";

/** A Gaussian spot at detector (y, z) rendered on the physically centred SR grid of a patch. */
function srPatch(s: number, y00: number, z00: number, spots: [number, number, number][]) {
  const n = 20 * s, patch = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const y = y00 - 0.5 + (c + 0.5) / s, z = z00 - 0.5 + (r + 0.5) / s;
      for (const [yc, zc, amp] of spots) {
        patch[r * n + c] += amp * Math.exp(-((y - yc) ** 2 + (z - zc) ** 2) / (2 * 1.2 ** 2));
      }
    }
  }
  return patch;
}

const base = {
  lowResSize: 20,
  y00: 500,
  z00: 300,
  ybc: 1022,
  zbc: 1022,
  omega: 12,
  nPx: 40,
  rawMax: 900,
  rawSum: 5000,
  args: { minDistance: 5, thresholdRel: 0.1, peakCropSize: 20, pvfitIntThresh: 10 },
};

Deno.test("SR rows: COM and PV recover a spot on the physically centred grid; R/Eta match Y/Z", () => {
  const s = 8, truth: [number, number, number] = [509.3, 310.65, 50];
  const patch = srPatch(s, 500, 300, [truth]);
  for (const mode of ["com", "pv", "auto"] as const) {
    const rows = srPatchRows(patch, { ...base, s, mode });
    assertEquals(rows.length, 1, `${mode}: one peak`);
    const r = rows[0];
    const err = Math.hypot(r.yCen - truth[0], r.zCen - truth[1]);
    assert(err < (mode === "pv" ? 0.01 : 0.05), `${mode}: position error ${err}`);
    // R/Eta are those of (YCen, ZCen) (sr-midas §12 item 3 fixed).
    const yBack = 1022 + r.radius * Math.sin(r.eta * Math.PI / 180);
    const zBack = 1022 + r.radius * Math.cos(r.eta * Math.PI / 180);
    assert(Math.hypot(yBack - r.yCen, zBack - r.zCen) < 1e-6, `${mode}: R/Eta consistent`);
    assertEquals([r.omega, r.nrPxTot, r.rawSumIntensity, r.nPeaks], [12, 40, 5000, 1]);
  }
});

Deno.test("SR rows: two maxima give two rows with RawSumIntensity apportioned by IMax", () => {
  const s = 4;
  const patch = srPatch(s, 500, 300, [[507.5, 309.5, 60], [512.5, 310.5, 30]]);
  const rows = srPatchRows(patch, {
    ...base,
    s,
    mode: "com",
    args: { ...base.args, minDistance: 4, peakCropSize: 10 },
  });
  assertEquals(rows.length, 2);
  assert(
    Math.abs(rows[0].rawSumIntensity + rows[1].rawSumIntensity - 5000) < 1e-9,
    "sum preserved",
  );
  assert(rows[0].rawSumIntensity > rows[1].rawSumIntensity, "brighter peak gets more");
  assertEquals(rows.map((r) => r.nPeaks), [2, 2]);
});
