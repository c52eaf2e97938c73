/**
 * Replays the raw re-fit's model selection (process/sr_peaks.ts `selectRegionPeaks`) on the
 * regions a real `process -srfac 8 --saveRefitRegions` run saved, against the scan's truth, so a
 * change to `fitting/model_select.ts` or to the split options is judged on a realistic scan's
 * own regions in a minute instead of a 10–20 minute scan (issue #12):
 *
 * - **pairs**: with `--pairs` (an evaluate report's `pairs.tsv`), every planted pair whose frame
 *   was saved: resolved when each spot has its own peak within 0.5 px (evaluate's rule), overall
 *   and among those the oracle resolves, and each pair whose verdict differs from the run's;
 * - **peaks** of the first `--frames` frames (default 60): truth spots of their own frame matched
 *   (recall), and peaks matched to no truth spot present in the frame within 1.5 px, one to one
 *   by distance (a proxy of precision's unmatched peaks). As in `process`, a patch keeps only the
 *   peaks nearer its own centre than its component's other patches'; patches of fewer than 9
 *   pixels are not fitted, hence not saved, and their peaks are missing here.
 *
 * `--split '{"minGain":10}'` overrides the saved split options. `--pool SCAN` gives regions saved
 * without their neighbouring frames' counts (a run with `refine_omega_frames 0`, or before it)
 * those counts from the scan, so the re-fit selects on the frames' sum as `process` does by
 * default (process/sr_peaks.ts `selectRegionPeaks`); `--pool-frames 2` reads f ± 2 instead
 * (`--repool`: also for regions saved with their neighbours, whose saved ones are dropped), and
 * `--save-pooled OUT.jsonl` writes the regions replayed with their neighbours, which replay without
 * the scan in a quarter of the time. `--pooled-model-error 0.045` overrides the model error on
 * summed frames.
 *
 * Run: `deno run -A bench/refit_replay.ts REGIONS.jsonl TRUTH.tsv [--pairs pairs.tsv]
 * [--frames 60] [--split JSON] [--pool SCAN_DIR [--pool-frames N] [--repool] [--save-pooled OUT]]
 * [--pooled-model-error E]`.
 * @module
 */
import { parseArgs } from "node:util";
import { parseTruthTable } from "../evaluation/truth_table.ts";
import { pairResolved } from "../evaluation/metrics.ts";
import { yzFromREta } from "../geometry/detector.ts";
import { findMidasZip } from "../midas/scan_dir.ts";
import { openMidasZip } from "../midas/zip_reader.ts";
import { formatRefitRegion, parseRefitRegion, selectRegionPeaks } from "../process/sr_peaks.ts";
import { ownsAmong } from "../process/spots.ts";

const { values: opt, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    pairs: { type: "string" },
    frames: { type: "string", default: "60" },
    split: { type: "string" },
    pool: { type: "string" },
    "pool-frames": { type: "string", default: "1" },
    repool: { type: "boolean", default: false },
    "save-pooled": { type: "string" },
    "pooled-model-error": { type: "string" },
    ybc: { type: "string", default: "1022" },
    zbc: { type: "string", default: "1022" },
  },
});
const [regionsPath, truthPath] = positionals;
if (!regionsPath || !truthPath) {
  throw new Error("usage: refit_replay.ts REGIONS.jsonl TRUTH.tsv [--pairs pairs.tsv] …");
}
const YBC = Number(opt.ybc), ZBC = Number(opt.zbc), LAST = Number(opt.frames) - 1;
const splitOverride = opt.split ? JSON.parse(opt.split) : {};
const truth = parseTruthTable(await Deno.readTextFile(truthPath), truthPath);
type Region = ReturnType<typeof parseRefitRegion>;
const byFrame = new Map<number, Region[]>();
// A resumed run may have written a frame's lines twice: keep one copy of each.
for (const line of new Set((await Deno.readTextFile(regionsPath)).split("\n"))) {
  if (!line.trim()) continue;
  const g = parseRefitRegion(line);
  byFrame.set(g.frame, [...(byFrame.get(g.frame) ?? []), g]);
}

const zip = opt.pool ? await openMidasZip(await findMidasZip(opt.pool)) : undefined;
const darkMean = zip ? await zip.darkMean() : undefined;
const frameCache = new Map<number, Promise<Float64Array>>();
/** Frame f's dark-subtracted counts (the last few frames kept: regions come frame by frame). */
function frameCounts(f: number): Promise<Float64Array> {
  let img = frameCache.get(f);
  if (!img) {
    img = zip!.readFrame(f).then((raw) => Float64Array.from(raw, (x, i) => x - darkMean![i]));
    frameCache.set(f, img);
    if (frameCache.size > 6) frameCache.delete(frameCache.keys().next().value!);
  }
  return img;
}

/**
 * `--pool`: the region with the same pixels' counts in frames f ± 1 (those the scan has), as
 * `process` passes them to the re-fit; a region saved with its neighbours keeps them.
 */
async function withNeighbours(g: Region): Promise<Region> {
  if (!zip || (g.neighbours && !opt.repool)) return g;
  const pix = Array.from(g.r, (r, i) => {
    const q = yzFromREta(r, g.eta[i], YBC, ZBC);
    return Math.round(q.zPx) * zip!.nY + Math.round(q.yPx);
  });
  const neighbours = [];
  const reach = Number(opt["pool-frames"]);
  for (let d = -reach; d <= reach; d++) {
    const f = g.frame + d;
    if (d === 0 || f < 0 || f >= zip.nFrames) continue;
    const t = performance.now();
    const img = await frameCounts(f);
    readMs += performance.now() - t;
    neighbours.push(Float64Array.from(pix, (k) => img[k]));
  }
  const out = { ...g, neighbours };
  if (opt["save-pooled"]) {
    const { frame, y00, z00, centres } = g;
    pooledLines.push(formatRefitRegion(out, { frame, y00, z00, centres }));
  }
  return out;
}

const fitted = new Map<Region, { y: number; z: number }[]>();
let fitMs = 0, readMs = 0;
/** `--save-pooled OUT`: the regions replayed, with their neighbours, for faster replays. */
const pooledLines: string[] = [];
async function peaksOf(g: Region) {
  let out = fitted.get(g);
  if (!out) {
    const r = {
      ...g,
      split: g.split && { ...g.split, ...splitOverride },
      pooledModelError: opt["pooled-model-error"] ? Number(opt["pooled-model-error"]) : undefined,
    };
    const t = performance.now();
    const peaks = selectRegionPeaks(await withNeighbours(r))?.fit.peaks ?? [];
    fitMs += performance.now() - t;
    // As `process`, a patch reports only the peaks nearer its own centre than its component's
    // other patches' (process/spots.ts `ownsAmong`).
    out = peaks.map((p) => yzFromREta(p.r, p.eta, YBC, ZBC)).map((q) => ({ y: q.yPx, z: q.zPx }))
      .filter((q) => !g.centres || ownsAmong(g.centres, q.y, q.z));
    fitted.set(g, out);
  }
  return out;
}

const t0 = performance.now();
if (opt.pairs) {
  const [head, ...rows] = (await Deno.readTextFile(opt.pairs)).trim().split("\n");
  const col = (name: string) => head.split("\t").findIndex((h) => h.startsWith(name));
  const [cF, cA, cB, cSep, cRatio, cRun, cOracle] = [
    "frame",
    "a",
    "b",
    "separationPx",
    "ratio",
    "resolved:",
    "oracle",
  ].map(col);
  let n = 0, resolved = 0, nOracle = 0, resolvedOracle = 0, byRun = 0;
  const changed: string[] = [];
  for (const row of rows) {
    const c = row.split("\t"), frame = Number(c[cF]), a = Number(c[cA]), b = Number(c[cB]);
    if (!byFrame.has(frame)) continue;
    n++;
    const oracle = c[cOracle] === "1", run = c[cRun] === "1";
    if (oracle) nOracle++;
    if (run) byRun++;
    // The region that holds spot a's centre pixel.
    const ya = Math.round(truth.y[a]), za = Math.round(truth.z[a]);
    const region = byFrame.get(frame)!.find((g) =>
      g.r.some((r, i) => {
        const q = yzFromREta(r, g.eta[i], YBC, ZBC);
        return Math.round(q.yPx) === ya && Math.round(q.zPx) === za;
      })
    );
    const peaks = region ? await peaksOf(region) : [];
    const near = (t: number) =>
      peaks.flatMap((p, k) => Math.hypot(p.y - truth.y[t], p.z - truth.z[t]) <= 0.5 ? [k] : []);
    const ok = pairResolved(near(a), near(b));
    if (ok) resolved++;
    if (ok && oracle) resolvedOracle++;
    if (ok !== run) {
      changed.push(`frame ${frame} ${c[cSep]} px ratio ${c[cRatio]}: ${ok ? "gained" : "lost"}`);
    }
  }
  console.log(
    `pairs: ${resolved} / ${n} resolved (the run: ${byRun}); of the oracle's ${nOracle}: ${resolvedOracle}`,
  );
  for (const s of changed) console.log(`  ${s}`);
}

let nPeaks = 0, unmatched = 0, nOwn = 0, ownMatched = 0;
for (let f = 0; f <= LAST; f++) {
  const regions = byFrame.get(f);
  if (!regions) continue;
  const present: number[] = [];
  for (let i = 0; i < truth.n; i++) {
    if (truth.firstFrame[i] <= f && truth.lastFrame[i] >= f) present.push(i);
  }
  const peaks = [];
  for (const g of regions) peaks.push(...await peaksOf(g));
  nPeaks += peaks.length;
  const cand: [number, number, number][] = [];
  peaks.forEach((p, k) => {
    for (const i of present) {
      const d = Math.hypot(p.y - truth.y[i], p.z - truth.z[i]);
      if (d <= 1.5) cand.push([d, k, i]);
    }
  });
  cand.sort((x, y) => x[0] - y[0]);
  const peakUsed = new Set<number>(), truthUsed = new Set<number>();
  for (const [, k, i] of cand) {
    if (peakUsed.has(k) || truthUsed.has(i)) continue;
    peakUsed.add(k);
    truthUsed.add(i);
  }
  unmatched += peaks.length - peakUsed.size;
  for (const i of present) {
    if (truth.frame[i] !== f) continue;
    nOwn++;
    if (truthUsed.has(i)) ownMatched++;
  }
}
zip?.close();
if (opt["save-pooled"]) await Deno.writeTextFile(opt["save-pooled"], pooledLines.join("\n") + "\n");
console.log(
  `frames 0–${LAST}: ${ownMatched} / ${nOwn} own-frame spots matched; ${nPeaks} peaks, ` +
    `${unmatched} matched to no spot within 1.5 px; ${
      ((performance.now() - t0) / 1000).toFixed(1)
    } s (fitting ${((fitMs - readMs) / 1000).toFixed(1)} s)`,
);
