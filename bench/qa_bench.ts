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
 * fixed + per frame × the frames the default `maxIntensityFrames` (240) reads, i.e. every 6th
 * (and, for reference, × all 1,440).
 *
 * The peak-table work (counts, rings, crowded spots, comparison, column sorts) is timed apart at
 * full size, 1,440 frames × `--peaks` per frame (default 400) in two tables, and added to the
 * projection: fixed + table work + per frame × frames read.
 *
 * Run: `deno run -A bench/qa_bench.ts [nFrames=16] [--workers 2] [--peaks 400]`
 * @module
 */
import { testContext } from "../engine/test_context.ts";
import { simulateStep } from "../steps/simulate.ts";
import { FramePipeline } from "../midas/frame_stream.ts";
import { encodeAllPeaksPS, N_PEAK_COLS, PEAK_COL } from "../midas/peak_table.ts";
import { parseTruthTsv } from "../synthesis/truth.ts";
import { runQa } from "../qa/run.ts";
import { fromFrames } from "../evaluation/peak_table.ts";
import {
  column,
  crowdedSpots,
  peaksPerFrame,
  peaksPerRingFrame,
  ringOfPeaks,
} from "../qa/stats.ts";
import { comparePeakTables } from "../qa/compare.ts";

const nFrames = Number(Deno.args.find((a) => /^\d+$/.test(a)) ?? 16);
const wi = Deno.args.indexOf("--workers");
const workers = wi >= 0 ? Number(Deno.args[wi + 1]) : 2;
const FULL = 1440;

const dir = await Deno.makeTempDir({ prefix: "srm_qa_bench_" });
console.log(`loadavg ${(await Deno.readTextFile("/proc/loadavg")).trim()}`);
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

// Reference: decode every frame, nothing else (best of two passes: the first warms up).
const zip = `${dir}/scan/bench.MIDAS.zip`;
let decodeMs = Infinity;
for (let pass = 0; pass < 2; pass++) {
  t = performance.now();
  const pipe = await FramePipeline.open(zip, { workers });
  for await (const f of pipe.frames({ readAhead: 4 })) if (!(f.data.length > 0)) throw new Error();
  pipe.close();
  decodeMs = Math.min(decodeMs, performance.now() - t);
}
console.log(`decode only: ${(decodeMs / nFrames).toFixed(1)} ms/frame (${workers} workers)`);

// The peak-table work at full size: 1,440 frames × `--peaks` per frame (default 400), two
// tables (B = A jittered, every 10th split): counts, rings, crowded spots, comparison. The
// scan above is too short to hold such a table, so this part is timed on its own.
const pi = Deno.args.indexOf("--peaks");
const perFrameFull = pi >= 0 ? Number(Deno.args[pi + 1]) : 400;
const big = (split: boolean) => {
  const rng = mulberry32(5);
  const frames: Float64Array[] = [];
  for (let f = 0; f < FULL; f++) {
    const rows: number[] = [];
    const r2 = mulberry32(f + 1);
    for (let p = 0; p < perFrameFull; p++) {
      const y = 2048 * r2(), z = 2048 * r2();
      const r = new Array<number>(N_PEAK_COLS).fill(0);
      r[PEAK_COL.YCen] = y + (split ? 0.1 * rng() : 0);
      r[PEAK_COL.ZCen] = z;
      r[PEAK_COL.Radius] = Math.hypot(y - 1024, z - 1024);
      r[PEAK_COL.Eta] = (Math.atan2(1024 - y, z - 1024) * 180) / Math.PI;
      r[PEAK_COL.IntegratedIntensity] = 1000 * (1 + r2());
      rows.push(...r);
      if (split && p % 10 === 0) rows.push(...r.map((v, k) => (k === PEAK_COL.YCen ? v + 0.8 : v)));
    }
    frames.push(Float64Array.from(rows));
  }
  return fromFrames(frames);
};
const bigA = big(false), bigB = big(true);
const parts: Record<string, number> = {};
const timed = <T>(name: string, f: () => T): T => {
  const t0 = performance.now();
  const r = f();
  parts[name] = Math.round(performance.now() - t0);
  return r;
};
const ringSetFull = { nr: [1, 2, 3, 4], radiusPx: [300, 500, 700, 900], halfWidthPx: 5 };
timed("countsMs", () => peaksPerFrame(bigA));
timed("ringsMs", () => peaksPerRingFrame(bigA, ringOfPeaks(bigA, ringSetFull), 4));
timed("crowdedMs", () => crowdedSpots(bigA, 6, 5));
const cmp = timed("compareMs", () => comparePeakTables(bigA, bigB, 1.5));
const cols = ["IntegratedIntensity", "SigmaR", "SigmaEta", "FitRMSE", "Eta", "Radius"] as const;
timed("columnsMs", () => cols.forEach((name) => column(bigA, name).sort()));
const tableMs = Object.values(parts).reduce((a, b) => a + b, 0);
console.log(`  ${JSON.stringify(parts)}`);
console.log(
  `peak-table work at ${FULL} frames × ${perFrameFull} peaks (${bigA.nPeaks} + ${bigB.nPeaks}): ` +
    `${(tableMs / 1000).toFixed(2)} s (comparison found ${cmp.splitInB} splits)`,
);

function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

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
  const fullRead = Math.ceil(FULL / Math.ceil(FULL / 240)); // the default maxIntensityFrames
  const full = (fixed + tableMs + perFrame * fullRead) / 1000;
  const every = (fixed + tableMs + perFrame * FULL) / 1000;
  console.log(
    `qa (${mode}): ${(total / 1000).toFixed(2)} s; ${perFrame.toFixed(1)} ms/frame ` +
      `(${(perFrame / (decodeMs / nFrames)).toFixed(2)}× decode only), fixed ${
        (fixed / 1000).toFixed(2)
      } s → ${FULL} frames ≈ ${full.toFixed(1)} s with the default stride (${fullRead} read, ` +
      `${(full / 60).toFixed(2)} of the 1-minute budget); ${every.toFixed(1)} s reading all`,
  );
}
await Deno.remove(dir, { recursive: true });
