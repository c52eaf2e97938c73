import { assert, assertClose, assertEq, assertThrows } from "../geometry/_assert.ts";
import { Rng } from "./noise.ts";
import { randomGrains } from "./random_grains.ts";

Deno.test("randomGrains: rotations, positions in the cylinder, ±0.1 % lattice, seeded", () => {
  const g = randomGrains(new Rng(11), { nGrains: 50, rSampleUm: 500, hBeamUm: 200 });
  assertEq(g.length, 50, "count");
  for (const x of g) {
    const m = x.om;
    for (let i = 0; i < 3; i++) {
      assertClose(m[i * 3] ** 2 + m[i * 3 + 1] ** 2 + m[i * 3 + 2] ** 2, 1, 1e-12, "unit rows");
    }
    assert(Math.hypot(x.posUm[0], x.posUm[1]) <= 500 && Math.abs(x.posUm[2]) <= 100, "in cylinder");
    assert(Math.abs(x.lattice[0] / 4.08 - 1) <= 0.001, "strain");
    assert(x.radiusUm > 0, "radius");
  }
  const again = randomGrains(new Rng(11), { nGrains: 50, rSampleUm: 500, hBeamUm: 200 });
  assertEq(again[49].om[4], g[49].om[4], "deterministic");
  assertThrows(
    () => randomGrains(new Rng(1), { nGrains: 0 }),
    "nGrains must be a positive integer",
  );
});
