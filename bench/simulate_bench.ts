/**
 * Simulation speed for the 250-grain Au scan (GrainsSim_250.csv, Example geometry, 2048²,
 * 1440 frames): spot preparation once, then per-frame rendering (realistic: pixel-integrated
 * pseudo-Voigt ×16 sub-samples + Poisson/read noise on every pixel; midas: point-sampled
 * Gaussians). Frame compression and zip writing are not included.
 *
 * `deno bench -A bench/simulate_bench.ts` (per-frame timings) or
 * `deno run -A bench/simulate_bench.ts` (prints the extrapolation to a full 1440-frame scan).
 *
 * @example
 * ```sh
 * deno run -A bench/simulate_bench.ts
 * ```
 * @module
 */
import { parseGrainsCsv } from "../geometry/grains.ts";
import { parseHklsCsv } from "../geometry/crystal.ts";
import { writeMidasZip } from "../midas/zip_writer.ts";
import { spotsByFrame } from "../synthesis/frames.ts";
import { prepareSimulation } from "../synthesis/simulation.ts";
import { MIDAS_EXAMPLE_DIR } from "../tests/shared_data.ts";

const DATA = MIDAS_EXAMPLE_DIR;
const grains = parseGrainsCsv(
  await Deno.readTextFile(DATA + "GrainsSim_250.csv"),
  "GrainsSim_250.csv",
);
const hkls = parseHklsCsv(await Deno.readTextFile(DATA + "hkls.csv"));

function prepare(mode: "realistic" | "midas") {
  const t0 = performance.now();
  const sim = prepareSimulation({ seed: 1, mode, grains, hkls });
  return { sim, prepMs: performance.now() - t0 };
}

/** Consecutive frames, as a scan is written (realistic spot patches are reused across frames). */
const SAMPLE_FRAMES = Array.from({ length: 12 }, (_, i) => 700 + i);

if (import.meta.main) {
  for (const mode of ["realistic", "midas"] as const) {
    const { sim, prepMs } = prepare(mode);
    const times: number[] = [];
    sim.renderer.frame(SAMPLE_FRAMES[0] - 1); // warm-up: fills the live-spot patch cache
    for (const f of SAMPLE_FRAMES) {
      const t = performance.now();
      sim.renderer.frame(f);
      times.push(performance.now() - t);
    }
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    const lists = spotsByFrame(sim.scene, 1440, mode);
    const spotsPerFrame = lists.reduce((a, l) => a + l.length, 0) / 1440;
    // Rendering + Blosc compression + zip writing of a 12-frame slice, for the end-to-end rate.
    const zipPath = await Deno.makeTempFile({ suffix: ".MIDAS.zip" });
    const tz = performance.now();
    await writeMidasZip(zipPath, {
      nFrames: SAMPLE_FRAMES.length,
      nZ: 2048,
      nY: 2048,
      dtype: "uint16",
      frames: (function* () {
        for (const f of SAMPLE_FRAMES) yield sim.renderer.frame(f);
      })(),
      analysisParameters: {},
      scanParameters: { start: 180, step: -0.25 },
    });
    const zipMs = (performance.now() - tz) / SAMPLE_FRAMES.length;
    const zipMB = (await Deno.stat(zipPath)).size / SAMPLE_FRAMES.length / 1e6;
    await Deno.remove(zipPath);
    console.log(
      `${mode}: with zip writing ${zipMs.toFixed(0)} ms/frame, ${zipMB.toFixed(2)} MB/frame ` +
        `→ 1440 frames ≈ ${(zipMs * 1440 / 1000).toFixed(0)} s, ${
          (zipMB * 1440 / 1000).toFixed(2)
        } GB`,
    );
    console.log(
      `${mode}: ${sim.scene.length} spots (${spotsPerFrame.toFixed(1)} spot-frames/frame), ` +
        `prepare ${prepMs.toFixed(0)} ms, frame ${times.map((t) => t.toFixed(0)).join("/")} ms ` +
        `→ mean ${mean.toFixed(1)} ms/frame → 1440 frames ≈ ${(mean * 1440 / 1000).toFixed(0)} s`,
    );
  }
} else {
  const realistic = prepare("realistic").sim;
  const midas = prepare("midas").sim;
  let k = 0;
  Deno.bench("realistic 2048² frame (250 grains)", () => {
    realistic.renderer.frame(SAMPLE_FRAMES[k++ % SAMPLE_FRAMES.length]);
  });
  Deno.bench("midas 2048² frame (250 grains)", () => {
    midas.renderer.frame(SAMPLE_FRAMES[k++ % SAMPLE_FRAMES.length]);
  });
}
