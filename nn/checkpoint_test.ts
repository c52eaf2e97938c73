import { readCheckpoint, writeCheckpoint } from "./checkpoint.ts";
import { assert } from "./test_util.ts";

Deno.test("checkpoints round-trip metadata and tensors and reject other files", async () => {
  const f = await Deno.makeTempFile({ suffix: ".ckpt" });
  try {
    await writeCheckpoint(f, { epoch: 7, rng: [1, 2, 3, 4], note: "é" }, {
      a: new Float32Array([1.5, -2]),
      b: new Float32Array([3]),
    });
    const { meta, tensors } = await readCheckpoint(f);
    assert(meta.epoch === 7 && meta.note === "é" && (meta.rng as number[]).join() === "1,2,3,4");
    assert(tensors.a.join() === "1.5,-2" && tensors.b.join() === "3");
    await Deno.writeTextFile(f, "not a checkpoint");
    let err = "";
    await readCheckpoint(f).catch((e) => (err = e.message));
    assert(err.includes("not an srmidas checkpoint"), err);
  } finally {
    await Deno.remove(f);
  }
});
