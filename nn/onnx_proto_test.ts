import { DataType, GraphBuilder, makeTensor } from "./onnx_proto.ts";
import { OrtSession } from "./session.ts";
import { assert, assertThrows } from "./test_util.ts";

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
