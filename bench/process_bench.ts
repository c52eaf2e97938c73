/**
 * Benchmark of the `process` step, srfac 1 (MIDAS native search): a noisy realistic 2048² scan
 * (simulate step, 250 random grains, Poisson + read noise, 8 darks), a few frames, time split by
 * stage (decode wait, preprocessing, spot finding + fitting, writing). Run twice: MIDAS
 * behaviour (every thresholded component fitted) and with the noise rule.
 *
 * Run: `deno run -A bench/process_bench.ts [nFrames=4]`.
 * @module
 */
import * as v from "valibot";
import { simulateParams, simulateStep } from "../steps/simulate.ts";
import { runProcess, type StageTimes } from "../process/run.ts";
import { labelComponents } from "../fitting/components.ts";
import { thresholdFrame } from "../fitting/native_search.ts";
import { correctFrame, makeCorrection } from "../process/preprocess.ts";
import { openMidasZip } from "../midas/zip_reader.ts";
import { radiusMapPx, ringIndexMap } from "../geometry/ring_map.ts";
import { readHkls, ringRadiiPx } from "../midas/hkls.ts";

const nFrames = Number(Deno.args[0] ?? 4);
const dir = await Deno.makeTempDir({ prefix: "srm_proc_bench_" });
const quiet = { info() {}, warn() {}, progress() {} };
try {
  let t = performance.now();
  await simulateStep.run({
    params: v.parse(simulateParams, { name: "bench", seed: 11, nFrames, mode: "realistic" }),
    inputs: { grains: undefined, hkls: undefined },
    outDir: dir,
    output: (n) => `${dir}/${simulateStep.outputs[n].path}`,
    checkpointDir: dir,
    log: quiet,
    signal: new AbortController().signal,
    threads: 1,
  });
  console.log(
    `simulated ${nFrames} × 2048² realistic frames in ${
      ((performance.now() - t) / 1000).toFixed(1)
    } s`,
  );

  // How many thresholded components a frame has (what the native search must fit without the rule).
  const zip = await openMidasZip(`${dir}/scan/bench.MIDAS.zip`);
  const p = await zip.params();
  const corr = makeCorrection({
    nZ: zip.nZ,
    nY: zip.nY,
    dark: await zip.darkMean(p.SkipFrame),
    bc: p.ReferenceRingCurrent,
  });
  const rings = ringIndexMap(
    radiusMapPx({
      nY: zip.nY,
      nZ: zip.nZ,
      pxUm: p.PixelSize,
      lsdUm: p.Lsd,
      ybc: p.YCen,
      zbc: p.ZCen,
      tx: p.tx,
      ty: p.ty,
      tz: p.tz,
      p: p.p,
      rhoDUm: p.RhoD,
    }),
    ringRadiiPx(
      await readHkls(`${dir}/scan/hkls.csv`),
      p.RingThresh.map((r) => r[0]),
      p.PixelSize,
      "hkls.csv",
    ),
    p.Width / p.PixelSize,
  );
  const thr = thresholdFrame(
    correctFrame(await zip.readFrame(0), corr),
    rings,
    p.RingThresh.map((r) => r[1]),
  );
  t = performance.now();
  const comps = labelComponents(thr, zip.nY, zip.nZ, { minNrPx: p.MinNrPx, maxNrPx: p.MaxNrPx });
  const labelMs = performance.now() - t;
  zip.close();
  console.log(
    `frame 0: ${comps.count} components after the size filter (labelling ${labelMs.toFixed(0)} ms)`,
  );

  for (const noiseRule of [false, true]) {
    const times: StageTimes = {
      setup: 0,
      decode: 0,
      preprocess: 0,
      spots: 0,
      inference: 0,
      fitting: 0,
      writing: 0,
    };
    t = performance.now();
    const r = await runProcess({
      scanDir: `${dir}/scan`,
      outDir: `${dir}/out_${noiseRule}`,
      checkpointDir: `${dir}/ck_${noiseRule}`,
      srfac: 1,
      noiseRule,
      times,
    });
    const total = performance.now() - t;
    const loop = total - times.setup;
    const ms = (x: number) => `${(x / nFrames).toFixed(0)}`;
    console.log(
      `\nsrfac 1, noiseRule ${noiseRule}: ${r.peaks} peaks in ${nFrames} frames, ${
        (nFrames / (loop / 1000)).toFixed(2)
      } frames/s (setup ${(times.setup / 1000).toFixed(1)} s once)`,
    );
    console.log("| per frame (ms) | decode wait | preprocess | spots + fit | writing | total |");
    console.log("|---|---|---|---|---|---|");
    console.log(
      `| | ${ms(times.decode)} | ${ms(times.preprocess)} | ${ms(times.spots)} | ${
        ms(times.writing)
      } | ${ms(loop)} |`,
    );
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
