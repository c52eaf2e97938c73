import { MIDAS_EXAMPLE_DIR } from "../tests/shared_data.ts";
import { assert, assertClose, assertEq, assertThrows } from "../geometry/_assert.ts";
import { parseHklsCsv } from "../geometry/crystal.ts";
import { exampleGeometry } from "../geometry/detector.ts";
import { forwardSpots } from "../geometry/forward.ts";
import { parseGrainsCsv } from "../geometry/grains.ts";
import { createFrameRenderer, darkFrames, type FrameOptions, simulateFrames } from "./frames.ts";
import { Rng } from "./noise.ts";
import { buildScene, midasScene } from "./scene.ts";

const DATA = MIDAS_EXAMPLE_DIR;

Deno.test("midas mode reproduces the golden's raw maximum pixels (position and value)", async () => {
  const grains = parseGrainsCsv(await Deno.readTextFile(DATA + "GrainsSim_3grain.csv"));
  const hkls = parseHklsCsv(await Deno.readTextFile(DATA + "hkls.csv"));
  const det = exampleGeometry();
  const spots = forwardSpots(grains, hkls, det, {
    wavelengthA: 0.22291,
    omegaStartDeg: 180,
    omegaStepDeg: -0.25,
    nFrames: 1440,
  });
  const o: FrameOptions = {
    nY: 2048,
    nZ: 2048,
    ybc: 1022,
    zbc: 1022,
    nFrames: 1440,
    seed: 0,
    mode: "midas",
  };
  const r = createFrameRenderer(midasScene(spots, 5000, 1), o);
  const lines = (await Deno.readTextFile(DATA + "golden_peaks_per_frame_C.tsv")).trim().split("\n");
  const head = lines[0].split("\t");
  const col = (n: string) => head.indexOf(n);
  // The first 6 frames with one peak each (isolated spots; keeps the test to a few 2048² frames).
  const rows = lines.slice(1).map((l) => l.split("\t").map(Number))
    .filter((v, i, all) => all.filter((w) => w[0] === v[0]).length === 1 && i < 60).slice(0, 6);
  assertEq(rows.length, 6, "golden rows picked");
  for (const v of rows) {
    const img = r.frame(v[col("FrameNr")] - 1);
    const y = v[col("maxY")], z = v[col("maxZ")];
    const val = img[z * 2048 + y];
    assertClose(val, v[col("rawIMax")], 1, `frame ${v[0]} raw max at (${y}, ${z})`);
    for (let dz = -3; dz <= 3; dz++) {
      for (let dy = -3; dy <= 3; dy++) {
        assert(img[(z + dz) * 2048 + y + dy] <= val, "local maximum");
      }
    }
  }
});

const SMALL: FrameOptions = {
  nY: 64,
  nZ: 48,
  ybc: -300,
  zbc: 24,
  nFrames: 4,
  seed: 7,
  mode: "realistic",
};

function smallScene() {
  const spot = {
    grainId: 1,
    spotId: 1,
    h: 1,
    k: 1,
    l: 1,
    ringNr: 1,
    omegaDeg: 179.6,
    frame: 1,
    yPx: 30.3,
    zPx: 20.6,
    rPx: Math.hypot(330.3, 3.4),
    etaDeg: 90 - Math.atan2(-3.4, 330.3) * 180 / Math.PI,
    thetaDeg: 3,
    yLabUm: 0,
    zLabUm: 0,
  };
  return buildScene([spot], {
    nFrames: 4,
    omegaStartDeg: 180,
    omegaStepDeg: -0.25,
    omegaSigmaDeg: [0.2, 0.2],
    peakMin: 2000,
    decades: 0,
    saturatedFraction: 0,
  }, new Rng(1));
}

Deno.test("realistic frames: pedestal + background + noise, spot over ≥ 2 frames, deterministic", () => {
  const scene = smallScene();
  const frames = [...simulateFrames(scene, SMALL)];
  assertEq(frames.length, 4, "frames");
  const again = createFrameRenderer(scene, SMALL).frame(2);
  assert(frames[2].every((v, i) => v === again[i]), "frame 2 regenerates identically");
  // Background region (far corner): mean ≈ pedestal + flux, sd ≈ √(flux + σ²).
  let s = 0, s2 = 0, n = 0;
  for (let z = 0; z < 10; z++) {
    for (let y = 0; y < 64; y++) {
      const x = frames[0][z * 64 + y];
      s += x, s2 += x * x, n++;
    }
  }
  const mean = s / n, sd = Math.sqrt(s2 / n - mean * mean);
  assertClose(mean, 102, 0.7, "background mean");
  assertClose(sd, Math.sqrt(2 + 16), 0.8, "background sd");
  const peak = (f: number) => frames[f][21 * 64 + 30];
  assert(peak(1) > 700 && peak(2) > 300, `spot in frames 1 and 2: ${peak(1)}, ${peak(2)}`);
  assert(peak(3) < 200, "spot gone two frames later");
  assertThrows(() => createFrameRenderer(scene, SMALL).frame(4), "frame index 4 outside 0 … 3");
});

Deno.test("realistic frames clip at saturation; noiseless mode gives the expectation", () => {
  const scene = smallScene();
  scene[0].iMax = 1e6;
  const f = createFrameRenderer(scene, { ...SMALL, saturationCounts: 4000 }).frame(1);
  assertEq(Math.max(...f), 4000, "clipped");
  const quiet = createFrameRenderer(smallScene(), { ...SMALL, noise: false }).frame(0);
  assertEq(quiet[0], 102, "pedestal + flux, no noise");
});

Deno.test("dark frames: pedestal with read noise only", () => {
  const d = darkFrames(3, { ...SMALL, pedestal: 150, readSigma: 3 });
  assertEq(d.length, 3 * 64 * 48, "stacked");
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  assertClose(mean, 150, 0.3, "dark mean");
});
