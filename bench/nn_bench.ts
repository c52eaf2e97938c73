/**
 * Neural-engine throughput: inference patches/s (weights as initializers) and training samples/s
 * (ONNX training-step graph) on onnxruntime-node, and the same work in PyTorch
 * (`/usr/bin/python3` with torch, subprocess, same thread count) when available, with the ratio.
 *
 * Run: `deno run -A bench/nn_bench.ts [--arch A --sizes 40,80] [--threads 2] [--nchwc 0|1]`.
 * Without `--arch` it runs the issue #5 cases: `64-5-r_32-5-r_1-5-s` at 40, 80 and 160, and the
 * seed's 7-layer `256-5-r_…_1-5-s` at 40 (smaller batches, it is ~20× the work). Batches are
 * inference 256 / training 64 at ≤40 px, 128 / 16 above, 64 / 16 for the 7-layer net; override
 * with `--infer-batch` / `--train-batch`. `--nchwc 0` times the portable training graph (no
 * NCHWc kernels); `--fast 0` turns off the fixed-size Winograd/HWNC models (ORT Conv only). `--skip-infer` times training only. A line per case is printed as it finishes.
 * (`deno bench -A bench/nn_bench.ts` runs a quick inference case only.)
 * Check that the machine is otherwise idle: a second busy process slows 2-thread ORT ~2.2×.
 * @module
 */
import { archCost, paramSpecs, parseArch } from "../nn/arch.ts";
import { Rng } from "../nn/rng.ts";
import { type F32, nchwcBlockSize, OrtSession, Predictor } from "../nn/session.ts";
import { adamScalars, buildTrainModel } from "../nn/train_graph.ts";
import { initParams } from "../nn/trainer.ts";

interface Row {
  arch: string;
  size: number;
  inferBatch: number;
  inferPatchesPerS: number;
  trainBatch: number;
  trainSamplesPerS: number;
  torchInfer?: number;
  torchTrain?: number;
}

function randomInput(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.next());
}

async function timeBest(reps: number, fn: () => Promise<void>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return best;
}

async function ortInference(
  archText: string,
  size: number,
  batch: number,
  threads: number,
  fast: boolean,
): Promise<number> {
  const arch = parseArch(archText);
  const pred = await Predictor.create(arch, 1, initParams(arch, 1, new Rng(1)), {
    threads,
    maxBatch: batch,
    convAlgo: fast ? "auto" : "direct",
  });
  const x = randomInput(batch * size * size, 2);
  await pred.warmUp(size, size);
  const s = await timeBest(3, async () => void (await pred.predict(x, batch, size, size)));
  await pred.release();
  return batch / s;
}

async function ortTraining(
  archText: string,
  size: number,
  batch: number,
  threads: number,
  steps: number,
  nchwcBlock: number,
  fast: boolean,
): Promise<number> {
  const arch = parseArch(archText);
  const specs = paramSpecs(arch, 1);
  const params = initParams(arch, 1, new Rng(1));
  const session = await OrtSession.create(
    buildTrainModel(arch, 1, {
      loss: "mse",
      outputPrediction: true,
      nchwcBlock,
      ...(fast ? { fixedSize: { h: size, w: size } } : {}),
    }),
    { threads },
  );
  const feeds: Record<string, F32> = {
    X: { data: randomInput(batch * size * size, 3), dims: [batch, 1, size, size] },
    Y: { data: randomInput(batch * size * size, 4), dims: [batch, 1, size, size] },
  };
  specs.forEach((sp, i) => {
    feeds[sp.name] = { data: params[i], dims: sp.dims };
    feeds[`m_${sp.name}`] = { data: new Float32Array(params[i].length), dims: sp.dims };
    feeds[`v_${sp.name}`] = { data: new Float32Array(params[i].length), dims: sp.dims };
  });
  let t = 0;
  const step = async () => {
    const { lrT, epsT } = adamScalars(1e-4, ++t);
    feeds.lr_t = { data: new Float32Array([lrT]), dims: [1] };
    feeds.eps_t = { data: new Float32Array([epsT]), dims: [1] };
    const out = await session.run(feeds);
    for (const sp of specs) {
      feeds[sp.name].data = out[`${sp.name}_new`].data;
      feeds[`m_${sp.name}`].data = out[`m_${sp.name}_new`].data;
      feeds[`v_${sp.name}`].data = out[`v_${sp.name}_new`].data;
    }
  };
  await step(); // warm-up
  const s = await timeBest(steps, step);
  await session.release();
  return batch / s;
}

const TORCH = String.raw`
import json, sys, time, torch
arch, size, ib, tb, threads, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
torch.set_num_threads(threads)
acts = {"r": torch.nn.ReLU, "s": torch.nn.Sigmoid, "lr": lambda: torch.nn.LeakyReLU(0.01), "t": torch.nn.Tanh}
layers, c = [], 1
for tok in arch.split("_"):
    co, k, a = tok.split("-"); co, k = int(co), int(k)
    layers += [torch.nn.Conv2d(c, co, k, padding=k // 2)] + ([acts[a]()] if a in acts else [])
    c = co
net = torch.nn.Sequential(*layers)
def best(fn, reps):
    fn(); b = 1e9
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); b = min(b, time.perf_counter() - t0)
    return b
ti = 0
if ib > 0:
    x = torch.rand(ib, 1, size, size)
    with torch.no_grad():
        ti = ib / best(lambda: net(x), 3)
opt = torch.optim.Adam(net.parameters(), lr=1e-4)
xt, yt = torch.rand(tb, 1, size, size), torch.rand(tb, 1, size, size)
def step():
    opt.zero_grad(); loss = torch.nn.functional.mse_loss(net(xt), yt); loss.backward(); opt.step()
tt = best(step, steps)
print(json.dumps({"infer": ti, "train": tb / tt, "version": torch.__version__}))
`;

async function torchRun(
  arch: string,
  size: number,
  ib: number,
  tb: number,
  threads: number,
  steps: number,
): Promise<{ infer: number; train: number; version: string } | null> {
  try {
    const r = await new Deno.Command("/usr/bin/python3", {
      args: [
        "-c",
        TORCH,
        arch,
        String(size),
        String(ib),
        String(tb),
        String(threads),
        String(steps),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!r.success) {
      console.log(
        `torch: skipped (${new TextDecoder().decode(r.stderr).trim().split("\n").at(-1)})`,
      );
      return null;
    }
    return JSON.parse(new TextDecoder().decode(r.stdout));
  } catch (e) {
    console.log(`torch: skipped (${(e as Error).message})`);
    return null;
  }
}

function arg(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && Deno.args[i + 1] ? Deno.args[i + 1] : fallback;
}

const SEED_ARCH = "256-5-r_128-5-r_64-5-r_32-5-r_16-5-r_8-5-r_1-5-s";

async function main(): Promise<void> {
  const archArg = arg("arch", "");
  const cases: [string, number][] = archArg
    ? arg("sizes", "40,80").split(",").map((v) => [archArg, Number(v)])
    : [
      ["64-5-r_32-5-r_1-5-s", 40],
      ["64-5-r_32-5-r_1-5-s", 80],
      ["64-5-r_32-5-r_1-5-s", 160],
      [SEED_ARCH, 40],
    ];
  const threads = Number(arg("threads", "2"));
  const nchwcBlock = arg("nchwc", "1") === "0" ? 0 : await nchwcBlockSize();
  const skipInfer = Deno.args.includes("--skip-infer");
  const fast = arg("fast", "1") !== "0";
  const load = async () => (await Deno.readTextFile("/proc/loadavg")).trim();
  console.log(
    `${threads} threads, NCHWc block ${nchwcBlock}, Winograd/HWNC ${
      fast ? "where planned" : "off"
    }, loadavg ${await load()}`,
  );
  const rows: Row[] = [];
  for (const [archText, size] of cases) {
    // MAC per pixel: 53.6 k for the 3-layer net, 1.1 M for the seed's 7-layer one.
    const big = archCost(parseArch(archText), 1, size, size).macsPerPatch / size ** 2 > 2e5;
    const inferBatch = Number(arg("infer-batch", String(big ? 64 : size <= 40 ? 256 : 128)));
    const trainBatch = Number(arg("train-batch", String(big ? 16 : size <= 40 ? 64 : 16)));
    const steps = big ? 3 : 4;
    const row: Row = {
      arch: archText,
      size,
      inferBatch: skipInfer ? 0 : inferBatch,
      inferPatchesPerS: skipInfer
        ? NaN
        : await ortInference(archText, size, inferBatch, threads, fast),
      trainBatch,
      trainSamplesPerS: await ortTraining(
        archText,
        size,
        trainBatch,
        threads,
        steps,
        nchwcBlock,
        fast,
      ),
    };
    const t = await torchRun(archText, size, row.inferBatch, trainBatch, threads, steps);
    if (t) {
      row.torchInfer = skipInfer ? undefined : t.infer;
      row.torchTrain = t.train;
      if (rows.length === 0) console.log(`torch ${t.version} from /usr/bin/python3`);
    }
    console.log(
      `${archText} ${size}×${size}: train b${trainBatch} ORT ${
        row.trainSamplesPerS.toFixed(1)
      } vs torch ${row.torchTrain?.toFixed(1) ?? "–"} samples/s → ${
        row.torchTrain ? (row.trainSamplesPerS / row.torchTrain).toFixed(2) : "–"
      }× (loadavg ${await load()})`,
    );
    rows.push(row);
  }
  const f = (v: number | undefined, d = 0) => (v === undefined || isNaN(v) ? "–" : v.toFixed(d));
  console.log(
    "| arch | size | MAC/patch | infer b | ORT patches/s | GFLOP/s | torch patches/s | ORT/torch | train b | ORT samples/s | torch samples/s | ORT/torch |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    const mac = archCost(parseArch(r.arch), 1, r.size, r.size).macsPerPatch;
    console.log(
      `| ${r.arch} | ${r.size}×${r.size} | ${(mac / 1e6).toFixed(1)} M | ${r.inferBatch || "–"} | ${
        f(r.inferPatchesPerS)
      } | ${f((2 * mac * r.inferPatchesPerS) / 1e9)} | ${f(r.torchInfer)} | ${
        r.torchInfer ? f(r.inferPatchesPerS / r.torchInfer, 2) : "–"
      } | ${r.trainBatch} | ${f(r.trainSamplesPerS, 1)} | ${f(r.torchTrain, 1)} | ${
        r.torchTrain ? f(r.trainSamplesPerS / r.torchTrain, 2) : "–"
      } |`,
    );
  }
  console.log(`loadavg after ${await load()}`);
}

if (import.meta.main) {
  await main();
} else {
  // Under `deno bench`: one quick inference case (small batch so it stays fast), and the seed's
  // 7-layer net with and without the Winograd/HWNC models (ratio printed by deno bench).
  const arch = parseArch("64-5-r_32-5-r_1-5-s");
  const pred = await Predictor.create(arch, 1, initParams(arch, 1, new Rng(1)), { maxBatch: 32 });
  const x = randomInput(32 * 1600, 2);
  await pred.warmUp(40, 40);
  Deno.bench("nn inference 64-5-r_32-5-r_1-5-s, 32 patches 40×40", async () => {
    await pred.predict(x, 32, 40, 40);
  });
  const seed = parseArch(SEED_ARCH);
  const weights = initParams(seed, 1, new Rng(1));
  const x8 = randomInput(8 * 1600, 3);
  for (const convAlgo of ["direct", "auto"] as const) {
    const p = await Predictor.create(seed, 1, weights, { maxBatch: 8, convAlgo });
    await p.warmUp(40, 40);
    Deno.bench({
      name: `nn inference seed 7-layer net, 8 patches 40×40, ${
        convAlgo === "auto" ? "Winograd/HWNC" : "ORT Conv"
      }`,
      group: "seed-7-layer",
      baseline: convAlgo === "direct",
      fn: async () => void (await p.predict(x8, 8, 40, 40)),
    });
  }
}
