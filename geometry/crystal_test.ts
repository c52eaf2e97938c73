import { MIDAS_EXAMPLE_DIR } from "../tests/shared_data.ts";
import { assert, assertClose, assertEq, assertThrows } from "./_assert.ts";
import {
  bMatrix,
  braggThetaDeg,
  eulerFromOrientation,
  formatHklsCsv,
  generateHkls,
  midasOrientationRoundTrip,
  orientationFromEuler,
  orientationFromQuaternion,
  parseHklsCsv,
} from "./crystal.ts";

const DATA = MIDAS_EXAMPLE_DIR;
const AU = [4.08, 4.08, 4.08, 90, 90, 90] as const;

Deno.test("bMatrix: cubic gives 1/a on the diagonal; hexagonal γ=120 gives the textbook |a*|", () => {
  const b = bMatrix(AU);
  assertClose(b[0], 1 / 4.08, 1e-15, "a*");
  assertClose(b[4], 1 / 4.08, 1e-15, "b*");
  assertClose(b[1], 0, 1e-15, "off-diagonal");
  const hex = bMatrix([3, 3, 5, 90, 90, 120]);
  assertClose(Math.hypot(hex[0], hex[3], hex[6]), 2 / (Math.sqrt(3) * 3), 1e-12, "|a*| hex");
});

Deno.test("generateHkls reproduces MIDAS hkls.csv for Au (rings, d, θ, radius)", async () => {
  const ref = parseHklsCsv(await Deno.readTextFile(DATA + "hkls.csv"));
  const gen = generateHkls({
    lattice: AU,
    spaceGroup: 225,
    wavelengthA: 0.22291,
    lsdUm: 1e6,
    maxRadiusUm: 204800,
  });
  assertEq(gen.length, ref.length, "reflection count");
  const key = (r: { h: number; k: number; l: number; ringNr: number }) =>
    `${r.h},${r.k},${r.l},${r.ringNr}`;
  const refMap = new Map(ref.map((r) => [key(r), r]));
  for (const g of gen) {
    const r = refMap.get(key(g));
    assert(r, `generated ${key(g)} missing from hkls.csv`);
    assertClose(g.dA, r.dA, 1e-12, "d");
    assertClose(g.thetaDeg, r.thetaDeg, 1e-12, "theta");
    assertClose(g.radiusUm, r.radiusUm, 1e-6, "radius");
  }
  // Round trip through the text format.
  const again = parseHklsCsv(formatHklsCsv(gen));
  assertEq(again[57].radiusUm, gen[57].radiusUm, "format/parse keeps full precision");
  assertClose(braggThetaDeg(ref[0].dA, 0.22291), ref[0].thetaDeg, 1e-12, "Bragg θ");
});

Deno.test("generateHkls rejects unsupported space groups; parseHklsCsv names the file", () => {
  assertThrows(
    () =>
      generateHkls({
        lattice: AU,
        spaceGroup: 194,
        wavelengthA: 0.2,
        lsdUm: 1e6,
        maxRadiusUm: 2e5,
      }),
    "space group 194",
  );
  assertThrows(() => parseHklsCsv("h k l\n1 1 x\n", "my_hkls.csv"), "my_hkls.csv: line 2");
});

Deno.test("Euler ↔ OM round trip and quaternion matrices are rotations", () => {
  const om = orientationFromQuaternion([0.3, -0.5, 0.2, 0.7]);
  const back = orientationFromEuler(eulerFromOrientation(om));
  for (let i = 0; i < 9; i++) assertClose(back[i], om[i], 1e-12, `OM[${i}]`);
  // A 6-decimal (non-orthonormal) matrix is pulled back onto SO(3) by MIDAS's round trip.
  const rounded = Array.from(om, (v) => Math.round(v * 1e6) / 1e6);
  const fixed = midasOrientationRoundTrip(rounded);
  const det = fixed[0] * (fixed[4] * fixed[8] - fixed[5] * fixed[7]) -
    fixed[1] * (fixed[3] * fixed[8] - fixed[5] * fixed[6]) +
    fixed[2] * (fixed[3] * fixed[7] - fixed[4] * fixed[6]);
  assertClose(det, 1, 1e-12, "det");
});
