/**
 * Patchstore HDF5 files in sr-midas's exact layout (seed spec §4.7), via h5wasm's node build
 * (NODERAWFS: real files, needs `--allow-env --allow-read --allow-write`).
 *
 * | object | shape | dtype |
 * |---|---|---|
 * | `/patchArr/SRx{s}` | (N, 3, lrsz·s, lrsz·s) | float32, chunk (1, 3, lrsz·s, lrsz·s) |
 * | `/peaksLocInPatch/SRx{s}/Ypx`, `…/Zpx` | (N, maxPeaks) | float32, NaN padded |
 * | `/peaksParameters/{Ypx … peakPointer}` | (N, maxPeaks) | float32, NaN padded |
 * | `/patchInfo` | (N,) | compound {nPeaks <i8, ISum <f8, Y00 <f8, Z00 <f8} |
 * | `/pstCreationArgs/<key>` | () | str → UTF-8 vlen string, int → <i8, float → <f8 |
 *
 * h5wasm 0.10.3 writes compound datasets (from a Map of columns), so `/patchInfo` is the same
 * compound type h5py/pandas produce. One patch per chunk makes random single-patch reads cheap for
 * training loaders (deno-stack §4). Patch arrays are written in batches (bounded memory: one
 * batch of each level); the small per-patch tables are kept in memory and written at commit.
 * Files are written to a temporary name beside the target and renamed on {@link
 * PatchstoreWriter.commit}; on any error the temporary file is removed, so no partial file
 * appears under the target name.
 *
 * @example
 * ```ts
 * import { PatchstoreReader } from "./h5.ts";
 * const pst = await PatchstoreReader.open("patchstore.h5");
 * const x1 = pst.readPatch(0, 1); // Float32Array 3×20×20: intensity, R, Eta
 * pst.close();
 * ```
 * @module
 */
import h5wasm from "h5wasm/node";
import { PEAK_PARAM_NAMES, type PeakParamName, type RenderedPatch } from "./synthesis.ts";

type H5File = InstanceType<typeof h5wasm.File>;
type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

/**
 * Runs `fn` (synchronous h5wasm calls) with the clock HDF5 reads stopped at the Unix epoch, so
 * the same content gives the same bytes. HDF5 stamps every object it creates or extends with the
 * time of day, and h5wasm cannot turn that off (h5py's `track_times=False`); its clock is
 * emscripten's `clock_time_get`, which calls `Date.now()`. Without this two runs of a seeded
 * step write different files, so the next step's cache key changes and nothing reproduces.
 */
export function atEpoch<T>(fn: () => T): T {
  const now = Date.now;
  Date.now = () => 0;
  try {
    return fn();
  } finally {
    Date.now = now;
  }
}

/** Resolves once the HDF5 WASM module is initialised. */
export async function h5Ready(): Promise<void> {
  await h5wasm.ready;
}

/** Dataset name of a level, e.g. `SRx8`. */
export function levelName(s: number): string {
  return `SRx${s}`;
}

/** Field order and dtypes of the `/patchInfo` compound (as sr-midas's `df_to_sarray` makes it). */
export const PATCH_INFO_DTYPE: [string, string][] = [
  ["nPeaks", "<q"],
  ["ISum", "<d"],
  ["Y00", "<d"],
  ["Z00", "<d"],
];

/** Geometry of a patchstore. */
export interface PatchstoreLayout {
  /** Emitted SR factors, e.g. [1, 2, 4, 8]. */
  factors: number[];
  /** Low-resolution patch size (x1 px). */
  lrsz: number;
  /** Padding width of the per-peak tables. */
  maxPeaks: number;
}

/**
 * Scalar creation arguments stored under `/pstCreationArgs`: string → UTF-8 string, number →
 * float64, bigint or boolean → int64; null/undefined are skipped (h5py cannot store None).
 */
export type CreationArgs = Record<string, string | number | bigint | boolean | null | undefined>;

/** A Float32Array that grows by doubling. */
class GrowF32 {
  buf = new Float32Array(1024);
  len = 0;
  push(src: ArrayLike<number>): void {
    if (this.len + src.length > this.buf.length) {
      const next = new Float32Array(Math.max(this.buf.length * 2, this.len + src.length));
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
    }
    this.buf.set(src, this.len);
    this.len += src.length;
  }
  view(): Float32Array {
    return this.buf.subarray(0, this.len);
  }
}

function tempPathFor(path: string): string {
  const slash = path.lastIndexOf("/");
  const dir = slash >= 0 ? path.slice(0, slash + 1) : "";
  const base = path.slice(slash + 1);
  return `${dir}.${base}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Streams rendered patches into a new patchstore file; see the module doc for the layout. */
export class PatchstoreWriter {
  readonly path: string;
  readonly layout: PatchstoreLayout;
  #tmp: string;
  #file: H5File | null;
  #arrays: H5Dataset[];
  #batch: Float32Array[];
  #batchSize: number;
  #inBatch = 0;
  #written = 0;
  #info = {
    nPeaks: [] as number[],
    ISum: [] as number[],
    Y00: [] as number[],
    Z00: [] as number[],
  };
  #params: Record<PeakParamName, GrowF32>;
  #locs: { y: GrowF32; z: GrowF32 }[];

  private constructor(path: string, layout: PatchstoreLayout, batchSize: number) {
    this.path = path;
    this.layout = layout;
    this.#batchSize = batchSize;
    this.#tmp = tempPathFor(path);
    // Create the file with Deno first: h5wasm reports an unopenable path only as file_id −1.
    try {
      Deno.writeFileSync(this.#tmp, new Uint8Array(0));
    } catch (e) {
      throw new Error(`patchstore ${path}: cannot create output file (${(e as Error).message})`);
    }
    const file = atEpoch(() => new h5wasm.File(this.#tmp, "w"));
    if (file.file_id < 0n) {
      Deno.removeSync(this.#tmp);
      throw new Error(`patchstore ${path}: HDF5 could not create ${this.#tmp}`);
    }
    this.#file = file;
    this.#arrays = atEpoch(() => {
      file.create_group("patchArr");
      return layout.factors.map((s) => {
        const n = layout.lrsz * s;
        return file.create_dataset({
          name: `patchArr/${levelName(s)}`,
          data: new Float32Array(0),
          shape: [0, 3, n, n],
          maxshape: [null, 3, n, n],
          chunks: [1, 3, n, n],
          dtype: "<f",
        });
      });
    });
    this.#batch = layout.factors.map((s) =>
      new Float32Array(batchSize * 3 * (layout.lrsz * s) ** 2)
    );
    this.#params = Object.fromEntries(PEAK_PARAM_NAMES.map((k) => [k, new GrowF32()])) as Record<
      PeakParamName,
      GrowF32
    >;
    this.#locs = layout.factors.map(() => ({ y: new GrowF32(), z: new GrowF32() }));
  }

  /**
   * Opens a writer on a temporary file beside `path`. `batchSize` patches per level are buffered
   * between writes (memory ≈ batchSize × 3 × Σ(lrsz·s)² × 4 bytes; 64 → 25 MB for x1–x8).
   */
  static async create(
    path: string,
    layout: PatchstoreLayout,
    opts: { batchSize?: number } = {},
  ): Promise<PatchstoreWriter> {
    await h5Ready();
    return new PatchstoreWriter(path, layout, Math.max(1, opts.batchSize ?? 64));
  }

  /** Patches appended so far. */
  get count(): number {
    return this.#written + this.#inBatch;
  }

  /** Appends one rendered patch (levels in `layout.factors` order). */
  append(p: RenderedPatch): void {
    if (!this.#file) throw new Error(`patchstore ${this.path}: writer is closed`);
    const { factors, lrsz, maxPeaks } = this.layout;
    if (p.levels.length !== factors.length) {
      throw new Error(
        `patchstore ${this.path}: patch has ${p.levels.length} levels, expected ${factors.length}`,
      );
    }
    factors.forEach((s, j) => {
      const size = 3 * (lrsz * s) ** 2;
      if (p.levels[j].length !== size) {
        throw new Error(
          `patchstore ${this.path}: SRx${s} patch has ${
            p.levels[j].length
          } values, expected ${size}`,
        );
      }
      this.#batch[j].set(p.levels[j], this.#inBatch * size);
      this.#locs[j].y.push(p.locY[j].subarray(0, maxPeaks));
      this.#locs[j].z.push(p.locZ[j].subarray(0, maxPeaks));
    });
    for (const k of PEAK_PARAM_NAMES) {
      const src = p.peaks.params[k];
      if (src.length !== maxPeaks) {
        throw new Error(
          `patchstore ${this.path}: ${k} has ${src.length} slots, expected maxPeaks=${maxPeaks}`,
        );
      }
      this.#params[k].push(src);
    }
    this.#info.nPeaks.push(p.peaks.nPeaks);
    this.#info.ISum.push(p.peaks.iSum);
    this.#info.Y00.push(p.Y00);
    this.#info.Z00.push(p.Z00);
    if (++this.#inBatch === this.#batchSize) this.#flush();
  }

  #flush(): void {
    if (this.#inBatch === 0) return;
    const { factors, lrsz } = this.layout;
    const n0 = this.#written, n1 = n0 + this.#inBatch;
    atEpoch(() =>
      factors.forEach((s, j) => {
        const n = lrsz * s;
        const ds = this.#arrays[j];
        ds.resize([n1, 3, n, n]);
        ds.write_slice([[n0, n1]], this.#batch[j].subarray(0, this.#inBatch * 3 * n * n));
      })
    );
    this.#written = n1;
    this.#inBatch = 0;
  }

  /**
   * Writes the tables and creation arguments, closes the file and renames it to `path`.
   * Throws (after removing the temporary file) when no patch was appended.
   */
  commit(creationArgs: CreationArgs = {}): void {
    const file = this.#file;
    if (!file) throw new Error(`patchstore ${this.path}: writer is closed`);
    try {
      atEpoch(() => this.#writeTables(file, creationArgs));
      this.#file = null;
      Deno.renameSync(this.#tmp, this.path);
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  /** The per-patch tables and creation arguments, then close (inside {@link atEpoch}). */
  #writeTables(file: H5File, creationArgs: CreationArgs): void {
    this.#flush();
    const N = this.#written;
    if (N === 0) throw new Error(`patchstore ${this.path}: no patches to write (all blank?)`);
    const { factors, maxPeaks } = this.layout;
    const table = (name: string, data: Float32Array) =>
      file.create_dataset({ name, data, shape: [N, maxPeaks], dtype: "<f" });
    file.create_group("peaksLocInPatch");
    factors.forEach((s, j) => {
      file.create_group(`peaksLocInPatch/${levelName(s)}`);
      table(`peaksLocInPatch/${levelName(s)}/Ypx`, this.#locs[j].y.view());
      table(`peaksLocInPatch/${levelName(s)}/Zpx`, this.#locs[j].z.view());
    });
    file.create_group("peaksParameters");
    for (const k of PEAK_PARAM_NAMES) table(`peaksParameters/${k}`, this.#params[k].view());
    const info = new Map<string, BigInt64Array | Float64Array>([
      ["nPeaks", BigInt64Array.from(this.#info.nPeaks, (x) => BigInt(x))],
      ["ISum", Float64Array.from(this.#info.ISum)],
      ["Y00", Float64Array.from(this.#info.Y00)],
      ["Z00", Float64Array.from(this.#info.Z00)],
    ]);
    // deno-lint-ignore no-explicit-any
    file.create_dataset({
      name: "patchInfo",
      data: info as any,
      shape: [N],
      dtype: PATCH_INFO_DTYPE,
    });
    file.create_group("pstCreationArgs");
    for (const [key, val] of Object.entries(creationArgs)) {
      if (val === null || val === undefined) continue; // h5py cannot store None (§12.1-1)
      const name = `pstCreationArgs/${key}`;
      if (typeof val === "string") file.create_dataset({ name, data: val, shape: [] });
      else if (typeof val === "number") {
        file.create_dataset({ name, data: new Float64Array([val]), shape: [], dtype: "<d" });
      } else {
        const i = typeof val === "bigint" ? val : BigInt(val ? 1 : 0);
        file.create_dataset({ name, data: new BigInt64Array([i]), shape: [], dtype: "<q" });
      }
    }
    file.close();
  }

  /** Closes and deletes the temporary file; the target path is left untouched. Idempotent. */
  abort(): void {
    if (this.#file) {
      try {
        const file = this.#file;
        atEpoch(() => file.close());
      } catch { /* already failing; the removal below matters */ }
      this.#file = null;
    }
    try {
      Deno.removeSync(this.#tmp);
    } catch { /* not there */ }
  }
}

/** `/patchInfo` as columns. */
export interface PatchInfo {
  nPeaks: Int32Array;
  ISum: Float64Array;
  Y00: Float64Array;
  Z00: Float64Array;
}

/** Random-access reader for training loaders: one chunk (= one patch) per `readPatch`. */
export class PatchstoreReader {
  readonly path: string;
  /** Number of patches N. */
  readonly count: number;
  /** Levels present, ascending (from `/patchArr/SRx*`). */
  readonly factors: number[];
  readonly lrsz: number;
  readonly maxPeaks: number;
  /** Channels per patch: 3 for synthesized stores, 1 for predicted ones (seed spec §9). */
  readonly channels: number;
  #file: H5File;

  private constructor(path: string, file: H5File) {
    this.path = path;
    this.#file = file;
    const arr = file.get("patchArr");
    if (!(arr instanceof h5wasm.Group)) {
      throw new Error(`patchstore ${path}: missing group /patchArr (not an sr-midas patchstore?)`);
    }
    this.factors = arr.keys()
      .map((k) => /^SRx(\d+)$/.exec(k))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    if (!this.factors.length) {
      throw new Error(`patchstore ${path}: /patchArr holds no SRx{s} dataset`);
    }
    const shape = this.#dataset(`patchArr/${levelName(this.factors[0])}`).shape ?? [];
    if (shape.length !== 4 || shape[1] !== 3 && shape[1] !== 1) {
      throw new Error(
        `patchstore ${path}: /patchArr/SRx${
          this.factors[0]
        } has shape [${shape}], expected (N, 3, n, n)`,
      );
    }
    this.count = shape[0];
    this.channels = shape[1];
    this.lrsz = shape[2] / this.factors[0];
    const p = file.get("peaksParameters/Ypx");
    this.maxPeaks = p instanceof h5wasm.Dataset ? (p.shape ?? [0, 0])[1] : 0;
  }

  /** Opens a patchstore read-only. */
  static async open(path: string): Promise<PatchstoreReader> {
    await h5Ready();
    try {
      Deno.statSync(path);
    } catch (e) {
      throw new Error(`patchstore ${path}: cannot open (${(e as Error).message})`);
    }
    const file = new h5wasm.File(path, "r");
    if (file.file_id < 0n) throw new Error(`patchstore ${path}: not a readable HDF5 file`);
    try {
      return new PatchstoreReader(path, file);
    } catch (e) {
      file.close();
      throw e;
    }
  }

  #dataset(name: string): H5Dataset {
    const d = this.#file.get(name);
    if (!(d instanceof h5wasm.Dataset)) {
      throw new Error(`patchstore ${this.path}: missing dataset /${name}`);
    }
    return d;
  }

  #checkLevel(s: number): void {
    if (!this.factors.includes(s)) {
      throw new Error(
        `patchstore ${this.path}: no level SRx${s} (have ${
          this.factors.map(levelName).join(", ")
        })`,
      );
    }
  }

  /** Channels of patch `i` at level `s`: Float32Array [ch][row][col] (ch 0 intensity, 1 R, 2 Eta). */
  readPatch(i: number, s: number): Float32Array {
    return this.readPatches(i, i + 1, s);
  }

  /** Patches [start, end) at level `s`, concatenated (keep slabs well under 1 GiB). */
  readPatches(start: number, end: number, s: number): Float32Array {
    this.#checkLevel(s);
    if (
      !(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start < end &&
        end <= this.count)
    ) {
      throw new Error(
        `patchstore ${this.path}: patch range [${start}, ${end}) outside 0 … ${this.count}`,
      );
    }
    return this.#dataset(`patchArr/${levelName(s)}`).slice([[start, end]]) as Float32Array;
  }

  /** `/patchInfo` as columns. */
  readPatchInfo(): PatchInfo {
    const ds = this.#dataset("patchInfo");
    const rows = (ds.value ?? []) as unknown[][];
    const names = (ds.dtype as [string, string][]).map((m) => m[0]);
    const col = (name: string) => {
      const j = names.indexOf(name);
      if (j < 0) throw new Error(`patchstore ${this.path}: /patchInfo has no field "${name}"`);
      return rows.map((r) => Number(r[j]));
    };
    return {
      nPeaks: Int32Array.from(col("nPeaks")),
      ISum: Float64Array.from(col("ISum")),
      Y00: Float64Array.from(col("Y00")),
      Z00: Float64Array.from(col("Z00")),
    };
  }

  /** `/peaksParameters/*`, each (N × maxPeaks) row-major. */
  readPeakParams(): Record<string, Float32Array> {
    const g = this.#file.get("peaksParameters");
    if (!(g instanceof h5wasm.Group)) {
      throw new Error(`patchstore ${this.path}: missing group /peaksParameters`);
    }
    return Object.fromEntries(
      g.keys().map((k) => [k, this.#dataset(`peaksParameters/${k}`).value as Float32Array]),
    );
  }

  /** `/peaksLocInPatch/SRx{s}/{Ypx,Zpx}`, each (N × maxPeaks) row-major. */
  readPeakLocs(s: number): { Ypx: Float32Array; Zpx: Float32Array } {
    this.#checkLevel(s);
    const base = `peaksLocInPatch/${levelName(s)}`;
    return {
      Ypx: this.#dataset(`${base}/Ypx`).value as Float32Array,
      Zpx: this.#dataset(`${base}/Zpx`).value as Float32Array,
    };
  }

  /** `/pstCreationArgs` as plain values ({} for older files without it). */
  readCreationArgs(): Record<string, string | number> {
    const g = this.#file.get("pstCreationArgs");
    if (!(g instanceof h5wasm.Group)) return {};
    const out: Record<string, string | number> = {};
    for (const k of g.keys()) {
      const v = this.#dataset(`pstCreationArgs/${k}`).value;
      out[k] = typeof v === "string" ? v : Number(v); // int64 arrives as bigint
    }
    return out;
  }

  close(): void {
    this.#file.close();
  }
}

/** Everything sr-midas's `load_patchstore_h5data` returns, as typed arrays. */
export interface LoadedPatchstore {
  /** `{SRx1: {data, shape}, …}`; data is row-major (N, 3, n, n). */
  patchArr: Record<string, { data: Float32Array; shape: number[] }>;
  patchInfo?: PatchInfo;
  peaksLocInPatch?: Record<string, { Ypx: Float32Array; Zpx: Float32Array }>;
  peakParams?: Record<string, Float32Array>;
  pstCreationArgs?: Record<string, string | number>;
}

/** Largest slab read in one h5wasm call (its heap is capped at 2 GiB; deno-stack §4). */
const MAX_SLAB_BYTES = 512 * 1024 * 1024;

/**
 * Loads a whole patchstore like sr-midas `load_patchstore_h5data(path, only_patch_arrays)`:
 * every level's patch array, plus (unless `onlyPatchArrays`) the tables and creation args.
 */
export async function loadPatchstore(
  path: string,
  opts: { onlyPatchArrays?: boolean } = {},
): Promise<LoadedPatchstore> {
  const r = await PatchstoreReader.open(path);
  try {
    const patchArr: LoadedPatchstore["patchArr"] = {};
    for (const s of r.factors) {
      const n = r.lrsz * s, per = r.channels * n * n;
      const data = new Float32Array(r.count * per);
      const step = Math.max(1, Math.floor(MAX_SLAB_BYTES / (per * 4)));
      for (let i = 0; i < r.count; i += step) {
        const j = Math.min(r.count, i + step);
        data.set(r.readPatches(i, j, s), i * per);
      }
      patchArr[levelName(s)] = { data, shape: [r.count, r.channels, n, n] };
    }
    if (opts.onlyPatchArrays) return { patchArr };
    return {
      patchArr,
      patchInfo: r.readPatchInfo(),
      peaksLocInPatch: Object.fromEntries(r.factors.map((s) => [levelName(s), r.readPeakLocs(s)])),
      peakParams: r.readPeakParams(),
      pstCreationArgs: r.readCreationArgs(),
    };
  } finally {
    r.close();
  }
}
