import { MIDAS_EXAMPLE_DIR } from "../tests/shared_data.ts";
import { assert, assertEq, assertThrows } from "../geometry/_assert.ts";
import { parseHklsCsv } from "../geometry/crystal.ts";
import { parseGrainsCsv } from "../geometry/grains.ts";
import { prepareSimulation } from "./simulation.ts";

const DATA = MIDAS_EXAMPLE_DIR;

Deno.test("prepareSimulation: the 3-grain golden setup in midas mode", async () => {
  const sim = prepareSimulation({
    seed: 0,
    mode: "midas",
    grains: parseGrainsCsv(await Deno.readTextFile(DATA + "GrainsSim_3grain.csv")),
    hkls: parseHklsCsv(await Deno.readTextFile(DATA + "hkls.csv")),
  });
  assertEq(sim.scene.length, 348, "spots");
  assert(
    sim.scene.every((s) => s.iMax === 5000 && s.frameWeights.length === 1),
    "ForwardSim spots",
  );
  const text = sim.parameterText;
  for (
    const line of [
      "BC 1022 1022",
      "px 200",
      "RingThresh 5 10",
      "Width 1500",
      "OmegaStep -0.25",
      "GaussWidth 1",
    ]
  ) {
    assert(text.split("\n").includes(line), `parameter file has "${line}"`);
  }
  assertEq(parseHklsCsv(sim.hklsCsv).length, 58, "hkls.csv written back");
  assertEq(parseGrainsCsv(sim.grainsCsv)[2].id, 70, "GrainsSim.csv written back");
});

Deno.test("prepareSimulation: random grains are seeded; bad setups name the field", () => {
  const small = {
    detector: { nY: 256, nZ: 256, ybc: 128, zbc: 128, lsdUm: 250_000, rhoDUm: 51_200 },
  };
  const a = prepareSimulation({ ...small, seed: 4, nGrains: 10, nFrames: 40 });
  const b = prepareSimulation({ ...small, seed: 4, nGrains: 10, nFrames: 40 });
  assert(a.scene.length > 0, "spots on the small detector");
  assertEq(a.scene.length, b.scene.length, "same spot count");
  assertEq(a.scene[0].iMax, b.scene[0].iMax, "same intensities");
  assert(
    a.scene.every((s) => s.yPx >= 0 && s.yPx < 256 && s.frame < 40),
    "inside detector and scan",
  );
  assertThrows(() => prepareSimulation({ seed: 1, nFrames: 0 }), "nFrames must be ≥ 1");
  assertThrows(() => prepareSimulation({ seed: 1, rings: [42] }), "no reflections in rings 42");
});
