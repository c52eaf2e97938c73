/**
 * Renders patches on several Workers and hands them back **in index order**, so the file is
 * byte-identical to a single-threaded run (each patch has its own random stream).
 *
 * At most `2 × threads` ranges of `rangeSize` patches are in flight, which bounds memory.
 *
 * @example
 * ```ts
 * import { renderPatchesParallel } from "./parallel.ts";
 * import { defaultSynthesisConfig } from "./synthesis.ts";
 * import { syntheticPeakbank } from "./testdata.ts";
 * const cfg = defaultSynthesisConfig({ nPatch: 32, Ypx_BC: 1024, Zpx_BC: 1024 });
 * let n = 0;
 * await renderPatchesParallel(syntheticPeakbank(), cfg, 2, (p) => { if (p) n++; });
 * ```
 * @module
 */
import type { Peakbank } from "./peakbank_csv.ts";
import type { RenderedPatch, SynthesisConfig } from "./synthesis.ts";

/** Options of {@link renderPatchesParallel}. */
export interface ParallelOptions {
  rangeSize?: number;
  signal?: AbortSignal;
  source?: string;
}

/**
 * Calls `onPatch(patch, index)` for index 0 … nPatch−1 in order (null = blank patch).
 * Rejects with the first worker error; all workers are terminated in every case.
 */
export async function renderPatchesParallel(
  peakbank: Peakbank,
  cfg: SynthesisConfig,
  threads: number,
  onPatch: (p: RenderedPatch | null, index: number) => void | Promise<void>,
  opts: ParallelOptions = {},
): Promise<void> {
  const rangeSize = Math.max(1, opts.rangeSize ?? 8);
  const nWorkers = Math.max(1, Math.min(threads, Math.ceil(cfg.nPatch / rangeSize)));
  const workers = Array.from(
    { length: nWorkers },
    () => new Worker(new URL("./render_worker.ts", import.meta.url).href, { type: "module" }),
  );
  try {
    const results = new Map<number, (RenderedPatch | null)[]>();
    let nextStart = 0; // next range to hand out
    let nextEmit = 0; // next patch index to emit
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const notify = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const idle: Worker[] = [];
    const dispatch = () => {
      while (
        idle.length && nextStart < cfg.nPatch && nextStart - nextEmit < 2 * nWorkers * rangeSize
      ) {
        const w = idle.pop()!;
        const end = Math.min(cfg.nPatch, nextStart + rangeSize);
        w.postMessage({ type: "render", start: nextStart, end });
        nextStart = end;
      }
    };
    opts.signal?.addEventListener("abort", notify, { once: true });
    for (const w of workers) {
      w.onmessage = (ev: MessageEvent) => {
        const m = ev.data;
        if (m.type === "error") failure ??= new Error(m.message);
        else {
          if (m.type === "done") results.set(m.start, m.patches);
          idle.push(w);
        }
        notify();
      };
      w.onerror = (ev: ErrorEvent) => {
        ev.preventDefault();
        failure ??= new Error(`patchstore worker failed: ${ev.message}`);
        notify();
      };
      w.postMessage({ type: "init", peakbank, cfg, source: opts.source });
    }
    while (nextEmit < cfg.nPatch) {
      opts.signal?.throwIfAborted();
      if (failure) throw failure;
      const ready = results.get(nextEmit);
      if (ready) {
        results.delete(nextEmit);
        for (const p of ready) await onPatch(p, nextEmit++);
        dispatch();
        continue;
      }
      dispatch();
      await new Promise<void>((r) => (wake = r));
    }
  } finally {
    for (const w of workers) w.terminate();
  }
}
