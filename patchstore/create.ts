/**
 * Whole-patchstore synthesis: plan from a peakbank, render `nPatch` patches, stream them into an
 * HDF5 file (atomically). The step and the benchmark call this; the pieces live in
 * `synthesis.ts` (pure) and `h5.ts` (file format).
 *
 * @example
 * ```ts
 * import { createPatchstore } from "./create.ts";
 * import { defaultSynthesisConfig } from "./synthesis.ts";
 * import { syntheticPeakbank } from "./testdata.ts";
 * const cfg = defaultSynthesisConfig({ nPatch: 10, Ypx_BC: 1024, Zpx_BC: 1024 });
 * const stats = await createPatchstore(syntheticPeakbank(), cfg, "pst.h5");
 * stats.written; // ≤ 10 (blank patches are dropped)
 * ```
 * @module
 */
import { type CreationArgs, PatchstoreWriter } from "./h5.ts";
import { renderPatchesParallel } from "./parallel.ts";
import type { Peakbank } from "./peakbank_csv.ts";
import {
  planSynthesis,
  type RenderedPatch,
  type SynthesisConfig,
  synthesizePatch,
} from "./synthesis.ts";

/** Options of {@link createPatchstore}. */
export interface CreatePatchstoreOptions {
  /** Called every `progressEvery` attempted patches and at the end. */
  onProgress?: (done: number, total: number) => void;
  progressEvery?: number;
  /** Aborting removes the temporary file and throws. */
  signal?: AbortSignal;
  /** Stored under /pstCreationArgs (defaults to the config itself, lists dash-joined). */
  creationArgs?: CreationArgs;
  /** Names the peakbank in errors. */
  source?: string;
  batchSize?: number;
  /** Render on this many Workers (> 1); the file is byte-identical to a single-thread run. */
  threads?: number;
}

/** Counts after a run. */
export interface CreatePatchstoreStats {
  attempted: number;
  written: number;
  blank: number;
  rings: number[];
  nFiltered: number;
}

const INT_KEYS = new Set(["nPatch", "lrsz", "cvsz", "srfacSource", "seed", "maxTries"]);

/** sr-midas-style scalar creation args from a config (lists as `"1-2-4-8"`, counts as int64). */
export function creationArgsOf(cfg: SynthesisConfig): CreationArgs {
  const out: CreationArgs = {};
  for (const [k, v] of Object.entries(cfg)) {
    out[k] = Array.isArray(v) ? v.join("-") : INT_KEYS.has(k) ? BigInt(v) : v;
  }
  return out;
}

/** Synthesizes a patchstore into `outPath`; nothing appears there unless it succeeds. */
export async function createPatchstore(
  pb: Peakbank,
  cfg: SynthesisConfig,
  outPath: string,
  opts: CreatePatchstoreOptions = {},
): Promise<CreatePatchstoreStats> {
  const plan = planSynthesis(pb, cfg, opts.source);
  const writer = await PatchstoreWriter.create(outPath, {
    factors: cfg.srfacAll,
    lrsz: cfg.lrsz,
    maxPeaks: plan.maxPeaks,
  }, { batchSize: opts.batchSize });
  const every = Math.max(1, opts.progressEvery ?? 100);
  let blank = 0;
  const take = async (p: RenderedPatch | null, i: number) => {
    if (p) writer.append(p);
    else blank++;
    if ((i + 1) % every === 0 && i + 1 < cfg.nPatch) {
      opts.onProgress?.(i + 1, cfg.nPatch);
      await new Promise((r) => setTimeout(r, 0)); // let abort signals and loggers run
    }
  };
  try {
    if ((opts.threads ?? 1) > 1) {
      await renderPatchesParallel(pb, cfg, opts.threads!, take, {
        signal: opts.signal,
        source: opts.source,
      });
    } else {
      for (let i = 0; i < cfg.nPatch; i++) {
        opts.signal?.throwIfAborted();
        await take(synthesizePatch(plan, i), i);
      }
    }
    writer.commit(opts.creationArgs ?? creationArgsOf(cfg));
  } catch (e) {
    writer.abort();
    throw e;
  }
  opts.onProgress?.(cfg.nPatch, cfg.nPatch);
  return {
    attempted: cfg.nPatch,
    written: cfg.nPatch - blank,
    blank,
    rings: plan.rings.map((r) => r.radius),
    nFiltered: plan.nFiltered,
  };
}
