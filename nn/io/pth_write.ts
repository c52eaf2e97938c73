/**
 * Writes PyTorch state_dict checkpoints (`torch.save` zip format, seed spec §6.3) without Python,
 * so a model trained here is a `mod-it{N}.pth` that sr-midas (and `torch.load`) reads.
 *
 * Layout, as `torch.save(model.state_dict(), path)` leaves it:
 * - `archive/data.pkl`: a protocol-2 pickle of an `OrderedDict` mapping each key to
 *   `torch._utils._rebuild_tensor_v2(persistent_load(('storage', torch.FloatStorage, '<k>',
 *   'cpu', numel)), 0, size, stride, False, OrderedDict())`;
 * - `archive/byteorder` (`little`), `archive/data/<k>` (raw little-endian float32 storages, one
 *   per tensor), `archive/version` (`3`);
 * - every member STORED (uncompressed, with CRC-32), its data aligned to 64 bytes by padding the
 *   local header's extra field, as PyTorch's writer does (so `torch.load(mmap=True)` works too).
 *
 * The pickle uses only the globals `weights_only=True` loading allows (`collections.OrderedDict`,
 * `torch._utils._rebuild_tensor_v2`, `torch.FloatStorage`).
 *
 * @example
 * ```ts
 * import { encodeTorchStateDict } from "./pth_write.ts";
 * const bytes = encodeTorchStateDict(new Map([["w", { dims: [2], data: new Float32Array([1, 2]) }]]));
 * ```
 * @module
 */
import { crc32 } from "node:zlib";
import { type Arch, parseArch } from "../arch.ts";
import type { Tensor } from "./pth.ts";

const SUPPORTED_ACTS = new Set(["r", "s", "lr", "t"]);

/**
 * sr-midas's state_dict keys for `arch`, in paramSpecs order (weight, bias per conv):
 * `module.cnn_layers.{i}.weight/.bias`, where i counts the modules of sr-midas's Sequential
 * (a conv, then its activation only for r/s/lr/t, §6.1) and `module.` is the DataParallel
 * prefix sr-midas saves with. A pixel shuffle (an extension) counts as one module.
 */
export function srMidasStateDictKeys(arch: Arch): string[] {
  const keys: string[] = [];
  let i = 0;
  for (const l of arch.layers) {
    if (l.kind === "conv") {
      keys.push(`module.cnn_layers.${i}.weight`, `module.cnn_layers.${i}.bias`);
      i += SUPPORTED_ACTS.has(l.act) ? 2 : 1;
    } else i += 1;
  }
  return keys;
}

/** Weights in paramSpecs order → sr-midas's state_dict (keys of {@link srMidasStateDictKeys}). */
export function srMidasStateDict(
  arch: Arch | string,
  inChannels: number,
  weights: Float32Array[],
): Map<string, Tensor> {
  const a = typeof arch === "string" ? parseArch(arch) : arch;
  const keys = srMidasStateDictKeys(a);
  if (keys.length !== weights.length) {
    throw new Error(
      `srMidasStateDict: arch "${a.text}" has ${keys.length} tensors, got ${weights.length}`,
    );
  }
  const out = new Map<string, Tensor>();
  let cin = inChannels;
  let w = 0;
  for (const l of a.layers) {
    if (l.kind === "shuffle") {
      cin = cin / (l.factor * l.factor);
      continue;
    }
    const wd = [l.outChannels, cin, l.kernel, l.kernel];
    for (const [dims, k] of [[wd, keys[w]], [[l.outChannels], keys[w + 1]]] as const) {
      const n = dims.reduce((x, y) => x * y, 1);
      if (weights[w].length !== n) {
        throw new Error(`srMidasStateDict: ${k} needs ${n} values, got ${weights[w].length}`);
      }
      out.set(k, { dims: [...dims], data: weights[w++] });
    }
    cin = l.outChannels;
  }
  return out;
}

/** Protocol-2 pickle opcodes used here. */
const OP = {
  PROTO: 0x80,
  STOP: 0x2e,
  MARK: 0x28,
  TUPLE: 0x74,
  TUPLE1: 0x85,
  EMPTY_TUPLE: 0x29,
  GLOBAL: 0x63,
  REDUCE: 0x52,
  BINPERSID: 0x51,
  BINUNICODE: 0x58,
  BININT1: 0x4b,
  BININT2: 0x4d,
  BININT: 0x4a,
  NEWFALSE: 0x89,
  SETITEMS: 0x75,
} as const;

class PickleWriter {
  private bytes: number[] = [];
  op(code: number) {
    this.bytes.push(code);
  }
  int(n: number) {
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
      throw new Error(`pickle: integer ${n} out of range`);
    }
    if (n < 0x100) this.bytes.push(OP.BININT1, n);
    else if (n < 0x10000) this.bytes.push(OP.BININT2, n & 0xff, n >> 8);
    else this.bytes.push(OP.BININT, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);
  }
  str(s: string) {
    const b = new TextEncoder().encode(s);
    this.bytes.push(OP.BINUNICODE, b.length & 0xff, (b.length >> 8) & 0xff, b.length >> 16, 0);
    for (const x of b) this.bytes.push(x);
  }
  global(module: string, name: string) {
    this.bytes.push(OP.GLOBAL, ...new TextEncoder().encode(`${module}\n${name}\n`));
  }
  tuple(items: number[]) {
    if (items.length === 1) {
      this.int(items[0]);
      this.op(OP.TUPLE1);
      return;
    }
    this.op(OP.MARK);
    for (const x of items) this.int(x);
    this.op(OP.TUPLE);
  }
  emptyOrderedDict() {
    this.global("collections", "OrderedDict");
    this.op(OP.EMPTY_TUPLE);
    this.op(OP.REDUCE);
  }
  done(): Uint8Array {
    return new Uint8Array(this.bytes);
  }
}

/** C-order strides of `dims`. */
function contiguousStride(dims: number[]): number[] {
  const s = new Array(dims.length).fill(1);
  for (let d = dims.length - 2; d >= 0; d--) s[d] = s[d + 1] * dims[d + 1];
  return s;
}

/** The `data.pkl` of a state_dict whose tensor k (in order) lives in storage `"k"`. */
function statePickle(tensors: [string, Tensor][]): Uint8Array {
  const p = new PickleWriter();
  p.op(OP.PROTO);
  p.op(2);
  p.emptyOrderedDict();
  p.op(OP.MARK);
  tensors.forEach(([name, t], k) => {
    p.str(name);
    p.global("torch._utils", "_rebuild_tensor_v2");
    p.op(OP.MARK);
    // persistent id ('storage', torch.FloatStorage, key, location, numel)
    p.op(OP.MARK);
    p.str("storage");
    p.global("torch", "FloatStorage");
    p.str(String(k));
    p.str("cpu");
    p.int(t.data.length);
    p.op(OP.TUPLE);
    p.op(OP.BINPERSID);
    p.int(0);
    p.tuple(t.dims);
    p.tuple(contiguousStride(t.dims));
    p.op(OP.NEWFALSE);
    p.emptyOrderedDict();
    p.op(OP.TUPLE);
    p.op(OP.REDUCE);
  });
  p.op(OP.SETITEMS);
  p.op(OP.STOP);
  return p.done();
}

/** PyTorch aligns every member's data to this many bytes. */
const ALIGN = 64;

/** A zip archive of STORED members, data aligned to {@link ALIGN} bytes (no ZIP64: < 4 GiB). */
function storedZip(members: [string, Uint8Array][]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let off = 0;
  for (const [name, data] of members) {
    const nm = enc.encode(name);
    const crc = crc32(data) >>> 0;
    // Extra field "FB" (PyTorch's padding id) sized so that the data starts aligned.
    const pad = (ALIGN - ((off + 30 + nm.length + 4) % ALIGN)) % ALIGN;
    const extraLen = 4 + pad;
    const h = new Uint8Array(30 + nm.length + extraLen);
    const dv = new DataView(h.buffer);
    dv.setUint32(0, 0x04034b50, true);
    dv.setUint16(4, 20, true); // version needed
    dv.setUint32(14, crc, true);
    dv.setUint32(18, data.length, true);
    dv.setUint32(22, data.length, true);
    dv.setUint16(26, nm.length, true);
    dv.setUint16(28, extraLen, true);
    h.set(nm, 30);
    dv.setUint16(30 + nm.length, 0x4246, true);
    dv.setUint16(32 + nm.length, pad, true);
    const c = new Uint8Array(46 + nm.length);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true); // version made by
    cv.setUint16(6, 20, true); // version needed
    cv.setUint32(16, crc, true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, nm.length, true);
    cv.setUint32(42, off, true);
    c.set(nm, 46);
    central.push(c);
    parts.push(h, data);
    off += h.length + data.length;
    if (off > 0xffffffff) throw new Error("torch zip: archive over 4 GiB (ZIP64) not supported");
  }
  const cdSize = central.reduce((s, c) => s + c.length, 0);
  const e = new Uint8Array(22);
  const ev = new DataView(e.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, members.length, true);
  ev.setUint16(10, members.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, off, true);
  const all = new Uint8Array(off + cdSize + 22);
  let p = 0;
  for (const x of [...parts, ...central, e]) (all.set(x, p), p += x.length);
  return all;
}

/**
 * The bytes of `torch.save(state_dict, path)` for float32 tensors (in insertion order);
 * `archiveName` is the members' folder (PyTorch ≥ 1.13 uses `archive`).
 */
export function encodeTorchStateDict(
  tensors: Map<string, Tensor>,
  opts: { archiveName?: string } = {},
): Uint8Array {
  const a = opts.archiveName ?? "archive";
  const list = [...tensors];
  for (const [k, t] of list) {
    const n = t.dims.reduce((x, y) => x * y, 1);
    if (n !== t.data.length) {
      throw new Error(`torch state_dict: ${k} has ${t.data.length} values for shape [${t.dims}]`);
    }
  }
  const enc = new TextEncoder();
  const le = (f: Float32Array): Uint8Array => {
    // Float32Array is host-endian; every platform Deno runs on is little-endian, but be exact.
    const out = new Uint8Array(f.length * 4);
    const dv = new DataView(out.buffer);
    for (let i = 0; i < f.length; i++) dv.setFloat32(4 * i, f[i], true);
    return out;
  };
  return storedZip([
    [`${a}/data.pkl`, statePickle(list)],
    [`${a}/byteorder`, enc.encode("little")],
    ...list.map(([, t], k) => [`${a}/data/${k}`, le(t.data)] as [string, Uint8Array]),
    [`${a}/version`, enc.encode("3\n")],
  ]);
}

/**
 * Writes sr-midas's `mod-it{N}.pth` for `weights` (paramSpecs order) to `path`, atomically
 * (temporary file + rename).
 */
export async function writeSrMidasCheckpoint(
  path: string,
  arch: Arch | string,
  inChannels: number,
  weights: Float32Array[],
): Promise<void> {
  const bytes = encodeTorchStateDict(srMidasStateDict(arch, inChannels, weights));
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeFile(tmp, bytes);
  await Deno.rename(tmp, path);
}
