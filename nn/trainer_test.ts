import { parseArch } from "./arch.ts";
import { planConvAlgos } from "./hwnc.ts";
import { readCheckpoint } from "./checkpoint.ts";
import { Rng } from "./rng.ts";
import { Predictor } from "./session.ts";
import {
  arraySource,
  ConvergenceError,
  formatErrorLine,
  initParams,
  type SampleSource,
  splitIndices,
  train,
} from "./trainer.ts";
import { exportModel, readModelCard } from "./model_card.ts";
import { prepareIntensity } from "./upscale.ts";
import { assert, assertClose, assertThrows, relL2 } from "./test_util.ts";

/** Blurred 10×10 spots (upscaled ×2 as sr-midas §5) → sharp 20×20 spots, both max-normalized. */
function spotTask(n: number, seed: number, subPixel = false): SampleSource {
  const rng = new Rng(seed);
  const lo = new Float32Array(n * 100);
  const hi = new Float32Array(n * 400);
  for (let s = 0; s < n; s++) {
    const cy = 3 + 4 * rng.next(), cx = 3 + 4 * rng.next(); // centre in low-res px
    for (let y = 0; y < 10; y++) {
      for (let x = 0; x < 10; x++) {
        lo[s * 100 + y * 10 + x] = Math.exp(
          -((y + 0.5 - cy) ** 2 + (x + 0.5 - cx) ** 2) / (2 * 1.2 ** 2),
        );
      }
    }
    for (let y = 0; y < 20; y++) {
      for (let x = 0; x < 20; x++) {
        hi[s * 400 + y * 20 + x] = Math.exp(
          -((y + 0.5 - 2 * cy) ** 2 + (x + 0.5 - 2 * cx) ** 2) / (2 * 1.0 ** 2),
        );
      }
    }
  }
  if (subPixel) {
    return arraySource(prepareIntensity(lo, n, 10, 10, 1), hi, n, [1, 10, 10], [1, 20, 20]);
  }
  return arraySource(prepareIntensity(lo, n, 10, 10, 2), hi, n, [1, 20, 20], [1, 20, 20]);
}

Deno.test("training a tiny net on blurred→sharp spots drives val loss below a threshold", async () => {
  const src = spotTask(320, 1);
  // Baseline: the upscaled input itself as the prediction.
  const all = await src.read(Array.from({ length: 320 }, (_, i) => i));
  const baseline = all.x.reduce((a, v, i) => a + (v - all.y[i]) ** 2, 0) / all.x.length;
  const t0 = performance.now();
  const r = await train(src, {
    arch: "8-3-t_8-3-t_1-3-s",
    batchSize: 16,
    epochs: 20,
    lr: 1e-3,
    seed: 1,
    threads: 2,
  });
  const secs = (performance.now() - t0) / 1000;
  const first = r.history[0].valLoss, last = r.history.at(-1)!.valLoss;
  console.log(
    `  baseline ${baseline.toFixed(4)}; val MSE ${first.toFixed(4)} → ${last.toFixed(4)} in ${
      secs.toFixed(2)
    } s; ${formatErrorLine("Valid", r.history.length - 1, r.valCount, r.history.at(-1)!.val)}`,
  );
  assert(r.trainCount === 256 && r.valCount === 64);
  assert(last < 0.002 && last < baseline / 10, `final val loss ${last}, baseline ${baseline}`);
  assert(last < first / 5, `val loss did not fall enough: ${first} → ${last}`);
  assert(r.best !== null && r.best.valLoss <= last);
});

Deno.test("a sub-pixel (ps2) net learns 10×10 → 20×20 at the input resolution", async () => {
  const src = spotTask(320, 1, true);
  const r = await train(src, {
    arch: "16-3-t_8-3-t_4-3-s_ps2",
    batchSize: 16,
    epochs: 40,
    lr: 2e-3,
    seed: 1,
  });
  const first = r.history[0].valLoss, last = r.history.at(-1)!.valLoss;
  console.log(`  val MSE ${first.toFixed(4)} → ${last.toFixed(4)}`);
  // It sits on the "predict zero" plateau (≈0.008) for ~20 epochs, then drops.
  assert(last < 0.002 && last < first / 10, `val loss ${first} → ${last}`);
});

Deno.test("a wide net trains on Winograd/HWNC graphs like on ORT Conv ones", async () => {
  const src = spotTask(96, 4);
  const arch = "32-5-r_256-5-r_1-5-s";
  assert(planConvAlgos(parseArch(arch), 1).join() === "unfold,winograd,direct");
  const base = { arch, batchSize: 16, epochs: 3, lr: 1e-3, seed: 2, threads: 2 };
  const fast = await train(src, base);
  const direct = await train(src, { ...base, convAlgo: "direct" });
  for (const [i, h] of fast.history.entries()) {
    const d = direct.history[i];
    console.log(
      `  epoch ${i}: val MSE ${h.valLoss.toFixed(6)} (Winograd) vs ${d.valLoss.toFixed(6)}`,
    );
    assertClose(h.valLoss, d.valLoss, 1e-3 * d.valLoss, `epoch ${i} val loss`);
    assertClose(h.trainLoss, d.trainLoss, 1e-3 * d.trainLoss, `epoch ${i} train loss`);
  }
  assert(fast.history.at(-1)!.valLoss < fast.history[0].valLoss, "val loss falls");
  const flat = (ws: Float32Array[]) => ws.flatMap((w) => Array.from(w));
  const directFlat = flat(direct.weights);
  const e = relL2(flat(fast.weights), directFlat);
  assert(e > 0 && e < 1e-3, `weights differ by relative L2 ${e}`); // > 0: two graphs ran
  // Past the tile-memory budget the trainer builds the ORT Conv graph: the same run exactly.
  const capped = await train(src, { ...base, maxWinogradBytes: 1 });
  assert(flat(capped.weights).every((v, i) => v === directFlat[i]), "capped = direct");
});

Deno.test("resuming from the last checkpoint reproduces an uninterrupted run exactly", async () => {
  const src = spotTask(96, 2);
  const base = { arch: "4-3-r_1-3-s", batchSize: 16, epochs: 4, lr: 1e-3, seed: 3, threads: 1 };
  const full = await train(src, base);
  const dir = await Deno.makeTempDir();
  try {
    const ac = new AbortController();
    const part = await train(src, {
      ...base,
      checkpointDir: dir,
      checkpointEvery: 2,
      signal: ac.signal,
      onEpoch: (m) => m.epoch === 1 && ac.abort(),
    });
    assert(part.stopped && part.history.length === 2);
    const ck = await readCheckpoint(`${dir}/last.ckpt`);
    assert(ck.meta.epoch === 2 && ck.tensors.W0.length === 36 && ck.tensors.m_B1.length === 1);
    await Deno.stat(`${dir}/epoch-00002.ckpt`);
    await Deno.stat(`${dir}/best.ckpt`);
    const resumed = await train(src, { ...base, checkpointDir: dir, resume: true });
    assert(!resumed.stopped && resumed.history.length === 4);
    full.weights.forEach((w, i) => {
      assert(w.every((v, j) => v === resumed.weights[i][j]), `param ${i} differs after resume`);
    });
    assert(resumed.history[3].trainLoss === full.history[3].trainLoss);
    const { card } = await exportModel(`${dir}/export`, resumed, {
      srfacIn: 1,
      srfacOut: 2,
      args: base,
    });
    const metrics = card.metrics as { epoch: number; valLoss: number };
    assert(metrics.epoch === resumed.best!.epoch && metrics.valLoss === resumed.best!.valLoss);
    assert(
      (card.args as typeof base).lr === 1e-3 && card.netUpscale === 1 && card.outChannels === 1,
    );
    let err = "";
    await train(src, { ...base, lr: 5e-3, checkpointDir: dir, resume: true }).catch((
      e,
    ) => (err = e.message));
    assert(err.includes("field lr is 0.001 in the checkpoint but 0.005 now"), err);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the convergence check retries fresh inits and gives up after maxAttempts", async () => {
  const src = spotTask(48, 4);
  const base = { arch: "2-3-r_1-3-s", batchSize: 16, epochs: 3, lr: 1e-3, threads: 1 };
  let err = "";
  await train(src, { ...base, convergence: { epochs: 1, maxLoss: 0, maxAttempts: 2 } }).catch((
    e,
  ) => (err = e.message));
  assert(err.includes("no convergence after 2 attempts of 1 epochs"), err);
  const ok = await train(src, { ...base, convergence: { epochs: 1, maxLoss: 1 } });
  assert(ok.history.length === 3 && ok.history.every((m) => m.attempt === 0));
  // sr-midas trains all ecItr convergence epochs even when maxItr is smaller (-maxItr 3 -ecItr 5),
  // and hands each epoch's weights out before it is recorded (its mod-it{N}.pth).
  const seen: number[] = [];
  const long = await train(src, {
    ...base,
    convergence: { epochs: 5, maxLoss: 1 },
    onEpochWeights: (m, w) => {
      assert(w.length === 4 && w[0].length === 18, "weights in paramSpecs order");
      seen.push(m.epoch);
    },
  });
  assert(long.history.length === 5 && seen.join() === "0,1,2,3,4", `epochs ${seen}`);
  let failed: unknown;
  seen.length = 0;
  await train(src, {
    ...base,
    convergence: { epochs: 4, maxLoss: 0, maxAttempts: 2 },
    onEpochWeights: (m) => void seen.push(m.epoch),
  }).catch((e) => (failed = e));
  assert(failed instanceof ConvergenceError, String(failed));
  const f = failed as ConvergenceError;
  assert(f.attempts === 2 && f.epochs === 4 && f.lastLosses.length === 2, f.message);
  assert(seen.join() === "0,1,2,3,0,1,2,3", `each attempt restarts at epoch 0: ${seen}`);
});

Deno.test("init, split and export follow their contracts", async () => {
  const arch = parseArch("16-5-r_1-5-s");
  const p = initParams(arch, 1, new Rng(0));
  const w = p[0];
  const std = Math.sqrt(w.reduce((a, b) => a + b * b, 0) / w.length);
  assertClose(std, Math.sqrt(2 / 25), 0.06, "Kaiming std");
  assert(p[1].every((b) => Math.abs(b) <= 1 / 5), "bias bound");
  const s1 = splitIndices(10, 0.8, 1), s2 = splitIndices(10, 0.8, 1);
  assert(s1.train.join() === s2.train.join() && s1.val.length === 2);
  assert(splitIndices(10, 0.8, 1, false).val.join() === "8,9");
  assertThrows(() => splitIndices(10, 0, 1), "trainFrac must be in (0, 1]");

  const dir = await Deno.makeTempDir();
  try {
    const { onnxPath, cardPath } = await exportModel(dir, { arch, inChannels: 1, weights: p }, {
      srfacIn: 1,
      srfacOut: 2,
    });
    const card = await readModelCard(cardPath);
    assert(
      card.arch === "16-5-r_1-5-s" && card.params === 16 * 25 + 16 + 16 * 25 + 1 &&
        card.srfacOut === 2,
    );
    const x = Float32Array.from({ length: 3 * 64 }, (_, i) => (i % 7) / 7);
    const a = await Predictor.fromCard(cardPath, { threads: 1 });
    assert(onnxPath === `${dir}/model.onnx`);
    const b = await Predictor.create(arch, 1, p, { threads: 1 });
    const ya = await a.predict(x, 3, 8, 8), yb = await b.predict(x, 3, 8, 8);
    await a.release();
    await b.release();
    assert(relL2(ya, yb) === 0);
    await Deno.writeTextFile(cardPath, JSON.stringify({ format: "x" }));
    let err = "";
    await readModelCard(cardPath).catch((e) => (err = e.message));
    assert(err.includes('field format must be "srmidas-model/1"'), err);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
