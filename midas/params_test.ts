import { MIDAS_EXAMPLE_DIR } from "../tests/shared_data.ts";
import {
  formatParamText,
  frameOmega,
  midasParamsFrom,
  paramFileToZipParameters,
  parseParamText,
  readParamFile,
} from "./params.ts";
import { assert, assertEquals, assertRejects } from "./_test_util.ts";

const EXAMPLE = MIDAS_EXAMPLE_DIR + "Parameters.txt";

Deno.test("parameter file: MIDAS example parses and converts with the zipper's rules", async () => {
  const entries = await readParamFile(EXAMPLE);
  assertEquals(entries.find((e) => e.key === "BC")?.values, [1022, 1022]);
  assertEquals(entries.filter((e) => e.key === "RingThresh").length, 5);
  assertEquals(entries.find((e) => e.key === "PeakIntensity")?.values, [5000]); // inline comment dropped
  const { analysisParameters: ap, scanParameters: sp } = paramFileToZipParameters(entries, EXAMPLE);
  assertEquals([ap.YCen, ap.ZCen, ap.PixelSize, ap.Lsd, ap.RhoD], [1022, 1022, 200, 1e6, 204800]);
  assertEquals(ap.LatticeParameter, [4.08, 4.08, 4.08, 90, 90, 90]);
  assertEquals(ap.RingThresh, [[1, 10], [2, 10], [3, 10], [4, 10], [5, 10]]);
  assertEquals([ap.ImTransOpt, ap.OmegaRanges, ap.BoxSizes], [[0], [[-180, 180]], [[
    -1e6,
    1e6,
    -1e6,
    1e6,
  ]]]);
  assertEquals([ap.MinMatchesToAcceptFrac, ap.OverallRingToIndex, ap.InFileName], [
    0.8,
    2,
    "GrainsSim.csv",
  ]);
  assertEquals(sp, { start: 180, step: -0.25 });
  assert(!("OmegaStep" in ap) && !("px" in ap) && !("BC" in ap));
  // The typed view accepts it (SpaceGroup, LatticeParameter … all there).
  const p = midasParamsFrom(ap, sp, EXAMPLE);
  assertEquals([p.Width, p.UpperBoundThreshold, p.SpaceGroup, p.Padding, p.ImTransOpt], [
    1500,
    16000,
    225,
    6,
    [0],
  ]);
  assertEquals([frameOmega(p, 0), frameOmega(p, 4)], [180, 179]);
});

Deno.test("parameter file: format → parse round trip keeps keys, order and values", () => {
  const text =
    "# c\nLsd 1000000.5\nRingThresh 1 10 # x\nRingThresh 2 20\nInFileName a.csv\nBC 1 2.5e3\n";
  const e = parseParamText(text, "t");
  assertEquals(parseParamText(formatParamText(e), "t"), e);
  assertEquals(e[4].values, [1, 2500]);
});

Deno.test("parameters: SkipFrame back-dates start; omegaCenter overrides; errors name key", async () => {
  const e = parseParamText("OmegaStart 10\nOmegaStep 0.5\nSkipFrame 2\n", "t");
  const { scanParameters } = paramFileToZipParameters(e, "t");
  assertEquals(scanParameters.start, 9);
  const p = midasParamsFrom({ SkipFrame: 2 }, { start: 9, step: 0.5 }, "t", { required: [] });
  assertEquals(frameOmega(p, 0), 10);
  assertEquals(frameOmega({ ...p, omegaCenter: new Float64Array([0, 1, 42]) }, 0), 42);
  let msg = "";
  try {
    midasParamsFrom({ YCen: 1 }, { start: 0, step: 1 }, "scan.zip");
  } catch (err) {
    msg = (err as Error).message;
  }
  assert(msg.startsWith("scan.zip: analysis_parameters/ZCen"), msg);
  let msg2 = "";
  try {
    paramFileToZipParameters(parseParamText("OmegaStart 1\n", "p.txt"), "p.txt");
  } catch (err) {
    msg2 = (err as Error).message;
  }
  assert(msg2.includes("p.txt") && msg2.includes("OmegaStep"), msg2);
  await assertRejects(
    () => readParamFile("/nonexistent/Parameters.txt"),
    "/nonexistent/Parameters.txt",
  );
});
