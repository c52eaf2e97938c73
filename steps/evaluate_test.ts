import { encodeAllPeaksPS } from "../midas/peak_table.ts";
import { writeMidasZip } from "../midas/zip_writer.ts";
import { assert, assertClose, assertEquals } from "../evaluation/_test_util.ts";
import { FIXTURE_TRUTH_TSV, fixturePeakFrames, frameOf, peakRow } from "../evaluation/fixture.ts";
import { writeNpy } from "../nn/io/npy.ts";
import { svgPngImages } from "../plot/_test_util.ts";
import { testContext } from "../engine/test_context.ts";
import { evaluateStep } from "./evaluate.ts";
import { simulateStep } from "./simulate.ts";
import { parseTruthTable } from "../evaluation/truth_table.ts";

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

/** Runs the step on `dir`'s peaks/truth/scan (no baseline) into `dir/<out>`. */
async function evaluateInto(dir: string, out: string): Promise<void> {
  await Deno.mkdir(`${dir}/${out}`);
  const { ctx } = await testContext(evaluateStep, { label: "SR" }, {
    peaks: `${dir}/peaks`,
    truth: `${dir}/truth.tsv`,
    baseline: undefined,
    scan: `${dir}/scan`,
  }, { outDir: `${dir}/${out}`, checkpointDir: `${dir}/${out}` });
  await evaluateStep.run(ctx);
}

Deno.test("evaluate shows the saved SR patch between the x1 crop and the fit", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srmidas_eval_sr_" });
  try {
    await Deno.mkdir(`${dir}/peaks/Temp`, { recursive: true });
    await Deno.mkdir(`${dir}/scan`);
    await Deno.writeTextFile(`${dir}/truth.tsv`, FIXTURE_TRUTH_TSV);
    await Deno.writeFile(
      `${dir}/peaks/Temp/AllPeaks_PS.bin`,
      encodeAllPeaksPS(fixturePeakFrames()),
    );
    await writeScan(`${dir}/scan`);
    await evaluateInto(dir, "plain");
    // process --saveSRpatches layout: frame 1 (the E–F pair, first example row) has one 20² patch
    // at detector (10, 10), super-resolved ×4; frames 0 and 2 have none.
    const sp = `${dir}/peaks/SR_out/SR_patches`;
    await Deno.mkdir(sp, { recursive: true });
    await writeNpy(`${sp}/000001_SRx1_exp.npy`, new Float32Array(400), [1, 1, 20, 20]);
    const sr = Float32Array.from({ length: 80 * 80 }, (_, i) => (i % 80) / 80);
    await writeNpy(`${sp}/000001_SRx4_pred.npy`, sr, [1, 1, 80, 80]);
    await Deno.writeTextFile(
      `${sp}/000001_patches_info.csv`,
      ",Y00,Z00,nr_pixels_in_patch,patches_Isum,n_peaks_in_patches\n0,10,10,9,1000,1\n",
    );
    await evaluateInto(dir, "sr");

    const md = await Deno.readTextFile(`${dir}/sr/report/report.md`);
    assert(md.includes("x1 crop, SRx4 patch and fitted models"), "caption names the SR panel");
    const plain = svgPngImages(await Deno.readTextFile(`${dir}/plain/report/example_patches.svg`));
    const imgs = svgPngImages(await Deno.readTextFile(`${dir}/sr/report/example_patches.svg`));
    // One more panel per row: columns x1, SRx4, fit SR (plain: x1, fit SR).
    assertEquals(imgs.length * 2, plain.length * 3, "one SR panel per row");
    const png = imgs[1]; // row 0's SR panel: the 15² crop at ×4 = 60², shown at 160 px
    assertEquals([png.width, png.height], [160, 160], "SR panel size");
    const z = 160 / 60;
    // Frame 1's peak (20.2, 20) in the crop from (13, 13) at ×4: SR (30.3, 29.5) on the 60² grid.
    const cx = (30.3 + 0.5) * z, cy = (29.5 + 0.5) * z;
    let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    for (let y = 0; y < png.height; y++) {
      for (let x = 0; x < png.width; x++) {
        const o = 4 * (y * png.width + x);
        if (png.data[o] === 0xff && png.data[o + 1] === 0x30 && png.data[o + 2] === 0x30) {
          [minX, maxX] = [Math.min(minX, x), Math.max(maxX, x)];
          [minY, maxY] = [Math.min(minY, y), Math.max(maxY, y)];
        }
      }
    }
    assert(Number.isFinite(minX), "a peak marker is drawn on the SR panel");
    // The × is drawn twice, 1 px apart: its box is centred half a pixel right of the point.
    assertClose((minX + maxX) / 2, cx + 0.5, 1.5, "marker column");
    assertClose((minY + maxY) / 2, cy, 1.5, "marker row");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluate step writes report.md, metrics.json and SVG figures with axis titles", async () => {
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
    const out = `${dir}/out`;
    const { ctx, logs } = await testContext(evaluateStep, {
      title: "Fixture check",
      label: "SR",
      baselineLabel: "native",
    }, {
      peaks: `${dir}/peaks`,
      truth: `${dir}/truth.tsv`,
      baseline: `${dir}/base`,
      scan: `${dir}/scan`,
    }, { outDir: out, checkpointDir: out });
    await evaluateStep.run(ctx);
    const progress = logs.progress.map(([done]) => done);
    const md = await Deno.readTextFile(`${out}/report/report.md`);
    assert(md.startsWith("# Fixture check"), "title");
    assert(md.includes("| metric | SR | native |"), "side-by-side columns");
    assert(md.includes("| recall | 0.778 (7/9) | 0.222 (2/9) |"), "recall row");
    assert(md.includes("| precision | 0.889 (8/9) |"), "precision row");
    assert(md.includes("| unmatched peaks: split / spurious | 0 / 1 | 0 / 0 |"), "split row");
    assert(md.includes("| [1, 2) px | 1 / 1 (100.0 %) | 0 / 1 (0.0 %) |"), "pair row");
    assert(md.includes("![") && md.includes("(example_patches.svg)"), "patch figure linked");
    const metrics = JSON.parse(await Deno.readTextFile(`${out}/report/metrics.json`));
    assertClose(metrics.runs[0].metrics.recall, 7 / 9);
    assertClose(metrics.runs[0].metrics.localizationPx.all.median, 0.2);
    assertEquals(metrics.runs[1].metrics.nPeaks, 2);
    assertEquals(progress, [1, 2]);
    for (
      const f of [
        "localization_error.svg",
        "resolved_vs_separation.svg",
        "resolved_pairs.svg",
        "example_patches.svg",
      ]
    ) {
      const svg = await Deno.readTextFile(`${out}/report/${f}`);
      const w = Number(/<svg[^>]* width="(\d+)"/.exec(svg)?.[1]);
      assert(svg.startsWith("<svg") && w > 300, `${f}: an SVG document (width ${w})`);
      assert(
        /<text[^>]*>[^<]*(px|spots|fraction|counts)/.test(svg),
        `${f}: axis titles with units`,
      );
    }
    const patches = svgPngImages(await Deno.readTextFile(`${out}/report/example_patches.svg`));
    assert(patches.length >= 2 && patches.every((p) => p.width >= 100), "patch images embedded");
  } finally {
    if (Deno.env.get("KEEP_EVAL")) console.log(dir);
    else await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluate reports the physical limits (CRLB by SNR, pairs vs the oracle) on a simulated scan", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srmidas_eval_limits_" });
  try {
    await Deno.mkdir(`${dir}/sim`);
    const sim = await testContext(
      simulateStep,
      {
        seed: 3,
        nGrains: 250,
        nFrames: 6,
        nY: 1024,
        nZ: 1024,
        ybc: 512,
        zbc: 512,
        nDark: 4,
        pairs: { count: 12, separationsPx: [1.5, 2.5], ratios: [1, 2] },
      },
      { grains: undefined, hkls: undefined },
      { outDir: `${dir}/sim`, checkpointDir: `${dir}/sim` },
    );
    await simulateStep.run(sim.ctx);
    const truthPath = `${dir}/sim/truth.tsv`;
    const truth = parseTruthTable(await Deno.readTextFile(truthPath));
    // A near-perfect finder: every spot found in its own frame, 0.05 px off.
    const frames = [0, 1, 2, 3, 4, 5].map((f) => {
      const rows: Float64Array[] = [];
      for (let i = 0; i < truth.n; i++) {
        if (truth.frame[i] === f) rows.push(peakRow(truth.y[i] + 0.03, truth.z[i] - 0.04, 100));
      }
      return frameOf(rows);
    });
    await Deno.mkdir(`${dir}/peaks/Temp`, { recursive: true });
    await Deno.writeFile(`${dir}/peaks/Temp/AllPeaks_PS.bin`, encodeAllPeaksPS(frames));
    await Deno.mkdir(`${dir}/out`);
    const { ctx } = await testContext(evaluateStep, { label: "near-truth", examplePairs: 0 }, {
      peaks: `${dir}/peaks`,
      truth: truthPath,
      baseline: undefined,
      scan: `${dir}/sim/scan`,
    }, { outDir: `${dir}/out`, checkpointDir: `${dir}/out` });
    await evaluateStep.run(ctx);
    const md = await Deno.readTextFile(`${dir}/out/report/report.md`);
    assert(md.includes("## Physical limits") && md.includes("### Close pairs vs the oracle"), md);
    assert(md.includes("Noise model measured on frame"), "noise measured from the scan");
    const { limits } = JSON.parse(await Deno.readTextFile(`${dir}/out/report/metrics.json`));
    // The measured noise is the simulator's (background 2, read σ 4).
    assertClose(limits.noise.background, 2, 0.15);
    assertClose(limits.noise.readSigma, Math.sqrt(16 + 1 / 12), 0.15);
    const pairs = limits.pairs.filter((c: { n: number }) => c.n > 0);
    const nOracle = pairs.reduce((a: number, c: { nOracle: number }) => a + c.nOracle, 0);
    assert(nOracle >= 8, `oracle ran on ${nOracle} pairs`);
    // The near-truth finder resolves every pair; the oracle resolves the bright ones at least.
    for (const c of pairs) assertEquals(c.resolved[0], c.n);
    assert(pairs.some((c: { oracle: number }) => c.oracle > 0), "the oracle resolves some pairs");
    // Detectable pairs are a subset of what the shape-fitted oracle resolves; 1.5–2.5 px pairs
    // of bright spots include some.
    for (const c of pairs) assert(c.oracleDetectable <= c.oracleShapeFitted, JSON.stringify(c));
    assert(pairs.some((c: { oracleDetectable: number }) => c.oracleDetectable > 0), "detectable");
    assert(md.includes("| detectable |"), "the pair table's detectable column");
    // pairs.tsv lists the same pairs one by one (metrics.json keeps only the table).
    assertEquals(limits.pairList, undefined);
    const [head, ...lines] = (await Deno.readTextFile(`${dir}/out/report/pairs.tsv`)).trim()
      .split("\n").map((l) => l.split("\t"));
    const col = (name: string) => head.indexOf(name);
    assertEquals(lines.length, pairs.reduce((a: number, c: { n: number }) => a + c.n, 0));
    assert(lines.every((l) => l[col("resolved:near-truth")] === "1"), "every pair resolved");
    const oracleOf = (name: string) => lines.filter((l) => l[col(name)] === "1").length;
    assertEquals(
      oracleOf("oracle"),
      pairs.reduce((a: number, c: { oracle: number }) => a + c.oracle, 0),
    );
    assertEquals(
      oracleOf("detectable"),
      pairs.reduce((a: number, c: { oracleDetectable: number }) => a + c.oracleDetectable, 0),
    );
    for (const l of lines) {
      assert(Number(l[col("ratio")]) >= 1 && Number(l[col("snrA")]) > 0, l.join(" "));
      const a = Number(l[col("a")]), b = Number(l[col("b")]);
      const sep = Math.hypot(truth.y[a] - truth.y[b], truth.z[a] - truth.z[b]);
      assertClose(Number(l[col("separationPx")]), sep, 1e-3);
    }
    // 0.05 px errors against bounds of a few hundredths to tenths: efficiency is finite, and
    // bright spots (small bounds) sit above faint ones.
    const bins = limits.bySnr[0].filter((b: { nIsolated: number }) => b.nIsolated > 0);
    assert(bins.length >= 2, JSON.stringify(limits.bySnr[0]));
    for (const b of bins) assert(b.efficiency > 0 && b.medianBoundPx > 0, JSON.stringify(b));
    assert(bins[0].medianBoundPx > bins[bins.length - 1].medianBoundPx, "bound shrinks with SNR");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
