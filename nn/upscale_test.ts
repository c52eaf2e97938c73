import {
  maxNormalize,
  normalizeGeometryChannels,
  prepareIntensity,
  upscaleNearest,
} from "./upscale.ts";
import { assert, assertThrows } from "./test_util.ts";

Deno.test("upscaleNearest replicates blocks and preserves the sum", () => {
  const x = new Float32Array([1, 2, 3, 4]);
  const u = upscaleNearest(x, 1, 1, 2, 2, 2);
  assert(u.length === 16);
  assert(Array.from(u.subarray(0, 8)).join() === "0.25,0.25,0.5,0.5,0.25,0.25,0.5,0.5", u.join());
  assert(u[15] === 1);
  assert(Math.abs(u.reduce((a, b) => a + b) - 10) < 1e-6);
  assertThrows(() => upscaleNearest(x, 1, 1, 2, 2, 1.5), "positive integer");
  assertThrows(() => upscaleNearest(x, 2, 1, 2, 2, 2), "expected 2·1·2·2");
});

Deno.test("maxNormalize scales channel 0 per patch and leaves empty patches at zero", () => {
  const x = new Float32Array([1, 4, 9, 9, 0, 0, 7, 7]); // n=2, c=2, 1×2
  maxNormalize(x, 2, 2, 1, 2);
  assert(x.join() === "0.25,1,9,9,0,0,7,7", x.join());
});

Deno.test("prepareIntensity gives max exactly 1 per patch", () => {
  const x = prepareIntensity(new Float32Array([1, 2, 3, 4, 0, 0, 0, 5]), 2, 2, 2, 2);
  assert(x.length === 32);
  assert(Math.max(...x.subarray(0, 16)) === 1 && Math.max(...x.subarray(16)) === 1);
  assert(x[0] === 0.25 && x[16] === 0);
});

Deno.test("normalizeGeometryChannels scales R and |Eta| over nonzero-intensity pixels", () => {
  // one patch, 3 channels, 1×4: intensity, R, Eta
  const x = new Float32Array([0, 1, 2, 3, 100, 101, 102, 103, -10, -20, 5, 30]);
  normalizeGeometryChannels(x, 1, 3, 1, 4, { r: 1, eta: 2 });
  assert(Array.from(x.subarray(4, 8)).join() === "0,0,0.5,1", x.join());
  // |Eta| over nonzero pixels: 20, 5, 30 → (v − 5)/25
  assert(Array.from(x.subarray(8)).join() === "0,0.6000000238418579,0,1", x.join());
  assertThrows(
    () => normalizeGeometryChannels(x, 1, 3, 1, 4, { r: 3 }),
    "channel r must be an index in 1…2",
  );
});
