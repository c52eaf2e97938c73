/**
 * Reads a `.MIDAS.zip` (zarr v2 in a zip) with zarrita's `ZipFileStore` over positional reads.
 *
 * Why positional reads: zarrita fetches chunks concurrently, and `Deno.FsFile` seek+read pairs
 * interleave under concurrency (corrupting local-header reads); `node:fs` `readSync` with an
 * explicit position (pread) is race-free. STORED and deflated entries, ZIP64 and duplicate entry
 * names (the last one wins, as in Python's `zipfile` and MIDAS C) are handled by unzipit, which
 * `ZipFileStore` wraps; codecs (Blosc zstd/lz4 with byte/bit shuffle, zstd, lz4, none) by
 * zarrita's numcodecs registry.
 *
 * @example
 * ```ts
 * import { openMidasZip } from "./zip_reader.ts";
 * const zip = await openMidasZip("scan.MIDAS.zip");
 * for await (const frame of zip.frames()) console.log(frame.length === zip.nZ * zip.nY);
 * const params = await zip.params();
 * zip.close();
 * ```
 * @module
 */
import * as zarr from "zarrita";
import ZipFileStore from "@zarrita/storage/zip";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { FRAME_DTYPES, type FrameArray, type FrameDtype, isFrameDtype } from "./dtype.ts";
import {
  type MidasParams,
  midasParamsFrom,
  type MidasParamsOptions,
  type ParamValue,
} from "./params.ts";

export type { FrameArray, FrameDtype } from "./dtype.ts";

const ANALYSIS = "analysis/process/analysis_parameters";
const SCAN = "measurement/process/scan_parameters";

/** A unzipit/zarrita range reader over a local file using pread (`readSync` with a position). */
export class PreadReader {
  readonly path: string;
  #fd: number;
  #size: number;

  constructor(path: string) {
    this.path = path;
    this.#fd = openSync(path, "r");
    this.#size = fstatSync(this.#fd).size;
  }

  getLength(): Promise<number> {
    return Promise.resolve(this.#size);
  }

  read(offset: number, length: number): Promise<Uint8Array<ArrayBuffer>> {
    const buf = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const n = readSync(this.#fd, buf, got, length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    if (got < length) {
      return Promise.reject(
        new Error(
          `${this.path}: short read at byte ${offset} (${got} of ${length} bytes): truncated file?`,
        ),
      );
    }
    return Promise.resolve(buf);
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** A whole zarr array read from the zip. */
export interface ZarrArrayData {
  shape: number[];
  /** zarrita dtype name (`uint16`, `float64`, `v2:S6` …). */
  dtype: string;
  /** Numbers for numeric arrays; strings for byte-string arrays. */
  data: ArrayLike<number> | string[];
}

/** Dark frames as stored (`exchange/dark`). */
export interface DarkStack {
  n: number;
  data: FrameArray;
}

type Store = ZipFileStore;
type ZArray = zarr.Array<zarr.DataType, Store>;

function errMsg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** An open `.MIDAS.zip`. Close it with {@link MidasZip.close}. */
export class MidasZip {
  readonly path: string;
  readonly nFrames: number;
  readonly nZ: number;
  readonly nY: number;
  readonly dtype: FrameDtype;
  /** `exchange/data` chunk shape. */
  readonly chunks: readonly number[];
  /** `exchange/data` compressor as in its `.zarray` (null = none). */
  readonly compressor: Record<string, unknown> | null;
  #reader: PreadReader;
  #root: zarr.Location<Store>;
  #entries: Set<string>;
  #data: ZArray;
  #frameIsChunk: boolean;

  private constructor(
    path: string,
    reader: PreadReader,
    root: zarr.Location<Store>,
    entries: Set<string>,
    data: ZArray,
    meta: { dtype: FrameDtype; compressor: Record<string, unknown> | null },
  ) {
    this.path = path;
    this.#reader = reader;
    this.#root = root;
    this.#entries = entries;
    this.#data = data;
    [this.nFrames, this.nZ, this.nY] = data.shape;
    this.chunks = data.chunks;
    this.dtype = meta.dtype;
    this.compressor = meta.compressor;
    this.#frameIsChunk = data.chunks[0] === 1 && data.chunks[1] === this.nZ &&
      data.chunks[2] === this.nY;
  }

  /** Opens and validates `path` (see {@link openMidasZip}). */
  static async open(path: string): Promise<MidasZip> {
    let reader: PreadReader;
    try {
      reader = new PreadReader(path);
    } catch (e) {
      throw new Error(`${path}: cannot open MIDAS zip (${errMsg(e)})`);
    }
    try {
      const store = new ZipFileStore(reader);
      let names: string[];
      try {
        // `info` (unzipit's entry table) is private in the typings but the only way to list entries.
        const info =
          (store as unknown as { info: Promise<{ entries: Record<string, unknown> }> }).info;
        names = Object.keys((await info).entries);
      } catch (e) {
        throw new Error(
          `${path}: not a readable zip archive, truncated or corrupt? (${errMsg(e)})`,
        );
      }
      const entries = new Set(names);
      if (!entries.has("exchange/data/.zarray")) {
        throw new Error(`${path}: exchange/data: missing array (no exchange/data/.zarray entry)`);
      }
      let meta: { dtype?: string; compressor?: Record<string, unknown> | null; shape?: number[] };
      try {
        meta = JSON.parse(new TextDecoder().decode(await store.get("/exchange/data/.zarray")));
      } catch (e) {
        throw new Error(`${path}: exchange/data/.zarray: unreadable metadata (${errMsg(e)})`);
      }
      const root = zarr.root(store);
      let data: ZArray;
      try {
        data = await zarr.open.v2(root.resolve("exchange/data"), { kind: "array", attrs: false });
      } catch (e) {
        throw new Error(`${path}: exchange/data: cannot open array (${errMsg(e)})`);
      }
      if (data.shape.length !== 3) {
        throw new Error(
          `${path}: exchange/data: expected shape (nFrames, nZ, nY), got (${data.shape})`,
        );
      }
      if (!isFrameDtype(data.dtype)) {
        throw new Error(
          `${path}: exchange/data: unsupported dtype ${meta.dtype}; expected one of ${
            FRAME_DTYPES.join("/")
          }`,
        );
      }
      const zip = new MidasZip(path, reader, root, entries, data, {
        dtype: data.dtype,
        compressor: meta.compressor ?? null,
      });
      zip.#checkFrameEntries();
      return zip;
    } catch (e) {
      reader.close();
      throw e;
    }
  }

  /** Every frame must have its chunk entry (MIDAS C reads frame i as entry dataLoc + i). */
  #checkFrameEntries(): void {
    if (!this.#frameIsChunk) return;
    const missing: number[] = [];
    for (let f = 0; f < this.nFrames; f++) {
      if (!this.#entries.has(`exchange/data/${f}.0.0`)) missing.push(f);
    }
    const extra = this.#entries.has(`exchange/data/${this.nFrames}.0.0`);
    if (missing.length > 0 || extra) {
      const what = missing.length > 0
        ? `no chunk entry for frame(s) ${missing.slice(0, 5).join(", ")}${
          missing.length > 5 ? " …" : ""
        }`
        : `a chunk entry exists for frame ${this.nFrames}`;
      throw new Error(
        `${this.path}: exchange/data: frame count mismatch: .zarray shape says ${this.nFrames} frames but ${what}`,
      );
    }
  }

  /** Zip entry names (after last-duplicate-wins). */
  entryNames(): string[] {
    return [...this.#entries];
  }

  /** True when the zarr array `zpath` (e.g. `exchange/mask`) exists. */
  hasArray(zpath: string): boolean {
    return this.#entries.has(`${zpath}/.zarray`);
  }

  /** Frame `i` (0-based, as stored: SkipFrame is not applied), row-major nZ × nY. */
  async readFrame(i: number): Promise<FrameArray> {
    if (!Number.isInteger(i) || i < 0 || i >= this.nFrames) {
      throw new RangeError(
        `${this.path}: exchange/data: frame ${i} out of range 0…${this.nFrames - 1}`,
      );
    }
    const npx = this.nZ * this.nY;
    let out: FrameArray;
    try {
      if (this.#frameIsChunk) {
        out = (await this.#data.getChunk([i, 0, 0])).data as FrameArray;
      } else {
        out = (await zarr.get(this.#data, [i, null, null])).data as FrameArray;
      }
    } catch (e) {
      throw new Error(`${this.path}: exchange/data/${i}.0.0: corrupt chunk (${errMsg(e)})`);
    }
    if (out.length !== npx) {
      throw new Error(
        `${this.path}: exchange/data/${i}.0.0: corrupt chunk (decoded ${out.length} pixels, expected ${npx})`,
      );
    }
    return out;
  }

  /** Frames `start … end−1` in order, decoded one at a time. */
  async *frames(start = 0, end = this.nFrames): AsyncGenerator<FrameArray> {
    for (let i = start; i < end; i++) yield await this.readFrame(i);
  }

  [Symbol.asyncIterator](): AsyncGenerator<FrameArray> {
    return this.frames();
  }

  /** Reads a whole zarr array; errors name the file and zarr path. */
  async readArray(zpath: string): Promise<ZarrArrayData> {
    if (!this.hasArray(zpath)) throw new Error(`${this.path}: ${zpath}: missing array`);
    try {
      const arr = await zarr.open.v2(this.#root.resolve(zpath), { kind: "array", attrs: false });
      const res = await zarr.get(arr);
      // A 0-d array (e.g. scan_parameters/datatype) comes back as a bare scalar.
      const raw = (arr.shape.length === 0 ? [res] : (res as { data: unknown }).data) as unknown;
      let data: ArrayLike<number> | string[];
      if (raw instanceof BigInt64Array || raw instanceof BigUint64Array) {
        data = Array.from(raw, Number);
      } else if (ArrayBuffer.isView(raw)) {
        data = raw as unknown as ArrayLike<number>;
      } else if (Array.isArray(raw)) {
        data = raw.map((v) => typeof v === "string" ? v.replace(/\0+$/, "") : Number(v)) as
          | number[]
          | string[];
      } else {
        const s = raw as { length: number; get(i: number): string };
        data = Array.from({ length: s.length }, (_, i) => s.get(i).replace(/\0+$/, ""));
      }
      return { shape: [...arr.shape], dtype: String(arr.dtype), data };
    } catch (e) {
      throw new Error(`${this.path}: ${zpath}: unreadable array (${errMsg(e)})`);
    }
  }

  /** `exchange/dark` as stored, or `null` when absent. (nZ, nY) arrays count as one frame. */
  async readDark(): Promise<DarkStack | null> {
    if (!this.hasArray("exchange/dark")) return null;
    const a = await this.#readImageStack("exchange/dark");
    return { n: a.data.length / (this.nZ * this.nY), data: a.data as FrameArray };
  }

  /**
   * Mean dark frame (float64). MIDAS C skips the first `skipFrames` darks (pass `SkipFrame`);
   * sr-midas averages all (pass 0). When absent, or when all darks would be skipped: zeros /
   * the mean of all.
   */
  async darkMean(skipFrames = 0): Promise<Float64Array> {
    const npx = this.nZ * this.nY;
    const out = new Float64Array(npx);
    const dark = await this.readDark();
    if (!dark) return out;
    const first = skipFrames < dark.n ? skipFrames : 0;
    for (let k = first; k < dark.n; k++) {
      const o = k * npx;
      for (let p = 0; p < npx; p++) out[p] += dark.data[o + p];
    }
    const n = dark.n - first;
    for (let p = 0; p < npx; p++) out[p] /= n;
    return out;
  }

  /** First slice of `exchange/flood` as float64; all ones when absent. */
  async flood(): Promise<Float64Array> {
    if (!this.hasArray("exchange/flood")) return new Float64Array(this.nZ * this.nY).fill(1);
    const a = await this.#readImageStack("exchange/flood");
    return Float64Array.from(a.data.subarray(0, this.nZ * this.nY));
  }

  /** First slice of `exchange/mask` as 0/1 (1 = bad, i.e. stored value > 0); zeros when absent. */
  async mask(): Promise<Uint8Array> {
    const npx = this.nZ * this.nY;
    if (!this.hasArray("exchange/mask")) return new Uint8Array(npx);
    const a = await this.#readImageStack("exchange/mask");
    const out = new Uint8Array(npx);
    for (let p = 0; p < npx; p++) out[p] = a.data[p] > 0 ? 1 : 0;
    return out;
  }

  async #readImageStack(zpath: string): Promise<{ data: FrameArray }> {
    const a = await this.readArray(zpath);
    const s = a.shape;
    const ok = (s.length === 3 && s[1] === this.nZ && s[2] === this.nY) ||
      (s.length === 2 && s[0] === this.nZ && s[1] === this.nY);
    if (!ok || !ArrayBuffer.isView(a.data)) {
      throw new Error(
        `${this.path}: ${zpath}: expected shape (n, ${this.nZ}, ${this.nY}), got (${s}) ${a.dtype}`,
      );
    }
    return { data: a.data as FrameArray };
  }

  /** Every stored analysis parameter (plus scan `doPeakFit`), converted to plain values. */
  async rawParameters(): Promise<Record<string, ParamValue>> {
    const keys: string[] = [];
    for (const name of this.#entries) {
      const m = name.match(/^analysis\/process\/analysis_parameters\/([^/]+)\/\.zarray$/);
      if (m) keys.push(m[1]);
    }
    const out: Record<string, ParamValue> = {};
    const read = async (zpath: string, key: string) => {
      out[key] = toParamValue(await this.readArray(zpath));
    };
    await Promise.all(keys.sort().map((k) => read(`${ANALYSIS}/${k}`, k)));
    if (this.hasArray(`${SCAN}/doPeakFit`) && !("doPeakFit" in out)) {
      await read(`${SCAN}/doPeakFit`, "doPeakFit");
    }
    return out;
  }

  /** Scan parameters: `start`, `step` (undefined when absent), `omegaCenter`, `datatype`. */
  async scanParameters(): Promise<
    { start?: number; step?: number; omegaCenter?: Float64Array; datatype?: string }
  > {
    const num = async (k: string) =>
      this.hasArray(`${SCAN}/${k}`)
        ? toParamValue(await this.readArray(`${SCAN}/${k}`))
        : undefined;
    const start = await num("start");
    const step = await num("step");
    const oc = this.hasArray(`${SCAN}/omegaCenter`)
      ? await this.readArray(`${SCAN}/omegaCenter`)
      : undefined;
    const dt = await num("datatype");
    return {
      start: typeof start === "number" ? start : undefined,
      step: typeof step === "number" ? step : undefined,
      omegaCenter: oc ? Float64Array.from(oc.data as ArrayLike<number>) : undefined,
      datatype: typeof dt === "string" ? dt : undefined,
    };
  }

  /** The typed parameter view; missing required keys → Error naming file and key. */
  async params(opts: MidasParamsOptions = {}): Promise<MidasParams> {
    const [raw, scan] = await Promise.all([this.rawParameters(), this.scanParameters()]);
    return midasParamsFrom(raw, scan, this.path, {
      detectorPx: Math.max(this.nY, this.nZ),
      ...opts,
    });
  }

  /** Releases the file descriptor. */
  close(): void {
    this.#reader.close();
  }
}

/** Converts a small stored array to a parameter value: (1,)/() → scalar, (n,) → list, (n,m) → rows. */
export function toParamValue(a: ZarrArrayData): ParamValue {
  const d = a.data;
  if (d.length > 0 && typeof d[0] === "string") return d[0] as string;
  const nums = Array.from(d as ArrayLike<number>);
  if (a.shape.length === 2) {
    const [n, m] = a.shape;
    return Array.from({ length: n }, (_, i) => nums.slice(i * m, (i + 1) * m));
  }
  return nums.length === 1 ? nums[0] : nums;
}

/**
 * Opens a `.MIDAS.zip` and checks it: readable zip, `exchange/data` present with a supported
 * dtype and shape, one chunk entry per frame. Errors name the file and the zarr path.
 */
export function openMidasZip(path: string): Promise<MidasZip> {
  return MidasZip.open(path);
}

/** `scan` itself when it is a file, else the single `*.MIDAS.zip` inside the directory. */
export async function findMidasZip(scan: string): Promise<string> {
  if ((await Deno.stat(scan)).isFile) return scan;
  const zips: string[] = [];
  for await (const e of Deno.readDir(scan)) {
    if (e.isFile && e.name.endsWith(".MIDAS.zip")) zips.push(`${scan}/${e.name}`);
  }
  if (zips.length !== 1) {
    throw new Error(
      `${scan}: expected one *.MIDAS.zip in the scan directory, found ${zips.length}`,
    );
  }
  return zips[0];
}
