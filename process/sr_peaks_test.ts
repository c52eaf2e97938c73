import { srPatchRows } from "./sr_peaks.ts";
import { assert, assertEquals } from "./_test_util.ts";

/** A Gaussian spot at detector (y, z) rendered on the physically centred SR grid of a patch. */
function srPatch(
  s: number,
  y00: number,
  z00: number,
  spots: [number, number, number][],
  sigmaPx = 1.2,
) {
  const n = 20 * s, patch = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const y = y00 - 0.5 + (c + 0.5) / s, z = z00 - 0.5 + (r + 0.5) / s;
      for (const [yc, zc, amp] of spots) {
        patch[r * n + c] += amp * Math.exp(-((y - yc) ** 2 + (z - zc) ** 2) / (2 * sigmaPx ** 2));
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

/** The x1 patch of Gaussian spots (pixel centres), thresholded like a component, plus noise. */
function rawPatch(y00: number, z00: number, spots: [number, number, number][], seed = 1) {
  const patch = new Float64Array(400);
  let x = seed;
  const noise = () => ((x = (x * 16807) % 2147483647) / 2147483647 - 0.5) * 2;
  for (let r = 0; r < 20; r++) {
    for (let c = 0; c < 20; c++) {
      let v = 0;
      for (const [yc, zc, amp] of spots) {
        v += amp * Math.exp(-((y00 + c - yc) ** 2 + (z00 + r - zc) ** 2) / (2 * 1.2 ** 2));
      }
      v += noise();
      patch[r * 20 + c] = v >= 5 ? v : 0;
    }
  }
  return patch;
}

Deno.test("SR rows refined on raw counts: positions from the x1 fit; an unneeded SR peak is dropped", () => {
  const s = 8, truth: [number, number, number] = [509.3, 310.65, 400];
  // An SR output that is a little off and has a spurious shoulder peak.
  const sr = srPatch(s, 500, 300, [[509.45, 310.5, 50], [512.4, 310.6, 12]], 0.7);
  const raw = { patch: rawPatch(500, 300, [truth]), threshold: 5 };
  const unrefined = srPatchRows(sr, { ...base, s, mode: "com" });
  assertEquals(unrefined.length, 2, "the SR patch alone shows two peaks");
  const rows = srPatchRows(sr, { ...base, s, mode: "com", raw });
  assertEquals(rows.length, 1, "the raw counts need one");
  const err = Math.hypot(rows[0].yCen - truth[0], rows[0].zCen - truth[1]);
  assert(err < 0.02, `refined position error ${err} px`);
  assertEquals(rows[0].nPeaks, 1);
});

Deno.test("SR rows refined on raw counts: a pair 2 px apart that SR separates stays two peaks", () => {
  const s = 8;
  const a: [number, number, number] = [508.2, 310.4, 300],
    b: [number, number, number] = [510.2, 310.4, 200];
  const sr = srPatch(s, 500, 300, [[a[0], a[1], 60], [b[0], b[1], 40]], 0.6);
  const raw = { patch: rawPatch(500, 300, [a, b]), threshold: 5 };
  const rows = srPatchRows(sr, {
    ...base,
    s,
    mode: "com",
    raw,
    args: { ...base.args, minDistance: 5, thresholdRel: 0.1 },
  });
  assertEquals(rows.length, 2);
  const ys = rows.map((r) => r.yCen).sort((p, q) => p - q);
  assert(Math.abs(ys[0] - a[0]) < 0.1 && Math.abs(ys[1] - b[0]) < 0.1, `fitted Y ${ys}`);
});
