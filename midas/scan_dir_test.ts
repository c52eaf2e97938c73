import { assertEquals, assertRejects } from "./_test_util.ts";
import { findScanZip } from "./scan_dir.ts";

Deno.test("scan dirs: a symlinked zip is found; several zips or a broken link are errors that say how to pick", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srm_scandir_" });
  try {
    await Deno.mkdir(`${dir}/raw`);
    await Deno.mkdir(`${dir}/scan`);
    await Deno.writeTextFile(`${dir}/raw/a.MIDAS.zip`, "zip");
    await Deno.symlink(`${dir}/raw/a.MIDAS.zip`, `${dir}/scan/a.MIDAS.zip`);
    assertEquals(await findScanZip(`${dir}/scan`), "a.MIDAS.zip");

    await Deno.writeTextFile(`${dir}/scan/b.MIDAS.zip`, "zip");
    await assertRejects(
      () => findScanZip(`${dir}/scan`),
      `${dir}/scan: 2 *.MIDAS.zip files (a.MIDAS.zip, b.MIDAS.zip); pick one with --zip NAME`,
    );
    assertEquals(await findScanZip(`${dir}/scan`, "b.MIDAS.zip"), "b.MIDAS.zip");
    assertEquals(await findScanZip(`${dir}/scan`, "a"), "a.MIDAS.zip");
    await assertRejects(
      () => findScanZip(`${dir}/scan`, "c"),
      "--zip c: no such",
      "found: a.MIDAS.zip, b.MIDAS.zip",
    );

    await Deno.remove(`${dir}/scan/b.MIDAS.zip`);
    await Deno.remove(`${dir}/raw/a.MIDAS.zip`);
    await assertRejects(
      () => findScanZip(`${dir}/scan`),
      "no *.MIDAS.zip in the scan directory; broken link(s): a.MIDAS.zip →",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
