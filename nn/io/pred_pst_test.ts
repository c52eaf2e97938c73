import { assert } from "../test_util.ts";
import { PatchstoreReader } from "../../patchstore/h5.ts";
import { PredPatchstoreWriter } from "./pred_pst.ts";

async function write(path: string, data: Float32Array): Promise<Uint8Array> {
  const w = await PredPatchstoreWriter.create(path, 2, 4);
  w.append(data.subarray(0, 2 * 16), 2);
  w.append(data.subarray(2 * 16), 1);
  w.commit();
  return await Deno.readFile(path);
}

Deno.test("predicted patchstore: the same predictions give the same file at any time of day", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pred_pst_test_" });
  try {
    const data = Float32Array.from({ length: 3 * 16 }, (_, i) => i / 7);
    const a = await write(`${dir}/a.h5`, data);
    const now = Date.now;
    Date.now = () => now() + 3_600_000; // an hour later (HDF5 stamps objects with the time)
    let b: Uint8Array;
    try {
      b = await write(`${dir}/b.h5`, data);
    } finally {
      Date.now = now;
    }
    assert(a.length === b.length && a.every((x, i) => x === b[i]), "byte-identical files");
    const r = await PatchstoreReader.open(`${dir}/b.h5`);
    try {
      const p = r.readPatch(2, 2);
      assert(p.length === 16 && p[0] === data[32], `patch 2 reads back (${p[0]})`);
    } finally {
      r.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
