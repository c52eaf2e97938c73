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

/**
 * One patch: `srPatchRows`'s arguments as plain data. Its typed arrays may be views into a
 * batch's buffers: the pool copies what it sends to a worker.
 */
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
 * `x` with every typed-array view that does not span its buffer copied (recursively through plain
 * objects and arrays), the copies' buffers pushed to `moved`: a posted view would carry its whole
 * buffer (a batch's patches) along, and only a copy may be moved rather than cloned.
 */
function ownArrays<T>(x: T, moved: ArrayBuffer[]): T {
  if (ArrayBuffer.isView(x)) {
    const v = x as unknown as Float64Array;
    if (v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) return x;
    const copy = v.slice();
    moved.push(copy.buffer);
    return copy as unknown as T;
  }
  if (Array.isArray(x)) return x.map((e) => ownArrays(e, moved)) as T;
  if (x && typeof x === "object") {
    return Object.fromEntries(Object.entries(x).map(([k, e]) => [k, ownArrays(e, moved)])) as T;
  }
  return x;
}

/**
 * Tasks handed to an idle worker at a time: small enough to even out patches whose split search
 * takes 100× another's, large enough that messages cost little against the fits.
 */
const CHUNK = 4;

/** A chunk of one run's tasks, queued for a worker. */
interface Chunk {
  tasks: PatchTask[];
  done(results: PatchResult[]): void;
  fail(e: Error): void;
}

/**
 * A pool of `threads` workers, started by {@link PatchRowsPool.start} or the first batch worth
 * sharing; with `threads` ≤ 1, or a batch of at most {@link CHUNK} tasks, tasks run on the
 * calling thread. Runs may overlap: their chunks queue and are served in order.
 */
export class PatchRowsPool {
  #threads: number;
  #idle: Worker[] = [];
  #busy = new Map<Worker, Chunk>();
  #queue: Chunk[] = [];
  #broken: Error | undefined;

  constructor(threads: number) {
    this.#threads = Math.max(1, Math.floor(threads));
  }

  /** Each task's result, in task order. Rejects with the first failing task's error. */
  run(tasks: PatchTask[]): Promise<PatchResult[]> {
    if (this.#threads <= 1 || tasks.length <= CHUNK) {
      return Promise.resolve(tasks.map(patchRows));
    }
    this.start();
    if (this.#broken) return Promise.reject(this.#broken);
    return new Promise((resolve, reject) => {
      const results: PatchResult[] = new Array(tasks.length);
      let left = Math.ceil(tasks.length / CHUNK), failed = false;
      for (let start = 0; start < tasks.length; start += CHUNK) {
        this.#queue.push({
          tasks: tasks.slice(start, start + CHUNK),
          done: (r) => {
            r.forEach((x, i) => (results[start + i] = x));
            if (--left === 0 && !failed) resolve(results);
          },
          fail: (e) => {
            if (!failed) reject(e);
            failed = true;
          },
        });
      }
      this.#pump();
    });
  }

  /** Hands queued chunks to idle workers. */
  #pump(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const w = this.#idle.pop()!, c = this.#queue.shift()!;
      this.#busy.set(w, c);
      const moved: ArrayBuffer[] = [];
      w.postMessage(c.tasks.map((t) => ownArrays(t, moved)), moved);
    }
  }

  /**
   * Starts the workers now (no-op with one thread or when started): they load their modules
   * while the caller sets up, instead of in its first batch.
   */
  start(): void {
    if (this.#threads <= 1 || this.#idle.length + this.#busy.size > 0) return;
    const url = new URL("./patch_rows_worker.ts", import.meta.url).href;
    for (let i = 0; i < this.#threads; i++) {
      const w = new Worker(url, { type: "module" });
      w.onmessage = (ev: MessageEvent) => {
        const c = this.#busy.get(w)!, m = ev.data as { results?: PatchResult[]; error?: string };
        this.#busy.delete(w);
        this.#idle.push(w);
        if (m.error !== undefined) c.fail(new Error(`re-fit worker: ${m.error}`));
        else c.done(m.results!);
        this.#pump();
      };
      w.onerror = (ev: ErrorEvent) => {
        ev.preventDefault();
        // A worker that died took its chunk with it: fail everything queued, and later runs.
        this.#broken = new Error(`re-fit worker failed: ${ev.message}`);
        for (const c of [...this.#busy.values(), ...this.#queue]) c.fail(this.#broken);
        this.#queue = [];
      };
      this.#idle.push(w);
    }
  }

  /** Stops the workers (a later `run` starts new ones); runs still waiting fail. */
  close(): void {
    const closed = new Error("re-fit pool closed");
    for (const c of [...this.#busy.values(), ...this.#queue]) c.fail(closed);
    for (const w of [...this.#idle, ...this.#busy.keys()]) w.terminate();
    this.#idle = [];
    this.#busy.clear();
    this.#queue = [];
    this.#broken = undefined;
  }
}
