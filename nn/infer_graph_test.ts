import { paramSpecs, parseArch } from "./arch.ts";
import { buildInferenceModel } from "./infer_graph.ts";
import {
  type ConvAlgo,
  planConvAlgos,
  winogradSizes,
  winogradTrainBytesPerSample,
} from "./hwnc.ts";
import { referenceForward } from "./reference.ts";
import { memoryBoundedBatch, OrtSession, PREDICT_BATCH_BYTES, Predictor } from "./session.ts";
import { assert, pythonWith, relL2, testData } from "./test_util.ts";

const ARCHS = ["4-3-r_3-5-lr_1-3-s", "4-3-t_2-1-n_1-3-s", "8-3-r_4-3-s_ps2"];

function weightsFor(text: string, cin: number) {
  const arch = parseArch(text);
  const w64 = paramSpecs(arch, cin).map((s, i) =>
    testData(s.dims.reduce((a, b) => a * b, 1), 11 + i, -0.5, 0.5)
  );
  return { arch, w64, w32: w64.map((w) => Float32Array.from(w)) };
}

for (const text of ARCHS) {
  Deno.test(`Predictor(${text}) matches the float64 reference over several batches`, async () => {
    const cin = 2, n = 7, h = 6, w = 5;
    const { arch, w64, w32 } = weightsFor(text, cin);
    const x = testData(n * cin * h * w, 4, 0, 1);
    const pred = await Predictor.create(arch, cin, w32, { threads: 1, maxBatch: 3 });
    try {
      assert(pred.batchSize(h, w) === 3);
      await pred.warmUp(h, w);
      const y = await pred.predict(Float32Array.from(x), n, h, w);
      const ref = referenceForward(arch, cin, w64, x, n, h, w).output;
      assert(y.length === ref.data.length, `length ${y.length} vs ${ref.data.length}`);
      const e = relL2(y, ref.data);
      assert(e < 1e-5, `relative L2 ${e}`);
    } finally {
      await pred.release();
    }
  });
}

Deno.test("Predictor batches by default within PREDICT_BATCH_BYTES, with the outputs of one big batch bit for bit", async () => {
  // The bundled x→2x stages' architecture at the x4→x8 stage's 80×80 input: about 1.6 MB of
  // activations a patch, so the default budget runs 24 patches in two batches.
  const { arch, w32 } = weightsFor("32-3-r_16-3-r_4-3-s_ps2", 1);
  const [h, w, n] = [80, 80, 24];
  const x = Float32Array.from(testData(n * h * w, 9, 0, 1));
  const small = await Predictor.create(arch, 1, w32, { threads: 2, maxBatch: 400 });
  const big = await Predictor.create(arch, 1, w32, {
    threads: 2,
    maxBatch: 400,
    maxBatchBytes: 2 ** 30,
  });
  try {
    const b = small.batchSize(h, w);
    assert(b === memoryBoundedBatch(arch, 1, h, w, { maxBatchBytes: PREDICT_BATCH_BYTES }));
    assert(b > 1 && b < n && big.batchSize(h, w) >= n, `${b} vs ${big.batchSize(h, w)}`);
    const ys = await small.predict(x, n, h, w), yb = await big.predict(x, n, h, w);
    assert(ys.length === yb.length && ys.every((v, i) => v === yb[i]), "batched outputs differ");
  } finally {
    await small.release();
    await big.release();
  }
});

Deno.test("Predictor bounds the batch by memory", async () => {
  const { arch, w32 } = weightsFor("8-3-r_1-3-s", 1);
  const pred = await Predictor.create(arch, 1, w32, { maxBatchBytes: 100_000 });
  try {
    // per patch at 10×10: 2·(8·100·4) + 4·100·2 = 7200 bytes → 13 patches
    assert(pred.batchSize(10, 10) === 13, String(pred.batchSize(10, 10)));
  } finally {
    await pred.release();
  }
});

Deno.test("inference models pass python3-onnx's full checker (optional)", async () => {
  const py = await pythonWith("onnx");
  if (!py) {
    console.log("  skipped: /usr/bin/python3 has no onnx module");
    return;
  }
  const dir = await Deno.makeTempDir();
  try {
    for (const [i, text] of ARCHS.entries()) {
      const { arch, w32 } = weightsFor(text, 2);
      await Deno.writeFile(`${dir}/m${i}.onnx`, buildInferenceModel(arch, 2, { weights: w32 }));
    }
    const wide = weightsFor("16-5-r_32-5-r_1-3-s", 1);
    await Deno.writeFile(
      `${dir}/fixed.onnx`,
      buildInferenceModel(wide.arch, 1, { weights: wide.w32, fixedSize: { h: 9, w: 7 } }),
    );
    const { arch } = weightsFor(ARCHS[0], 1);
    await Deno.writeFile(
      `${dir}/inputs.onnx`,
      buildInferenceModel(arch, 1, { weightsAsInputs: true }),
    );
    const code = `import onnx, glob, sys
for f in sorted(glob.glob(sys.argv[1] + "/*.onnx")):
    onnx.checker.check_model(onnx.load(f), full_check=True)
print("ok")`;
    const r = await new Deno.Command(py, { args: ["-c", code, dir] }).output();
    const msg = new TextDecoder().decode(r.stderr);
    assert(r.success && new TextDecoder().decode(r.stdout).trim() === "ok", msg);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// Every algorithm and every layout switch in one network: unfold (HWNC) → Winograd K=5 and K=3
// (HWNC) → direct (NCHW) → shuffle → Winograd at the shuffled resolution → direct.
Deno.test("fixed-size fast models (unfold, Winograd, direct, shuffle) match the reference", async () => {
  const text = "8-3-r_8-5-lr_8-3-t_8-3-r_ps2_4-5-r_1-3-s";
  const cin = 1, n = 3, h = 7, w = 9;
  const { arch, w64, w32 } = weightsFor(text, cin);
  const plans: ConvAlgo[][] = [
    ["unfold", "winograd", "winograd", "direct", "direct", "winograd", "direct"],
    ["direct", "direct", "unfold", "winograd", "direct", "unfold", "winograd"],
  ];
  const x = testData(n * cin * h * w, 31, 0, 1);
  const ref = referenceForward(arch, cin, w64, x, n, h, w).output;
  for (const convAlgos of plans) {
    const model = buildInferenceModel(arch, cin, { weights: w32, fixedSize: { h, w }, convAlgos });
    const s = await OrtSession.create(model, { threads: 1 });
    try {
      const y = (await s.run({ x: { data: Float32Array.from(x), dims: [n, cin, h, w] } })).y;
      assert(y.dims.join() === [n, 1, 2 * h, 2 * w].join(), `dims ${y.dims}`);
      const e = relL2(y.data, ref.data);
      assert(e < 1e-5, `${convAlgos}: relative L2 ${e}`);
    } finally {
      await s.release();
    }
  }
});

Deno.test("planConvAlgos: Winograd for wide layers, unfold for the thin layer before them", () => {
  const plan = (t: string) => planConvAlgos(parseArch(t), 1).join(",");
  const seed = "256-5-r_128-5-r_64-5-r_32-5-r_16-5-r_8-5-r_1-5-s";
  assert(plan(seed) === "unfold,winograd,winograd,winograd,direct,direct,direct", plan(seed));
  assert(plan("128-5-r_64-5-r_1-5-s") === "unfold,winograd,direct");
  // Thinner or 3×3 networks lose to ORT's Conv (the transforms cost more than they save).
  assert(plan("64-5-r_32-5-r_1-5-s") === "direct,direct,direct");
  // …but its training step gains (the transform-domain weight gradient saves 6× too).
  const trainPlan = planConvAlgos(parseArch("64-5-r_32-5-r_1-5-s"), 1, "train").join(",");
  assert(trainPlan === "unfold,winograd,direct", trainPlan);
  assert(plan("128-3-r_128-3-r_1-3-s") === "direct,direct,direct");
  assert(plan("32-3-r_16-3-r_4-3-s_ps2") === "direct,direct,direct,direct");
  // A run grows backwards too; a join needs its own MACs.
  assert(plan("16-5-r_64-5-r_256-5-r_1-5-s") === "unfold,winograd,winograd,direct");
  assert(plan("64-9-r_32-9-r_1-5-s") === "direct,direct,direct", "K = 9 stays direct");
});

Deno.test("Predictor (convAlgo auto) runs a wide network per patch size like the reference", async () => {
  const text = "32-5-r_256-5-r_1-3-s";
  const { arch, w64, w32 } = weightsFor(text, 1);
  assert(planConvAlgos(arch, 1).includes("winograd"));
  const pred = await Predictor.create(arch, 1, w32, { threads: 1, maxBatch: 4 });
  try {
    for (const [h, w] of [[10, 10], [13, 6], [10, 10]]) {
      const n = 6;
      const x = testData(n * h * w, h + w, 0, 1);
      const y = await pred.predict(Float32Array.from(x), n, h, w);
      const e = relL2(y, referenceForward(arch, 1, w64, x, n, h, w).output.data);
      assert(e < 1e-5, `${h}×${w}: relative L2 ${e}`);
    }
  } finally {
    await pred.release();
  }
});

Deno.test("Predictor.fromModel reads a wide model's weights back and runs it fast", async () => {
  const { arch, w64, w32 } = weightsFor("32-5-r_256-5-r_1-3-s", 1);
  const bytes = buildInferenceModel(arch, 1, { weights: w32 });
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/m.onnx`, bytes);
    const [h, w, n] = [9, 8, 3];
    const x = testData(n * h * w, 5, 0, 1);
    const ref = referenceForward(arch, 1, w64, x, n, h, w).output.data;
    for (const convAlgo of ["auto", "direct"] as const) {
      const opts = { threads: 1, convAlgo, maxBatchBytes: 2 ** 22 };
      const pred = await Predictor.fromModel(arch, 1, `${dir}/m.onnx`, opts);
      try {
        // The fast path builds its models per size, so batchSize counts the Winograd tiles.
        const plan = planConvAlgos(arch, 1);
        const fastBatch = memoryBoundedBatch(arch, 1, h, w, { ...opts, plan });
        assert(fastBatch < memoryBoundedBatch(arch, 1, h, w, opts));
        assert((pred.batchSize(h, w) === fastBatch) === (convAlgo === "auto"), convAlgo);
        const e = relL2(await pred.predict(Float32Array.from(x), n, h, w), ref);
        assert(e < 1e-5, `${convAlgo}: relative L2 ${e}`);
      } finally {
        await pred.release();
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("winogradTrainBytesPerSample: the 7-layer net's tiles at 40×40", () => {
  const arch = parseArch("256-5-r_128-5-r_64-5-r_32-5-r_16-5-r_8-5-r_1-5-s");
  const sizes = winogradSizes(arch, 1, 40, 40, planConvAlgos(arch, 1, "train"));
  assert(sizes.map((t) => `${t.layer}:${t.tilePoints}`).join() === "1:6400,2:6400,3:6400");
  // 4 bytes · 6400 tile points · (Cin + 2·Cout) over 256→128, 128→64, 64→32.
  assert(winogradTrainBytesPerSample(sizes) === 4 * 6400 * (512 + 256 + 128));
});

Deno.test("memoryBoundedBatch counts Winograd's tiled tensors", () => {
  const arch = parseArch("256-5-r_128-5-r_64-5-r_32-5-r_16-5-r_8-5-r_1-5-s");
  const plain = memoryBoundedBatch(arch, 1, 40, 40, { maxBatch: 1000 });
  const fast = memoryBoundedBatch(arch, 1, 40, 40, {
    maxBatch: 1000,
    plan: planConvAlgos(arch, 1),
  });
  // 256→128 at 40×40 in 4×4 tiles of 8×8: 100·64·(2·256 + 128) floats = 16.4 MB per patch.
  assert(plain === 326 && fast === 65, `plain ${plain}, fast ${fast}`);
});
