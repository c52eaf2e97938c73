/**
 * Engine benchmarks: planning a 1,000-step workflow (everything cached) and hashing a 2 GB
 * input cold (streamed SHA-256) vs warm (stat fast path), against coreutils sha256sum in the
 * same run. Set SRMIDAS_BENCH_HASH_MB to change the file size (default 2048).
 * Publishing a 1,440-frame scan's `Temp/` (1,440 CSVs + 2 binaries): `cp -r` as the reference,
 * a first publish (atomic copies + ledger), and the cached re-publish (nothing changed).
 */
import { join } from "node:path";
import {
  DigestCache,
  InlineExecutor,
  parseWorkflow,
  planWorkflow,
  publishDir,
  runWorkflow,
  sha256File,
  Store,
} from "../engine/mod.ts";
import { resolveToy } from "../engine/testdata/toy_steps.ts";

const dir = await Deno.makeTempDir({ prefix: "srmidas-bench-" });
const store = await new Store(join(dir, "store")).init();

// 1,000 steps: 500 emitters, 499 chained adders and one sink, all cached before planning.
const lines = ["name: big", "steps:"];
for (let i = 0; i < 500; i++) lines.push(`  e${i}: { uses: toy-emit, with: { value: ${i} } }`);
lines.push(`  a0: { uses: toy-add, in: { terms: [e0.out, e1.out] } }`);
for (let i = 1; i < 500; i++) {
  lines.push(`  a${i}: { uses: toy-add, in: { terms: [a${i - 1}.sum, e${i}.out] } }`);
}
const wfText = lines.join("\n") + "\n";
const wf = await parseWorkflow(wfText, join(dir, "big.yaml"), { resolveStep: resolveToy });
await runWorkflow(wf, { store, executor: new InlineExecutor() });

Deno.bench({
  name: "parse+validate 1,000-step workflow",
  group: "plan",
  baseline: true,
  n: 5,
  warmup: 1,
}, async () => {
  await parseWorkflow(wfText, join(dir, "big.yaml"), { resolveStep: resolveToy });
});
Deno.bench(
  { name: "plan 1,000-step workflow (all cached)", group: "plan", n: 5, warmup: 1 },
  async () => {
    const plan = await planWorkflow(wf, { store });
    if (plan.some((p) => p.status !== "cached")) throw new Error("expected all cached");
  },
);

const mb = Number(Deno.env.get("SRMIDAS_BENCH_HASH_MB") ?? 2048);
const big = join(dir, "input.bin");
{
  using f = await Deno.open(big, { write: true, create: true });
  const block = new Uint8Array(8 << 20);
  for (let i = 0; i < block.length; i += 4096) block[i] = i & 255;
  for (let i = 0; i < mb / 8; i++) await f.write(block);
}
const warm = new DigestCache();
await warm.fileDigest(big);

Deno.bench({
  name: `sha256sum (coreutils) ${mb} MB`,
  group: "hash",
  baseline: true,
  n: 2,
  warmup: 0,
}, async () => {
  const out = await new Deno.Command("sha256sum", { args: [big], stdout: "null" }).output();
  if (!out.success) throw new Error("sha256sum failed");
});
Deno.bench(
  { name: `cold: streamed SHA-256 ${mb} MB`, group: "hash", n: 2, warmup: 0 },
  async () => {
    await sha256File(big);
  },
);
Deno.bench({ name: `warm: stat fast path ${mb} MB`, group: "hash", n: 20, warmup: 1 }, async () => {
  await warm.fileDigest(big);
  if (warm.filesRead !== 1) throw new Error("fast path missed");
});

// A 1,440-frame scan's Temp/: CSVs of ~25 peaks each and the two consolidated binaries.
const temp = join(dir, "Temp");
await Deno.mkdir(temp);
const row = Array.from({ length: 29 }, (_, i) => (i * 1.2345).toFixed(6)).join("\t");
const csv = "header\n" + Array.from({ length: 25 }, () => row).join("\n") + "\n";
for (let f = 1; f <= 1440; f++) {
  await Deno.writeTextFile(join(temp, `scan.MIDAS.zip_${String(f).padStart(6, "0")}_PS.csv`), csv);
}
await Deno.writeFile(join(temp, "AllPeaks_PS.bin"), new Uint8Array(1440 * 25 * 29 * 8));
await Deno.writeFile(join(temp, "AllPeaks_PX.bin"), new Uint8Array(1440 * 25 * 400));
const pubDigests = new DigestCache();
let nPub = 0;
const republished = join(dir, "published-once");
await publishDir(temp, republished, pubDigests);

Deno.bench(
  { name: "publish reference: cp -r Temp/ (1,442 files)", group: "publish", baseline: true, n: 5 },
  async () => {
    const to = join(dir, `cp-${nPub++}`);
    const out = await new Deno.Command("cp", { args: ["-r", temp, to] }).output();
    if (!out.success) throw new Error("cp failed");
  },
);
Deno.bench({ name: "first publish (atomic copies + ledger)", group: "publish", n: 5 }, async () => {
  await publishDir(temp, join(dir, `pub-${nPub++}`), pubDigests);
});
Deno.bench({ name: "cached re-publish (nothing changed)", group: "publish", n: 20 }, async () => {
  const r = await publishDir(temp, republished, pubDigests);
  if (r.copied.length) throw new Error("expected nothing to copy");
});

globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
