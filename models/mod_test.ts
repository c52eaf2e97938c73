/**
 * The bundled models: every key has an ONNX model and a card, the default SR config reaches
 * SRx8 through them (x1→x2→x4→x8), the x1_x8 config through the single model, and an ORT session
 * turns a spot patch into an 8× patch that still holds a peak where the spot is.
 */
import { isModelKey, MODEL_KEYS, modelDir } from "./mod.ts";
import { readModelCard } from "../nn/model_card.ts";
import { loadCascade, runCascade } from "../process/cascade.ts";
import { loadSrConfig } from "../process/sr_config.ts";
import { assert, assertEquals, assertRejects } from "../tests/assert.ts";

const X1_X8_CONFIG = new URL("../configs/sr_config.x1_x8.json", import.meta.url).pathname;

Deno.test("modelDir: every bundled key has model.onnx and a card with its factors", async () => {
  for (const key of MODEL_KEYS) {
    const dir = modelDir(key);
    const card = await readModelCard(`${dir}/model.json`);
    assertEquals(`x${card.srfacIn}_x${card.srfacOut}`, key);
    assert((await Deno.stat(`${dir}/model.onnx`)).size > 1000, `${key}: model.onnx`);
    assertEquals(card.key, key);
  }
  assert(!isModelKey("x1_x4"));
  await assertRejects(
    () => Promise.resolve(modelDir("x8_x16")),
    "unknown model key 'x8_x16': expected one of x1_x2, x2_x4, x4_x8, x1_x8",
  );
});

Deno.test("bundled cascade and single model: SRx8 of a spot peaks at the spot", async () => {
  const lr = 20, s = 8, y0 = 9.3, z0 = 10.6;
  const patch = new Float64Array(lr * lr);
  for (let r = 0; r < lr; r++) {
    for (let c = 0; c < lr; c++) {
      const v = 500 * Math.exp(-((c - y0) ** 2 + (r - z0) ** 2) / (2 * 1.3 ** 2));
      patch[r * lr + c] = v > 10 ? v : 0;
    }
  }
  for (const [config, stages] of [[undefined, 3], [X1_X8_CONFIG, 1]] as const) {
    const cascade = await loadCascade(await loadSrConfig(config), 8, { threads: 1 });
    try {
      assertEquals(cascade.stages.length, stages);
      const out = await runCascade(cascade, patch, 1, lr);
      const n = lr * s;
      let best = 0;
      for (let i = 1; i < n * n; i++) if (out.final[i] > out.final[best]) best = i;
      const row = Math.floor(best / n), col = best % n;
      // SR pixel k sits at detector −½ + (k + ½)/s.
      const y = -0.5 + (col + 0.5) / s, z = -0.5 + (row + 0.5) / s;
      assert(Math.hypot(y - y0, z - z0) < 0.5, `${config ?? "cascade"}: max at (${y}, ${z})`);
      let sum = 0;
      for (const x of out.final) sum += x;
      const raw = patch.reduce((a, b) => a + b, 0);
      assert(Math.abs(sum - raw) < 1e-6 * raw, "final level rescaled to the raw sum");
    } finally {
      await cascade.release();
    }
  }
});
