import { assert, assertClose, assertThrows } from "../geometry/_assert.ts";
import { rEtaFromYZ } from "../geometry/detector.ts";
import { createFrameRenderer, darkFrames, type FrameOptions } from "./frames.ts";
import { Rng } from "./noise.ts";
import {
  applyNoise,
  fitNoiseModel,
  measureBackground,
  noiseModelFromScan,
  simulatorNoise,
} from "./noise_model.ts";
import { buildScene } from "./scene.ts";

const OPTS: FrameOptions = {
  nY: 192,
  nZ: 192,
  ybc: -300,
  zbc: 96,
  nFrames: 3,
  seed: 11,
  mode: "realistic",
  backgroundFlux: 3,
  readSigma: 5,
};

/** 12 bright spots (denser than a real frame) at random places in frame 1 of a 192² detector. */
function busyFrame() {
  const rng = new Rng(5);
  const spots = Array.from({ length: 12 }, (_, i) => {
    const yPx = 10 + 172 * rng.random(), zPx = 10 + 172 * rng.random();
    const { rPx, etaDeg } = rEtaFromYZ(yPx, zPx, OPTS.ybc, OPTS.zbc);
    return {
      grainId: 1,
      spotId: i + 1,
      h: 1,
      k: 1,
      l: 1,
      ringNr: 1,
      omegaDeg: 179.6,
      frame: 1,
      yPx,
      zPx,
      rPx,
      etaDeg,
      thetaDeg: 3,
      yLabUm: 0,
      zLabUm: 0,
    };
  });
  const scene = buildScene(spots, {
    nFrames: 3,
    omegaStartDeg: 180,
    omegaStepDeg: -0.25,
    omegaSigmaDeg: [0.05, 0.05],
    peakMin: 200,
    decades: 2,
    saturatedFraction: 0,
  }, rng);
  return createFrameRenderer(scene, OPTS).frame(1);
}

Deno.test("noise model: measured from a busy simulated frame and its darks, it is the simulator's", () => {
  const frame = busyFrame();
  const stats = measureBackground(frame, OPTS.nY, OPTS.nZ, { pedestal: 100 });
  assert(stats.n > 0.5 * OPTS.nY * OPTS.nZ && stats.n < OPTS.nY * OPTS.nZ, `n ${stats.n}`);
  const dark = measureBackground(darkFrames(1, OPTS), OPTS.nY, OPTS.nZ, { pedestal: 100 });
  const model = fitNoiseModel(stats, dark);
  const truth = simulatorNoise(OPTS);
  assertClose(model.background, truth.background, 0.1);
  assertClose(model.readSigma / truth.readSigma, 1, 0.02);
  assertClose(model.gain, 1, 0.15);
  // Without darks: gain 1 assumed, the read noise still comes out.
  assertClose(fitNoiseModel(stats).readSigma / truth.readSigma, 1, 0.03);
});

Deno.test("noise model: applied to a noise-free patch it reproduces the frame's background statistics", () => {
  const frame = busyFrame();
  const measured = measureBackground(frame, OPTS.nY, OPTS.nZ, { pedestal: 100 });
  const dark = measureBackground(darkFrames(1, OPTS), OPTS.nY, OPTS.nZ, { pedestal: 100 });
  const model = fitNoiseModel(measured, dark);
  const patch = applyNoise(new Float64Array(128 * 128), model, new Rng(3));
  const again = measureBackground(patch, 128, 128);
  assertClose(again.mean / measured.mean, 1, 0.05);
  assertClose(again.variance / measured.variance, 1, 0.04);
  assert(patch.every(Number.isInteger), "integer counts");
  // Seeded: the same stream gives the same patch.
  assert(applyNoise(new Float64Array(16), model, new Rng(3)).join() === patch.slice(0, 16).join());
  // Signal adds Poisson variance: a flat 400-count patch has variance ≈ gain·402 + read².
  const bright = measureBackground(
    applyNoise(new Float64Array(128 * 128).fill(400), model, new Rng(4)),
    128,
    128,
  );
  assertClose(
    bright.variance / (model.gain * (400 + model.background) + model.readSigma ** 2),
    1,
    0.05,
  );
});

Deno.test("noise model: bad input is refused with the reason", () => {
  assertThrows(() => measureBackground(new Float64Array(10), 4, 4), "expected 4×4");
  assertThrows(
    () => fitNoiseModel({ mean: 2, variance: 1, n: 100 }, { mean: 0, variance: 16, n: 100 }),
    "no gain > 0",
  );
});

Deno.test("noise model: from a scan's frame and dark stack", () => {
  const model = noiseModelFromScan(busyFrame(), OPTS.nY, OPTS.nZ, {
    n: 4,
    data: darkFrames(4, OPTS),
  });
  const truth = simulatorNoise(OPTS);
  assertClose(model.background, truth.background, 0.1);
  assertClose(model.readSigma / truth.readSigma, 1, 0.02);
  // One 192² frame at background 3 under read σ 5 pins the gain only to ±~0.15 (1σ):
  // σ_gain ≈ √(2/n)·var/mean.
  assertClose(model.gain, 1, 0.35);
  assertThrows(
    () => noiseModelFromScan(busyFrame(), OPTS.nY, OPTS.nZ, { n: 1, data: darkFrames(1, OPTS) }),
    "≥ 2 dark frames",
  );
});
