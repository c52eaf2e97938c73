import { conv2dSame } from "./reference.ts";
import { GraphBuilder } from "./onnx_proto.ts";
import { OrtSession } from "./session.ts";
import { assert, assertThrows, relL2, testData } from "./test_util.ts";
import {
  emitWinogradConv,
  emitWinogradFilter,
  winogradFilter,
  winogradMatrices,
} from "./winograd.ts";

Deno.test("winogradMatrices: F(m, r) computes 1-D correlation exactly in float64", () => {
  for (const [m, r] of [[2, 3], [4, 3], [2, 5], [4, 5], [4, 7], [6, 3]]) {
    const { AT, G, BT, n } = winogradMatrices(m, r);
    const d = testData(n, 3 + m + r);
    const g = testData(r, 5 + m);
    const gd = Array.from({ length: n }, (_, j) => {
      let a = 0, b = 0;
      for (let k = 0; k < r; k++) a += G[j * r + k] * g[k];
      for (let l = 0; l < n; l++) b += BT[j * n + l] * d[l];
      return a * b;
    });
    for (let i = 0; i < m; i++) {
      let y = 0, want = 0;
      for (let j = 0; j < n; j++) y += AT[i * n + j] * gd[j];
      for (let k = 0; k < r; k++) want += d[i + k] * g[k];
      assert(Math.abs(y - want) < 1e-12, `F(${m},${r}) output ${i}: ${y} vs ${want}`);
    }
  }
  assertThrows(() => winogradMatrices(12, 5), "not supported");
});

Deno.test("emitWinogradFilter in the graph equals winogradFilter in float64", async () => {
  const [cout, cin] = [3, 2];
  const wm = winogradMatrices(4, 5);
  const w = Float32Array.from(testData(cout * cin * 25, 9));
  const g = new GraphBuilder("u");
  g.output(emitWinogradFilter(g, g.input("w", [cout, cin, 5, 5]), cout, cin, wm), [], "u");
  const s = await OrtSession.create(g.toModel(), { threads: 1 });
  try {
    const u = (await s.run({ w: { data: w, dims: [cout, cin, 5, 5] } })).u;
    assert(u.dims.join() === [8, 8, cin, cout].join(), `dims ${u.dims}`);
    const e = relL2(u.data, winogradFilter(w, cout, cin, wm));
    assert(e < 1e-6, `relative L2 ${e}`);
  } finally {
    await s.release();
  }
});

// Sizes that are not multiples of the tile (partial last tiles) and a batch > 1.
for (const [m, r, h, w] of [[4, 5, 9, 7], [4, 3, 6, 11], [2, 3, 5, 5], [2, 7, 8, 9]]) {
  Deno.test(`emitWinogradConv F(${m},${r}) on HWNC equals a same conv at ${h}×${w}`, async () => {
    const [n, cin, cout] = [2, 3, 4];
    const wm = winogradMatrices(m, r);
    const x = testData(n * cin * h * w, 21, 0, 1);
    const wt = testData(cout * cin * r * r, 22);
    const b = testData(cout, 23);
    const ref = conv2dSame({ data: x, n, c: cin, h, w }, wt, b, cout, r);
    const g = new GraphBuilder("wino");
    const xh = g.op("Transpose", [g.input("x", [n, cin, h, w])], { perm: [2, 3, 0, 1] });
    const u = g.initializer("u", winogradFilter(wt, cout, cin, wm), [wm.n, wm.n, cin, cout]);
    const y = emitWinogradConv(g, xh, u, g.initializer("b", b, [cout]), wm, { cin, cout, h, w });
    g.output(g.op("Transpose", [y], { perm: [2, 3, 0, 1] }), [n, cout, h, w], "y");
    const s = await OrtSession.create(g.toModel(), { threads: 1 });
    try {
      const out = (await s.run({ x: { data: Float32Array.from(x), dims: [n, cin, h, w] } })).y;
      assert(out.dims.join() === [n, cout, h, w].join(), `dims ${out.dims}`);
      const e = relL2(out.data, ref.data);
      assert(e < 1e-5, `relative L2 ${e}`);
    } finally {
      await s.release();
    }
  });
}
