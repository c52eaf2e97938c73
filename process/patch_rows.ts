/**
 * The SR peaks of a batch of patches (process/sr_peaks.ts `srPatchRows`) on worker threads.
 *
 * The raw re-fit's model selection is most of an SR frame's time and each patch's is
 * independent, while the main thread has nothing to do while it waits: on two cores, two workers
 * take the fitting's wall time nearly in half. A task carries `srPatchRows`'s input without its
 * callbacks and what rebuilds them in the worker (the component's patch centres for `owns`, the
 * region's source for `onRegion`), so a task's rows are the same wherever it runs.
 *
 * @example
 * ```ts
 * import { PatchRowsPool } from "./patch_rows.ts";
 * const pool = new PatchRowsPool(2);
 * try {
 *   // const results = await pool.run(tasks); // one { rows, regions } per task, in order
 * } finally {
 *   pool.close();
 * }
 * ```
 * @module
 */
import type { PeakRecord } from "../fitting/native_search.ts";
import {
  formatRefitRegion,
  type RawRefit,
  type RefitRegionSource,
  type SrPatchInput,
  srPatchRows,
} from "./sr_peaks.ts";
import { type ComponentCentres, ownsAmong } from "./spots.ts";

/** One patch: `srPatchRows`'s arguments as plain data (its typed arrays are the task's own). */
export interface PatchTask {
  /** The SR patch (the cascade's output for this patch). */
  srPatch: Float64Array;
  input: Omit<SrPatchInput, "owns" | "raw"> & { raw?: Omit<RawRefit, "onRegion"> };
  /** The patch reports only the peaks nearer its own centre (process/spots.ts `ownsAmong`). */
  centres?: ComponentCentres;
  /** When set, every re-fit region comes back as a JSON line (`formatRefitRegion`). */
  regionSource?: RefitRegionSource;
}

/** A task's peaks, and its re-fit regions when asked for. */
export interface PatchResult {
  rows: PeakRecord[];
  regions: string[];
}

/** Runs one task here. Pure apart from the task's own buffers. */
export function patchRows(t: PatchTask): PatchResult {
  const regions: string[] = [];
  const at = t.regionSource, centres = t.centres;
  const rows = srPatchRows(t.srPatch, {
    ...t.input,
    owns: centres ? (y, z) => ownsAmong(centres, y, z) : undefined,
    raw: t.input.raw && {
      ...t.input.raw,
      onRegion: at ? (g) => regions.push(formatRefitRegion(g, at)) : undefined,
    },
  });
  return { rows, regions };
}

/**
 * Tasks handed to an idle worker at a time: small enough to even out patches whose split search
 * takes 100× another's, large enough that messages cost little against the fits.
 */
const CHUNK = 4;

/**
 * A pool of `threads` workers, started by {@link PatchRowsPool.start} or the first batch worth
 * sharing; with `threads` ≤ 1, or a batch of at most {@link CHUNK} tasks, tasks run on the
 * calling thread.
 */
export class PatchRowsPool {
  #threads: number;
  #workers: Worker[] = [];

  constructor(threads: number) {
    this.#threads = Math.max(1, Math.floor(threads));
  }

  /** Each task's result, in task order. Rejects with the first task's error. */
  run(tasks: PatchTask[]): Promise<PatchResult[]> {
    if (this.#threads <= 1 || tasks.length <= CHUNK) {
      return Promise.resolve(tasks.map(patchRows));
    }
    this.start();
    const results: PatchResult[] = new Array(tasks.length);
    return new Promise((resolve, reject) => {
      let next = 0, busy = 0, failed = false;
      const give = (w: Worker) => {
        if (failed) return;
        if (next >= tasks.length) {
          if (busy === 0) resolve(results);
          return;
        }
        const start = next, chunk = tasks.slice(start, start + CHUNK);
        next += chunk.length;
        busy++;
        w.onmessage = (ev: MessageEvent) => {
          busy--;
          const m = ev.data as { results?: PatchResult[]; error?: string };
          if (m.error !== undefined) {
            failed = true;
            reject(new Error(`re-fit worker: ${m.error}`));
            return;
          }
          m.results!.forEach((r, i) => (results[start + i] = r));
          give(w);
        };
        w.onerror = (ev: ErrorEvent) => {
          ev.preventDefault();
          failed = true;
          reject(new Error(`re-fit worker failed: ${ev.message}`));
        };
        // The SR patch is the task's own copy (the largest buffer): moved, not cloned.
        w.postMessage(chunk, chunk.map((t) => t.srPatch.buffer as ArrayBuffer));
      };
      for (const w of this.#workers) give(w);
    });
  }

  /**
   * Starts the workers now (no-op with one thread or when started): they load their modules
   * while the caller sets up, instead of in its first batch.
   */
  start(): void {
    if (this.#threads <= 1 || this.#workers.length > 0) return;
    const url = new URL("./patch_rows_worker.ts", import.meta.url).href;
    for (let i = 0; i < this.#threads; i++) {
      this.#workers.push(new Worker(url, { type: "module" }));
    }
  }

  /** Stops the workers (a later `run` starts new ones). */
  close(): void {
    for (const w of this.#workers) w.terminate();
    this.#workers = [];
  }
}
