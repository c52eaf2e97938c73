import * as v from "valibot";
import { encodeAllPeaksPS } from "../midas/peak_table.ts";
import { writeMidasZip } from "../midas/zip_writer.ts";
import { assert, assertClose, assertEquals } from "../evaluation/_test_util.ts";
import { FIXTURE_TRUTH_TSV, fixturePeakFrames, frameOf, peakRow } from "../evaluation/fixture.ts";
import { decodePng } from "../plot/_test_util.ts";
import { evaluateParams, evaluateStep } from "./evaluate.ts";

/** A 3-frame 128² uint16 scan with a Gaussian blob at every fixture truth spot of each frame. */
async function writeScan(dir: string): Promise<void> {
  const spots = FIXTURE_TRUTH_TSV.trim().split("\n").slice(1).map((l) => l.split("\t").map(Number));
  const n = 128;
  const frames = [0, 1, 2].map((f) => {
    const img = new Uint16Array(n * n).fill(100);
    for (const s of spots.filter((s) => s[2] === f)) {
      for (let z = 0; z < n; z++) {
        for (let y = 0; y < n; y++) {
          const d2 = (y - s[3]) ** 2 + (z - s[4]) ** 2;
          if (d2 < 36) img[z * n + y] += Math.round(1000 * Math.exp(-d2 / 2));
        }
      }
    }
    return img;
  });
  await writeMidasZip(`${dir}/fix.MIDAS.zip`, {
    nFrames: 3,
    nZ: n,
    nY: n,
    dtype: "uint16",
    frames,
    dark: { n: 1, data: new Uint16Array(n * n).fill(100) },
    analysisParameters: {},
    scanParameters: { start: 0, step: 0.25 },
  });
}

Deno.test("evaluate step writes report.md, metrics.json and readable PNGs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srmidas_eval_" });
  try {
    await Deno.mkdir(`${dir}/peaks/Temp`, { recursive: true });
    await Deno.mkdir(`${dir}/base/Temp`, { recursive: true });
    await Deno.mkdir(`${dir}/scan`);
    await Deno.mkdir(`${dir}/out`);
    await Deno.writeTextFile(`${dir}/truth.tsv`, FIXTURE_TRUTH_TSV);
    await Deno.writeFile(
      `${dir}/peaks/Temp/AllPeaks_PS.bin`,
      encodeAllPeaksPS(fixturePeakFrames()),
    );
    // Baseline: the A–B and H–I pairs merged into one peak each, nothing else.
    const base = [[peakRow(10.5, 10, 100)], [], [peakRow(31.25, 30, 160)]].map(frameOf);
    await Deno.writeFile(`${dir}/base/Temp/AllPeaks_PS.bin`, encodeAllPeaksPS(base));
    await writeScan(`${dir}/scan`);
    const progress: number[] = [];
    const out = `${dir}/out`;
    await evaluateStep.run({
      params: v.parse(evaluateParams, {
        title: "Fixture check",
        label: "SR",
        baselineLabel: "native",
      }),
      inputs: {
        peaks: `${dir}/peaks`,
        truth: `${dir}/truth.tsv`,
        baseline: `${dir}/base`,
        scan: `${dir}/scan`,
      },
      outDir: out,
      output: (name) => `${out}/${evaluateStep.outputs[name].path}`,
      checkpointDir: out,
      log: { info() {}, warn() {}, progress: (done) => progress.push(done) },
      signal: new AbortController().signal,
      threads: 1,
    });
    const md = await Deno.readTextFile(`${out}/report/report.md`);
    assert(md.startsWith("# Fixture check"), "title");
    assert(md.includes("| metric | SR | native |"), "side-by-side columns");
    assert(md.includes("| recall | 0.778 (7/9) | 0.222 (2/9) |"), "recall row");
    assert(md.includes("| precision | 0.889 (8/9) |"), "precision row");
    assert(md.includes("| unmatched peaks: split / spurious | 0 / 1 | 0 / 0 |"), "split row");
    assert(md.includes("| [1, 2) px | 1 / 1 (100.0 %) | 0 / 1 (0.0 %) |"), "pair row");
    assert(md.includes("![") && md.includes("(example_patches.png)"), "patch figure linked");
    const metrics = JSON.parse(await Deno.readTextFile(`${out}/report/metrics.json`));
    assertClose(metrics.runs[0].metrics.recall, 7 / 9);
    assertClose(metrics.runs[0].metrics.localizationPx.all.median, 0.2);
    assertEquals(metrics.runs[1].metrics.nPeaks, 2);
    assertEquals(progress, [1, 2]);
    for (
      const f of [
        "localization_error.png",
        "resolved_vs_separation.png",
        "resolved_pairs.png",
        "example_patches.png",
      ]
    ) {
      const png = decodePng(await Deno.readFile(`${out}/report/${f}`));
      assert(png.width > 100 && png.height > 100, `${f} size`);
    }
  } finally {
    if (Deno.env.get("KEEP_EVAL")) console.log(dir);
    else await Deno.remove(dir, { recursive: true });
  }
});
