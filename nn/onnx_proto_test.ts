import { DataType, decodeFloatInitializers, GraphBuilder, makeTensor } from "./onnx_proto.ts";
import { OrtSession } from "./session.ts";
import { assert, assertThrows, pythonWith } from "./test_util.ts";

Deno.test("GraphBuilder models run in onnxruntime (float/int64 consts, negative ints, symbolic dims)", async () => {
  const g = new GraphBuilder("t");
  g.input("x", ["N", 4]);
  const two = g.constFloat("two", [2], []);
  assert(g.constFloat("two", [2], []) === two, "constants are deduplicated");
  const y = g.op("Mul", ["x", two]);
  // Reverse the last axis: Slice with step −1 exercises negative int64 varints.
  const rev = g.op("Slice", [
    y,
    g.constInt64("s", [-1]),
    g.constInt64("e", [-Number.MAX_SAFE_INTEGER]),
    g.constInt64("a", [1]),
    g.constInt64("st", [-1]),
  ]);
  const w = g.initializer("w", [1, 2, 3, 4], [4, 1]);
  const z = g.op("MatMul", [rev, w]);
  g.output(z, ["N", 1], "z");
  const s = await OrtSession.create(g.toModel(), { threads: 1 });
  try {
    const out = await s.run({
      x: { data: new Float32Array([1, 2, 3, 4, 0, 0, 0, 1]), dims: [2, 4] },
    });
    // rev(2x) = [8, 6, 4, 2] · [1, 2, 3, 4] = 8 + 12 + 12 + 8 = 40; second row [2,0,0,0] → 2
    assert(
      out.z.dims.join() === "2,1" && out.z.data.join() === "40,2",
      `${out.z.dims} ${out.z.data}`,
    );
  } finally {
    await s.release();
  }
});

Deno.test("makeTensor checks sizes and encodes int64 little-endian", () => {
  assertThrows(
    () => makeTensor("bad", [1, 2, 3], [2, 2]),
    'tensor "bad" has 3 values, dims [2,2] need 4',
  );
  const t = makeTensor("i", [-1, 2], [2], DataType.INT64);
  assert(t.raw.length === 16 && t.raw[0] === 255 && t.raw[7] === 255 && t.raw[8] === 2);
});

Deno.test("decodeFloatInitializers reads back the weights encodeModel wrote", () => {
  const g = new GraphBuilder("w");
  const x = g.input("x", [2, 3]);
  const w = Float32Array.from([1.5, -2, 3.25, 0, 1e-7, -1e30]);
  g.output(g.op("Add", [x, g.initializer("W0", w, [2, 3])]), [2, 3], "y");
  g.constInt64("shape", [2, 3]); // int64 initializers are skipped
  const got = decodeFloatInitializers(g.toModel());
  assert(got.size === 1 && got.has("W0"), `names ${[...got.keys()]}`);
  assert(got.get("W0")!.dims.join() === "2,3");
  assert(got.get("W0")!.data.every((v, i) => v === w[i]), `${got.get("W0")!.data}`);
});

Deno.test("decodeFloatInitializers reads python3-onnx's float_data tensors (optional)", async () => {
  const py = await pythonWith("onnx");
  if (!py) {
    console.log("  skipped: /usr/bin/python3 has no onnx module");
    return;
  }
  const code = `import onnx, sys
from onnx import helper, TensorProto
w = helper.make_tensor("W0", TensorProto.FLOAT, [2, 2], [0.5, -1.0, 2.0, 3.5])
r = helper.make_tensor("B0", TensorProto.FLOAT, [2], [7.0, -8.0], raw=False)
g = helper.make_graph([helper.make_node("Add", ["x", "W0"], ["y"])], "g",
  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])], [w, r])
sys.stdout.buffer.write(helper.make_model(g).SerializeToString())`;
  const r = await new Deno.Command(py, { args: ["-c", code], stdout: "piped" }).output();
  assert(r.success, "python3 onnx model");
  const got = decodeFloatInitializers(r.stdout);
  assert(got.get("W0")!.data.join() === "0.5,-1,2,3.5" && got.get("W0")!.dims.join() === "2,2");
  assert(got.get("B0")!.data.join() === "7,-8");
});
