/**
 * Benchmark of the `qa` report (issue #16) on a noisy realistic 2048² scan (simulate step,
 * `mode: realistic`), a few frames, against a reference timed in the same run: a plain
 * streaming decode of the same frames with the same worker count (the least any report that
 * looks at every frame must pay). Peak tables come from the simulation's truth (one row per
 * truth spot, plus a jittered second table with every 10th spot split in two for the
 * comparison mode), so the timing does not depend on a peak search.
 *
 * Prints, per mode: total time, the streaming cost per frame (median progress interval; every
 * frame read here), the fixed part (setup, the shown frames and crops, figures, writing), the
 * ratio of the per-frame cost to the decode-only reference, and the projection to 1,440 frames:
 * fixed + per frame × the frames the default `maxIntensityFrames` (360) reads, i.e. every 4th
 * (and, for reference, × all 1,440).
 *
 * Run: `deno run -A bench/qa_bench.ts [nFrames=16] [--workers 2]`
 * @module
 */
import { testContext } from "../engine/test_context.ts";
import { simulateStep } from "../steps/simulate.ts";
import { FramePipeline } from "../midas/frame_stream.ts";
import { encodeAllPeaksPS, N_PEAK_COLS, PEAK_COL } from "../midas/peak_table.ts";
import { parseTruthTsv } from "../synthesis/truth.ts";
import { runQa } from "../qa/run.ts";

const nFrames = Number(Deno.args.find((a) => /^\d+$/.test(a)) ?? 16);
const wi = Deno.args.indexOf("--workers");
const workers = wi >= 0 ? Number(Deno.args[wi + 1]) : 2;
const FULL = 1440;

const dir = await Deno.makeTempDir({ prefix: "srm_qa_bench_" });
let t = performance.now();
const sim = await testContext(
  simulateStep,
  { name: "bench", seed: 11, nFrames, mode: "realistic" },
  { grains: undefined, hkls: undefined },
  { outDir: dir, checkpointDir: dir },
);
await simulateStep.run(sim.ctx);
console.log(
  `simulated ${nFrames} × 2048² frames in ${((performance.now() - t) / 1000).toFixed(1)} s`,
);

// Peak tables from the truth: A = truth spots; B = A jittered by 0.1 px, every 10th split.
const truth = parseTruthTsv(await Deno.readTextFile(`${dir}/truth.tsv`));
const tableA: number[][] = Array.from({ length: nFrames }, () => []);
const tableB: number[][] = Array.from({ length: nFrames }, () => []);
truth.forEach((s, i) => {
  if (s.frame < 0 || s.frame >= nFrames) return;
  const row = (dy: number) => {
    const r = new Array<number>(N_PEAK_COLS).fill(0);
    r[PEAK_COL.SpotID] = i + 1;
    r[PEAK_COL.YCen] = s.yPx + dy;
    r[PEAK_COL.ZCen] = s.zPx;
    r[PEAK_COL.Radius] = s.rPx;
    r[PEAK_COL.Eta] = s.etaDeg;
    r[PEAK_COL.IntegratedIntensity] = s.intensity;
    r[PEAK_COL.IMax] = s.iMax;
    r[PEAK_COL.SigmaR] = s.sigmaGRPx;
    r[PEAK_COL.SigmaEta] = s.sigmaGEtaDeg;
    r[PEAK_COL.SigmaGR] = s.sigmaGRPx;
    r[PEAK_COL.SigmaLR] = s.sigmaLRPx;
    r[PEAK_COL.SigmaGEta] = s.sigmaGEtaDeg;
    r[PEAK_COL.SigmaLEta] = s.sigmaLEtaDeg;
    r[PEAK_COL.FitRMSE] = 10 + (i % 7);
    return r;
  };
  tableA[s.frame].push(...row(0));
  if (i % 10 === 0) tableB[s.frame].push(...row(-0.6), ...row(0.6));
  else tableB[s.frame].push(...row(0.1));
});
for (const [name, t] of [["a", tableA], ["b", tableB]] as const) {
  await Deno.mkdir(`${dir}/${name}/Temp`, { recursive: true });
  await Deno.writeFile(
    `${dir}/${name}/Temp/AllPeaks_PS.bin`,
    encodeAllPeaksPS(t.map((f) => Float64Array.from(f))),
  );
}
const nPeaks = tableA.reduce((s, f) => s + f.length / N_PEAK_COLS, 0);
console.log(`peak table: ${nPeaks} peaks (${(nPeaks / nFrames).toFixed(0)} per frame)`);

// Reference: decode every frame, nothing else.
const zip = `${dir}/scan/bench.MIDAS.zip`;
t = performance.now();
const pipe = await FramePipeline.open(zip, { workers });
let sum = 0;
for await (const f of pipe.frames({ readAhead: 3 })) sum += f.data[0];
pipe.close();
const decodeMs = performance.now() - t;
console.log(`decode only: ${(decodeMs / nFrames).toFixed(1)} ms/frame (${sum > -1 ? "ok" : ""})`);

for (const mode of ["one table", "comparison"] as const) {
  const stamps: number[] = [];
  t = performance.now();
  await runQa({
    scan: `${dir}/scan`,
    tables: mode === "one table"
      ? [{ label: "A", dir: `${dir}/a` }]
      : [{ label: "A", dir: `${dir}/a` }, { label: "B", dir: `${dir}/b` }],
    outDir: `${dir}/qa_${mode === "one table" ? "1" : "2"}`,
    workers,
    maxIntensityFrames: nFrames, // read every frame here; the projection applies the stride
    log: {
      info: (m, d) => m === "qa times" && console.log(`  ${JSON.stringify(d)}`),
      progress: () => stamps.push(performance.now()),
    },
  });
  const total = performance.now() - t;
  // Per frame: the median progress interval (frames that are also rendered or cropped cost
  // more; they are a fixed number, so they land in the fixed part).
  const gaps = stamps.slice(1).map((s, i) => s - stamps[i]).sort((a, b) => a - b);
  const perFrame = gaps[gaps.length >> 1];
  const fixed = total - perFrame * nFrames;
  const fullRead = Math.ceil(FULL / Math.ceil(FULL / 360)); // the default maxIntensityFrames
  const full = (fixed + perFrame * fullRead) / 1000;
  const every = (fixed + perFrame * FULL) / 1000;
  console.log(
    `qa (${mode}): ${(total / 1000).toFixed(2)} s; ${perFrame.toFixed(1)} ms/frame ` +
      `(${(perFrame / (decodeMs / nFrames)).toFixed(2)}× decode only), fixed ${
        (fixed / 1000).toFixed(2)
      } s → ${FULL} frames ≈ ${full.toFixed(1)} s with the default stride (${fullRead} read, ` +
      `${(full / 60).toFixed(2)} of the 1-minute budget); ${every.toFixed(1)} s reading all`,
  );
}
await Deno.remove(dir, { recursive: true });
