import { qaStep } from "./qa.ts";
import { processStep } from "./process.ts";
import { testContext } from "../engine/test_context.ts";
import { parseStepArgs } from "../cli/step_options.ts";
import { encodeAllPeaksPS, N_PEAK_COLS, PEAK_COL, readAllPeaksPS } from "../midas/peak_table.ts";
import { decodePng, pixelAt } from "../plot/png.ts";
import { svgPngImages } from "../plot/_test_util.ts";
import { OVERLAY } from "../qa/frame_image.ts";
import { assert, assertEquals, simulateScan } from "../process/_test_util.ts";

// One simulated 256² scan (4 frames) searched natively: the peak table the QA report reads.
const sim = await simulateScan();
const proc = await testContext(processStep, { srfac: 1 }, { scan: sim.scan });
await processStep.run(proc.ctx);
const peaksDir = `${proc.outDir}/peaks`;
const ps = await readAllPeaksPS(`${peaksDir}/Temp/AllPeaks_PS.bin`);

async function qa(inputs: Record<string, string | undefined>, params = {}) {
  const t = await testContext(qaStep, { label: "srfac 1", ...params }, {
    scan: sim.scan,
    peaks: undefined,
    baseline: undefined,
    ...inputs,
  });
  await qaStep.run(t.ctx);
  return { ...t, dir: `${t.outDir}/report` };
}

Deno.test("qa: the report's counts equal the peak table's", async () => {
  const { dir, logs } = await qa({ peaks: peaksDir });
  const j = JSON.parse(await Deno.readTextFile(`${dir}/qa.json`));
  const perFrame = ps.map((f) => f.length / N_PEAK_COLS);
  const total = perFrame.reduce((a, b) => a + b, 0);
  assert(total > 20, `enough peaks (${total})`);
  assertEquals(j.tables[0].perFrame, perFrame, "peaks per frame");
  assertEquals(j.tables[0].nPeaks, total, "total");
  assertEquals(j.nFrames, 4);
  // Every peak is on a ring or counted as off-ring.
  const onRings = j.rings.reduce((s: number, r: { peaks: number }) => s + r.peaks, 0);
  assertEquals(onRings + j.offRingPeaks, total, "ring counts add up");
  assert(onRings >= 0.9 * total, `peaks sit on the analysed rings (${onRings}/${total})`);
  const busiest = perFrame.indexOf(Math.max(...perFrame));
  assertEquals(j.chosenFrames[0], { label: "busiest", frame: busiest, peaks: perFrame[busiest] });
  const md = await Deno.readTextFile(`${dir}/report.md`);
  assert(md.includes(`| peaks | ${total} |`), "summary row");
  for (const f of md.matchAll(/\]\(([^)]+\.svg)\)/g)) await Deno.stat(`${dir}/${f[1]}`);
  const html = await Deno.readTextFile(`${dir}/report.html`);
  const nSvg = html.match(/<svg /g)?.length ?? 0;
  assertEquals(nSvg, (md.match(/\]\([^)]+\.svg\)/g) ?? []).length, "every figure inline");
  assert(!/(src|href)="(?!data:|#)/.test(html), "self-contained: no external references");
  assert(html.includes("counts − dark") && html.includes("ω (deg)"), "axis and colour-bar titles");
  assertEquals(logs.progress.at(-1), [4, 4], "frame progress");
});

Deno.test("qa: the overlay draws each peak's circle around its own pixel", async () => {
  const { dir } = await qa({ peaks: peaksDir });
  const j = JSON.parse(await Deno.readTextFile(`${dir}/qa.json`));
  const f = j.chosenFrames[0].frame;
  const png = decodePng(await Deno.readFile(`${dir}/frame_busiest.png`));
  assertEquals([png.width, png.height], [256, 256], "no pooling at 256²");
  const rows = ps[f];
  const pts = Array.from({ length: rows.length / N_PEAK_COLS }, (_, p) => ({
    y: rows[p * N_PEAK_COLS + PEAK_COL.YCen],
    z: rows[p * N_PEAK_COLS + PEAK_COL.ZCen],
  }));
  let checked = 0, ringPx = 0;
  for (const p of pts) {
    if (pts.some((q) => q !== p && Math.hypot(q.y - p.y, q.z - p.z) < 20)) continue;
    if (p.y < 10 || p.z < 10 || p.y > 245 || p.z > 245) continue;
    let n = 0, sy = 0, sz = 0;
    for (let z = Math.round(p.z) - 9; z <= Math.round(p.z) + 9; z++) {
      for (let y = Math.round(p.y) - 9; y <= Math.round(p.y) + 9; y++) {
        if (pixelAt(png, y, z) === OVERLAY.peakA.color) [n, sy, sz] = [n + 1, sy + y, sz + z];
      }
    }
    assert(n >= 16, `peak (${p.y.toFixed(1)}, ${p.z.toFixed(1)}): circle drawn (${n} px)`);
    assert(
      Math.hypot(sy / n - p.y, sz / n - p.z) < 0.75,
      `circle centred on the peak: (${(sy / n).toFixed(2)}, ${(sz / n).toFixed(2)})`,
    );
    assert(pixelAt(png, Math.round(p.y), Math.round(p.z)) !== OVERLAY.peakA.color, "centre free");
    checked++;
  }
  assert(checked >= 5, `isolated peaks checked: ${checked}`);
  for (let z = 0; z < 256; z++) {
    for (let y = 0; y < 256; y++) ringPx += pixelAt(png, y, z) === OVERLAY.ring.color ? 1 : 0;
  }
  assert(ringPx > 100, `ring band outlines drawn (${ringPx} px)`);
});

Deno.test("qa comparison finds a planted split, a dropped and an extra peak", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srm_qa_cmp_" });
  // B = A with: frame f's most isolated peak split in two 1 px apart, one peak of another frame
  // dropped, and one extra peak far from everything.
  const b = ps.map((r) => Float64Array.from(r));
  const isolation = (f: number, p: number) => {
    const r = ps[f];
    let d = Infinity;
    for (let q = 0; q < r.length / N_PEAK_COLS; q++) {
      if (q === p) continue;
      const dy = r[q * 29 + PEAK_COL.YCen] - r[p * 29 + PEAK_COL.YCen];
      d = Math.min(d, Math.hypot(dy, r[q * 29 + PEAK_COL.ZCen] - r[p * 29 + PEAK_COL.ZCen]));
    }
    return d;
  };
  const pick = (f: number) => {
    let best = 0;
    for (let p = 1; p < ps[f].length / 29; p++) if (isolation(f, p) > isolation(f, best)) best = p;
    return best;
  };
  const fs = 0, ps0 = pick(fs);
  const row = b[fs].slice(ps0 * 29, ps0 * 29 + 29);
  const left = row.slice(), right = row.slice();
  left[PEAK_COL.YCen] -= 0.5;
  right[PEAK_COL.YCen] += 0.5;
  b[fs] = Float64Array.from([
    ...b[fs].subarray(0, ps0 * 29),
    ...left,
    ...right,
    ...b[fs].subarray(ps0 * 29 + 29),
  ]);
  const fd = 1, pd = pick(fd);
  b[fd] = Float64Array.from([...b[fd].subarray(0, pd * 29), ...b[fd].subarray(pd * 29 + 29)]);
  const extra = new Float64Array(29);
  extra[PEAK_COL.YCen] = 3;
  extra[PEAK_COL.ZCen] = 3;
  b[2] = Float64Array.from([...b[2], ...extra]);
  await Deno.mkdir(`${dir}/Temp`);
  await Deno.writeFile(`${dir}/Temp/AllPeaks_PS.bin`, encodeAllPeaksPS(b));
  const r = await qa({ peaks: peaksDir, baseline: dir }, { baselineLabel: "other" });
  const c = JSON.parse(await Deno.readTextFile(`${r.dir}/qa.json`)).comparison;
  const nA = ps.reduce((s, f) => s + f.length / 29, 0);
  assertEquals(
    [c.splitInB, c.splitInA, c.onlyA, c.onlyB, c.complex],
    [1, 0, 1, 1, 0],
    "split in B, none in A, one dropped, one extra",
  );
  assertEquals(c.matched, nA - 2, "everything else matched 1 : 1");
  assert(c.medianShiftPx === 0, "unchanged peaks do not move");
  const md = await Deno.readTextFile(`${r.dir}/report.md`);
  assert(md.includes("| other splits a spot srfac 1 has as one (1 : ≥2) | 1 |"), "split row");
  // The split group is among the crops: a row titled "other splits (1 vs 2)".
  const svg = await Deno.readTextFile(`${r.dir}/crowded_spots.svg`);
  assert(svg.includes("other splits (1 vs 2)"), "split example shown");
  assert(svgPngImages(svg).length >= 3, "crop panels embedded");
});

Deno.test("srmidas qa -midasZarrDir DIR maps to the scan input", () => {
  const args = parseStepArgs(qaStep, ["-midasZarrDir", "/data/scan"], qaStep.cliAliases);
  assertEquals(args.inputs.scan, ["/data/scan"]);
});

Deno.test("qa without --peaks reads the scan's own Temp/ (MIDAS output); none is a clear error", async () => {
  const scan = await Deno.makeTempDir({ prefix: "srm_qa_midas_" });
  for (const e of Deno.readDirSync(sim.scan)) {
    if (e.isFile) await Deno.copyFile(`${sim.scan}/${e.name}`, `${scan}/${e.name}`);
  }
  let msg = "";
  try {
    await qa({ scan });
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(msg.includes(`${scan}/Temp: not found`), msg);
  await Deno.mkdir(`${scan}/Temp`);
  await Deno.copyFile(`${peaksDir}/Temp/AllPeaks_PS.bin`, `${scan}/Temp/AllPeaks_PS.bin`);
  const { dir } = await qa({ scan }, { label: "MIDAS" });
  const j = JSON.parse(await Deno.readTextFile(`${dir}/qa.json`));
  assertEquals(j.tables[0].label, "MIDAS");
  assertEquals(j.tables[0].perFrame, ps.map((f) => f.length / N_PEAK_COLS));
});
