/**
 * Frames of a `.MIDAS.zip` decoded in Web Workers with bounded read-ahead, so Blosc/zstd decoding
 * (single-threaded WASM) overlaps the consumer's compute on the main thread.
 *
 * At most `readAhead` frames are requested but not yet consumed; frames are yielded in order.
 * Breaking out of the loop terminates the workers. Use {@link FramePipeline} to keep workers across passes.
 *
 * @example
 * ```ts
 * import { streamFrames } from "./frame_stream.ts";
 * for await (const { index, data } of streamFrames("scan.MIDAS.zip", { readAhead: 4 })) {
 *   console.log(index, data.length);
 * }
 * ```
 * @module
 */
import { type FrameArray, type FrameDtype, frameView } from "./dtype.ts";

/** Options of {@link streamFrames}. */
export interface FrameStreamOptions {
  /** Frames requested ahead of the consumer (K ≥ 1, default 4). */
  readAhead?: number;
  /** Decoding workers (default 1; each opens the zip itself). */
  workers?: number;
  /** First frame (default 0). */
  start?: number;
  /** One past the last frame (default nFrames). */
  end?: number;
}

/** One decoded frame and its 0-based index in the stored stack. */
export interface StreamedFrame {
  index: number;
  data: FrameArray;
  nZ: number;
  nY: number;
}

interface Opened {
  nFrames: number;
  nZ: number;
  nY: number;
  dtype: FrameDtype;
}

type Waiter = { resolve: (v: ArrayBuffer) => void; reject: (e: Error) => void };

/** A worker plus the bookkeeping of its outstanding requests (keyed by request id). */
class DecodeWorker {
  #worker: Worker;
  #waiting = new Map<number, Waiter>();
  #nextId = 0;
  #opened: Promise<Opened>;

  constructor(path: string) {
    this.#worker = new Worker(new URL("./frame_stream_worker.ts", import.meta.url).href, {
      type: "module",
    });
    let openWaiter: { resolve: (o: Opened) => void; reject: (e: Error) => void };
    this.#opened = new Promise((resolve, reject) => (openWaiter = { resolve, reject }));
    this.#opened.catch(() => {}); // observed by whoever awaits `opened`
    this.#worker.onmessage = (ev: MessageEvent) => {
      const m = ev.data;
      if (m.type === "opened") openWaiter.resolve(m);
      else if (m.type === "frame") this.#take(m.id)?.resolve(m.buffer);
      else if (m.type === "error") {
        const err = new Error(m.message);
        if (m.id === undefined) openWaiter.reject(err);
        else this.#take(m.id)?.reject(err);
      }
    };
    this.#worker.onerror = (ev: ErrorEvent) => {
      ev.preventDefault();
      const err = new Error(`${path}: frame decode worker failed: ${ev.message}`);
      openWaiter.reject(err);
      for (const w of this.#waiting.values()) w.reject(err);
      this.#waiting.clear();
    };
    this.#worker.postMessage({ type: "open", path });
  }

  get opened(): Promise<Opened> {
    return this.#opened;
  }

  #take(id: number): Waiter | undefined {
    const w = this.#waiting.get(id);
    this.#waiting.delete(id);
    return w;
  }

  read(index: number): Promise<ArrayBuffer> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ type: "read", id, index });
    });
  }

  terminate(): void {
    this.#worker.terminate();
  }
}

/**
 * Decoding workers kept open on one zip, for several passes over its frames. Worker start-up
 * (module load + WASM compile, ~0.1 s) is paid once in {@link FramePipeline.open}.
 */
export class FramePipeline {
  readonly path: string;
  readonly nFrames: number;
  readonly nZ: number;
  readonly nY: number;
  readonly dtype: FrameDtype;
  #workers: DecodeWorker[];

  private constructor(path: string, workers: DecodeWorker[], meta: Opened) {
    this.path = path;
    this.#workers = workers;
    ({ nFrames: this.nFrames, nZ: this.nZ, nY: this.nY, dtype: this.dtype } = meta);
  }

  /** Starts `workers` decoders (default 1) on the zip at `path`; errors name the file. */
  static async open(path: string, opts: { workers?: number } = {}): Promise<FramePipeline> {
    const n = Math.max(1, Math.floor(opts.workers ?? 1));
    const workers = Array.from({ length: n }, () => new DecodeWorker(path));
    try {
      const metas = await Promise.all(workers.map((w) => w.opened));
      return new FramePipeline(path, workers, metas[0]);
    } catch (e) {
      for (const w of workers) w.terminate();
      throw e;
    }
  }

  /**
   * Yields frames `start … end−1` (or the ascending stored `indices`, e.g. every k-th frame) in
   * order with at most `readAhead` requested ahead.
   */
  async *frames(
    opts: Omit<FrameStreamOptions, "workers"> & { indices?: readonly number[] } = {},
  ): AsyncGenerator<StreamedFrame> {
    const readAhead = Math.max(1, Math.floor(opts.readAhead ?? 4));
    const start = opts.start ?? 0;
    const end = Math.min(opts.end ?? this.nFrames, this.nFrames);
    if (start < 0 || start > end) {
      throw new RangeError(`${this.path}: frame range ${start}…${end} outside 0…${this.nFrames}`);
    }
    const list = opts.indices ?? Array.from({ length: end - start }, (_, k) => start + k);
    for (const i of list) {
      if (!(Number.isInteger(i) && i >= 0 && i < this.nFrames)) {
        throw new RangeError(`${this.path}: frame ${i} outside 0…${this.nFrames - 1}`);
      }
    }
    const nw = this.#workers.length;
    const queue: Promise<ArrayBuffer>[] = [];
    let next = 0;
    const request = () => {
      const k = next++;
      const p = this.#workers[k % nw].read(list[k]);
      p.catch(() => {}); // a rejection is observed when that frame is awaited, in order
      queue.push(p);
    };
    while (next < list.length && queue.length < readAhead) request();
    for (const i of list) {
      const buf = await queue.shift()!;
      if (next < list.length) request();
      yield { index: i, data: frameView(this.dtype, buf), nZ: this.nZ, nY: this.nY };
    }
  }

  /** Stops the workers. */
  close(): void {
    for (const w of this.#workers) w.terminate();
  }
}

/** One-shot form: opens a {@link FramePipeline}, yields the frames, closes it (also on break). */
export async function* streamFrames(
  path: string,
  opts: FrameStreamOptions = {},
): AsyncGenerator<StreamedFrame> {
  const pipe = await FramePipeline.open(path, { workers: opts.workers });
  try {
    yield* pipe.frames(opts);
  } finally {
    pipe.close();
  }
}
