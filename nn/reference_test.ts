import { paramSpecs, parseArch } from "./arch.ts";
import { pixelShuffle, referenceForward, referenceLossAndGrads } from "./reference.ts";
import { assert, testData } from "./test_util.ts";

function params(spec: ReturnType<typeof paramSpecs>, seed: number): Float64Array[] {
  return spec.map((s, i) => testData(s.dims.reduce((a, b) => a * b, 1), seed + i, -0.6, 0.6));
}

for (
  const [text, loss] of [
    ["3-3-r_2-3-lr_1-3-s", "mse"],
    ["3-3-t_2-1-n_1-3-s", "mae"],
    ["4-3-t_4-3-n_ps2_1-3-s", "mse"],
  ] as const
) {
  Deno.test(`reference gradients of ${text} (${loss}) match central differences`, () => {
    const arch = parseArch(text);
    const cin = 2, n = 2, h = 5, w = 4;
    const spec = paramSpecs(arch, cin);
    const p = params(spec, 7);
    const x = testData(n * cin * h * w, 3, 0, 1);
    const up = text.includes("ps2") ? 4 : 1;
    const y = testData(n * h * w * up, 5, 0, 1);
    const { grads } = referenceLossAndGrads(arch, cin, p, x, y, n, h, w, loss);
    const eps = 1e-6;
    let worst = 0;
    for (let t = 0; t < p.length; t++) {
      for (let i = 0; i < p[t].length; i++) {
        const keep = p[t][i];
        p[t][i] = keep + eps;
        const lp = referenceLossAndGrads(arch, cin, p, x, y, n, h, w, loss).loss;
        p[t][i] = keep - eps;
        const lm = referenceLossAndGrads(arch, cin, p, x, y, n, h, w, loss).loss;
        p[t][i] = keep;
        const fd = (lp - lm) / (2 * eps);
        worst = Math.max(worst, Math.abs(fd - grads[t][i]) / Math.max(1e-4, Math.abs(fd)));
      }
    }
    assert(worst < 1e-4, `max relative error ${worst}`);
  });
}

Deno.test("pixelShuffle follows PyTorch CRD order and inverts", () => {
  const x = { data: Float64Array.from({ length: 8 }, (_, i) => i), n: 1, c: 8, h: 1, w: 1 };
  const y = pixelShuffle(x, 2);
  assert(y.c === 2 && y.h === 2 && y.w === 2);
  // channel c*4 + i*2 + j → (c, i, j)
  assert(y.data.join() === "0,1,2,3,4,5,6,7");
  const x2 = { data: Float64Array.from({ length: 16 }, (_, i) => i), n: 1, c: 4, h: 2, w: 2 };
  const y2 = pixelShuffle(x2, 2);
  // out[0, 0, 0, 1] = in[0, 1, 0, 0] = 4
  assert(y2.data[1] === 4 && y2.data[4] === 8, y2.data.join()); // out[0,0,1,0] = in[0,2,0,0]
  assert(pixelShuffle(y2, 2, true).data.join() === x2.data.join());
});

Deno.test("referenceForward keeps the image size with same padding", () => {
  const arch = parseArch("2-5-r_1-3-s");
  const p = params(paramSpecs(arch, 1), 1);
  const f = referenceForward(arch, 1, p, testData(2 * 6 * 7, 2, 0, 1), 2, 6, 7);
  assert(f.output.h === 6 && f.output.w === 7 && f.output.c === 1);
  assert(f.output.data.every((v) => v > 0 && v < 1));
});
