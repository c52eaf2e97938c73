import { assert, assertClose, assertEquals } from "./test_util.ts";
import { poolNeighbourFrames, refitHeights } from "./omega_pool.ts";
import { fitPseudoVoigtRegion } from "./pv_fit.ts";
import { regionModel } from "./model_select.ts";

Deno.test("poolNeighbourFrames: the brighter neighbour first, and only while the sum's SNR rises", () => {
  const own = Uint8Array.of(1, 1, 1, 0);
  const here = Float64Array.of(10, 30, 10, 2);
  const faded = Float64Array.of(1, 2, 1, 2), bright = Float64Array.of(8, 24, 8, 2);
  // Bright: (50 + 40)/√2 > 50 → added; faded: (90 + 4)/√3 < 90/√2 → not.
  const { value, frames } = poolNeighbourFrames(here, own, [faded, bright]);
  assertEquals(frames, 2);
  assertEquals([...value], [18, 54, 18, 4]);
  // Both neighbours as bright as frame f: all three frames.
  assertEquals(poolNeighbourFrames(here, own, [here, here]).frames, 3);
  // Nothing from the neighbours: frame f alone, its own counts.
  const alone = poolNeighbourFrames(here, own, [faded]);
  assertEquals([alone.frames, [...alone.value]], [1, [...here]]);
  let msg = "";
  try {
    poolNeighbourFrames(here, own, [Float64Array.of(1, 2)]);
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(msg.includes("2 values, expected 4"), msg);
});

Deno.test("refitHeights: another frame's heights and background under the same centres and shapes", () => {
  const r: number[] = [], eta: number[] = [];
  for (let i = 0; i < 12; i++) {
    for (let j = 0; j < 12; j++) {
      r.push(500 + i - 6);
      eta.push(10 + (j - 6) * 0.1);
    }
  }
  const px = { r: Float64Array.from(r), eta: Float64Array.from(eta), value: new Float64Array(144) };
  const shape = { sigmaGR: 1, sigmaLR: 1.2, sigmaGEta: 0.12, sigmaLEta: 0.15, mu: 0.3 };
  const truth = {
    bg: 20,
    peaks: [
      { r: 499, eta: 9.9, iMax: 300, ...shape, integratedIntensity: 0, nrPixels: 0 },
      { r: 501.5, eta: 10.1, iMax: 100, ...shape, integratedIntensity: 0, nrPixels: 0 },
    ],
    returnCode: 0,
    retVal: 0,
    iterations: 0,
    nParams: 17,
  };
  px.value.set(regionModel(px, truth));
  const fit = fitPseudoVoigtRegion(px, truth.peaks.map((p) => ({ ...p, value: p.iMax })), {
    threshold: 10,
  });
  // Frame f: the same spots at other heights on another background.
  const frameF = regionModel(px, {
    ...fit,
    bg: 5,
    peaks: fit.peaks.map((p, j) => ({ ...p, iMax: [120, 0][j] })),
  });
  const { bg, iMax } = refitHeights(px, fit, frameF);
  assertClose(bg, 5, 1e-6);
  assertClose(iMax[0], 120, 1e-5);
  assertClose(iMax[1], 0, 1e-5);
});
