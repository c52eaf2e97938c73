import {
  decodeAllPeaksPS,
  encodeAllPeaksPS,
  formatPeaksCsv,
  N_PEAK_COLS,
  parsePeaksCsv,
  PEAK_COL,
  PEAK_CSV_HEADER,
  psCsvFileName,
  readAllPeaksPS,
  readAllPeaksPX,
  writeAllPeaksPS,
  writeAllPeaksPX,
} from "./peak_table.ts";
import { assert, assertArrayEquals, assertEquals } from "./_test_util.ts";

/** Frame f gets f peaks (frame 0 empty) with values encoding (frame, peak, column). */
function peaks(f: number): Float64Array {
  const a = new Float64Array(f * N_PEAK_COLS);
  for (let i = 0; i < a.length; i++) a[i] = f * 1000 + i + 0.125;
  return a;
}

Deno.test("AllPeaks_PS.bin: layout (header, absolute int64 offsets) and round trip", async () => {
  const frames = [peaks(0), peaks(2), peaks(0), peaks(1)];
  const bytes = encodeAllPeaksPS(frames);
  const dv = new DataView(bytes.buffer);
  const header = 4 + 12 * 4;
  assertEquals(bytes.length, header + 3 * N_PEAK_COLS * 8);
  assertEquals([
    dv.getInt32(0, true),
    dv.getInt32(4, true),
    dv.getInt32(8, true),
    dv.getInt32(16, true),
  ], [4, 0, 2, 1]);
  const offs = [0, 1, 2, 3].map((f) => Number(dv.getBigInt64(20 + 8 * f, true)));
  assertEquals(offs, [header, header, header + 2 * 232, header + 2 * 232]); // empty frame = next offset
  assertEquals(dv.getFloat64(header + 8 * PEAK_COL.YCen, true), 2000 + 3 + 0.125);
  const path = await Deno.makeTempFile({ suffix: "_PS.bin" });
  try {
    await writeAllPeaksPS(path, frames);
    const back = await readAllPeaksPS(path);
    assertEquals(back.length, 4);
    back.forEach((r, f) => assertArrayEquals(r, frames[f]));
  } finally {
    await Deno.remove(path);
  }
  let msg = "";
  try {
    decodeAllPeaksPS(bytes.subarray(0, bytes.length - 8), "cut.bin");
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(msg.startsWith("cut.bin: frame 3: nPeaks 1"), msg);
});

Deno.test("AllPeaks_PX.bin: (y, z) int16 pairs per peak round trip with exact layout", async () => {
  const px = {
    nrPixels: 64,
    frames: [[], [Int16Array.of(5, 7, 6, 7), Int16Array.of(5, 7, 6, 7)], [Int16Array.of(63, 47)]],
  };
  const path = await Deno.makeTempFile({ suffix: "_PX.bin" });
  try {
    await writeAllPeaksPX(path, px);
    const bytes = await Deno.readFile(path);
    const dv = new DataView(bytes.buffer);
    const header = 8 + 12 * 3;
    assertEquals([dv.getInt32(0, true), dv.getInt32(4, true), dv.getInt32(12, true)], [3, 64, 2]);
    assertEquals(Number(dv.getBigInt64(8 + 12 + 8, true)), header);
    assertEquals([
      dv.getInt32(header, true),
      dv.getInt16(header + 4, true),
      dv.getInt16(header + 6, true),
    ], [2, 5, 7]);
    assertEquals(bytes.length, header + 2 * (4 + 8) + (4 + 4));
    const back = await readAllPeaksPX(path);
    assertEquals(back.nrPixels, 64);
    assertEquals(
      back.frames.map((fr) => fr.map((p) => Array.from(p))),
      px.frames.map((fr) => fr.map((p) => Array.from(p))),
    );
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("_PS.csv: exact header, C formats, round trip, legacy 26 columns", () => {
  assertEquals(
    PEAK_CSV_HEADER,
    "SpotID\tIntegratedIntensity\tOmega(degrees)\tYCen(px)\tZCen(px)\tIMax\tRadius(px)\tEta(degrees)\tSigmaR\t" +
      "SigmaEta\tNrPixels\tTotalNrPixelsInPeakRegion\tnPeaks\tmaxY\tmaxZ\tdiffY\tdiffZ\trawIMax\treturnCode\t" +
      "retVal\tBG\tSigmaGR\tSigmaLR\tSigmaGEta\tSigmaLEta\tMU\tRawSumIntensity\tmaskTouched\tFitRMSE",
  );
  const rows = peaks(2);
  const text = formatPeaksCsv(rows);
  const line1 = text.split("\n")[1].split("\t");
  assertEquals([line1[0], line1[1], line1[27]], ["2000", "2001.125000", "2027.1"]);
  const back = parsePeaksCsv(text, "x_PS.csv");
  for (let i = 0; i < rows.length; i++) {
    const c = i % N_PEAK_COLS;
    const tol = [0, 10, 11, 12, 13, 14, 18].includes(c)
      ? 0.13
      : c === PEAK_COL.maskTouched
      ? 0.05
      : 1e-6;
    assert(Math.abs(back[i] - rows[i]) <= tol, `value ${i}: ${back[i]} vs ${rows[i]}`);
  }
  const legacy = PEAK_CSV_HEADER.split("\t").slice(0, 26).join("\t") + "\n" +
    Array(26).fill("1").join("\t") + "\n";
  const l = parsePeaksCsv(legacy, "old_PS.csv");
  assertEquals([l.length, l[PEAK_COL.MU], l[PEAK_COL.FitRMSE]], [29, 1, 0]);
  assertEquals(formatPeaksCsv(new Float64Array(0)), PEAK_CSV_HEADER + "\n"); // header-only frame
  assertEquals(psCsvFileName("Au.MIDAS.zip", 7), "Au.MIDAS.zip_000007_PS.csv");
});
