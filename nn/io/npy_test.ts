import { assert, assertThrows } from "../test_util.ts";
import { npyHeader, NpyWriter, readNpy, writeNpy } from "./npy.ts";

Deno.test("npy: header is 64-byte aligned and round-trips; numpy agrees when present", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srm_npy_" });
  try {
    assert(npyHeader([3, 1, 40, 40]).length % 64 === 0, "aligned header");
    const data = Float32Array.from({ length: 24 }, (_, i) => i * 0.5 - 3);
    await writeNpy(`${dir}/a.npy`, data, [2, 3, 4]);
    const r = await readNpy(`${dir}/a.npy`);
    assert(r.shape.join() === "2,3,4" && r.data.every((v, i) => v === data[i]), "round trip");
    const w = await NpyWriter.create(`${dir}/b.npy`, [5]);
    await w.write(new Float32Array([1, 2]));
    await w.write(new Float32Array([3, 4, 5]));
    w.close();
    assert((await readNpy(`${dir}/b.npy`)).data[4] === 5, "streamed");
    const bad = await NpyWriter.create(`${dir}/c.npy`, [5]);
    assertThrows(() => bad.close(), "wrote 0 values, shape [5] needs 5");
    try {
      const out = await new Deno.Command("/usr/bin/python3", {
        args: [
          "-c",
          `import numpy as np; a=np.load("${dir}/a.npy"); print(a.shape, a.dtype, a.sum()); np.save("${dir}/d.npy", np.arange(6.0).reshape(2,3))`,
        ],
      }).output();
      if (out.success) {
        const txt = new TextDecoder().decode(out.stdout).trim();
        assert(txt === "(2, 3, 4) float32 66.0", `numpy reads it: ${txt}`);
        const d = await readNpy(`${dir}/d.npy`);
        assert(d.shape.join() === "2,3" && d.data[5] === 5, "reads numpy's <f8");
      } else console.log("note: numpy cross-check skipped");
    } catch {
      console.log("note: python3 missing, numpy cross-check skipped");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
