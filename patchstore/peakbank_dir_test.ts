import { psCsvFileName } from "../midas/peak_table.ts";
import { peakbankFromDirs } from "./peakbank_dir.ts";
import { makeMidasDir, MIDAS_FIXTURE } from "./testdata_midas.ts";
import { assert, assertRejects } from "./test_assert.ts";

const { BC } = MIDAS_FIXTURE;

Deno.test("peakbank from MIDAS dirs: AllPeaks_PS.bin and _PS.csv give the same rows", async () => {
  const root = await Deno.makeTempDir({ prefix: "pb_dir_" });
  try {
    const a = await makeMidasDir(root, "scanA", "bin");
    const b = await makeMidasDir(root, "scanB", "csv");
    let last = 0;
    const pb = await peakbankFromDirs([a, b], {
      cvsz: 16,
      iThresh: 20,
      maxError: 0.5,
      onProgress: (d) => (last = d),
    });
    assert(last === 2, "progress per frame");
    assert(pb.length === 6, `rows ${pb.length}`);
    assert(pb.text.SourceDir.join() === [a, a, a, b, b, b].join(), pb.text.SourceDir.join());
    assert(
      pb.text.frame_id.join() === "000000,000000,000001,000000,000000,000001",
      pb.text.frame_id.join(),
    );
    for (const e of pb.numeric.error_reconstruction) assert(e >= 0 && e < 0.25, `error ${e}`);
    for (let i = 0; i < 3; i++) {
      const d = Math.abs(
        pb.numeric.error_reconstruction[i] - pb.numeric.error_reconstruction[i + 3],
      );
      assert(d < 1e-3, `bin vs csv error ${d}`);
    }
    assert(
      pb.numeric["BeamYCen(px)"][0] === BC && pb.columns.length === 3 + 28 + 3,
      pb.columns.join(),
    );
    // Without dark correction the pedestal of 10 counts passes the threshold and inflates errors.
    const raw = await peakbankFromDirs([a], {
      cvsz: 16,
      iThresh: 5,
      maxError: null,
      darkCorrect: false,
    });
    const corr = await peakbankFromDirs([a], { cvsz: 16, iThresh: 5, maxError: null });
    assert(
      raw.numeric.error_reconstruction[0] > corr.numeric.error_reconstruction[0] + 0.05,
      "dark matters",
    );
    const strict = await peakbankFromDirs([a], { cvsz: 16, iThresh: 20, maxError: 1e-9 });
    assert(strict.length === 0, "threshold drops rows");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("peakbank from MIDAS dirs: missing inputs are clear errors", async () => {
  const root = await Deno.makeTempDir({ prefix: "pb_dir_" });
  try {
    await assertRejects(
      () => peakbankFromDirs([], { cvsz: 16, iThresh: 1, maxError: null }),
      /no MIDAS analysis directory/,
    );
    await Deno.mkdir(`${root}/empty`);
    await assertRejects(
      () => peakbankFromDirs([`${root}/empty`], { cvsz: 16, iThresh: 1, maxError: null }),
      /empty: no \*\.MIDAS\.zip in the scan directory/,
    );
    const dir = await makeMidasDir(root, "scanC", "csv");
    await Deno.remove(`${dir}/Temp/${psCsvFileName("scanC", 2)}`);
    await assertRejects(
      () => peakbankFromDirs([dir], { cvsz: 16, iThresh: 1, maxError: null }),
      /no \*_000002_PS\.csv for frame 1/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("peakbank reads a process output (peak tables under <peaks>/Temp) given as the peaks dir", async () => {
  const root = await Deno.makeTempDir({ prefix: "pb_dir_" });
  try {
    const a = await makeMidasDir(root, "scanA", "bin");
    const direct = await peakbankFromDirs([a], { cvsz: 16, iThresh: 20, maxError: 0.5 });
    // A `process` step writes <out>/peaks/Temp/AllPeaks_PS.bin; the scan dir keeps no Temp/.
    const peaks = `${root}/processed/peaks`;
    await Deno.mkdir(peaks, { recursive: true });
    await Deno.rename(`${a}/Temp`, `${peaks}/Temp`);
    const viaOutput = await peakbankFromDirs([a], {
      cvsz: 16,
      iThresh: 20,
      maxError: 0.5,
      peakDirs: [peaks],
    });
    assert(
      viaOutput.length === direct.length && direct.length > 0,
      `${viaOutput.length} vs ${direct.length}`,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
