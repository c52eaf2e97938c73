import { pseudoVoigt } from "../peaks/pseudo_voigt.ts";
import {
  applyImTransOpt,
  concatPeakbanks,
  correctFrame,
  type FrameContext,
  frameRows,
  isolatedPeaks,
} from "./peakbank.ts";
import {
  formatPeakbankCsv,
  makePeakbank,
  parsePeakbankCsv,
  PATCHSTORE_REQUIRED_COLUMNS,
  requireColumns,
} from "./peakbank_csv.ts";
import { rEtaFromYZ, yzFromREta } from "./synthesis.ts";
import { assert } from "./test_assert.ts";

const ctx: FrameContext = { nY: 64, nZ: 64, yBC: 32, zBC: 32, cvsz: 12, iThresh: 0 };

/** A MIDAS-like table of 4 peaks on R = 20 px and the full-frame measured image they make. */
function scene() {
  const etas = [60, -120, 1, 150]; // the third lies inside the ±3° pole cut
  const cols: Record<string, number[]> = {
    SpotID: [],
    IntegratedIntensity: [],
    "YCen(px)": [],
    "ZCen(px)": [],
    IMax: [],
    "Radius(px)": [],
    "Eta(degrees)": [],
    nPeaks: [],
    BG: [],
    SigmaGR: [],
    SigmaLR: [],
    SigmaGEta: [],
    SigmaLEta: [],
    MU: [],
  };
  etas.forEach((eta, k) => {
    const [y, z] = yzFromREta(20, eta, ctx.yBC, ctx.zBC);
    const row = {
      SpotID: k + 1,
      IntegratedIntensity: 1000,
      "YCen(px)": y,
      "ZCen(px)": z,
      IMax: 100,
      "Radius(px)": 20,
      "Eta(degrees)": eta,
      nPeaks: k === 3 ? 2 : 1,
      BG: 0,
      SigmaGR: 1,
      SigmaLR: 1,
      SigmaGEta: 3,
      SigmaLEta: 3,
      MU: 0.2,
    } as Record<string, number>;
    for (const c in cols) cols[c].push(row[c]);
  });
  const table = makePeakbank(cols);
  const measured = new Float32Array(ctx.nY * ctx.nZ);
  for (let z = 0; z < ctx.nZ; z++) {
    for (let y = 0; y < ctx.nY; y++) {
      const [r, e] = rEtaFromYZ(y, z, ctx.yBC, ctx.zBC);
      for (let k = 0; k < 2; k++) {
        measured[z * ctx.nY + y] += pseudoVoigt(
          {
            u0: 20,
            v0: etas[k],
            sigmaGU: 1,
            sigmaGV: 3,
            sigmaLU: 1,
            sigmaLV: 3,
            mu: 0.2,
            iMax: 100,
          },
          r,
          e,
        );
      }
    }
  }
  return { table, measured };
}

Deno.test("peakbank: isolated peaks exclude multi-peak regions and the Eta poles", () => {
  const { table } = scene();
  assert(isolatedPeaks(table).join() === "0,1", `got ${isolatedPeaks(table)}`);
});

Deno.test("peakbank: well-described peaks score low, a wrong IMax scores high", () => {
  const { table, measured } = scene();
  const good = frameRows(table, measured, ctx, { frameIndex: 7, sourceDir: "/scan/a" });
  assert(good.length === 2, `rows ${good.length}`);
  for (const e of good.numeric.error_reconstruction) assert(e >= 0 && e < 0.15, `error ${e}`);
  assert(good.text.frame_id[0] === "000007" && good.text.SourceDir[1] === "/scan/a", "provenance");
  assert(good.numeric["BeamYCen(px)"][0] === 32, "beam centre kept");
  assert(
    good.columns.slice(0, 4).join() === "SpotID,error_reconstruction,frame_id,IntegratedIntensity",
    good.columns.join(),
  );
  table.numeric.IMax[0] = 200;
  const bad = frameRows(table, measured, ctx, { frameIndex: 7, sourceDir: "/scan/a" });
  assert(bad.numeric.error_reconstruction[0] > 0.7, `error ${bad.numeric.error_reconstruction[0]}`);
});

Deno.test("peakbank: peaks at the frame edge do not crash; empty windows give NaN", () => {
  const { table } = scene();
  table.numeric["YCen(px)"][0] = 1;
  table.numeric["ZCen(px)"][0] = 62.5;
  const rows = frameRows(table, new Float32Array(64 * 64), ctx, { frameIndex: 0, sourceDir: "d" });
  assert(
    rows.length === 2 && Number.isNaN(rows.numeric.error_reconstruction[0]),
    "NaN for an empty window",
  );
});

Deno.test("peakbank: dark correction, concatenation with threshold, CSV round trip", () => {
  const c = correctFrame([100, 50, 300], [10, 10, 10], 60);
  assert(c.join() === "90,0,290", `corrected ${c.join()}`);
  const { table, measured } = scene();
  const a = frameRows(table, measured, ctx, { frameIndex: 0, sourceDir: "/a" });
  const b = frameRows(table, measured, ctx, { frameIndex: 1, sourceDir: "/b" });
  b.numeric.error_reconstruction[1] = 0.9;
  const all = concatPeakbanks([
    a,
    frameRows(makePeakbank({ ...table.numeric, nPeaks: [2, 2, 2, 2] }), measured, ctx, {
      frameIndex: 2,
      sourceDir: "/c",
    }),
    b,
  ], 0.5);
  assert(all.length === 3 && all.text.SourceDir.join() === "/a,/a,/b", all.text.SourceDir.join());
  const back = parsePeakbankCsv(formatPeakbankCsv(all), "pb.csv");
  requireColumns(back, PATCHSTORE_REQUIRED_COLUMNS, "pb.csv");
  assert(
    back.numeric["BeamYCen(px)"][2] === 32 && back.text.frame_id[2] === "000001",
    "round trip",
  );
});

Deno.test("peakbank: ImTransOpt flips and transposes like MIDAS, all entries in order", () => {
  const f = Float32Array.of(1, 2, 3, 4, 5, 6); // 2 rows × 3 columns
  assert(applyImTransOpt(f, 2, 3, [1]).data.join() === "3,2,1,6,5,4", "flip columns");
  assert(applyImTransOpt(f, 2, 3, [2]).data.join() === "4,5,6,1,2,3", "flip rows");
  const t = applyImTransOpt(f, 2, 3, [3]);
  assert(t.data.join() === "1,4,2,5,3,6" && t.nZ === 3 && t.nY === 2, "transpose");
  assert(applyImTransOpt(f, 2, 3, [1, 2]).data.join() === "6,5,4,3,2,1", "both flips");
  assert(applyImTransOpt(f, 2, 3, [0, -1]).data === f, "no-ops");
});
