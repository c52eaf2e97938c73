/**
 * A streaming writer for STORED (uncompressed) ZIP archives with ZIP64 support.
 *
 * Entries are appended in call order with CRC32 and sizes already in the local header (no data
 * descriptors), which is what Python's `zipfile`, unzipit and MIDAS's libzip readers expect.
 * ZIP64 records are written only when needed (an offset or the entry count past the 32/16-bit
 * limits) unless `forceZip64` asks for them, which tests use to exercise the ZIP64 path on small
 * files.
 *
 * @example
 * ```ts
 * import { ZipStreamWriter } from "./zip_container.ts";
 * const zip = await ZipStreamWriter.create("/tmp/a.zip");
 * await zip.add("hello.txt", new TextEncoder().encode("hi"));
 * await zip.finish();
 * ```
 * @module
 */
import { crc32 } from "node:zlib";

const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;
const FLUSH_BYTES = 1 << 20;

interface CentralEntry {
  name: Uint8Array;
  crc: number;
  size: number;
  offset: number;
  time: number;
  date: number;
}

/** Options of {@link ZipStreamWriter.create}. */
export interface ZipWriterOptions {
  /** Write ZIP64 central-directory records even when the archive is small (tests). */
  forceZip64?: boolean;
  /** Modification time stamped on every entry (default: now). */
  mtime?: Date;
}

/** DOS date/time words of a local time, as zip stores them. */
export function dosDateTime(d: Date): { time: number; date: number } {
  const year = Math.max(1980, d.getFullYear());
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

/** Appends STORED entries to a new zip file; call {@link finish} to write the central directory. */
export class ZipStreamWriter {
  #file: Deno.FsFile;
  #path: string;
  #offset = 0;
  #entries: CentralEntry[] = [];
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #forceZip64: boolean;
  #stamp: { time: number; date: number };
  #enc = new TextEncoder();

  private constructor(file: Deno.FsFile, path: string, opts: ZipWriterOptions) {
    this.#file = file;
    this.#path = path;
    this.#forceZip64 = opts.forceZip64 ?? false;
    this.#stamp = dosDateTime(opts.mtime ?? new Date());
  }

  /** Creates (truncates) `path` and returns a writer for it. */
  static async create(path: string, opts: ZipWriterOptions = {}): Promise<ZipStreamWriter> {
    const file = await Deno.open(path, { write: true, create: true, truncate: true, mode: 0o644 });
    return new ZipStreamWriter(file, path, opts);
  }

  /** Bytes written (or queued) so far. */
  get offset(): number {
    return this.#offset;
  }

  /** Appends one STORED entry named `name` holding `data`. */
  async add(name: string, data: Uint8Array): Promise<void> {
    if (data.byteLength >= U32_MAX) {
      throw new Error(`${this.#path}: zip entry ${name} is ${data.byteLength} bytes; max 4 GiB`);
    }
    const nameBytes = this.#enc.encode(name);
    const crc = crc32(data) >>> 0;
    const h = new DataView(new ArrayBuffer(30));
    h.setUint32(0, 0x04034b50, true);
    h.setUint16(4, 20, true); // version needed: 2.0 (entry sizes never need ZIP64 here)
    h.setUint16(6, 0, true); // flags
    h.setUint16(8, 0, true); // method: stored
    h.setUint16(10, this.#stamp.time, true);
    h.setUint16(12, this.#stamp.date, true);
    h.setUint32(14, crc, true);
    h.setUint32(18, data.byteLength, true);
    h.setUint32(22, data.byteLength, true);
    h.setUint16(26, nameBytes.length, true);
    h.setUint16(28, 0, true);
    this.#entries.push({
      name: nameBytes,
      crc,
      size: data.byteLength,
      offset: this.#offset,
      ...this.#stamp,
    });
    await this.#write(new Uint8Array(h.buffer));
    await this.#write(nameBytes);
    await this.#write(data);
  }

  /** Writes the central directory and end records, then closes the file. */
  async finish(): Promise<void> {
    const cdStart = this.#offset;
    for (const e of this.#entries) {
      const zip64 = this.#forceZip64 || e.offset >= U32_MAX;
      const extraLen = zip64 ? 12 : 0;
      const h = new DataView(new ArrayBuffer(46 + extraLen));
      h.setUint32(0, 0x02014b50, true);
      h.setUint16(4, (3 << 8) | (zip64 ? 45 : 20), true); // made by: unix
      h.setUint16(6, zip64 ? 45 : 20, true);
      h.setUint16(8, 0, true);
      h.setUint16(10, 0, true);
      h.setUint16(12, e.time, true);
      h.setUint16(14, e.date, true);
      h.setUint32(16, e.crc, true);
      h.setUint32(20, e.size, true);
      h.setUint32(24, e.size, true);
      h.setUint16(28, e.name.length, true);
      h.setUint16(30, extraLen, true);
      h.setUint16(32, 0, true); // comment length
      h.setUint16(34, 0, true); // disk
      h.setUint16(36, 0, true); // internal attrs
      h.setUint32(38, (0o100644 << 16) >>> 0, true); // regular file, rw-r--r--
      h.setUint32(42, zip64 ? U32_MAX : e.offset, true);
      if (zip64) {
        h.setUint16(46, 0x0001, true);
        h.setUint16(48, 8, true);
        h.setBigUint64(50, BigInt(e.offset), true);
      }
      await this.#write(new Uint8Array(h.buffer, 0, 46));
      await this.#write(e.name);
      if (zip64) await this.#write(new Uint8Array(h.buffer, 46, extraLen));
    }
    const cdEnd = this.#offset;
    const cdSize = cdEnd - cdStart;
    const n = this.#entries.length;
    const zip64 = this.#forceZip64 || n >= U16_MAX || cdStart >= U32_MAX || cdSize >= U32_MAX;
    if (zip64) {
      const r = new DataView(new ArrayBuffer(56 + 20));
      r.setUint32(0, 0x06064b50, true); // ZIP64 end of central directory record
      r.setBigUint64(4, 44n, true);
      r.setUint16(12, (3 << 8) | 45, true);
      r.setUint16(14, 45, true);
      r.setUint32(16, 0, true);
      r.setUint32(20, 0, true);
      r.setBigUint64(24, BigInt(n), true);
      r.setBigUint64(32, BigInt(n), true);
      r.setBigUint64(40, BigInt(cdSize), true);
      r.setBigUint64(48, BigInt(cdStart), true);
      r.setUint32(56, 0x07064b50, true); // ZIP64 locator
      r.setUint32(60, 0, true);
      r.setBigUint64(64, BigInt(cdEnd), true);
      r.setUint32(72, 1, true);
      await this.#write(new Uint8Array(r.buffer));
    }
    const eocd = new DataView(new ArrayBuffer(22));
    eocd.setUint32(0, 0x06054b50, true);
    eocd.setUint16(8, zip64 ? U16_MAX : n, true);
    eocd.setUint16(10, zip64 ? U16_MAX : n, true);
    eocd.setUint32(12, zip64 ? U32_MAX : cdSize, true);
    eocd.setUint32(16, zip64 ? U32_MAX : cdStart, true);
    eocd.setUint16(20, 0, true);
    await this.#write(new Uint8Array(eocd.buffer));
    await this.#flush();
    this.#file.close();
  }

  /** Closes the file without finishing it (the caller removes it). */
  abort(): void {
    try {
      this.#file.close();
    } catch { /* already closed */ }
  }

  async #write(b: Uint8Array): Promise<void> {
    this.#offset += b.byteLength;
    if (b.byteLength >= FLUSH_BYTES) {
      await this.#flush();
      await writeAll(this.#file, b);
      return;
    }
    this.#pending.push(b.slice());
    this.#pendingBytes += b.byteLength;
    if (this.#pendingBytes >= FLUSH_BYTES) await this.#flush();
  }

  async #flush(): Promise<void> {
    if (this.#pendingBytes === 0) return;
    const buf = new Uint8Array(this.#pendingBytes);
    let o = 0;
    for (const p of this.#pending) {
      buf.set(p, o);
      o += p.byteLength;
    }
    this.#pending = [];
    this.#pendingBytes = 0;
    await writeAll(this.#file, buf);
  }
}

async function writeAll(file: Deno.FsFile, b: Uint8Array): Promise<void> {
  let o = 0;
  while (o < b.byteLength) o += await file.write(b.subarray(o));
}
