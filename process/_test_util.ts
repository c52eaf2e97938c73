/**
 * Test helpers of the process folder: assertions (re-exported) and a small simulated scan.
 * @module
 */

import { testContext } from "../engine/test_context.ts";
import { simulateStep } from "../steps/simulate.ts";
import { exportModel, initParams, parseArch, Rng } from "../nn/mod.ts";
export {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertMatch,
  assertRejects,
} from "../tests/assert.ts";

/** A 256² "midas"-mode scan, 4 frames, rings 1–2 on the detector (~45 spots). */
export const SIM_PARAMS = {
  name: "tiny",
  mode: "midas",
  seed: 3,
  nFrames: 4,
  nY: 256,
  nZ: 256,
  ybc: 128.5,
  zbc: 127.25,
  lsdUm: 250_000,
  rhoDUm: 51_200,
  nGrains: 150,
  omegaStepDeg: -1,
};

/** Runs the simulate step into a new temp dir; returns `{ dir, scan, truth }` paths. */
export async function simulateScan(
  extra: Record<string, unknown> = {},
): Promise<{ dir: string; scan: string; truth: string }> {
  const dir = await Deno.makeTempDir({ prefix: "srm_proc_sim_" });
  const { ctx } = await testContext(
    simulateStep,
    { ...SIM_PARAMS, ...extra },
    { grains: undefined, hkls: undefined },
    { outDir: dir, checkpointDir: dir },
  );
  await simulateStep.run(ctx);
  return { dir, scan: `${dir}/scan`, truth: `${dir}/truth.tsv` };
}

/** Writes tiny untrained intensity models `<dir>/<key>/model.{json,onnx}` for the SR path. */
export async function tinyModels(
  dir: string,
  stages: readonly [string, number, number][] = [["x1_x2", 1, 2], ["x2_x4", 2, 4]],
): Promise<void> {
  const arch = parseArch("4-3-r_1-3-s");
  const rng = new Rng(7);
  for (const [key, srfacIn, srfacOut] of stages) {
    await exportModel(`${dir}/${key}`, { arch, inChannels: 1, weights: initParams(arch, 1, rng) }, {
      srfacIn,
      srfacOut,
      channels: ["I"],
    });
  }
}

/** A Gaussian spot at detector (y, z) rendered on the physically centred SR grid of a patch. */
export function srPatch(
  s: number,
  y00: number,
  z00: number,
  spots: [number, number, number][],
  sigmaPx = 1.2,
) {
  const n = 20 * s, patch = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const y = y00 - 0.5 + (c + 0.5) / s, z = z00 - 0.5 + (r + 0.5) / s;
      for (const [yc, zc, amp] of spots) {
        patch[r * n + c] += amp * Math.exp(-((y - yc) ** 2 + (z - zc) ** 2) / (2 * sigmaPx ** 2));
      }
    }
  }
  return patch;
}

/** The x1 patch of Gaussian spots (pixel centres), thresholded like a component, plus noise. */
export function rawPatch(y00: number, z00: number, spots: [number, number, number][], seed = 1) {
  const patch = new Float64Array(400);
  let x = seed;
  const noise = () => ((x = (x * 16807) % 2147483647) / 2147483647 - 0.5) * 2;
  for (let r = 0; r < 20; r++) {
    for (let c = 0; c < 20; c++) {
      let v = 0;
      for (const [yc, zc, amp] of spots) {
        v += amp * Math.exp(-((y00 + c - yc) ** 2 + (z00 + r - zc) ** 2) / (2 * 1.2 ** 2));
      }
      v += noise();
      patch[r * 20 + c] = v >= 5 ? v : 0;
    }
  }
  return patch;
}
