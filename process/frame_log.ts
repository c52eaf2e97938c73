/**
 * Per-frame progress of the `process` step, persisted so a killed run resumes at the first
 * unfinished frame. One append-only file `frames.log` in the step's checkpoint directory holds a
 * record per finished frame: `int32 bytes` (length of the rest), `int32 frame`, `int32 nPeaks`,
 * `nPeaks × 29 float64` rows, then per peak `int32 nPx` and `nPx` interleaved `int16 (Y, Z)`
 * pairs, all little-endian. A record is written with one `write` call; on open, a torn tail
 * (a record cut short by a kill) is truncated away, so rows and pixel lists always come from
 * the same complete record and PS/PX stay consistent. `meta.json` fingerprints the run
 * settings; a mismatch discards the log instead of mixing results.
 *
 * @example
 * ```ts
 * import { FrameLog } from "./frame_log.ts";
 * const log = await FrameLog.open("/tmp/ck", { srfac: 1 });
 * await log.append(0, new Float64Array(29), [new Int16Array([5, 7])]);
 * log.has(0); // true
 * for await (const r of log.records()) console.log(r.frame, r.rows.length / 29);
 * log.close();
 * ```
 * @module
 */
const COLS = 29;

/** Index entry of one finished frame. */
export interface FrameEntry {
  nPeaks: number;
  /** Bytes of its pixel lists in `AllPeaks_PX.bin` layout (Σ 4 + 4·nPx). */
  pxBytes: number;
}

/** A decoded record. */
export interface FrameRecord {
  frame: number;
  rows: Float64Array;
  /** Per peak, interleaved (Y, Z) int16. */
  pixels: Int16Array[];
}

/** Encodes one record (prefix included). */
export function encodeFrameRecord(
  frame: number,
  rows: Float64Array,
  pixels: Int16Array[],
): Uint8Array {
  const nPeaks = rows.length / COLS;
  if (!Number.isInteger(nPeaks) || pixels.length !== nPeaks) {
    throw new Error(
      `FrameLog: frame ${frame}: ${rows.length} row values and ${pixels.length} pixel lists do not match`,
    );
  }
  let px = 0;
  for (const p of pixels) px += 4 + 2 * p.length;
  const body = 8 + 8 * rows.length + px;
  const buf = new Uint8Array(4 + body);
  const dv = new DataView(buf.buffer);
  dv.setInt32(0, body, true);
  dv.setInt32(4, frame, true);
  dv.setInt32(8, nPeaks, true);
  let off = 12;
  for (let i = 0; i < rows.length; i++, off += 8) dv.setFloat64(off, rows[i], true);
  for (const p of pixels) {
    dv.setInt32(off, p.length / 2, true);
    off += 4;
    for (let i = 0; i < p.length; i++, off += 2) dv.setInt16(off, p[i], true);
  }
  return buf;
}

/** Decodes a record body (without the length prefix). */
export function decodeFrameRecord(body: Uint8Array, source: string): FrameRecord {
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const frame = dv.getInt32(0, true), nPeaks = dv.getInt32(4, true);
  let off = 8;
  const rows = new Float64Array(nPeaks * COLS);
  for (let i = 0; i < rows.length; i++, off += 8) rows[i] = dv.getFloat64(off, true);
  const pixels: Int16Array[] = [];
  for (let p = 0; p < nPeaks; p++) {
    const n = dv.getInt32(off, true);
    off += 4;
    if (n < 0 || off + 4 * n > body.byteLength) {
      throw new Error(`${source}: frame ${frame} peak ${p}: corrupt pixel list`);
    }
    const a = new Int16Array(2 * n);
    for (let i = 0; i < a.length; i++, off += 2) a[i] = dv.getInt16(off, true);
    pixels.push(a);
  }
  return { frame, rows, pixels };
}

async function readExactly(f: Deno.FsFile, n: number): Promise<Uint8Array | null> {
  const buf = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const r = await f.read(buf.subarray(got));
    if (r === null) return null;
    got += r;
  }
  return buf;
}

/** The append-only frame log (see module doc). */
export class FrameLog {
  readonly path: string;
  readonly #index = new Map<number, FrameEntry>();
  #file: Deno.FsFile;

  private constructor(path: string, file: Deno.FsFile) {
    this.path = path;
    this.#file = file;
  }

  /**
   * Opens (or starts) the log in `dir`. When `meta.json` differs from `meta` or `fresh` is set,
   * the old log is discarded. A torn last record is truncated.
   */
  static async open(dir: string, meta: unknown, opts: { fresh?: boolean } = {}): Promise<FrameLog> {
    await Deno.mkdir(dir, { recursive: true });
    const path = `${dir}/frames.log`, metaPath = `${dir}/meta.json`;
    const want = JSON.stringify(meta);
    let have: string | null = null;
    try {
      have = await Deno.readTextFile(metaPath);
    } catch { /* first run */ }
    if (opts.fresh || have !== want) {
      await Deno.remove(path).catch(() => {});
      await Deno.writeTextFile(metaPath, want);
    }
    const file = await Deno.open(path, { read: true, write: true, create: true });
    const log = new FrameLog(path, file);
    await log.#scan();
    return log;
  }

  async #scan(): Promise<void> {
    const f = this.#file;
    await f.seek(0, Deno.SeekMode.Start);
    let good = 0;
    for (;;) {
      const head = await readExactly(f, 4);
      if (!head) break;
      const body = new DataView(head.buffer).getInt32(0, true);
      const rec = body >= 8 ? await readExactly(f, body) : null;
      if (!rec) break;
      const r = decodeFrameRecord(rec, this.path);
      let pxBytes = 0;
      for (const p of r.pixels) pxBytes += 4 + 2 * p.length;
      this.#index.set(r.frame, { nPeaks: r.rows.length / COLS, pxBytes });
      good += 4 + body;
    }
    await f.truncate(good);
    await f.seek(good, Deno.SeekMode.Start);
  }

  /** True when `frame` is finished. */
  has(frame: number): boolean {
    return this.#index.has(frame);
  }

  /** Finished frames and their counts. */
  get index(): ReadonlyMap<number, FrameEntry> {
    return this.#index;
  }

  /** Appends a finished frame in one write and syncs it to disk. */
  async append(frame: number, rows: Float64Array, pixels: Int16Array[]): Promise<void> {
    const buf = encodeFrameRecord(frame, rows, pixels);
    let off = 0;
    while (off < buf.length) off += await this.#file.write(buf.subarray(off));
    await this.#file.syncData();
    let pxBytes = 0;
    for (const p of pixels) pxBytes += 4 + 2 * p.length;
    this.#index.set(frame, { nPeaks: rows.length / COLS, pxBytes });
  }

  /** Every record in file order, read one at a time (bounded memory). */
  async *records(): AsyncGenerator<FrameRecord> {
    const f = await Deno.open(this.path, { read: true });
    try {
      for (;;) {
        const head = await readExactly(f, 4);
        if (!head) return;
        const body = await readExactly(f, new DataView(head.buffer).getInt32(0, true));
        if (!body) return;
        yield decodeFrameRecord(body, this.path);
      }
    } finally {
      f.close();
    }
  }

  close(): void {
    this.#file.close();
  }
}
