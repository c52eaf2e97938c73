/**
 * A minimal read-only ZIP reader for PyTorch checkpoints (`torch.save` zip format): central
 * directory parsing, stored (method 0) and deflated (method 8, via node:zlib) members, ZIP64
 * sizes and offsets. No encryption, no multi-disk archives.
 *
 * @example
 * ```ts
 * import { readZip } from "./zip.ts";
 * const zip = readZip(await Deno.readFile("mod-it999.pth"), "mod-it999.pth");
 * const pkl = zip.read(zip.names.find((n) => n.endsWith("/data.pkl"))!);
 * ```
 * @module
 */
import { inflateRawSync } from "node:zlib";

/** One member of the archive. */
export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

/** An opened archive over an in-memory buffer. */
export interface ZipArchive {
  names: string[];
  entries: Map<string, ZipEntry>;
  /** Uncompressed bytes of member `name`; throws naming the archive if it is absent. */
  read(name: string): Uint8Array;
}

const EOCD_SIG = 0x06054b50;
const EOCD64_LOC_SIG = 0x07064b50;
const EOCD64_SIG = 0x06064b50;
const CDIR_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const MAX32 = 0xffffffff;

/** Parses the central directory of `buf`; `source` names the file in errors. */
export function readZip(buf: Uint8Array, source = "zip"): ZipArchive {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const bad = (what: string) => new Error(`${source}: not a readable zip archive (${what})`);
  // The end-of-central-directory record sits in the last 22 + 65535 (comment) bytes.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (dv.getUint32(i, true) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad("no end-of-central-directory record");
  let count = dv.getUint16(eocd + 10, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  if ((cdOffset === MAX32 || count === 0xffff) && eocd >= 20) {
    const loc = eocd - 20;
    if (dv.getUint32(loc, true) === EOCD64_LOC_SIG) {
      const e64 = Number(dv.getBigUint64(loc + 8, true));
      if (dv.getUint32(e64, true) !== EOCD64_SIG) throw bad("bad ZIP64 end record");
      count = Number(dv.getBigUint64(e64 + 32, true));
      cdOffset = Number(dv.getBigUint64(e64 + 48, true));
    }
  }
  const entries = new Map<string, ZipEntry>();
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > buf.length || dv.getUint32(p, true) !== CDIR_SIG) {
      throw bad(`central directory entry ${k} at byte ${p}`);
    }
    const method = dv.getUint16(p + 10, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let size = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let localHeaderOffset = dv.getUint32(p + 42, true);
    const name = new TextDecoder().decode(buf.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extended information: only the fields that overflowed are present, in this order.
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = dv.getUint16(x, true);
      const len = dv.getUint16(x + 2, true);
      if (id === 0x0001) {
        let q = x + 4;
        const next = () => {
          const v = Number(dv.getBigUint64(q, true));
          q += 8;
          return v;
        };
        if (size === MAX32) size = next();
        if (compressedSize === MAX32) compressedSize = next();
        if (localHeaderOffset === MAX32) localHeaderOffset = next();
      }
      x += 4 + len;
    }
    entries.set(name, { name, method, compressedSize, size, localHeaderOffset });
    p = xEnd + commentLen;
  }
  return {
    names: [...entries.keys()],
    entries,
    read(name: string): Uint8Array {
      const e = entries.get(name);
      if (!e) throw new Error(`${source}: archive has no member "${name}"`);
      const h = e.localHeaderOffset;
      if (dv.getUint32(h, true) !== LOCAL_SIG) throw bad(`local header of "${name}"`);
      const start = h + 30 + dv.getUint16(h + 26, true) + dv.getUint16(h + 28, true);
      const raw = buf.subarray(start, start + e.compressedSize);
      if (e.method === 0) return raw;
      if (e.method === 8) return new Uint8Array(inflateRawSync(raw));
      throw new Error(
        `${source}: member "${name}" uses unsupported compression method ${e.method}`,
      );
    },
  };
}
