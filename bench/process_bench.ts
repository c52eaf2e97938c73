/**
 * Benchmark of the `process` step on a noisy realistic 2048² scan (simulate step, 250 random
 * grains, Poisson + read noise, 8 darks), a few frames, time split by stage (decode wait,
 * preprocessing, spot finding, inference, fitting, writing):
 *
 * - `srfac 1` (MIDAS native search), twice: MIDAS behaviour (every thresholded component fitted,
 *   the reference) and with the noise rule;
 * - `srfac 8` through the cascade x1→x2→x4→x8 with the models of `--models <dir>` (folders
 *   `x1_x2`, `x2_x4`, `x4_x8`; default the repo's `models/` when it has them, else skipped with
 *   a note), with the noise rule: frames/s, patches/s through the cascade, peak fits/s;
 * - when `/usr/bin/python3` has torch: sr-midas's PyTorch cascade with its default 7-layer
 *   architecture on nearest-upscaled 20×20 patches (40², 80², 160² inputs), on a handful of
 *   patches (≈37 GMAC per patch), timed in the same run, and our cascade's ratio to it.
 *
 * Patches per run come from the process logger's progress label (`N spots` = patches cut).
 *
 * Run: `deno run -A bench/process_bench.ts [nFrames=4] [--models DIR] [--config SR_CONFIG]
 * [--threads 2] [--torch-patches 3]` (`--config`: the SR config of the srfac 8 run, default the
 * bundled one). Fitting time depends on how many maxima the models' SR patches have, so it is
 * representative only with trained models; inference time depends on the architecture only.
 * @module
 */
import { testContext } from "../engine/test_context.ts";
import { simulateStep } from "../steps/simulate.ts";
import { type ProcessOptions, runProcess, type StageTimes } from "../process/run.ts";
import { labelComponents } from "../fitting/components.ts";
import { thresholdFrame } from "../fitting/native_search.ts";
import { correctFrame, makeCorrection } from "../process/preprocess.ts";
import { openMidasZip } from "../midas/zip_reader.ts";
import { detectorGeometry } from "../midas/params.ts";
import { radiusMapPx, ringIndexMap } from "../geometry/ring_map.ts";
import { readHkls, ringRadiiPx } from "../midas/hkls.ts";
import { BUNDLED_MODELS_DIR } from "../models/mod.ts";
import { hasPython, runPython } from "../tests/python.ts";

/** sr-midas's default CNNSR architecture (every stage of its cascade). */
const SRMIDAS_ARCH = "256-5-r_128-5-r_64-5-r_32-5-r_16-5-r_8-5-r_1-5-s";
const CASCADE_KEYS = ["x1_x2", "x2_x4", "x4_x8"];

function arg(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

/** `dir` when it holds every cascade model folder, else undefined. */
async function cascadeDir(dir: string): Promise<string | undefined> {
  for (const k of CASCADE_KEYS) {
    try {
      await Deno.stat(`${dir}/${k}/model.onnx`);
    } catch {
      return undefined;
    }
  }
  return dir;
}

/** One timed `runProcess` with its stage times and the patch count from the progress label. */
interface Timed {
  label: string;
  peaks: number;
  patches: number;
  times: StageTimes;
  loopMs: number;
}

async function timeProcess(
  label: string,
  o: Omit<ProcessOptions, "times" | "log">,
): Promise<Timed> {
  const times: StageTimes = {
    setup: 0,
    decode: 0,
    preprocess: 0,
    spots: 0,
    inference: 0,
    fitting: 0,
    writing: 0,
  };
  let last = "";
  const log = {
    info() {},
    warn() {},
    progress: (_d: number, _t: number, l?: string) => l && (last = l),
  };
  const t = performance.now();
  const r = await runProcess({ ...o, times, log });
  const spots = /\((\d+) spots/.exec(last);
  return {
    label,
    peaks: r.peaks,
    patches: spots ? Number(spots[1]) : Number.NaN,
    times,
    loopMs: performance.now() - t - times.setup,
  };
}

/** PyTorch timing of sr-midas's cascade: x1→x2→x4→x8, each stage on a nearest ×2 upscale. */
const TORCH_CASCADE = String.raw`
import json, sys, time, torch
arch, n, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(0)
def net():
    layers, c = [], 1
    for tok in arch.split("_"):
        co, k, a = tok.split("-"); co, k = int(co), int(k)
        layers += [torch.nn.Conv2d(c, co, k, padding=k // 2)]
        layers += [torch.nn.ReLU() if a == "r" else torch.nn.Sigmoid()]
        c = co
    return torch.nn.Sequential(*layers).eval()
stages = [net(), net(), net()]
def cascade(x):
    for s in stages:
        x = s(torch.nn.functional.interpolate(x, scale_factor=2, mode="nearest"))
    return x
with torch.no_grad():
    cascade(torch.rand(1, 1, 20, 20))  # warm-up (allocations, kernel choice)
    x = torch.rand(n, 1, 20, 20)
    t0 = time.perf_counter(); y = cascade(x); dt = time.perf_counter() - t0
assert tuple(y.shape) == (n, 1, 160, 160), y.shape
print(json.dumps({"patchesPerS": n / dt, "seconds": dt, "version": torch.__version__}))
`;

/** Arguments that are neither `--flags` nor their values. */
const positional = Deno.args.filter((a, i) =>
  !a.startsWith("--") && !(Deno.args[i - 1] ?? "").startsWith("--")
);
const nFrames = Number(positional[0] ?? 4);
const threads = Number(arg("threads") ?? 2);
const torchPatches = Number(arg("torch-patches") ?? 3);
const modelsArg = arg("models");
const configPath = arg("config");
const modelsDir = await cascadeDir(modelsArg ?? BUNDLED_MODELS_DIR);
const dir = await Deno.makeTempDir({ prefix: "srm_proc_bench_" });
console.log(
  `${nFrames} frames, ${threads} threads, loadavg ${
    (await Deno.readTextFile("/proc/loadavg")).trim()
  }`,
);
try {
  let t = performance.now();
  const sim = await testContext(
    simulateStep,
    { name: "bench", seed: 11, nFrames, mode: "realistic" },
    { grains: undefined, hkls: undefined },
    { outDir: dir, checkpointDir: dir },
  );
  await simulateStep.run(sim.ctx);
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
    radiusMapPx(detectorGeometry(p, zip.nY, zip.nZ)),
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

  const base = (tag: string) => ({
    scanDir: `${dir}/scan`,
    outDir: `${dir}/out_${tag}`,
    checkpointDir: `${dir}/ck_${tag}`,
    threads,
  });
  const runs: Timed[] = [];
  for (const noiseRule of [false, true]) {
    runs.push(
      await timeProcess(`srfac 1, noise rule ${noiseRule ? "on" : "off"}`, {
        ...base(`1_${noiseRule}`),
        srfac: 1,
        noiseRule,
      }),
    );
  }
  if (modelsDir) {
    console.log(`srfac 8 cascade models: ${modelsDir}, SR config ${configPath ?? "bundled"}`);
    runs.push(
      await timeProcess("srfac 8 cascade, noise rule on", {
        ...base("8"),
        srfac: 8,
        noiseRule: true,
        modelsDir,
        configPath,
      }),
    );
  } else {
    console.log(
      `srfac 8: skipped — ${modelsArg ?? BUNDLED_MODELS_DIR} lacks ${
        CASCADE_KEYS.join("/")
      }/model.onnx (pass --models <dir> with trained cascade folders)`,
    );
  }

  const ms = (x: number) => (x / nFrames).toFixed(0);
  const perS = (n: number, msTotal: number) =>
    msTotal > 0 ? (n / (msTotal / 1000)).toFixed(1) : "–";
  console.log(
    `\n| run | peaks / ${nFrames} frames | patches | frames/s | cascade patches/s | peak fits/s | decode wait | preprocess | spots | inference | fitting | writing | total (ms/frame) |`,
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of runs) {
    const tm = r.times;
    const sr = tm.inference > 0;
    // srfac 1 fits inside the native search (spots stage); the SR path fits in its own stage.
    const fitMs = sr ? tm.fitting : tm.spots;
    console.log(
      `| ${r.label} | ${r.peaks} | ${sr ? r.patches : "–"} | ${
        (nFrames / (r.loopMs / 1000)).toFixed(2)
      } | ${sr ? perS(r.patches, tm.inference) : "–"} | ${perS(r.peaks, fitMs)}${
        sr ? ` (${perS(r.patches, fitMs)} patches/s)` : " (search + fit)"
      } | ${ms(tm.decode)} | ${ms(tm.preprocess)} | ${ms(tm.spots)} | ${ms(tm.inference)} | ${
        ms(tm.fitting)
      } | ${ms(tm.writing)} | ${ms(r.loopMs)} |`,
    );
  }
  const ref = runs[0];
  for (const r of runs.slice(1)) {
    console.log(`${r.label}: ${(ref.loopMs / r.loopMs).toFixed(2)}× the frames/s of ${ref.label}`);
  }

  const sr = runs.find((r) => r.times.inference > 0);
  if (sr && torchPatches > 0 && await hasPython("torch")) {
    const out = JSON.parse(
      await runPython(TORCH_CASCADE, {
        args: [SRMIDAS_ARCH, String(torchPatches), String(threads)],
      }),
    );
    const ours = sr.patches / (sr.times.inference / 1000);
    console.log(
      `\nPyTorch ${out.version} (${threads} threads), sr-midas cascade ${SRMIDAS_ARCH} ×3 on ${torchPatches} patches: ${
        out.patchesPerS.toFixed(2)
      } patches/s (${out.seconds.toFixed(1)} s); ours through the cascade ${
        ours.toFixed(0)
      } patches/s = ${(ours / out.patchesPerS).toFixed(0)}×`,
    );
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
