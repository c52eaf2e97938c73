/**
 * A dependency-free protobuf encoder for the subset of ONNX this project writes, plus a tiny
 * graph builder. Targets IR 8 / opset 17 so that Debian's python3-onnx 1.12 checker accepts the
 * models, while onnxruntime-node 1.30 runs them unchanged (deno-stack §1).
 *
 * Only writing is supported; field numbers follow onnx/onnx.proto3 (proto2 wire format, repeated
 * scalars written unpacked).
 *
 * @example
 * ```ts
 * import { GraphBuilder } from "./onnx_proto.ts";
 * const g = new GraphBuilder("double");
 * g.input("x", ["N", 3]);
 * const two = g.constFloat("two", [2], []);
 * const [y] = g.node("Mul", ["x", two]);
 * g.output(y, ["N", 3], "y");
 * const bytes: Uint8Array = g.toModel(); // feed to ort.InferenceSession.create(bytes)
 * ```
 * @module
 */

/** ONNX TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, DOUBLE: 11 } as const;

/** Attribute values accepted by {@link GraphBuilder.node}. */
export type AttrValue = number | string | number[] | { int: number } | { ints: number[] };

/** One dimension of a value's shape: a fixed size or a symbolic name ("N", "H"…). */
export type Dim = number | string;

/** Growable byte buffer with protobuf primitives. */
class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
  }

  /** Unsigned varint; negative int64 values are written as 10-byte two's complement. */
  varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (x >= 0x80n) {
      this.buf[this.len++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.len++] = Number(x);
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, v: number | bigint): void {
    this.tag(field, 0);
    this.varint(v);
  }

  float32(field: number, v: number): void {
    this.tag(field, 5);
    this.ensure(4);
    new DataView(this.buf.buffer, this.len, 4).setFloat32(0, v, true);
    this.len += 4;
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, 2);
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, fill: (w: Writer) => void): void {
    const w = new Writer();
    fill(w);
    this.bytes(field, w.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** A tensor stored in the model (initializer or attribute value). */
export interface TensorInit {
  name: string;
  dims: number[];
  dataType: number;
  /** Little-endian raw bytes (`raw_data`). */
  raw: Uint8Array;
}

/** A node as stored in the graph. */
export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attrs: Record<string, AttrValue | TensorInit>;
  domain?: string;
}

/** A typed graph input or output. */
export interface ValueInfo {
  name: string;
  elemType: number;
  shape: Dim[];
}

function writeTensor(w: Writer, t: TensorInit): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  w.string(8, t.name);
  w.bytes(9, t.raw);
}

function isTensor(v: unknown): v is TensorInit {
  return typeof v === "object" && v !== null && "raw" in v && "dims" in v;
}

// AttributeProto.AttributeType
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/**
 * Integer-valued attribute names: a plain JS number for these is written as INT(S), every other
 * plain number as FLOAT. Use `{ int }` / `{ ints }` to force integers for other names.
 */
const INT_ATTRS = new Set([
  "axis",
  "axes",
  "keepdims",
  "pads",
  "strides",
  "dilations",
  "kernel_shape",
  "group",
  "perm",
  "blocksize",
  "to",
  "transA",
  "transB",
  "noop_with_empty_axes",
  "select_last_index",
]);

function writeAttr(w: Writer, name: string, v: AttrValue | TensorInit): void {
  w.string(1, name);
  if (isTensor(v)) {
    w.message(5, (t) => writeTensor(t, v));
    w.int(20, ATTR.TENSOR);
  } else if (typeof v === "string") {
    w.bytes(4, new TextEncoder().encode(v));
    w.int(20, ATTR.STRING);
  } else if (typeof v === "number") {
    if (INT_ATTRS.has(name)) {
      w.int(3, v);
      w.int(20, ATTR.INT);
    } else {
      w.float32(2, v);
      w.int(20, ATTR.FLOAT);
    }
  } else if (Array.isArray(v)) {
    if (INT_ATTRS.has(name)) {
      for (const x of v) w.int(8, x);
      w.int(20, ATTR.INTS);
    } else {
      for (const x of v) w.float32(7, x);
      w.int(20, ATTR.FLOATS);
    }
  } else if ("int" in v) {
    w.int(3, v.int);
    w.int(20, ATTR.INT);
  } else {
    for (const x of v.ints) w.int(8, x);
    w.int(20, ATTR.INTS);
  }
}

function writeValueInfo(w: Writer, v: ValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tt) => {
      tt.int(1, v.elemType);
      tt.message(2, (shape) => {
        for (const d of v.shape) {
          shape.message(1, (dim) => typeof d === "number" ? dim.int(1, d) : dim.string(2, d));
        }
      });
    }));
}

/** Options of {@link encodeModel}. */
export interface ModelOptions {
  irVersion?: number;
  opset?: number;
  producer?: string;
  docString?: string;
}

/** Encodes a complete ModelProto. */
export function encodeModel(
  graph: {
    name: string;
    nodes: NodeSpec[];
    initializers: TensorInit[];
    inputs: ValueInfo[];
    outputs: ValueInfo[];
  },
  opts: ModelOptions = {},
): Uint8Array {
  const w = new Writer();
  w.int(1, opts.irVersion ?? 8);
  w.string(2, opts.producer ?? "srmidas");
  w.string(3, "0.1");
  if (opts.docString) w.string(6, opts.docString);
  w.message(7, (g) => {
    for (const n of graph.nodes) {
      g.message(1, (nw) => {
        for (const i of n.inputs) nw.string(1, i);
        for (const o of n.outputs) nw.string(2, o);
        nw.string(3, n.name);
        nw.string(4, n.op);
        for (const [k, v] of Object.entries(n.attrs)) nw.message(5, (aw) => writeAttr(aw, k, v));
        if (n.domain) nw.string(7, n.domain);
      });
    }
    g.string(2, graph.name);
    for (const t of graph.initializers) g.message(5, (tw) => writeTensor(tw, t));
    for (const v of graph.inputs) g.message(11, (vw) => writeValueInfo(vw, v));
    for (const v of graph.outputs) g.message(12, (vw) => writeValueInfo(vw, v));
  });
  w.message(8, (op) => {
    op.string(1, "");
    op.int(2, opts.opset ?? 17);
  });
  // Contrib domains (ORT's com.microsoft.*) are all at version 1.
  const domains = new Set(graph.nodes.map((n) => n.domain).filter((d): d is string => !!d));
  for (const d of domains) {
    w.message(8, (op) => {
      op.string(1, d);
      op.int(2, 1);
    });
  }
  return w.finish();
}

function rawOf(data: ArrayLike<number>, dataType: number): Uint8Array {
  if (dataType === DataType.FLOAT) {
    const a = data instanceof Float32Array ? data : Float32Array.from(data);
    return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  }
  if (dataType === DataType.INT64) {
    const a = BigInt64Array.from(Array.from(data, (x) => BigInt(x)));
    return new Uint8Array(a.buffer);
  }
  if (dataType === DataType.INT32) return new Uint8Array(Int32Array.from(data).buffer);
  if (dataType === DataType.DOUBLE) return new Uint8Array(Float64Array.from(data).buffer);
  throw new Error(`onnx_proto: unsupported tensor data type ${dataType}`);
}

/** Builds a tensor (for initializers or Constant attributes) from numbers. */
export function makeTensor(
  name: string,
  data: ArrayLike<number>,
  dims: number[],
  dataType: number = DataType.FLOAT,
): TensorInit {
  const n = dims.reduce((a, b) => a * b, 1);
  if (n !== data.length) {
    throw new Error(
      `onnx_proto: tensor "${name}" has ${data.length} values, dims [${dims}] need ${n}`,
    );
  }
  return { name, dims, dataType, raw: rawOf(data, dataType) };
}

/** Incremental graph construction with generated, unique value names. */
export class GraphBuilder {
  readonly nodes: NodeSpec[] = [];
  readonly initializers: TensorInit[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  private counter = 0;
  private consts = new Map<string, string>();

  constructor(readonly name: string) {}

  /** A fresh value name with a readable prefix. */
  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  /**
   * Appends a node and returns its output names. `outputs` may be a count (names generated from
   * the op type) or explicit names.
   */
  node(
    op: string,
    inputs: string[],
    attrs: Record<string, AttrValue | TensorInit> = {},
    outputs: number | string[] = 1,
    domain?: string,
  ): string[] {
    const outs = typeof outputs === "number"
      ? Array.from({ length: outputs }, () => this.fresh(op.toLowerCase()))
      : outputs;
    const name = `n${this.nodes.length}_${op}`;
    this.nodes.push({ op, inputs, outputs: outs, name, attrs, ...(domain ? { domain } : {}) });
    return outs;
  }

  /** Shorthand for a single-output node. */
  op(op: string, inputs: string[], attrs: Record<string, AttrValue | TensorInit> = {}): string {
    return this.node(op, inputs, attrs)[0];
  }

  /** A single-output node of a non-default operator domain (e.g. ORT's `com.microsoft.nchwc`). */
  opIn(
    domain: string,
    op: string,
    inputs: string[],
    attrs: Record<string, AttrValue | TensorInit> = {},
  ): string {
    return this.node(op, inputs, attrs, 1, domain)[0];
  }

  /** Declares a float (or other) graph input. */
  input(name: string, shape: Dim[], elemType: number = DataType.FLOAT): string {
    this.inputs.push({ name, elemType, shape });
    return name;
  }

  /** Declares a graph output; if `as` is given the value is first renamed through Identity. */
  output(value: string, shape: Dim[], as?: string, elemType: number = DataType.FLOAT): string {
    let name = value;
    if (as && as !== value) name = this.node("Identity", [value], {}, [as])[0];
    this.outputs.push({ name, elemType, shape });
    return name;
  }

  /** Adds a named float32 initializer. */
  initializer(name: string, data: ArrayLike<number>, dims: number[]): string {
    this.initializers.push(makeTensor(name, data, dims, DataType.FLOAT));
    return name;
  }

  /** A float constant (deduplicated by value), stored as an initializer. */
  constFloat(hint: string, data: number[], dims: number[]): string {
    return this.constOf(hint, data, dims, DataType.FLOAT);
  }

  /** An int64 constant (shapes, axes, indices), stored as an initializer. */
  constInt64(hint: string, data: number[], dims: number[] = [data.length]): string {
    return this.constOf(hint, data, dims, DataType.INT64);
  }

  private constOf(hint: string, data: number[], dims: number[], dt: number): string {
    const key = `${dt}|${dims}|${data}`;
    const hit = this.consts.get(key);
    if (hit) return hit;
    const name = this.fresh(`c_${hint}`);
    this.initializers.push(makeTensor(name, data, dims, dt));
    this.consts.set(key, name);
    return name;
  }

  /** Encodes the model (IR 8 / opset 17 unless overridden). */
  toModel(opts: ModelOptions = {}): Uint8Array {
    return encodeModel(this, opts);
  }
}

/** Reads a varint at `pos`; returns [value, next position]. Values fit a double (< 2^53). */
function readVarint(b: Uint8Array, pos: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (;;) {
    if (pos >= b.length) throw new Error("onnx_proto: truncated varint");
    const byte = b[pos++];
    v += (byte & 0x7f) * mul;
    if (byte < 0x80) return [v, pos];
    mul *= 128;
  }
}

/** Calls `on(field, wire, value | bytes)` for every field of one message. */
function forEachField(
  b: Uint8Array,
  on: (field: number, wire: number, v: number, bytes: Uint8Array) => void,
): void {
  let pos = 0;
  while (pos < b.length) {
    const [tag, p1] = readVarint(b, pos);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    pos = p1;
    if (wire === 0) {
      const [v, p2] = readVarint(b, pos);
      on(field, wire, v, b.subarray(0, 0));
      pos = p2;
    } else if (wire === 2) {
      const [len, p2] = readVarint(b, pos);
      if (p2 + len > b.length) throw new Error("onnx_proto: truncated field");
      on(field, wire, len, b.subarray(p2, p2 + len));
      pos = p2 + len;
    } else if (wire === 5) {
      on(field, wire, 0, b.subarray(pos, pos + 4));
      pos += 4;
    } else if (wire === 1) {
      on(field, wire, 0, b.subarray(pos, pos + 8));
      pos += 8;
    } else {
      throw new Error(`onnx_proto: unsupported wire type ${wire}`);
    }
  }
}

/**
 * The float32 initializers of a model (name → values and dims): the weights of a model written
 * by {@link encodeModel} or by other tools that store `raw_data` or `float_data`. Tensors of
 * other types, or with external data, are skipped.
 */
export function decodeFloatInitializers(
  model: Uint8Array,
): Map<string, { data: Float32Array; dims: number[] }> {
  const out = new Map<string, { data: Float32Array; dims: number[] }>();
  forEachField(model, (field, wire, _v, graph) => {
    if (field !== 7 || wire !== 2) return;
    forEachField(graph, (gf, gw, _gv, tensor) => {
      if (gf !== 5 || gw !== 2) return;
      let name = "";
      let dataType = 1;
      const dims: number[] = [];
      let raw: Uint8Array | null = null;
      const floats: number[] = [];
      forEachField(tensor, (tf, tw, tv, tb) => {
        if (tf === 1 && tw === 0) dims.push(tv);
        else if (tf === 1 && tw === 2) {
          for (let p = 0; p < tb.length;) {
            const [d, np] = readVarint(tb, p);
            dims.push(d);
            p = np;
          }
        } else if (tf === 2 && tw === 0) dataType = tv;
        else if (tf === 8 && tw === 2) name = new TextDecoder().decode(tb);
        else if (tf === 9 && tw === 2) raw = tb;
        else if (tf === 4 && tw === 5) {
          floats.push(new DataView(tb.buffer, tb.byteOffset).getFloat32(0, true));
        } else if (tf === 4 && tw === 2) {
          const dv = new DataView(tb.buffer, tb.byteOffset, tb.byteLength);
          for (let p = 0; p + 4 <= tb.length; p += 4) floats.push(dv.getFloat32(p, true));
        }
      });
      if (dataType !== DataType.FLOAT || !name) return;
      const n = dims.reduce((a, b) => a * b, 1);
      const r = raw as Uint8Array | null;
      const data = r
        ? new Float32Array(r.slice().buffer, 0, r.length >> 2)
        : Float32Array.from(floats);
      if (data.length === n) out.set(name, { data, dims });
    });
  });
  return out;
}
