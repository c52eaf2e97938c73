import { correctFrame, makeCorrection, transformImage } from "./preprocess.ts";
import { assertEquals } from "./_test_util.ts";

const f64 = (n: number) => new Float64Array(n);
// 2 rows × 3 columns: row-major [[0, 1, 2], [3, 4, 5]]
const img = { data: Float64Array.from([0, 1, 2, 3, 4, 5]), nZ: 2, nY: 3 };

Deno.test("ImTransOpt: 1 flips columns, 2 flips rows, 3 transposes (shape swaps)", () => {
  assertEquals(transformImage(img, [1], f64).data, [2, 1, 0, 5, 4, 3]);
  assertEquals(transformImage(img, [2], f64).data, [3, 4, 5, 0, 1, 2]);
  const t = transformImage(img, [3], f64);
  assertEquals([t.nZ, t.nY, ...t.data], [3, 2, 0, 3, 1, 4, 2, 5]);
  assertEquals(transformImage(img, [0, -1], f64).data, [0, 1, 2, 3, 4, 5]);
  assertEquals(transformImage(img, [1, 3], f64).data, [2, 5, 1, 4, 0, 3]);
});

Deno.test("correctFrame: dark, flood, bc, raw bad-pixel value and a transformed mask", () => {
  const corr = makeCorrection({
    nZ: 2,
    nY: 3,
    imTransOpt: [3],
    dark: Float64Array.from([10, 10, 10, 10, 10, 10]),
    flood: Float64Array.from([1, 2, 1, 1, 1, 1]),
    mask: Uint8Array.from([0, 0, 1, 0, 0, 0]), // stored pixel (row 0, col 2)
    bc: 2,
    badPxIntensity: 99,
  });
  assertEquals([corr.nZ, corr.nY], [3, 2], "transposed shape");
  const raw = Uint16Array.from([20, 30, 40, 99, 60, 70]);
  // Transposed layout: [[20, 99], [30, 60], [40, 70]]; flood 2 at stored (0,1) → transposed (1,0);
  // mask at stored (0,2) → transposed (2,0); 99 is bad on the raw value.
  assertEquals(correctFrame(raw, corr), [20, 0, 20, 100, 0, 120]);
});
