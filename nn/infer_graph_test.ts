import { paramSpecs, parseArch } from "./arch.ts";
import { buildInferenceModel } from "./infer_graph.ts";
import { referenceForward } from "./reference.ts";
import { Predictor } from "./session.ts";
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
