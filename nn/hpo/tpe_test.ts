import { assert } from "../test_util.ts";
import {
  type Distribution,
  MedianPruner,
  newStudy,
  type Study,
  TpeSampler,
  type Trial,
} from "./tpe.ts";

const SPACE: [string, Distribution][] = [
  ["lr", { kind: "float", low: 1e-5, high: 1e-1, log: true }],
  ["k", { kind: "categorical", choices: [3, 5, 7] }],
  ["c", { kind: "int", low: 16, high: 128 }],
];
/** Minimum at lr = 1e-3, k = 5, c = 40. */
const objective = (p: Record<string, string | number>) =>
  (Math.log10(Number(p.lr)) + 3) ** 2 + (p.k === 5 ? 0 : 1) + ((Number(p.c) - 40) / 56) ** 2;

function runStudy(seed: number, nStartup: number, n: number): Study {
  const study = newStudy("t", seed);
  const sampler = new TpeSampler({ seed, nStartupTrials: nStartup });
  for (let i = 0; i < n; i++) {
    const t: Trial = { number: i, state: "running", params: {}, intermediate: [] };
    study.trials.push(t);
    for (const [name, d] of SPACE) sampler.sample(study, t, name, d);
    t.value = objective(t.params);
    t.state = "complete";
  }
  return study;
}

Deno.test("TpeSampler: reproducible, within bounds, and better than random search", () => {
  const a = runStudy(7, 10, 40), b = runStudy(7, 10, 40);
  assert(JSON.stringify(a) === JSON.stringify(b), "same seed, same study");
  for (const t of a.trials) {
    const lr = Number(t.params.lr), c = Number(t.params.c);
    assert(
      lr >= 1e-5 && lr <= 1e-1 && Number.isInteger(c) && c >= 16 && c <= 128,
      JSON.stringify(t.params),
    );
    assert([3, 5, 7].includes(Number(t.params.k)), "categorical choice");
  }
  // Median objective of trials 20–39 over 5 seeds: TPE vs pure random (startup = everything).
  const tail = (s: Study) => s.trials.slice(20).map((t) => t.value!).sort((x, y) => x - y)[10];
  let tpe = 0, rnd = 0;
  for (const seed of [1, 2, 3, 4, 5]) {
    tpe += tail(runStudy(seed, 10, 40));
    rnd += tail(runStudy(seed, 1000, 40));
  }
  console.log(
    `TPE median objective (trials 20–39, 5 seeds) ${(tpe / 5).toFixed(3)} vs random ${
      (rnd / 5).toFixed(3)
    }`,
  );
  assert(tpe < 0.6 * rnd, `TPE ${tpe} should beat random ${rnd}`);
});

Deno.test("MedianPruner: warm-up, startup trials, and best-so-far vs the median", () => {
  const done = (n: number, vals: number[]): Trial => ({
    number: n,
    state: "complete",
    params: {},
    intermediate: vals,
    value: Math.min(...vals),
  });
  const study = newStudy("p", 0);
  study.trials.push(done(0, [1, 0.5, 0.4]), done(1, [1, 0.6, 0.5]), done(2, [1, 0.7, 0.6]));
  const t: Trial = { number: 3, state: "running", params: {}, intermediate: [1, 0.9] };
  study.trials.push(t);
  const p = new MedianPruner({ nStartupTrials: 3, nWarmupSteps: 1 });
  assert(!p.shouldPrune(study, t, 0), "warm-up step");
  assert(p.shouldPrune(study, t, 1), "0.9 > median 0.6 at step 1");
  t.intermediate[1] = 0.55;
  assert(!p.shouldPrune(study, t, 1), "0.55 < median 0.6");
  assert(
    !new MedianPruner({ nStartupTrials: 4 }).shouldPrune(study, t, 1),
    "too few finished trials",
  );
});
