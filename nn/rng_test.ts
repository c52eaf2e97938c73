import { AbsErrorStats } from "./error_stats.ts";
import { Rng } from "./rng.ts";
import { assert, assertClose, assertThrows } from "./test_util.ts";

Deno.test("Rng is seeded, resumable and roughly uniform/normal", () => {
  const a = new Rng(7), b = new Rng(7), c = new Rng(8);
  const va = Array.from({ length: 5 }, () => a.nextU32());
  assert(va.join() === Array.from({ length: 5 }, () => b.nextU32()).join());
  assert(va.join() !== Array.from({ length: 5 }, () => c.nextU32()).join());
  const saved = a.state();
  const next = a.next();
  assert(Rng.fromState(saved).next() === next);
  assertThrows(() => Rng.fromState([1, 2]), "expected 4 uint32 words");
  const r = new Rng(1);
  let m = 0, m2 = 0, u = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const z = r.normal();
    m += z / n;
    m2 += (z * z) / n;
    u += r.next() / n;
  }
  assertClose(m, 0, 0.03, "normal mean");
  assertClose(m2, 1, 0.05, "normal variance");
  assertClose(u, 0.5, 0.01, "uniform mean");
  const perm = r.shuffle([0, 1, 2, 3, 4, 5, 6, 7]);
  assert(perm.slice().sort().join() === "0,1,2,3,4,5,6,7");
});

Deno.test("AbsErrorStats gives mean and percentiles of |gt − pred|", () => {
  const s = new AbsErrorStats();
  const pred = Float32Array.from({ length: 1001 }, (_, i) => i / 1000);
  s.add(pred, new Float32Array(1001));
  s.add([3], [0]); // above range: kept exactly
  const r = s.summary();
  assert(r.count === 1002);
  assertClose(r.mean, (500.5 + 3) / 1002, 1e-9, "mean");
  assertClose(r.p50, 0.501, 1e-4, "p50"); // 1002 values: the 501st
  assertClose(r.p95, 0.95, 1e-3, "p95");
  assertClose(s.quantile(1), 3, 1e-12, "max");
});
