import { MIDAS_EXAMPLE_DIR } from "../tests/shared_data.ts";
import { assert, assertClose, assertEq } from "./_assert.ts";
import { parseHklsCsv } from "./crystal.ts";
import { exampleGeometry } from "./detector.ts";
import { braggOmegas, forwardSpots, grainDisplacementUm } from "./forward.ts";
import { parseGrainsCsv } from "./grains.ts";

const DATA = MIDAS_EXAMPLE_DIR;
const SCAN = { wavelengthA: 0.22291, omegaStartDeg: 180, omegaStepDeg: -0.25, nFrames: 1440 };

Deno.test("braggOmegas: every solution satisfies −x cos ω + y sin ω = |G| sin θ", () => {
  for (const [x, y, z] of [[0.1, 0.2, -0.15], [0.3, 0, 0.1], [-0.2, 0.05, 0.3]]) {
    const sols = braggOmegas(x, y, z, 3);
    assert(sols.length === 2, `two solutions for (${x},${y},${z})`);
    for (const s of sols) {
      const o = (s.omegaDeg * Math.PI) / 180;
      const lhs = -x * Math.cos(o) + y * Math.sin(o);
      assertClose(lhs, Math.hypot(x, y, z) * Math.sin((3 * Math.PI) / 180), 1e-12, "Bragg");
    }
  }
  assertEq(braggOmegas(0, 0, 1, 3).length, 0, "G along the rotation axis never diffracts");
});

Deno.test("grainDisplacementUm: a grain at the origin does not move the spot; +Z grain shifts +Z", () => {
  const [dy, dz] = grainDisplacementUm([0, 0, 0], 1e6, 1e5, 2e4, 33);
  assertClose(dy, 0, 1e-12, "dy");
  assertClose(dz, 0, 1e-12, "dz");
  assertClose(grainDisplacementUm([0, 0, 50], 1e6, 1e5, 0, 0)[1], 50, 1e-9, "dz");
});

/**
 * ACCEPTANCE: every 3-grain spot lands where MIDAS's stored C peak search found it
 * (golden_peaks_per_frame_C.tsv, midas-formats §5.2).
 */
Deno.test("golden: 3-grain spots match MIDAS's C peaks within 0.02 px, same frames", async () => {
  const grains = parseGrainsCsv(await Deno.readTextFile(DATA + "GrainsSim_3grain.csv"));
  const hkls = parseHklsCsv(await Deno.readTextFile(DATA + "hkls.csv"));
  const spots = forwardSpots(grains, hkls, exampleGeometry(), SCAN);
  assertEq(spots.length, 348, "3 grains × 116 spots");
  const lines = (await Deno.readTextFile(DATA + "golden_peaks_per_frame_C.tsv")).trim().split("\n");
  const head = lines[0].split("\t");
  const [cF, cY, cZ] = ["FrameNr", "YCen", "ZCen"].map((n) => head.indexOf(n));
  const byFrame = new Map<number, typeof spots>();
  for (const s of spots) byFrame.set(s.frame, [...(byFrame.get(s.frame) ?? []), s]);
  const errs: number[] = [];
  let pairs = 0, orphans = 0;
  const matched = new Set<number>();
  for (const line of lines.slice(1)) {
    const v = line.split("\t").map(Number);
    const near = (byFrame.get(v[cF] - 1) ?? []).filter((s) =>
      Math.hypot(s.yPx - v[cY], s.zPx - v[cZ]) < 3
    );
    near.forEach((s) => matched.add(s.spotId));
    if (near.length === 1) errs.push(Math.hypot(near[0].yPx - v[cY], near[0].zPx - v[cZ]));
    else if (near.length === 2) pairs++;
    else orphans++;
  }
  errs.sort((a, b) => a - b);
  const median = errs[Math.floor(errs.length / 2)], max = errs[errs.length - 1];
  console.log(
    `golden: ${errs.length} isolated peaks, median ${median.toExponential(2)} px, max ${
      max.toExponential(2)
    } px; ` +
      `${pairs} unresolved pairs; ${orphans} unmatched; ${matched.size}/348 true spots matched`,
  );
  assertEq(orphans, 0, "every C peak has a true spot in the same frame");
  // §5.2 counts 286 + 2 frame-boundary spots that only match with MIDAS's Euler round trip.
  assertEq(errs.length, 288, "isolated peaks (midas-formats §5.2)");
  assertEq(pairs, 30, "unresolved near-twin pairs");
  assert(max < 0.02, `max deviation ${max} px ≥ 0.02`);
  assert(median < 0.002, `median deviation ${median} px`);
  // 348 true spots = 288 isolated + 2 × 30 in unresolved pairs.
  assertEq(matched.size, 348, "true spots accounted for");
});

Deno.test("without MIDAS's Euler round trip two boundary spots change frame", async () => {
  const grains = parseGrainsCsv(await Deno.readTextFile(DATA + "GrainsSim_3grain.csv"));
  const hkls = parseHklsCsv(await Deno.readTextFile(DATA + "hkls.csv"));
  const a = forwardSpots(grains, hkls, exampleGeometry(), SCAN);
  const b = forwardSpots(grains, hkls, exampleGeometry(), SCAN, { eulerRoundTrip: false });
  const changed = a.filter((s, i) => s.frame !== b[i].frame).length;
  assertEq(changed, 2, "frame changes");
});

Deno.test("forwardSpots drops spots outside the ω range and the detector", async () => {
  const grains = parseGrainsCsv(await Deno.readTextFile(DATA + "GrainsSim_3grain.csv"));
  const hkls = parseHklsCsv(await Deno.readTextFile(DATA + "hkls.csv"));
  const half = forwardSpots(grains, hkls, exampleGeometry(), { ...SCAN, nFrames: 720 });
  assert(half.every((s) => s.omegaDeg > 0 && s.frame < 720), "only ω in (0, 180)");
  assert(half.length > 100 && half.length < 250, `about half the spots, got ${half.length}`);
  const tiny = forwardSpots(grains, hkls, { ...exampleGeometry(), nY: 1500, nZ: 1500 }, SCAN);
  assert(tiny.every((s) => s.yPx < 1500 && s.zPx < 1500), "on the detector");
  assert(tiny.length < 348, "some spots fall off a smaller detector");
});
