/**
 * The `process` job (sr-midas-seed §10, `run_sr_process`) as a library function: validate the
 * scan and settings, then stream the frames (decoded in a worker while the previous frame
 * computes), correct them, find spots and emit MIDAS rows per frame into a resumable frame
 * log, and finally write `Temp/` (per-frame `_PS.csv`, `AllPeaks_PS.bin`, `AllPeaks_PX.bin`)
 * and `SR_out/` (config, parameters, ring map, optional goodCoords maps and SR patches).
 *
 * - `srfac 1`: MIDAS's native search per frame (`nativePeakSearch`, the baseline);
 * - `srfac 2|4|8`: spots → 20×20 patches → cascade inference batched across frames → final
 *   level rescaled to raw counts → COM / PV / auto localization on the physically centred grid.
 *
 * Every bad input is an Error before the first frame: no `.MIDAS.zip`, no `hkls.csv`, a
 * `RingThresh` ring absent from `hkls.csv`, an invalid SR config, missing models or a model
 * whose factor does not match its level. Unlike sr-midas, nothing is wiped: outputs go to a
 * fresh directory, and progress survives a kill in `checkpointDir` (`skipFitIfExists no` starts
 * over). Memory is bounded by a few frames plus one inference batch.
 *
 * @example
 * ```ts
import { runProcess } from "./run.ts";
 * await runProcess({ scanDir: "out/simulate/scan", outDir: "peaks", checkpointDir: "ck", srfac: 1 });
 * ```
 * @module
 */
import { findScanZip } from "../midas/scan_dir.ts";
import { dirname } from "node:path";
import { FramePipeline } from "../midas/frame_stream.ts";
import { readHkls, ringRadiiPx } from "../midas/hkls.ts";
import { detectorGeometry, frameOmega, type MidasParams } from "../midas/params.ts";
import { openMidasZip } from "../midas/zip_reader.ts";
import { radiusMapPx, ringIndexMap } from "../geometry/ring_map.ts";
import {
  nativePeakSearch,
  type PeakRecord,
  peakRecordRow,
  thresholdFrame,
} from "../fitting/native_search.ts";
import {
  boxSignificance,
  countVarianceModel,
  estimateNoise,
  isRealSpot,
  type NoiseModel,
} from "../fitting/noise_filter.ts";
import { writeNpy } from "../nn/io/npy.ts";
import { correctFrame, makeCorrection, transformImage } from "./preprocess.ts";
import {
  isYes,
  levelArgs,
  loadSrConfig,
  peakShapeMode,
  refinesOnRaw,
  refineSplits,
  refineUsesBic,
  type SrConfig,
} from "./sr_config.ts";
import { type Cascade, loadCascade, runCascade } from "./cascade.ts";
import {
  componentCentres,
  extractSpotPatches,
  patchWindows,
  pixelPairsYZ,
  RING_MAX_SNR,
  type SpotPatches,
} from "./spots.ts";
import { PatchRowsPool, type PatchTask } from "./patch_rows.ts";
import { FrameLog } from "./frame_log.ts";
import { writePeakTables } from "./outputs.ts";

/** Progress/log sink (the step context's logger). */
export interface ProcessLogger {
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  progress(done: number, total: number, label?: string): void;
}

/** Milliseconds spent per stage (filled when passed in). */
export interface StageTimes {
  setup: number;
  decode: number;
  preprocess: number;
  /** Spot finding (+ fitting for srfac 1, where the native search does both). */
  spots: number;
  inference: number;
  fitting: number;
  writing: number;
}

/** Options of {@link runProcess}. */
export interface ProcessOptions {
  /** MIDAS analysis directory: `*.MIDAS.zip` + `hkls.csv`. */
  scanDir: string;
  /** Which `*.MIDAS.zip` of the scan directory (needed when it holds several). */
  zip?: string;
  /** SR config (.json/.txt); default the bundled one. */
  configPath?: string;
  /** Folder of model folders overriding the bundled `models/`. */
  modelsDir?: string;
  srfac: 1 | 2 | 4 | 8;
  /** Output folder (gets `Temp/` and `SR_out/`). */
  outDir: string;
  checkpointDir: string;
  saveSRpatches?: boolean;
  saveFrameGoodCoords?: boolean;
  /**
   * SR with the raw re-fit: append every region's model-selection input to
   * `SR_out/refit_regions.jsonl` (process/sr_peaks.ts `formatRefitRegion`).
   */
  saveRefitRegions?: boolean;
  /**
   * Noisy scans: reject pure-noise components (fitting/noise_filter.ts) and, for `srfac 1`, seed
   * fits only at prominent maxima (fitting/prominent_maxima.ts). Default: on for SR (srfac > 1),
   * whose peaks are judged against the detector's noise anyway; off for srfac 1, which stays
   * MIDAS's own search (tests/midas_parity_test.ts).
   */
  noiseRule?: boolean;
  /** Inclusive [first, last] frame range, 0-based after SkipFrame; default all. */
  frames?: [number, number];
  /**
   * `[index, count]`: process only the index-th of `count` contiguous parts of the frame range
   * ({@link shardFrames}); `merge-peaks` joins the parts into the unsharded output.
   */
  shard?: [number, number];
  log?: ProcessLogger;
  signal?: AbortSignal;
  /**
   * CPU threads: ORT's for the cascade and, for SR, workers that find each patch's peaks and run
   * its raw re-fit (process/patch_rows.ts); default 1 (no workers).
   */
  threads?: number;
  /** Frames decoded ahead (default 2). */
  readAhead?: number;
  times?: StageTimes;
}

/** Summary of a run. */
export interface ProcessSummary {
  zip: string;
  nFrames: number;
  processed: number;
  resumedFrom: number;
  peaks: number;
}

const quiet: ProcessLogger = { info() {}, warn() {}, progress() {} };

/** Validated, loaded inputs (everything checked before any frame). */
interface Setup {
  zipPath: string;
  zipName: string;
  params: MidasParams;
  cfg: SrConfig;
  cascade: Cascade | null;
  ringMap: Int16Array;
  ringThresh: Float64Array;
  nZ: number;
  nY: number;
  first: number;
  last: number;
  nFrames: number;
}

async function readResidualMap(
  p: MidasParams,
  scanDir: string,
  npx: number,
): Promise<Float64Array | undefined> {
  const name = p.ResidualCorrectionMap?.trim();
  if (!name) return undefined;
  const path = name.startsWith("/") ? name : `${scanDir}/${name}`;
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new Error(`${path}: ResidualCorrectionMap: cannot read (${(e as Error).message})`);
  }
  if (bytes.length !== npx * 8) {
    throw new Error(
      `${path}: ResidualCorrectionMap: ${bytes.length} bytes, expected ${npx} float64`,
    );
  }
  return new Float64Array(bytes.slice().buffer);
}

async function setup(
  o: ProcessOptions,
  log: ProcessLogger,
): Promise<Setup & { close(): void; corr: ReturnType<typeof makeCorrection> }> {
  const zipName = await findScanZip(o.scanDir, o.zip);
  const zipPath = `${o.scanDir}/${zipName}`;
  const hklsPath = `${o.scanDir}/hkls.csv`;
  try {
    await Deno.stat(hklsPath);
  } catch {
    throw new Error(`${hklsPath}: missing (the scan directory needs hkls.csv next to ${zipName})`);
  }
  const cfg = await loadSrConfig(o.configPath);
  const zip = await openMidasZip(zipPath);
  try {
    const params = await zip.params();
    if (params.RingThresh.length === 0) {
      throw new Error(`${zipPath}: analysis_parameters/RingThresh: no rings`);
    }
    const ringRadii = ringRadiiPx(
      await readHkls(hklsPath),
      params.RingThresh.map((r) => Math.round(r[0])),
      params.PixelSize,
      hklsPath,
    );
    const nFrames = zip.nFrames - params.SkipFrame;
    if (nFrames <= 0) {
      throw new Error(
        `${zipPath}: SkipFrame ${params.SkipFrame} leaves no frames of ${zip.nFrames}`,
      );
    }
    const range = o.frames ?? [0, nFrames - 1];
    if (!(range[0] >= 0 && range[1] >= range[0] && range[1] < nFrames)) {
      throw new Error(
        `process: frames [${range[0]}, ${range[1]}] outside 0…${nFrames - 1} (after SkipFrame)`,
      );
    }
    const [first, last] = o.shard ? shardFrames(range, o.shard) : range;
    if (o.srfac !== 1 && cfg.lrsz !== 20) {
      log.warn(`SR config lrsz ${cfg.lrsz} (models were trained on 20)`);
    }
    const corr = makeCorrection({
      nZ: zip.nZ,
      nY: zip.nY,
      imTransOpt: params.ImTransOpt,
      dark: await zip.darkMean(params.SkipFrame),
      flood: await zip.flood(),
      mask: await zip.mask(),
      bc: params.ReferenceRingCurrent,
      badPxIntensity: params.BadPxIntensity,
    });
    const { nZ, nY } = corr;
    // The residual map is stored in the detector layout; the ring map lives in the transformed one.
    const residual = await readResidualMap(params, o.scanDir, nZ * nY);
    const resT = residual
      ? transformImage(
        { data: residual, nZ: zip.nZ, nY: zip.nY },
        params.ImTransOpt,
        (n) => new Float64Array(n),
      ).data
      : undefined;
    const rMap = radiusMapPx(detectorGeometry(params, nY, nZ), resT);
    const ringMap = ringIndexMap(rMap, ringRadii, params.Width / params.PixelSize);
    const cascade = o.srfac === 1 ? null : await loadCascade(cfg, o.srfac, {
      configDir: o.configPath ? dirname(o.configPath) : undefined,
      overrideDir: o.modelsDir,
      threads: o.threads,
      maxBatch: cfg.batch_size,
    });
    return {
      zipPath,
      zipName,
      params,
      cfg,
      cascade,
      ringMap,
      ringThresh: Float64Array.from(params.RingThresh.map((r) => r[1])),
      nZ,
      nY,
      first,
      last,
      nFrames,
      corr,
      close: () => zip.close(),
    };
  } catch (e) {
    zip.close();
    throw e;
  }
}

function jsonable(x: unknown): unknown {
  return JSON.parse(
    JSON.stringify(
      x,
      (_k, v) => ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v,
    ),
  );
}

/** Frame data waiting for the next inference batch (SR path). */
interface PendingFrame {
  frame: number;
  omega: number;
  spots: SpotPatches;
  /** The frame's count variance model for the raw re-fit's BIC (absent: F-test). */
  noise?: { gain: number; readSigma: number };
  /**
   * With `refine_omega_frames`: [count, P, P] windows of the neighbouring frames (f − 1, f + 1,
   * those the scan has) under the patches (process/spots.ts `patchWindows`).
   */
  neighbours?: Float64Array[];
}

/**
 * Frames of shard `index` of `count` over the inclusive range `[first, last]`: contiguous,
 * sizes differing by at most one, together the whole range. Throws when a shard would be empty.
 */
export function shardFrames(
  [first, last]: [number, number],
  [index, count]: [number, number],
): [number, number] {
  const n = last - first + 1;
  if (!(Number.isInteger(count) && count >= 1 && index >= 0 && index < count)) {
    throw new Error(`process: shard [${index}, ${count}]: expected 0 ≤ index < count`);
  }
  if (count > n) {
    throw new Error(`process: shard count ${count} exceeds the ${n} frame(s) to process`);
  }
  return [
    first + Math.floor((index * n) / count),
    first + Math.floor(((index + 1) * n) / count) - 1,
  ];
}

/** Runs the whole job (see module doc). */
export async function runProcess(opts: ProcessOptions): Promise<ProcessSummary> {
  const o = { ...opts, noiseRule: opts.noiseRule ?? opts.srfac > 1 };
  const log = o.log ?? quiet;
  const t = o.times;
  const clock = () => performance.now();
  const t0 = clock();
  const s = await setup(o, log);
  const { params, cfg, ringMap, ringThresh, nZ, nY } = s;
  const srOut = `${o.outDir}/SR_out`;
  // The SR peaks and their re-fit, on as many workers as the step's threads.
  const fitPool = new PatchRowsPool(o.threads ?? 1);
  if (s.cascade) fitPool.start();
  const frameLog = await FrameLog.open(
    o.checkpointDir,
    { zip: s.zipName, srfac: o.srfac, cfg, noiseRule: !!o.noiseRule, version: 1 },
    { fresh: !isYes(cfg.skipFitIfExists) },
  );
  try {
    await Deno.mkdir(srOut, { recursive: true });
    await Deno.writeTextFile(`${srOut}/sr_config.json`, JSON.stringify(cfg, null, 2) + "\n");
    await Deno.writeTextFile(
      `${srOut}/sr_params.json`,
      JSON.stringify(jsonable(params), null, 2) + "\n",
    );
    await writeNpy(`${srOut}/RingNrmap.npy`, Float32Array.from(ringMap), [nZ, nY]);
    if (o.saveFrameGoodCoords) await Deno.mkdir(`${srOut}/frame_goodCoords`, { recursive: true });
    if (o.saveSRpatches && s.cascade) await Deno.mkdir(`${srOut}/SR_patches`, { recursive: true });
    if (t) t.setup += clock() - t0;

    const todo: number[] = [];
    for (let f = s.first; f <= s.last; f++) if (!frameLog.has(f)) todo.push(f);
    const resumedFrom = todo.length > 0 ? todo[0] : s.last + 1;
    const total = s.last - s.first + 1;
    let done = total - todo.length;
    // After a resume the counts include the frames already done, so nothing looks lost.
    let peakCount = 0;
    for (const [f, e] of frameLog.index) if (f >= s.first && f <= s.last) peakCount += e.nPeaks;
    if (done > 0) {
      log.info(`resuming: ${done} of ${total} frames already done`, { firstTodo: resumedFrom });
      log.progress(done, total, `frames (resumed, ${peakCount} peaks)`);
    }
    log.info("process setup", {
      zip: s.zipName,
      frames: s.nFrames,
      todo: todo.length,
      srfac: o.srfac,
      rings: ringThresh.length,
      detector: `${nZ}×${nY}`,
    });

    const mode = peakShapeMode(cfg);
    const refine = refinesOnRaw(cfg);
    // BIC in the raw re-fit needs the frame's noise (measured per frame, as the noise rule does).
    const bic = refine && o.srfac > 1 && refineUsesBic(cfg);
    const split = bic ? refineSplits(cfg) : undefined;
    // The re-fit's below-threshold ring, in px (0 = none: srfac 1 or `refine_ring_px 0`). The
    // noise rule's 3×3-box test keeps spots whose few pixels over the threshold do not localize
    // them, so it runs only where the ring re-fit does: with MIDAS's fit (srfac 1) those spots'
    // peaks land 1.5–3 px off and count as spurious (issue #12).
    const ringPx = s.cascade && refine ? cfg.refine_ring_px : 0;
    // Neighbouring frames the re-fit may sum with each frame (process/sr_peaks.ts): a frame's
    // patches wait for the next frame's windows, and the stream reaches one frame past the
    // todo frames on each side, so a shard or a resumed run fits as the whole run does.
    const omegaFrames = bic && s.cascade ? cfg.refine_omega_frames : 0;
    const la = o.srfac > 1 ? levelArgs(cfg, o.srfac) : null;
    if (la && (la.gaussSigma > 0 || la.medianSize > 1)) {
      log.warn(
        "peak_find_args gauss_filter_sigma/median_filter_size are not applied (bundled defaults are identity)",
      );
    }
    let spotCount = 0;
    const resumed = done > 0;
    let corrected = new Float64Array(nZ * nY);
    let previous = omegaFrames > 0 ? new Float64Array(nZ * nY) : corrected;
    let previousFrame = Number.NaN;
    const pending: PendingFrame[] = [];
    let pendingPatches = 0;
    /** A frame whose patches still wait for the next frame's windows. */
    let waiting: PendingFrame | null = null;

    const commit = async (frame: number, recs: PeakRecord[], nSpots: number) => {
      const tw = clock();
      const rows = new Float64Array(recs.length * 29);
      const pixels: Int16Array[] = [];
      recs.forEach((r, i) => {
        r.spotId = i + 1;
        rows.set(peakRecordRow(r), i * 29);
        pixels.push(pixelPairsYZ(r.pixels, nY));
      });
      await frameLog.append(frame, rows, pixels);
      if (t) t.writing += clock() - tw;
      spotCount += nSpots;
      peakCount += recs.length;
      done++;
      log.progress(
        done,
        total,
        `frames (${spotCount} spots${resumed ? " in this run" : ""}, ${peakCount} peaks)`,
      );
    };

    const flush = async () => {
      if (pending.length === 0) return;
      const P = cfg.lrsz, n = pendingPatches;
      const all = new Float64Array(n * P * P);
      let k = 0;
      for (const p of pending) {
        all.set(p.spots.patches, k * P * P);
        k += p.spots.count;
      }
      let ti = clock();
      const out = await runCascade(s.cascade!, all, n, P);
      if (t) t.inference += clock() - ti;
      const S = o.srfac, m = (P * S) ** 2;
      const tasks: PatchTask[] = [];
      const args = { ...la!, edgeBoundCutoffFac: cfg.edge_bound_cutoff_fac };
      k = 0;
      for (const p of pending) {
        for (let j = 0; j < p.spots.count; j++, k++) {
          const centres = componentCentres(p.spots, j);
          const raw = p.spots.patches.subarray(j * P * P, (j + 1) * P * P);
          let rawMax = 0;
          for (const x of raw) rawMax = Math.max(rawMax, x);
          tasks.push({
            srPatch: out.final.subarray(k * m, (k + 1) * m),
            centres,
            regionSource: o.saveRefitRegions
              ? { frame: p.frame, y00: p.spots.y00[j], z00: p.spots.z00[j], centres }
              : undefined,
            input: {
              s: S,
              lowResSize: P,
              y00: p.spots.y00[j],
              z00: p.spots.z00[j],
              ybc: params.YCen,
              zbc: params.ZCen,
              omega: p.omega,
              nPx: p.spots.nPx[j],
              rawMax,
              rawSum: p.spots.patchSum[j],
              mode,
              args,
              pixels: p.spots.pixels[j],
              raw: refine
                ? {
                  patch: raw,
                  threshold: ringThresh[ringMap[p.spots.pixels[j][0]]],
                  noise: p.noise,
                  split,
                  ring: p.spots.ring?.subarray(j * P * P, (j + 1) * P * P),
                  neighbours: p.neighbours?.length
                    ? p.neighbours.map((w) => w.subarray(j * P * P, (j + 1) * P * P))
                    : undefined,
                }
                : undefined,
            },
          });
        }
      }
      ti = clock();
      const results = await fitPool.run(tasks);
      if (t) t.fitting += clock() - ti;
      k = 0;
      for (const p of pending) {
        o.signal?.throwIfAborted();
        const recs: PeakRecord[] = [];
        const nPeaksPerPatch: number[] = [];
        const regions: string[] = [];
        for (let j = 0; j < p.spots.count; j++, k++) {
          nPeaksPerPatch.push(results[k].rows.length);
          recs.push(...results[k].rows);
          regions.push(...results[k].regions);
        }
        if (regions.length > 0) {
          // Before the frame's commit: a run killed in between repeats the frame's lines, never
          // loses them (the replay bench skips repeated lines).
          const text = regions.join("\n") + "\n";
          await Deno.writeTextFile(`${srOut}/refit_regions.jsonl`, text, { append: true });
        }
        if (o.saveSRpatches) {
          await saveSrPatches(
            srOut,
            p,
            out.levels,
            k - p.spots.count,
            nPeaksPerPatch,
            P,
            params.Padding,
          );
        }
        await commit(p.frame, recs, new Set(p.spots.component).size);
      }
      pending.length = 0;
      pendingPatches = 0;
    };
    const enqueue = async (p: PendingFrame) => {
      pending.push(p);
      pendingPatches += p.spots.count;
      if (pendingPatches >= cfg.batch_size) await flush();
    };

    if (todo.length > 0) {
      const pipe = await FramePipeline.open(s.zipPath);
      try {
        // Frames are streamed over [first todo, last] (± omegaFrames as context for the
        // re-fit's summed frames); finished frames that are no todo frame's neighbour are skipped.
        const skip = params.SkipFrame;
        const todoSet = new Set(todo);
        const it = pipe.frames({
          start: skip + Math.max(todo[0] - omegaFrames, 0),
          end: skip + Math.min(s.last + 1 + omegaFrames, s.nFrames),
          readAhead: o.readAhead ?? 2,
        });
        let td = clock();
        for await (const fr of it) {
          if (t) t.decode += clock() - td;
          o.signal?.throwIfAborted();
          const f = fr.index - skip;
          const context = omegaFrames > 0 && (todoSet.has(f - 1) || todoSet.has(f + 1));
          if (!todoSet.has(f) && !context) {
            td = clock();
            continue;
          }
          let tp = clock();
          correctFrame(fr.data, s.corr, corrected);
          if (t) t.preprocess += clock() - tp;
          if (waiting && waiting.frame === f - 1) {
            waiting.neighbours!.push(patchWindows(waiting.spots, corrected, nY, nZ));
            await enqueue(waiting);
            waiting = null;
          }
          if (!todoSet.has(f)) {
            [previous, corrected, previousFrame] = [corrected, previous, f];
            td = clock();
            continue;
          }
          tp = clock();
          const omega = frameOmega(params, f);
          let noise: NoiseModel | null = null;
          if (o.noiseRule || bic) {
            const nm = estimateNoise(corrected, { ringNr: ringMap });
            noise = nm.sigma > 0 ? nm : null;
          }
          const fitNoise = bic && noise ? countVarianceModel(noise) : undefined;
          // The noise rule (fitting/noise_filter.ts), with the 3×3-box test where ringPx > 0.
          const nm = noise;
          const realSpot = nm
            ? (values: Float64Array, threshold: number, pixels: Int32Array) =>
              isRealSpot(
                values,
                { noise: nm, threshold },
                ringPx > 0 ? () => boxSignificance(corrected, nY, nZ, pixels, nm) : undefined,
              )
            : undefined;
          if (o.saveFrameGoodCoords) {
            const gc = thresholdFrame(corrected, ringMap, ringThresh);
            await writeNpy(
              `${srOut}/frame_goodCoords/${String(f).padStart(params.Padding, "0")}_GC.npy`,
              Float32Array.from(gc),
              [nZ, nY],
            );
          }
          if (!s.cascade) {
            const res = nativePeakSearch(corrected, {
              width: nY,
              height: nZ,
              ybc: params.YCen,
              zbc: params.ZCen,
              ringNr: ringMap,
              ringThresholds: ringThresh,
              minNrPx: params.MinNrPx,
              maxNrPx: params.MaxNrPx,
              maxNPeaks: params.MaxNPeaks,
              upperBoundThreshold: params.UpperBoundThreshold,
              omega,
              mask: s.corr.mask,
              keepRegion: o.noiseRule && noise
                ? (r) => realSpot!(r.values, r.threshold, r.pixels)
                : undefined,
              prominence: o.noiseRule && noise ? { noise } : undefined,
            });
            if (t) t.spots += clock() - tp;
            await commit(f, res.peaks, res.nRegions - res.nSaturated - res.nRejected);
          } else {
            const thr = thresholdFrame(corrected, ringMap, ringThresh);
            const spots = extractSpotPatches(thr, nZ, nY, {
              patchSize: cfg.spot_find_args.patch_size,
              minPxCount: cfg.minPxCount,
              maxNrPx: params.MaxNrPx,
              upperBoundThreshold: params.UpperBoundThreshold,
              prominence: o.noiseRule && noise ? { noise } : undefined,
              ring: ringPx > 0
                ? {
                  frame: corrected,
                  px: ringPx,
                  maxPeak: noise ? noise.mean + RING_MAX_SNR * noise.sigma : undefined,
                }
                : undefined,
              keep: o.noiseRule && noise
                ? (st) => realSpot!(st.values, ringThresh[ringMap[st.firstPixel]], st.pixels)
                : undefined,
            });
            if (t) t.spots += clock() - tp;
            const entry: PendingFrame = { frame: f, omega, spots, noise: fitNoise };
            if (omegaFrames > 0) {
              entry.neighbours = previousFrame === f - 1
                ? [patchWindows(spots, previous, nY, nZ)]
                : [];
              waiting = entry;
            } else await enqueue(entry);
          }
          if (omegaFrames > 0) [previous, corrected, previousFrame] = [corrected, previous, f];
          td = clock();
        }
        // The scan's last frame has no next one.
        if (waiting) await enqueue(waiting);
        await flush();
      } finally {
        pipe.close();
      }
    }
    const tw = clock();
    const peaks = await writePeakTables(frameLog, {
      tempDir: `${o.outDir}/Temp`,
      nFrames: s.nFrames,
      nrPixels: Math.max(nY, nZ),
      zipName: s.zipName,
      padding: params.Padding,
    });
    if (t) t.writing += clock() - tw;
    log.info("process done", { peaks, frames: total });
    return { zip: s.zipName, nFrames: s.nFrames, processed: todo.length, resumedFrom, peaks };
  } finally {
    fitPool.close();
    frameLog.close();
    s.close();
    await s.cascade?.release();
  }
}

async function saveSrPatches(
  srOut: string,
  p: PendingFrame,
  levels: Map<number, Float32Array>,
  firstPatch: number,
  nPeaks: number[],
  P: number,
  padding: number,
): Promise<void> {
  const dir = `${srOut}/SR_patches`;
  const tag = String(p.frame).padStart(padding, "0");
  const n = p.spots.count;
  await writeNpy(`${dir}/${tag}_SRx1_exp.npy`, Float32Array.from(p.spots.patches), [n, 1, P, P]);
  for (const [lvl, arr] of levels) {
    const m = (P * lvl) ** 2;
    await writeNpy(
      `${dir}/${tag}_SRx${lvl}_pred.npy`,
      arr.slice(firstPatch * m, (firstPatch + n) * m),
      [n, 1, P * lvl, P * lvl],
    );
  }
  const lines = [",Y00,Z00,nr_pixels_in_patch,patches_Isum,n_peaks_in_patches"];
  for (let j = 0; j < n; j++) {
    lines.push(
      [j, p.spots.y00[j], p.spots.z00[j], p.spots.nPx[j], p.spots.patchSum[j], nPeaks[j]].join(","),
    );
  }
  await Deno.writeTextFile(`${dir}/${tag}_patches_info.csv`, lines.join("\n") + "\n");
}
