/**
 * NumPy `.npy` files (format 1.0) for float32 arrays in C order: {@link writeNpy} /
 * {@link readNpy} for whole arrays, {@link NpyWriter} to stream a large prediction to disk in
 * batches without holding it in memory. `readNpy` also accepts `<f8` (converted to float32).
 *
 * @example
 * ```ts
 * import { readNpy, writeNpy } from "./npy.ts";
 * await writeNpy("/tmp/a.npy", new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * const { data, shape } = await readNpy("/tmp/a.npy"); // shape [2, 3]
 * ```
 * @module
 */

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** The header bytes of a float32 C-order array of `shape` (magic … newline, 64-byte aligned). */
export function npyHeader(shape: readonly number[]): Uint8Array {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`npy: shape must be non-negative integers, got [${shape}]`);
  }
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`;
  const pad = 64 - ((10 + dict.length + 1) % 64);
  dict += " ".repeat(pad % 64) + "\n";
  const out = new Uint8Array(10 + dict.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, dict.length, true);
  out.set(new TextEncoder().encode(dict), 10);
  return out;
}

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Writes `data` (C order, `shape`) as a float32 `.npy`. */
export async function writeNpy(
  path: string,
  data: Float32Array,
  shape: readonly number[],
): Promise<void> {
  const w = await NpyWriter.create(path, shape);
  try {
    await w.write(data);
  } finally {
    w.close();
  }
}

/** Streams a float32 `.npy` of known shape; throws on close if fewer values were written. */
export class NpyWriter {
  #written = 0;
  private constructor(
    readonly path: string,
    readonly shape: readonly number[],
    private readonly file: Deno.FsFile,
  ) {}

  static async create(path: string, shape: readonly number[]): Promise<NpyWriter> {
    const header = npyHeader(shape);
    const file = await Deno.open(path, { write: true, create: true, truncate: true });
    await writeAll(file, header);
    return new NpyWriter(path, shape, file);
  }

  /** Appends values in C order. */
  async write(values: Float32Array): Promise<void> {
    if (this.#written + values.length > count(this.shape)) {
      throw new Error(`${this.path}: more values than shape [${this.shape}] holds`);
    }
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    await writeAll(this.file, bytes);
    this.#written += values.length;
  }

  close(): void {
    this.file.close();
    if (this.#written !== count(this.shape)) {
      throw new Error(
        `${this.path}: wrote ${this.#written} values, shape [${this.shape}] needs ${
          count(this.shape)
        }`,
      );
    }
  }
}

async function writeAll(f: Deno.FsFile, b: Uint8Array): Promise<void> {
  let off = 0;
  while (off < b.length) off += await f.write(b.subarray(off));
}

/** Reads a `<f4` or `<f8` C-order `.npy` as float32. */
export async function readNpy(path: string): Promise<{ data: Float32Array; shape: number[] }> {
  const buf = await Deno.readFile(path);
  if (buf.length < 10 || MAGIC.some((m, i) => buf[i] !== m)) {
    throw new Error(`${path}: not a .npy file (bad magic)`);
  }
  const dv = new DataView(buf.buffer, buf.byteOffset);
  const major = buf[6];
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(buf.subarray(start, start + hlen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (shapeText === undefined) throw new Error(`${path}: header has no shape field`);
  if (fortran !== "False") throw new Error(`${path}: field fortran_order must be False`);
  const shape = shapeText.split(",").map((s) => s.trim()).filter((s) => s).map(Number);
  const n = count(shape);
  const body = buf.slice(start + hlen);
  if (descr === "<f4") {
    if (body.length < 4 * n) throw new Error(`${path}: truncated, ${body.length} < ${4 * n} bytes`);
    return { data: new Float32Array(body.buffer, 0, n), shape };
  }
  if (descr === "<f8") {
    if (body.length < 8 * n) throw new Error(`${path}: truncated, ${body.length} < ${8 * n} bytes`);
    return { data: Float32Array.from(new Float64Array(body.buffer, 0, n)), shape };
  }
  throw new Error(`${path}: field descr is ${descr}, expected '<f4' or '<f8'`);
}
