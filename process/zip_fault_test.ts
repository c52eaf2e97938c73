/**
 * Fault injection on a small scan's `.MIDAS.zip`: bytes flipped inside every kind of entry (frame
 * chunk, array metadata, dark, flood, mask, analysis and scan parameters, a local header, the
 * central directory) and truncations must end in a clear error naming the file and entry (and
 * the frame), or in a peak table identical to the undamaged run; never a silently different one.
 */
import { runProcess } from "./run.ts";
import { assert, assertEquals, simulateScan } from "./_test_util.ts";
import { openMidasZip } from "../midas/zip_reader.ts";
import { writeMidasZip } from "../midas/zip_writer.ts";
import { paramFileToZipParameters, parseParamText } from "../midas/params.ts";

const sim = await simulateScan({ nFrames: 3 });

/** The simulated scan rewritten with a dark, a flood and a mask, so every entry kind is read. */
async function richScan(dir: string): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.copyFile(`${sim.scan}/hkls.csv`, `${dir}/hkls.csv`);
  const src = await openMidasZip(`${sim.scan}/tiny.MIDAS.zip`);
  const frames = [];
  for await (const f of src.frames()) frames.push(f);
  const { nZ, nY, nFrames } = src;
  src.close();
  const npx = nZ * nY;
  const zp = paramFileToZipParameters(
    parseParamText(await Deno.readTextFile(`${sim.scan}/Parameters.txt`), "Parameters.txt"),
    "Parameters.txt",
  );
  const path = `${dir}/tiny.MIDAS.zip`;
  await writeMidasZip(path, {
    nFrames,
    nZ,
    nY,
    dtype: "uint16",
    frames,
    dark: { n: 1, data: new Uint16Array(npx).map((_, i) => i % 3) },
    flood: new Float64Array(npx).map((_, i) => 1 + (i % 7) * 1e-3),
    mask: new Uint8Array(npx).map((_, i) => i % 997 === 0 ? 1 : 0),
    ...zp,
  }, { mtime: new Date(2020, 0, 1) });
  return path;
}

/** Offsets of each STORED entry's local header and data (walking the local headers). */
function entryRanges(zip: Uint8Array): Map<string, { header: number; data: number; size: number }> {
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const out = new Map<string, { header: number; data: number; size: number }>();
  let o = 0;
  while (dv.getUint32(o, true) === 0x04034b50) {
    const size = dv.getUint32(o + 18, true);
    const nameLen = dv.getUint16(o + 26, true), extraLen = dv.getUint16(o + 28, true);
    const name = new TextDecoder().decode(zip.subarray(o + 30, o + 30 + nameLen));
    const data = o + 30 + nameLen + extraLen;
    out.set(name, { header: o, data, size });
    o = data + size;
  }
  out.set("<central directory>", { header: o, data: o, size: zip.length - o });
  return out;
}

async function peakTable(scanDir: string, out: string): Promise<Uint8Array> {
  await runProcess({ scanDir, srfac: 1, outDir: out, checkpointDir: `${out}/ckpt` });
  return await Deno.readFile(`${out}/Temp/AllPeaks_PS.bin`);
}

Deno.test("zip fault injection: corrupt or truncated entries → clear error or identical peaks", async () => {
  const root = await Deno.makeTempDir({ prefix: "srm_zipfault_" });
  try {
    const good = await richScan(`${root}/good`);
    const bytes = await Deno.readFile(good);
    const ref = await peakTable(`${root}/good`, `${root}/ref`);
    assert(ref.length > 1000, "reference peak table is not empty");
    const ranges = entryRanges(bytes);
    const P = "analysis/process/analysis_parameters";
    const kinds: [string, string, string[]][] = [
      ["exchange/data/1.0.0", "frame chunk", ["exchange/data/1.0.0", "frame 1"]],
      ["exchange/data/.zarray", "array metadata", ["exchange/data/.zarray"]],
      ["exchange/dark/0.0.0", "dark", ["exchange/dark/0.0.0"]],
      ["exchange/flood/0.0.0", "flood", ["exchange/flood/0.0.0"]],
      ["exchange/mask/0.0.0", "mask", ["exchange/mask/0.0.0"]],
      [`${P}/Lsd/0`, "analysis parameter", [`${P}/Lsd/0`]],
      ["measurement/process/scan_parameters/step/0", "scan parameter", ["step/0"]],
    ];
    let errors = 0, identical = 0, k = 0;
    const attempt = async (label: string, damaged: Uint8Array, expect: string[]) => {
      const dir = `${root}/case${k++}`;
      await Deno.mkdir(dir);
      await Deno.copyFile(`${root}/good/hkls.csv`, `${dir}/hkls.csv`);
      await Deno.writeFile(`${dir}/tiny.MIDAS.zip`, damaged);
      let table: Uint8Array | undefined;
      try {
        table = await peakTable(dir, `${dir}/out`);
      } catch (e) {
        const msg = (e as Error).message;
        assert(msg.includes(`${dir}/tiny.MIDAS.zip`), `${label}: error names the file: ${msg}`);
        for (const part of expect) {
          assert(msg.includes(part), `${label}: error names ${part}: ${msg}`);
        }
        errors++;
        return;
      }
      assertEquals(table, ref, `${label}: no error, so the peak table must be identical`);
      identical++;
    };
    for (const [entry, kind, names] of kinds) {
      const r = ranges.get(entry);
      assert(r, `entry ${entry} present`);
      for (const at of [0, r.size >> 1, r.size - 1]) {
        const d = bytes.slice();
        for (let j = 0; j < 8 && at + j < r.size; j++) d[r.data + at + j] ^= 0x5a;
        await attempt(`${kind} byte ${at}`, d, [...names, "CRC-32 mismatch"]);
      }
    }
    // A damaged local header (its size field) and central directory: errors, not other data.
    const f2 = ranges.get("exchange/data/2.0.0")!;
    const lh = bytes.slice();
    lh[f2.header + 18] ^= 0x01;
    await attempt("local header size", lh, []);
    const cd = ranges.get("<central directory>")!;
    for (const at of [cd.data + 16, cd.data + (cd.size >> 1)]) {
      const d = bytes.slice();
      d[at] ^= 0x24;
      await attempt(`central directory byte ${at}`, d, []);
    }
    for (const len of [bytes.length >> 1, f2.data + 10, bytes.length - 1]) {
      await attempt(`truncated to ${len}`, bytes.slice(0, len), []);
    }
    assertEquals(errors + identical, k, "every case accounted for");
    assert(errors >= 7 * 3, `every flipped data byte is an error (${errors} errors)`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
