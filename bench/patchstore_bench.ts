/**
 * Patchstore synthesis benchmarks.
 *
 * `deno bench -A bench/patchstore_bench.ts` times single-patch rendering (S = 8, x1–x8).
 * `deno run -A bench/patchstore_bench.ts --throughput [--n 2000] [--threads 1] [--out /tmp/pst.h5]` writes a
 * whole patchstore and prints patches/s, the extrapolated time for 10,000 patches, file size and
 * peak RSS (sampled while running).
 *
 * @example
 * ```sh
 * deno run -A bench/patchstore_bench.ts --throughput --n 500
 * ```
 * @module
 */
import { createPatchstore } from "../patchstore/create.ts";
import { defaultSynthesisConfig, planSynthesis, synthesizePatch } from "../patchstore/synthesis.ts";
import { syntheticPeakbank } from "../patchstore/testdata.ts";

const cfg = (nPatch: number) =>
  defaultSynthesisConfig({
    nPatch,
    Ypx_BC: 1024,
    Zpx_BC: 1024,
    nPeak: [1, 2, 3, 4, 5],
    pSepMin: 1,
    pSepMax: 10,
    varR: 2,
    midasIthresh: 20,
    seed: 1,
  });

if (Deno.args.includes("--throughput")) {
  const arg = (name: string, def: string) => {
    const i = Deno.args.indexOf(name);
    return i >= 0 ? Deno.args[i + 1] : def;
  };
  const n = Number(arg("--n", "2000"));
  const out = arg("--out", `${Deno.makeTempDirSync()}/pst.h5`);
  const threads = Number(arg("--threads", "1"));
  const pb = syntheticPeakbank({ rings: [400, 550, 700, 850], perRing: 500 });
  let peakRss = 0;
  const timer = setInterval(() => (peakRss = Math.max(peakRss, Deno.memoryUsage().rss)), 50);
  const t0 = performance.now();
  const stats = await createPatchstore(pb, cfg(n), out, {
    progressEvery: 50,
    threads,
    onProgress: () => (peakRss = Math.max(peakRss, Deno.memoryUsage().rss)),
  });
  const s = (performance.now() - t0) / 1000;
  clearInterval(timer);
  peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
  const size = Deno.statSync(out).size;
  console.log(JSON.stringify(
    {
      patches: n,
      threads,
      written: stats.written,
      seconds: +s.toFixed(2),
      patchesPerSecond: +(n / s).toFixed(1),
      extrapolated10kSeconds: +((10000 * s) / n).toFixed(0),
      fileMiB: +(size / 2 ** 20).toFixed(1),
      peakRssMiB: +(peakRss / 2 ** 20).toFixed(0),
      out,
    },
    null,
    1,
  ));
} else {
  const plan = planSynthesis(syntheticPeakbank(), cfg(100));
  let i = 0;
  Deno.bench("render one patch (cvsz 40, S 8, x1–x8, 1–5 peaks)", () => {
    synthesizePatch(plan, i++ % 100);
  });
}
