import { paramSpecs, parseArch } from "./arch.ts";
import { exportModel, readModelCard } from "./model_card.ts";
import type { EpochMetrics } from "./trainer.ts";
import { assert } from "./test_util.ts";

Deno.test("exportModel: the same weights give the same files, however long the epochs took", async () => {
  const dir = await Deno.makeTempDir({ prefix: "model_card_test_" });
  try {
    const arch = parseArch("4-3-r_1-3-s");
    const weights = paramSpecs(arch, 1).map((p, i) =>
      Float32Array.from({ length: p.dims.reduce((a, b) => a * b) }, (_, j) => (i + j) / 10)
    );
    const err = { count: 1, mean: 0.1, p50: 0.1, p75: 0.1, p95: 0.1, p995: 0.1 };
    const best = (seconds: number): EpochMetrics => ({
      epoch: 3,
      attempt: 0,
      steps: 5,
      trainLoss: 0.2,
      lastBatchLoss: 0.2,
      valLoss: 0.25,
      train: err,
      val: err,
      seconds,
    });
    const a = await exportModel(`${dir}/a`, { arch, inChannels: 1, weights, best: best(0.34) });
    const b = await exportModel(`${dir}/b`, { arch, inChannels: 1, weights, best: best(0.81) });
    for (const [x, y] of [[a.onnxPath, b.onnxPath], [a.cardPath, b.cardPath]]) {
      const bx = await Deno.readFile(x), by = await Deno.readFile(y);
      assert(bx.length === by.length && bx.every((v, i) => v === by[i]), `${x} = ${y}`);
    }
    const card = await readModelCard(a.cardPath);
    const m = card.metrics as Record<string, unknown>;
    assert(m.epoch === 3 && m.valLoss === 0.25 && !("seconds" in m), JSON.stringify(m));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
