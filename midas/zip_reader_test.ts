import { openMidasZip } from "./zip_reader.ts";
import { writeMidasZip, zarrayJson } from "./zip_writer.ts";
import { ZipStreamWriter } from "./zip_container.ts";
import {
  assert,
  assertArrayEquals,
  assertEquals,
  assertRejects,
  hasPythonZarr,
  runPython,
  testFrame,
} from "./_test_util.ts";
import { WRITE_FIXTURES_PY } from "./_fixtures_py.ts";
import Blosc from "numcodecs/blosc";

const nF = 3, nZ = 48, nY = 64;

Deno.test("reads zips written by Python zarr: all codecs and dtypes, deflate, duplicates", async (t) => {
  if (!(await hasPythonZarr())) return;
  const dir = await Deno.makeTempDir({ prefix: "midas_py_" });
  try {
    await runPython(WRITE_FIXTURES_PY, dir);
    const cases: [string, string, number][] = [
      ["blosc_zstd_bit_u2.zip", "uint16", 1],
      ["blosc_lz4_shuf_f4.zip", "float32", 0.5],
      ["zstd_u2.zip", "uint16", 1],
      ["lz4_f4.zip", "float32", 0.5],
      ["none_u2.zip", "uint16", 1],
      ["blosc_u4_tiles.zip", "uint32", 1],
      ["blosc_i4.zip", "int32", 1],
      ["blosc_f8.zip", "float64", 0.5],
      ["deflated_u2.zip", "uint16", 1],
    ];
    for (const [name, dtype, scale] of cases) {
      await t.step(name, async () => {
        const zip = await openMidasZip(`${dir}/${name}`);
        try {
          assertEquals([zip.nFrames, zip.nZ, zip.nY, zip.dtype], [nF, nZ, nY, dtype]);
          let f = 0;
          for await (const frame of zip) {
            assertArrayEquals(frame, testFrame(f++, nZ, nY, scale), 0, `${name} frame ${f}`);
          }
          assertEquals(f, nF);
          const dark = await zip.readDark();
          assertEquals(dark?.n, 2);
          assertArrayEquals(await zip.darkMean(1), new Float64Array(nZ * nY).fill(3));
          const mask = await zip.mask();
          assertEquals([mask[5 * nY + 7], mask.reduce((a, b) => a + b, 0)], [1, 1]);
          assertArrayEquals(await zip.flood(), new Float64Array(nZ * nY).fill(1)); // absent → ones
          const p = await zip.params();
          assertEquals([p.YCen, p.ZCen, p.SpaceGroup, p.SkipFrame, p.MinNrPx, p.ty], [
            30.5,
            20.25,
            225,
            1,
            3,
            0.1,
          ]);
          assertEquals([p.start, p.step, p.doPeakFit, p.p[0], p.p[14]], [180, -0.25, 1, 1e-4, 0]);
          assertEquals(p.RingThresh, [[1, 10], [2, 20]]);
          assertEquals([p.ResultFolder, p.ImTransOpt, p.LatticeParameter.length], ["/tmp/result", [
            0,
          ], 6]);
          assertEquals((await zip.scanParameters()).datatype, dtype === "int32" ? "int32" : dtype);
        } finally {
          zip.close();
        }
      });
    }
    await t.step("duplicate entry: last one wins", async () => {
      const zip = await openMidasZip(`${dir}/duplicate_u2.zip`);
      try {
        assertEquals((await zip.params()).SpaceGroup, 229);
      } finally {
        zip.close();
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Writes a zip with the given entries, in order (for malformed-archive tests). */
async function buildZip(path: string, entries: [string, Uint8Array][]): Promise<void> {
  const zw = await ZipStreamWriter.create(path);
  for (const [name, data] of entries) await zw.add(name, data);
  await zw.finish();
}

const zstd = { cname: "zstd", clevel: 1, shuffle: 2 } as const;
const blosc = Blosc.fromConfig({ id: "blosc", ...zstd });
const frameBytes = async (f: number) =>
  await blosc.encode(new Uint8Array(Uint16Array.from(testFrame(f, nZ, nY)).buffer));

Deno.test("bad inputs fail with errors naming the file and the zarr path", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "midas_bad_" });
  const good = `${dir}/good.MIDAS.zip`;
  await writeMidasZip(good, {
    nFrames: nF,
    nZ,
    nY,
    dtype: "uint16",
    frames: Array.from({ length: nF }, (_, f) => Uint16Array.from(testFrame(f, nZ, nY))),
    analysisParameters: { YCen: 1, ZCen: 2 },
    scanParameters: { start: 0, step: 1 },
  });
  try {
    await t.step("missing file", async () => {
      await assertRejects(() => openMidasZip(`${dir}/nope.zip`), `${dir}/nope.zip`, "cannot open");
    });
    await t.step("truncated zip", async () => {
      const bytes = await Deno.readFile(good);
      const p = `${dir}/trunc.zip`;
      await Deno.writeFile(p, bytes.subarray(0, bytes.length >> 1));
      await assertRejects(() => openMidasZip(p), p, "not a readable zip");
    });
    await t.step("missing exchange/data", async () => {
      const p = `${dir}/nodata.zip`;
      await buildZip(p, [[".zgroup", new TextEncoder().encode('{"zarr_format": 2}')]]);
      await assertRejects(() => openMidasZip(p), p, "exchange/data: missing array");
    });
    await t.step("unsupported dtype", async () => {
      const p = `${dir}/i8.zip`;
      await buildZip(p, [[
        "exchange/data/.zarray",
        zarrayJson([1, nZ, nY], [1, nZ, nY], "<i8", zstd),
      ]]);
      await assertRejects(() => openMidasZip(p), p, "exchange/data: unsupported dtype <i8");
    });
    await t.step("frame count mismatch", async () => {
      const p = `${dir}/short.zip`;
      await buildZip(p, [
        ["exchange/data/.zarray", zarrayJson([3, nZ, nY], [1, nZ, nY], "<u2", zstd)],
        ["exchange/data/0.0.0", await frameBytes(0)],
        ["exchange/data/1.0.0", await frameBytes(1)],
      ]);
      await assertRejects(() => openMidasZip(p), p, "frame count mismatch", "frame(s) 2");
    });
    await t.step("corrupt chunk", async () => {
      const p = `${dir}/corrupt.zip`;
      const junk = new Uint8Array(300).map((_, i) => (i * 37) & 255);
      await buildZip(p, [
        ["exchange/data/.zarray", zarrayJson([2, nZ, nY], [1, nZ, nY], "<u2", zstd)],
        ["exchange/data/0.0.0", await frameBytes(0)],
        ["exchange/data/1.0.0", junk],
      ]);
      const zip = await openMidasZip(p);
      try {
        assertArrayEquals(await zip.readFrame(0), testFrame(0, nZ, nY));
        await assertRejects(
          () => zip.readFrame(1),
          p,
          "exchange/data/1.0.0 (frame 1): corrupt chunk",
        );
        await assertRejects(() => zip.readFrame(2), "out of range");
      } finally {
        zip.close();
      }
    });
    await t.step("required parameter missing", async () => {
      const zip = await openMidasZip(good);
      try {
        const e = await assertRejects(() => zip.params(), good, "analysis_parameters/Lsd");
        assert(e.message.includes("required"));
        // With an explicit short list the same archive is fine, defaults filled in.
        const p = await zip.params({ required: ["YCen"] });
        assertEquals([p.Lsd, p.Padding, p.ImTransOpt, p.RhoD], [
          1e6,
          6,
          [],
          Math.max(nY, nZ) * 200,
        ]);
      } finally {
        zip.close();
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
