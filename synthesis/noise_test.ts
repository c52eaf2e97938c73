import { assert, assertClose } from "../geometry/_assert.ts";
import { AliasSampler, backgroundSampler, poisson, Rng } from "./noise.ts";

function moments(draw: () => number, n: number): { mean: number; variance: number } {
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) {
    const x = draw();
    s += x;
    s2 += x * x;
  }
  const mean = s / n;
  return { mean, variance: s2 / n - mean * mean };
}

Deno.test("poisson: mean and variance equal λ (small and PTRS branches), integers ≥ 0", () => {
  const rng = new Rng(1);
  for (const lam of [0.7, 4, 25, 800]) {
    const m = moments(() => poisson(rng, lam), 40_000);
    assertClose(m.mean, lam, 5 * Math.sqrt(lam / 40_000) + 1e-3, `mean λ=${lam}`);
    assertClose(m.variance / lam, 1, 0.05, `variance λ=${lam}`);
  }
  const x = poisson(rng, 12.5);
  assert(Number.isInteger(x) && x >= 0, "integer");
  assert(poisson(rng, 0) === 0, "λ = 0 → 0");
});

Deno.test("AliasSampler reproduces its weights", () => {
  const rng = new Rng(2);
  const s = new AliasSampler([1, 0, 3], 5);
  const counts = [0, 0, 0];
  for (let i = 0; i < 40_000; i++) counts[s.sample(rng) - 5]++;
  assert(counts[1] === 0, "zero-weight value never drawn");
  assertClose(counts[2] / counts[0], 3, 0.15, "ratio 3:1");
});

Deno.test("backgroundSampler: mean λ, variance λ + σ² (+1/12 rounding)", () => {
  const rng = new Rng(3);
  const s = backgroundSampler(2, 4);
  const m = moments(() => s.sample(rng), 60_000);
  assertClose(m.mean, 2, 0.06, "mean");
  assertClose(m.variance, 2 + 16 + 1 / 12, 0.5, "variance");
});

Deno.test("same seed → same stream", () => {
  const a = new Rng(9, 4), b = new Rng(9, 4);
  for (let i = 0; i < 5; i++) assert(poisson(a, 30) === poisson(b, 30), "deterministic");
});
