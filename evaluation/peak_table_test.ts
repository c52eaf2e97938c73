import { assert, assertEquals } from "./_test_util.ts";
import { fixturePeakFrames, peakRow } from "./fixture.ts";
import { encodeAllPeaksPS, N_PEAK_COLS, PEAK_COL, PEAK_CSV_COLUMNS } from "../midas/peak_table.ts";
import { frameRows, fromFrames, peakPoints, readPeakTable } from "./peak_table.ts";

Deno.test("fromFrames flattens frames, keeping empty ones, and peakPoints picks the columns", () => {
  const frames = fixturePeakFrames();
  frames.splice(1, 0, new Float64Array(0));
  const t = fromFrames(frames);
  assertEquals([t.nFrames, t.nPeaks], [4, 9]);
  assertEquals(Array.from(t.frame), [0, 0, 0, 0, 0, 0, 2, 3, 3]);
  const p = peakPoints(t);
  assertEquals([p.y[6], p.z[6], p.intensity[6], p.nFrames], [20.2, 20, 70, 4]);
});

Deno.test("readPeakTable finds Temp/AllPeaks_PS.bin, else per-frame _PS.csv files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/Temp`);
    // A pre-2026 26-column CSV with pandas-style header spellings.
    const header = PEAK_CSV_COLUMNS.slice(0, 26).join("\t");
    const line = (y: number) => Array.from(peakRow(y, 7, 42).subarray(0, 26)).join("\t");
    await Deno.writeTextFile(
      `${dir}/Temp/s.zip_000002_PS.csv`,
      `${header}\n${line(5)}\n${line(6)}\n`,
    );
    const csv = await readPeakTable(dir);
    assertEquals([csv.nFrames, csv.nPeaks], [2, 2]);
    assertEquals(Array.from(csv.frame), [1, 1], "FrameNr 2 in the name is frame 1");
    assertEquals(csv.rows[N_PEAK_COLS + PEAK_COL.YCen], 6);
    await Deno.writeFile(`${dir}/Temp/AllPeaks_PS.bin`, encodeAllPeaksPS(fixturePeakFrames()));
    assertEquals((await readPeakTable(dir)).nPeaks, 9, "binary preferred");
    assertEquals((await readPeakTable(`${dir}/Temp`)).nPeaks, 9);
    assertEquals((await readPeakTable(`${dir}/Temp/AllPeaks_PS.bin`)).nFrames, 3);
    let msg = "";
    await readPeakTable(`${dir}/Temp/nothing`).catch((e) => (msg = String(e)));
    assert(msg.includes("NotFound") || msg.includes("No such file"), msg);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("frameRows returns each frame's rows as a view, empty outside", () => {
  const t = fromFrames(fixturePeakFrames());
  assertEquals([0, 1, 2, 3, -1].map((f) => frameRows(t, f).length / N_PEAK_COLS), [6, 1, 2, 0, 0]);
  assertEquals(frameRows(t, 2)[PEAK_COL.YCen], 30);
});
