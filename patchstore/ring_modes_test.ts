import { estimateBandwidth, findRingRadii } from "./ring_modes.ts";
import { Rng } from "./rng.ts";

function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

Deno.test("estimateBandwidth matches a brute-force k-NN mean", () => {
  const r = new Rng(5);
  const xs = Float64Array.from({ length: 137 }, () => r.uniform(0, 100)).sort();
  const k = Math.floor(137 * 0.1);
  let brute = 0;
  for (const x of xs) brute += Array.from(xs, (y) => Math.abs(y - x)).sort((a, b) => a - b)[k - 1];
  brute /= xs.length;
  const est = estimateBandwidth(xs, 0.1);
  assert(Math.abs(est - brute) < 1e-12, `bandwidth ${est} vs brute force ${brute}`);
});

Deno.test("findRingRadii finds three noisy rings and drops a sparse one", () => {
  const r = new Rng(11);
  const xs: number[] = [];
  for (const [c, n] of [[400, 300], [550, 200], [800, 120], [1000, 3]]) {
    for (let i = 0; i < n; i++) xs.push(r.normal(c, 0.8));
  }
  const modes = findRingRadii(xs, { minCount: 5 });
  assert(modes.length === 3, `expected 3 rings, got ${JSON.stringify(modes)}`);
  const sortedR = modes.map((m) => m.radius).sort((a, b) => a - b);
  [400, 550, 800].forEach((c, i) =>
    assert(Math.abs(sortedR[i] - c) < 0.5, `ring ${c}: ${sortedR[i]}`)
  );
  assert(modes[0].count >= 290 && Math.abs(modes[0].radius - 400) < 0.5, "most populated first");
});

Deno.test("findRingRadii: empty and constant data", () => {
  assert(findRingRadii([]).length === 0, "empty → no modes");
  const m = findRingRadii([5, 5, 5, 5]);
  assert(m.length === 1 && m[0].radius === 5 && m[0].count === 4, JSON.stringify(m));
});

Deno.test("findRingRadii: mergeWithin joins modes of one split ring", () => {
  const r = new Rng(3);
  const xs = Array.from({ length: 200 }, (_, i) => r.normal(i < 100 ? 400 : 600, 0.4));
  const split = findRingRadii(xs);
  const merged = findRingRadii(xs, { mergeWithin: 2 });
  assert(split.length > 2, `the small bandwidth should split rings here (${split.length})`);
  assert(merged.length === 2 && merged.every((m) => m.count === 100), JSON.stringify(merged));
});
