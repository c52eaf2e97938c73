import { writeNpy } from "../nn/io/npy.ts";
import { assert, assertEquals } from "./_test_util.ts";
import { openSrPatches, parsePatchesInfo } from "./sr_patches.ts";

const INFO =
  ",Y00,Z00,nr_pixels_in_patch,patches_Isum,n_peaks_in_patches\n0,8,8,5,100,1\n1,10,9,3,50,1\n";

Deno.test("openSrPatches reads the final level and the patch origins of a frame", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srmidas_srp_" });
  try {
    assertEquals(await openSrPatches(dir), undefined, "no SR_out: no SR panel");
    const sp = `${dir}/SR_out/SR_patches`;
    await Deno.mkdir(sp, { recursive: true });
    // process/run.ts layout, frame 3 padded to 6: x1 input, x2 and x4 levels, info CSV.
    await writeNpy(`${sp}/000003_SRx1_exp.npy`, new Float32Array(2 * 16), [2, 1, 4, 4]);
    await writeNpy(`${sp}/000003_SRx2_pred.npy`, new Float32Array(2 * 64), [2, 1, 8, 8]);
    const x4 = Float32Array.from({ length: 2 * 256 }, (_, i) => i);
    await writeNpy(`${sp}/000003_SRx4_pred.npy`, x4, [2, 1, 16, 16]);
    await Deno.writeTextFile(`${sp}/000003_patches_info.csv`, INFO);
    const src = (await openSrPatches(dir))!;
    assertEquals([src.s, src.frames], [4, [3]]);
    const f = (await src.read(3))!;
    assertEquals([f.s, f.lowRes, f.count], [4, 4, 2]);
    assertEquals([Array.from(f.y00), Array.from(f.z00)], [[8, 10], [8, 9]]);
    assertEquals(f.data[256 + 17], 256 + 17, "patch 1, SR pixel (1, 1)");
    assertEquals(await src.read(0), undefined, "frame without files");
    // A CSV that disagrees with the npy is named in the error.
    await Deno.writeTextFile(
      `${sp}/000003_patches_info.csv`,
      INFO.split("\n").slice(0, 2).join("\n"),
    );
    let err = "";
    await src.read(3).catch((e) => (err = e.message));
    assert(err.includes("000003_patches_info.csv: 1 patch rows") && err.includes("has 2"), err);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parsePatchesInfo finds Y00/Z00 by header and names bad fields", () => {
  const { y00, z00 } = parsePatchesInfo("Z00,Y00\n1,2\n3,4\n");
  assertEquals([Array.from(y00), Array.from(z00)], [[2, 4], [1, 3]]);
  let err = "";
  try {
    parsePatchesInfo(",Y00,Z00\n0,1.5,2\n", "f.csv");
  } catch (e) {
    err = (e as Error).message;
  }
  assertEquals(err, "f.csv: line 2 field Y00: '1.5' is not an integer");
});
