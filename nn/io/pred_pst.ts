/**
 * Predicted patchstores (sr-midas `create_pred_pst`, seed spec §9): one group `patchArr` with one
 * dataset `SRx{s}`, float32 (N, 1, H, W), holding raw network outputs. Readable by
 * `PatchstoreReader` (channels = 1) as the input store of the next cascade stage. Written in
 * batches to a temporary file that is renamed on {@link PredPatchstoreWriter.commit}.
 *
 * @example
 * ```ts
 * import { PredPatchstoreWriter } from "./pred_pst.ts";
 * const w = await PredPatchstoreWriter.create("x2pred.h5", 2, 40);
 * w.append(new Float32Array(10 * 40 * 40), 10);
 * w.commit();
 * ```
 * @module
 */
import h5wasm from "h5wasm/node";
import { atEpoch } from "../../patchstore/h5.ts";

type H5File = InstanceType<typeof h5wasm.File>;
type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

/** Streams prediction batches into a new predicted patchstore. */
export class PredPatchstoreWriter {
  #file: H5File | null;
  #ds: H5Dataset;
  #count = 0;

  private constructor(
    readonly path: string,
    readonly factor: number,
    readonly size: number,
    private readonly tmp: string,
  ) {
    // The same predictions give the same bytes (HDF5's object times fixed; see atEpoch).
    const file = atEpoch(() => new h5wasm.File(tmp, "w"));
    if (file.file_id < 0n) {
      throw new Error(`predicted patchstore ${path}: HDF5 could not create ${tmp}`);
    }
    this.#file = file;
    this.#ds = atEpoch(() => {
      file.create_group("patchArr");
      return file.create_dataset({
        name: `patchArr/SRx${factor}`,
        data: new Float32Array(0),
        shape: [0, 1, size, size],
        maxshape: [null, 1, size, size],
        chunks: [1, 1, size, size],
        dtype: "<f",
      });
    });
  }

  /** Opens a writer for level `factor` with size×size patches. */
  static async create(path: string, factor: number, size: number): Promise<PredPatchstoreWriter> {
    await h5wasm.ready;
    const slash = path.lastIndexOf("/");
    const tmp = `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.tmp-${Deno.pid}`;
    try {
      await Deno.writeFile(tmp, new Uint8Array(0));
    } catch (e) {
      throw new Error(
        `predicted patchstore ${path}: cannot create output file (${(e as Error).message})`,
      );
    }
    return new PredPatchstoreWriter(path, factor, size, tmp);
  }

  get count(): number {
    return this.#count;
  }

  /** Appends `n` patches [n, 1, size, size]. */
  append(data: Float32Array, n: number): void {
    if (!this.#file) throw new Error(`predicted patchstore ${this.path}: writer is closed`);
    if (data.length !== n * this.size * this.size) {
      throw new Error(
        `predicted patchstore ${this.path}: batch has ${data.length} values, expected ${n}·1·${this.size}·${this.size}`,
      );
    }
    const n1 = this.#count + n;
    atEpoch(() => {
      this.#ds.resize([n1, 1, this.size, this.size]);
      this.#ds.write_slice([[this.#count, n1]], data);
    });
    this.#count = n1;
  }

  /** Closes the file and renames it to `path`. */
  commit(): void {
    if (!this.#file) throw new Error(`predicted patchstore ${this.path}: writer is closed`);
    const file = this.#file;
    atEpoch(() => file.close());
    this.#file = null;
    Deno.renameSync(this.tmp, this.path);
  }

  /** Closes and removes the temporary file. Idempotent. */
  abort(): void {
    try {
      const file = this.#file;
      if (file) atEpoch(() => file.close());
    } catch { /* failing already */ }
    this.#file = null;
    try {
      Deno.removeSync(this.tmp);
    } catch { /* not there */ }
  }
}
