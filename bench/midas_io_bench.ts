/**
 * `.MIDAS.zip` I/O benchmarks on a 2048² uint16 Blosc-zstd (clevel 1, bit-shuffle) scan that is
 * generated at start (background + noise + Gaussian spots, so it compresses like real data).
 *
 * `deno bench -A bench/midas_io_bench.ts` times decoding all frames: main thread vs worker
 * pipeline, with and without a simulated per-frame compute, and the CRC-32 check the reader does
 * on every entry (the same bytes hashed alone, so its share of a decode is the ratio).
 * `deno run -A bench/midas_io_bench.ts --throughput [--frames 8]` prints frames/s and MB/s.
 *
 * @example
 * ```sh
 * deno run -A bench/midas_io_bench.ts --throughput --frames 8
 * ```
 * @module
 */
import { writeMidasZip } from "../midas/zip_writer.ts";
import { openMidasZip } from "../midas/zip_reader.ts";
import { FramePipeline, streamFrames } from "../midas/frame_stream.ts";
import { crc32 } from "node:zlib";

const N = 2048;
const argv = Deno.args;
const argOf = (
  name: string,
  def: string,
) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : def);
const nFrames = Number(argOf("--frames", "6"));
const MB = (nFrames * N * N * 2) / 1e6;

/** A frame: background ~100 with ±8 noise and 200 σ≈1.5 px spots (xorshift PRNG, reproducible). */
function syntheticFrame(f: number): Uint16Array {
  let s = (f + 1) * 2654435761 >>> 0;
  const rnd = () => ((s ^= s << 13, s ^= s >>> 17, s ^= s << 5) >>> 0) / 4294967296;
  const a = new Uint16Array(N * N);
  for (let i = 0; i < a.length; i++) a[i] = 100 + Math.floor(rnd() * 16);
  for (let k = 0; k < 200; k++) {
    const y0 = 8 + rnd() * (N - 16), z0 = 8 + rnd() * (N - 16), amp = 500 + rnd() * 10000;
    for (let z = Math.floor(z0) - 5; z <= Math.floor(z0) + 5; z++) {
      for (let y = Math.floor(y0) - 5; y <= Math.floor(y0) + 5; y++) {
        const r2 = (y - y0) ** 2 + (z - z0) ** 2;
        a[z * N + y] = Math.min(65535, a[z * N + y] + amp * Math.exp(-r2 / 4.5));
      }
    }
  }
  return a;
}

const dir = Deno.makeTempDirSync({ prefix: "midas_io_bench_" });
const path = `${dir}/bench.MIDAS.zip`;
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const t0 = performance.now();
await writeMidasZip(path, {
  nFrames,
  nZ: N,
  nY: N,
  dtype: "uint16",
  frames: (function* () {
    for (let f = 0; f < nFrames; f++) yield syntheticFrame(f);
  })(),
  analysisParameters: { YCen: 1024, ZCen: 1024 },
  scanParameters: { start: 0, step: 0.25 },
});
const writeMs = performance.now() - t0;

/** Stand-in for per-frame compute (~a threshold + sum pass, repeated). */
function compute(a: ArrayLike<number>, passes: number): number {
  let s = 0;
  for (let p = 0; p < passes; p++) for (let i = 0; i < a.length; i++) if (a[i] > 150) s += a[i];
  return s;
}
const PASSES = 4;

async function mainThread(work: boolean): Promise<number> {
  const zip = await openMidasZip(path);
  let s = 0;
  try {
    for await (const f of zip.frames()) s += work ? compute(f, PASSES) : f[0];
  } finally {
    zip.close();
  }
  return s;
}

// --throughput opens each pipeline once (worker start-up is a per-scan cost) and reuses it;
// Deno.bench has no teardown hook, so there each pass uses streamFrames (start-up included).
const pipes = new Map<number, FramePipeline>();

async function pipelined(
  work: boolean,
  workers: number,
  reuse: boolean,
  readAhead = 4,
): Promise<number> {
  if (reuse && !pipes.has(workers)) pipes.set(workers, await FramePipeline.open(path, { workers }));
  const it = reuse
    ? pipes.get(workers)!.frames({ readAhead })
    : streamFrames(path, { workers, readAhead });
  let s = 0;
  for await (const { data } of it) s += work ? compute(data, PASSES) : data[0];
  return s;
}

async function computeOnly(): Promise<number> {
  const zip = await openMidasZip(path);
  try {
    return compute(await zip.readFrame(0), PASSES * nFrames);
  } finally {
    zip.close();
  }
}

const REUSE = argv.includes("--throughput");
if (REUSE) {
  const size = (await Deno.stat(path)).size / 1e6;
  console.log(
    `scan: ${nFrames} × 2048² uint16, ${MB.toFixed(1)} MB raw, zip ${size.toFixed(1)} MB; ` +
      `write ${(writeMs / nFrames).toFixed(1)} ms/frame (${
        (MB / (writeMs / 1000)).toFixed(0)
      } MB/s)`,
  );
  const cases: [string, () => Promise<number>][] = [
    ["decode, main thread", () => mainThread(false)],
    ["decode, 1 worker, K=4", () => pipelined(false, 1, REUSE)],
    ["decode, 2 workers, K=4", () => pipelined(false, 2, REUSE)],
    ["decode+compute, main thread", () => mainThread(true)],
    ["decode+compute, 1 worker, K=4", () => pipelined(true, 1, REUSE)],
    ["decode+compute, 2 workers, K=4", () => pipelined(true, 2, REUSE)],
    ["compute only", computeOnly],
  ];
  const t1 = performance.now();
  (await FramePipeline.open(path)).close();
  console.log(`worker pipeline start-up: ${(performance.now() - t1).toFixed(0)} ms`);
  console.log("| case | ms/frame | frames/s | MB/s |\n|---|---|---|---|");
  for (const [name, fn] of cases) {
    await fn(); // warm-up (WASM init, page cache, worker type-check)
    const reps = 3;
    const t = performance.now();
    for (let r = 0; r < reps; r++) await fn();
    const ms = (performance.now() - t) / reps / nFrames;
    console.log(
      `| ${name} | ${ms.toFixed(1)} | ${(1000 / ms).toFixed(1)} | ${
        (N * N * 2 / 1e3 / ms).toFixed(0)
      } |`,
    );
  }
  pipes.forEach((p) => p.close());
} else {
  // fn must be declared async: Deno.bench does not await a plain function's returned promise.
  const opts = { n: 5, warmup: 1 };
  Deno.bench({
    name: `decode ${nFrames} frames: main thread`,
    group: "decode",
    baseline: true,
    ...opts,
    fn: async () => void await mainThread(false),
  });
  // The CRC check hashes every stored byte once; hashing the whole zip is that cost (an upper bound).
  const zipBytes = await Deno.readFile(path);
  Deno.bench({
    name: `CRC-32 of the zip's ${(zipBytes.length / 1e6).toFixed(0)} MB (the reader's check)`,
    group: "decode",
    ...opts,
    fn: async () => void await Promise.resolve(crc32(zipBytes)),
  });
  Deno.bench({
    name: `decode ${nFrames} frames: 1 worker K=4 (incl. start-up)`,
    group: "decode",
    ...opts,
    fn: async () => void await pipelined(false, 1, REUSE),
  });
  Deno.bench({
    name: `decode ${nFrames} frames: 2 workers K=4 (incl. start-up)`,
    group: "decode",
    ...opts,
    fn: async () => void await pipelined(false, 2, REUSE),
  });
  Deno.bench({
    name: `decode+compute: main thread`,
    group: "compute",
    baseline: true,
    ...opts,
    fn: async () => void await mainThread(true),
  });
  Deno.bench({
    name: `decode+compute: 1 worker K=4 (incl. start-up)`,
    group: "compute",
    ...opts,
    fn: async () => void await pipelined(true, 1, REUSE),
  });
}
