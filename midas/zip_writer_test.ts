import { encodeParam, type FrameArray, type MidasZipContent, writeMidasZip } from "./zip_writer.ts";
import { openMidasZip } from "./zip_reader.ts";
import { convertFrame, type FrameDtype } from "./dtype.ts";
import {
  assert,
  assertArrayEquals,
  assertEquals,
  assertRejects,
  hasPythonZarr,
  runPython,
  testFrame,
} from "./_test_util.ts";
import { READ_ZIP_PY } from "./_fixtures_py.ts";

const nF = 3, nZ = 48, nY = 64, npx = nZ * nY;

function content(dtype: FrameDtype, scale = 1): MidasZipContent {
  // A generator, so the writer must pull frames lazily.
  function* frames() {
    for (let f = 0; f < nF; f++) yield convertFrame(dtype, testFrame(f, nZ, nY, scale));
  }
  const mask = new Uint8Array(npx);
  mask[5 * nY + 7] = 1;
  return {
    nFrames: nF,
    nZ,
    nY,
    dtype,
    frames: frames(),
    dark: { n: 2, data: convertFrame(dtype, new Array(2 * npx).fill(3)) },
    flood: new Float32Array(npx).fill(1.5),
    mask,
    analysisParameters: {
      YCen: 30.5,
      ZCen: 20,
      SpaceGroup: 225,
      SkipFrame: 1,
      ImTransOpt: [0],
      RingThresh: [[1, 10], [2, 20]],
      LatticeParameter: [4.08, 4.08, 4.08, 90, 90, 90],
      ResultFolder: "/tmp/result",
      doPeakFit: 1,
    },
    scanParameters: {
      start: 180,
      step: -0.25,
      omegaCenter: Float64Array.from({ length: nF }, (_, i) => 180 - i),
    },
  };
}

Deno.test("writeMidasZip output is read identically by Python zarr and by openMidasZip", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "midas_w_" });
  try {
    for (const [dtype, scale] of [["uint16", 1], ["float32", 0.5], ["int32", 1]] as const) {
      await t.step(dtype, async () => {
        const path = `${dir}/${dtype}.MIDAS.zip`;
        await writeMidasZip(path, content(dtype, scale));
        const expected = Array.from(
          { length: nF },
          (_, f) => Array.from(testFrame(f, nZ, nY, scale)),
        ).flat();
        const zip = await openMidasZip(path);
        try {
          assertEquals([zip.nFrames, zip.nZ, zip.nY, zip.dtype], [nF, nZ, nY, dtype]);
          const got: number[] = [];
          for await (const fr of zip) got.push(...fr);
          assertArrayEquals(got, expected);
          assertArrayEquals(await zip.flood(), new Float64Array(npx).fill(1.5));
          assertEquals((await zip.mask())[5 * nY + 7], 1);
          const p = await zip.params({ required: [] });
          assertEquals([p.SpaceGroup, p.SkipFrame, p.doPeakFit, p.start, p.step], [
            225,
            1,
            1,
            180,
            -0.25,
          ]);
        } finally {
          zip.close();
        }
        if (!(await hasPythonZarr())) return;
        const py = JSON.parse(await runPython(READ_ZIP_PY, path));
        assertEquals([py.shape, py.chunks], [[nF, nZ, nY], [1, nZ, nY]]);
        assertEquals(py.compressor, {
          blocksize: 0,
          clevel: 1,
          cname: "zstd",
          id: "blosc",
          shuffle: 2,
        });
        assertArrayEquals(py.frames, expected);
        assertArrayEquals(py.dark, new Array(2 * npx).fill(3));
        assertArrayEquals(py.flood, new Array(npx).fill(1.5));
        assertEquals(py.mask.reduce((a: number, b: number) => a + b, 0), 1);
        assertEquals(py.params.SpaceGroup, {
          dtype: "<i4",
          shape: [1],
          value: [225],
          compressor: "blosc",
        });
        assertEquals(py.params.ImTransOpt.dtype, "<i4");
        assertEquals(py.params.YCen, {
          dtype: "<f8",
          shape: [1],
          value: [30.5],
          compressor: "blosc",
        });
        assertEquals(py.params.RingThresh.shape, [2, 2]);
        assertEquals(py.params.ResultFolder.value, ["/tmp/result"]);
        assertEquals(py.params.OmegaRanges.value, [-10000, 0]); // MIDAS default written when absent
        assertEquals(py.scan.doPeakFit.dtype, "<i4");
        assertEquals(py.scan.datatype, {
          dtype: `|S${dtype === "int32" ? 7 : dtype.length}`,
          shape: [],
          value: dtype === "int32" ? "unknown" : dtype,
          compressor: "blosc",
        });
        assertArrayEquals(py.scan.omegaCenter.value, [180, 179, 178]);
        assertEquals([py.methods, py.testzip], [[0], null]); // all STORED, CRCs valid
        assertEquals(py.zarray_like_zarr, true);
        // Frame chunks are consecutive entries in numeric frame order (MIDAS C relies on it).
        const i0 = py.names.indexOf("exchange/data/0.0.0");
        assertEquals(py.names.slice(i0, i0 + nF), [
          "exchange/data/0.0.0",
          "exchange/data/1.0.0",
          "exchange/data/2.0.0",
        ]);
        assert(py.names.indexOf("exchange/dark/1.0.0") < i0, "darks precede data chunks");
      });
    }
    await t.step("ZIP64 records (forced) are read by Python and by us", async () => {
      const path = `${dir}/z64.MIDAS.zip`;
      await writeMidasZip(path, content("uint16"), { forceZip64: true });
      const bytes = await Deno.readFile(path);
      const sig = new DataView(bytes.buffer).getUint32(bytes.length - 22 - 20 - 56, true);
      assertEquals(sig, 0x06064b50); // ZIP64 end of central directory record
      const zip = await openMidasZip(path);
      try {
        assertArrayEquals(await zip.readFrame(2), testFrame(2, nZ, nY));
      } finally {
        zip.close();
      }
      if (!(await hasPythonZarr())) return;
      const py = JSON.parse(await runPython(READ_ZIP_PY, path));
      assertArrayEquals(py.frames.slice(2 * npx), Array.from(testFrame(2, nZ, nY)));
      assertEquals(py.testzip, null);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeMidasZip is atomic and rejects bad content naming the field", async () => {
  const dir = await Deno.makeTempDir({ prefix: "midas_wbad_" });
  try {
    const path = `${dir}/x.MIDAS.zip`;
    const short = { ...content("uint16"), frames: [new Uint16Array(npx)] };
    await assertRejects(
      () => writeMidasZip(path, short),
      path,
      "nFrames = 3 but 1 frames supplied",
    );
    const wrongType = { ...content("uint16"), frames: [new Float32Array(npx) as FrameArray] };
    await assertRejects(() => writeMidasZip(path, wrongType), "frame 0", "expected uint16");
    const badInt = { ...content("uint16"), analysisParameters: { SpaceGroup: 225.5 } };
    await assertRejects(() => writeMidasZip(path, badInt), "SpaceGroup", "int32");
    const noStep = {
      ...content("uint16"),
      scanParameters: { start: 0 } as { start: number; step: number },
    };
    await assertRejects(() => writeMidasZip(path, noStep), "scanParameters.step");
    assertEquals([...Deno.readDirSync(dir)].length, 0); // no partial output, no temp file left
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("encodeParam follows MIDAS typing", () => {
  assertEquals(encodeParam("Lsd", 1e6, "t").dtype, "<f8");
  assertEquals(encodeParam("Padding", 6, "t").dtype, "<i4");
  assertEquals(encodeParam("RingThresh", [[1, 2], [3, 4]], "t").shape, [2, 2]);
  assertEquals(encodeParam("LatticeParameter", [1, 2, 3, 4, 5, 6], "t").shape, [6]);
  assertEquals(encodeParam("GrainsFile", "g.csv", "t").dtype, "|S5");
});
