import { Rng } from "./rng.ts";

function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

Deno.test("Rng: same key → same stream, different keys differ", () => {
  const a = new Rng(1, 2), b = new Rng(1, 2), c = new Rng(1, 3), d = new Rng(2, 2);
  const sa = Array.from({ length: 8 }, () => a.nextUint32());
  const sb = Array.from({ length: 8 }, () => b.nextUint32());
  const sc = Array.from({ length: 8 }, () => c.nextUint32());
  const sd = Array.from({ length: 8 }, () => d.nextUint32());
  assert(sa.join() === sb.join(), "equal keys must give equal streams");
  assert(sa.join() !== sc.join() && sa.join() !== sd.join(), "different keys must differ");
});

Deno.test("Rng: uniform and normal moments are plausible", () => {
  const r = new Rng(123);
  let s = 0, s2 = 0, lo = Infinity, hi = -Infinity;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const u = r.uniform(3, 5);
    lo = Math.min(lo, u);
    hi = Math.max(hi, u);
    const z = r.normal(1, 2);
    s += z;
    s2 += z * z;
  }
  assert(lo >= 3 && hi < 5, `uniform out of range: ${lo} ${hi}`);
  const mean = s / n, sd = Math.sqrt(s2 / n - mean * mean);
  assert(Math.abs(mean - 1) < 0.06 && Math.abs(sd - 2) < 0.06, `normal moments ${mean} ${sd}`);
});

Deno.test("Rng: sampleIndices draws distinct indices and rejects k > n", () => {
  const r = new Rng(9);
  const idx = r.sampleIndices(10, 10);
  assert(new Set(idx).size === 10 && idx.every((i) => i >= 0 && i < 10), "not a permutation");
  let threw = false;
  try {
    r.sampleIndices(3, 4);
  } catch {
    threw = true;
  }
  assert(threw, "k > n must throw");
});
