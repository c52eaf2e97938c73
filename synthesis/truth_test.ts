import { assertEq, assertThrows } from "../geometry/_assert.ts";
import { formatTruthTsv, parseTruthTsv } from "./truth.ts";
import type { SceneSpot } from "./scene.ts";

Deno.test("truth.tsv round trip keeps full precision; bad values name the column", () => {
  const s = {
    grainId: 3,
    spotId: 9,
    h: 1,
    k: -1,
    l: 1,
    ringNr: 1,
    omegaDeg: 12.345678901234,
    frame: 670,
    yPx: 1403.587912345,
    zPx: 1855.9043,
    rPx: 917.06,
    etaDeg: 24.58,
    thetaDeg: 2.7,
    yLabUm: 0,
    zLabUm: 0,
    iMax: 7880.5,
    sigmaGRPx: 1,
    sigmaGEtaDeg: 0.06,
    sigmaLRPx: 1.2,
    sigmaLEtaDeg: 0.07,
    mu: 0.1,
    omegaSigmaDeg: 0.2,
    firstFrame: 668,
    frameWeights: new Float64Array(5),
    intensity: 1e5,
    saturated: true,
    pairOf: 0,
  } as SceneSpot;
  const rows = parseTruthTsv(formatTruthTsv([s]));
  assertEq(rows.length, 1, "rows");
  assertEq(rows[0].yPx, s.yPx, "yPx exact");
  assertEq(rows[0].nFrames, 5, "nFrames");
  assertEq(rows[0].saturated, 1, "saturated flag");
  assertThrows(() => parseTruthTsv("spotId\n1\n", "t.tsv"), `t.tsv: header lacks column "grainId"`);
});
