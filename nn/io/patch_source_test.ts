import { assert } from "../test_util.ts";
import { normalizeGeometryChannels, prepareIntensity } from "../upscale.ts";
import { channelList, patchstoreSource, prepareModelInput, sha256File } from "./patch_source.ts";
import { makeTinyPatchstore } from "./testdata.ts";
import { PatchstoreReader } from "../../patchstore/h5.ts";

Deno.test("prepareModelInput: intensity as prepareIntensity, R/Eta from the target grid", () => {
  const n = 2, size = 2, f = 2;
  const src = Float32Array.from({ length: n * 3 * size * size }, (_, i) => (i * 7) % 5);
  const ho = size * f;
  const geom = Float32Array.from({ length: n * 3 * ho * ho }, (_, i) => 100 + Math.sin(i) * 10);
  const x = prepareModelInput(src, n, 3, size, f, channelList(true, true), geom);
  const i0 = new Float32Array([...src.subarray(0, 4), ...src.subarray(12, 16)]);
  const up = prepareIntensity(i0, n, size, size, f);
  const want = new Float32Array(n * 3 * ho * ho);
  for (let p = 0; p < n; p++) {
    want.set(up.subarray(p * 16, p * 16 + 16), p * 48);
    want.set(geom.subarray(p * 48 + 16, p * 48 + 48), p * 48 + 16);
  }
  normalizeGeometryChannels(want, n, 3, ho, ho, { r: 1, eta: 2 });
  assert(x.every((v, i) => v === want[i]), "matches the composed reference");
  const onlyEta = prepareModelInput(src, n, 3, size, f, channelList(false, true), geom);
  assert(onlyEta.length === n * 2 * 16, "I + Eta = 2 channels (sr-midas would crash)");
});

Deno.test("patchstoreSource: shapes, targets are channel 0 of SRx{out}, clear errors", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srm_src_" });
  try {
    const n = await makeTinyPatchstore(`${dir}/p.h5`, { nPatch: 6 });
    const src = await patchstoreSource({
      target: `${dir}/p.h5`,
      inSRx: 1,
      outSRx: 2,
      channels: ["I"],
    });
    const b = await src.read([3, 0]);
    src.close();
    assert(src.size === n && src.inShape.join() === "1,16,16" && b.x.length === 2 * 256, "shapes");
    const r = await PatchstoreReader.open(`${dir}/p.h5`);
    const y3 = r.readPatch(3, 2);
    r.close();
    assert(b.y.subarray(0, 256).every((v, i) => v === y3[i]), "target = SRx2 channel 0 of patch 3");
    let msg = "";
    await patchstoreSource({ target: `${dir}/p.h5`, inSRx: 1, outSRx: 4, channels: ["I"] }).catch((
      e,
    ) => (msg = e.message));
    assert(msg.includes("no target level SRx4 (have SRx1,SRx2)"), msg);
    const h = await sha256File(`${dir}/p.h5`);
    const want = Array.from(
      new Uint8Array(await crypto.subtle.digest("SHA-256", await Deno.readFile(`${dir}/p.h5`))),
      (x) => x.toString(16).padStart(2, "0"),
    ).join("");
    assert(h === want, "streamed SHA-256 = one-shot SHA-256");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
