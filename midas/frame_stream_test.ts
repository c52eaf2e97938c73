import { FramePipeline, streamFrames } from "./frame_stream.ts";
import { writeMidasZip, zarrayJson } from "./zip_writer.ts";
import { ZipStreamWriter } from "./zip_container.ts";
import Blosc from "numcodecs/blosc";
import { assertArrayEquals, assertEquals, assertRejects, testFrame } from "./_test_util.ts";

const nF = 7, nZ = 48, nY = 64;

Deno.test("streamFrames yields every frame in order from workers, and stops cleanly on break", async () => {
  const dir = await Deno.makeTempDir({ prefix: "midas_stream_" });
  const path = `${dir}/s.MIDAS.zip`;
  try {
    await writeMidasZip(path, {
      nFrames: nF,
      nZ,
      nY,
      dtype: "float32",
      frames: Array.from({ length: nF }, (_, f) => Float32Array.from(testFrame(f, nZ, nY, 0.5))),
      analysisParameters: {},
      scanParameters: { start: 0, step: 1 },
    });
    for (const [readAhead, workers] of [[1, 1], [3, 2]]) {
      const seen: number[] = [];
      for await (const fr of streamFrames(path, { readAhead, workers })) {
        assertEquals([fr.nZ, fr.nY, fr.data.constructor.name], [nZ, nY, "Float32Array"]);
        assertArrayEquals(fr.data, testFrame(fr.index, nZ, nY, 0.5));
        seen.push(fr.index);
      }
      assertEquals(seen, [0, 1, 2, 3, 4, 5, 6]);
    }
    const part: number[] = [];
    for await (const fr of streamFrames(path, { start: 2, end: 6 })) {
      part.push(fr.index);
      if (fr.index === 4) break; // generator's finally terminates the worker
    }
    assertEquals(part, [2, 3, 4]);
    const pipe = await FramePipeline.open(path, { workers: 2 });
    try {
      const sparse: number[] = [];
      for await (const fr of pipe.frames({ indices: [0, 3, 6], readAhead: 2 })) {
        assertArrayEquals(fr.data, testFrame(fr.index, nZ, nY, 0.5));
        sparse.push(fr.index);
      }
      assertEquals(sparse, [0, 3, 6], "every 3rd frame by indices");
    } finally {
      pipe.close();
    }
    await assertRejects(async () => {
      for await (const _ of streamFrames(`${dir}/missing.zip`)) { /* never */ }
    }, `${dir}/missing.zip`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FramePipeline: workers persist across passes; a corrupt frame rejects in order", async () => {
  const dir = await Deno.makeTempDir({ prefix: "midas_pipe_" });
  const path = `${dir}/p.MIDAS.zip`;
  try {
    await writeMidasZip(path, {
      nFrames: 4,
      nZ,
      nY,
      dtype: "uint16",
      frames: Array.from({ length: 4 }, (_, f) => Uint16Array.from(testFrame(f, nZ, nY))),
      analysisParameters: {},
      scanParameters: { start: 0, step: 1 },
    });
    const pipe = await FramePipeline.open(path, { workers: 2 });
    try {
      for (let pass = 0; pass < 2; pass++) {
        const idx: number[] = [];
        for await (const fr of pipe.frames({ readAhead: 2, start: 1 })) {
          assertArrayEquals(fr.data, testFrame(fr.index, nZ, nY));
          idx.push(fr.index);
        }
        assertEquals(idx, [1, 2, 3]);
      }
    } finally {
      pipe.close();
    }
    // Frame 2's chunk is junk: frames 0 and 1 arrive, then the error names file and chunk.
    const bad = `${dir}/bad.MIDAS.zip`;
    const zw = await ZipStreamWriter.create(bad);
    const codec = { cname: "zstd", clevel: 1, shuffle: 2 } as const;
    await zw.add("exchange/data/.zarray", zarrayJson([3, nZ, nY], [1, nZ, nY], "<u2", codec));
    const enc = Blosc.fromConfig({ id: "blosc", ...codec });
    for (const f of [0, 1]) {
      await zw.add(
        `exchange/data/${f}.0.0`,
        await enc.encode(new Uint8Array(Uint16Array.from(testFrame(f, nZ, nY)).buffer)),
      );
    }
    await zw.add("exchange/data/2.0.0", new Uint8Array(64).fill(7));
    await zw.finish();
    const got: number[] = [];
    await assertRejects(
      async () => {
        for await (const fr of streamFrames(bad, { readAhead: 3 })) got.push(fr.index);
      },
      bad,
      "exchange/data/2.0.0 (frame 2): corrupt chunk",
    );
    assertEquals(got, [0, 1]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
