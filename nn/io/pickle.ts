/**
 * A minimal, safe pickle reader (protocols 2–4, the opcodes `torch.save` emits for state dicts).
 * Nothing is ever executed: `GLOBAL` yields a {@link PyGlobal} name and `REDUCE`/`NEWOBJ` call
 * the caller's `reduce` hook, or produce an inert {@link PyReduce} record. Persistent ids (torch
 * storages) go to the `persistentLoad` hook.
 *
 * Values: None → null, bool → boolean, int → number (bigint beyond 2^53), float → number,
 * str → string, bytes → Uint8Array, list → array, tuple → {@link PyTuple}, dict → Map.
 *
 * @example
 * ```ts
 * import { PyGlobal, unpickle } from "./pickle.ts";
 * // pickle.dumps({"a": 1}, protocol=2)
 * const bytes = new Uint8Array([0x80, 2, 0x7d, 0x71, 0, 0x58, 1, 0, 0, 0, 0x61, 0x71, 1, 0x4b, 1, 0x73, 0x2e]);
 * const v = unpickle(bytes) as Map<string, number>; // Map { "a" => 1 }
 * ```
 * @module
 */

/** A `module.name` reference (never resolved to code). */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A Python tuple. */
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** An object built by a callable the reader does not know; `state` is set by BUILD. */
export class PyReduce {
  state: PyValue = null;
  constructor(readonly fn: PyValue, readonly args: PyValue[]) {}
}

/** Any value the reader produces. */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | Map<PyValue, PyValue>
  | PyGlobal
  | PyReduce
  | { [key: string]: unknown };

/** Hooks of {@link unpickle}. */
export interface UnpickleOptions {
  /** Resolves a persistent id (BINPERSID); required if the stream uses one. */
  persistentLoad?: (pid: PyValue) => PyValue;
  /** Handles `fn(*args)`; return undefined to fall back to an inert {@link PyReduce}. */
  reduce?: (fn: PyValue, args: PyValue[]) => PyValue | undefined;
  /** Names the stream in errors. */
  source?: string;
}

const MARK = Symbol("mark");

/** Decodes one pickle from `buf`. Throws naming `source` and the byte offset on anything odd. */
export function unpickle(buf: Uint8Array, opts: UnpickleOptions = {}): PyValue {
  const src = opts.source ?? "pickle";
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const td = new TextDecoder();
  const stack: (PyValue | typeof MARK)[] = [];
  const memo = new Map<number, PyValue>();
  let p = 0;
  const fail = (msg: string): never => {
    throw new Error(`${src}: ${msg} at byte ${p}`);
  };
  const need = (n: number) => {
    if (p + n > buf.length) fail("truncated pickle");
  };
  const u8 = () => (need(1), buf[p++]);
  const u16 = () => (need(2), p += 2, dv.getUint16(p - 2, true));
  const u32 = () => (need(4), p += 4, dv.getUint32(p - 4, true));
  const i32 = () => (need(4), p += 4, dv.getInt32(p - 4, true));
  const bytes = (n: number) => (need(n), p += n, buf.subarray(p - n, p));
  const line = () => {
    const e = buf.indexOf(0x0a, p);
    if (e < 0) fail("unterminated text line");
    const s = td.decode(buf.subarray(p, e));
    p = e + 1;
    return s;
  };
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) fail("stack underflow");
    return v as PyValue;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) fail("stack underflow");
    return v as PyValue;
  };
  const popMark = (): PyValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail("MARK not found");
    const items = stack.splice(i) as PyValue[];
    items.shift();
    return items;
  };
  const call = (fn: PyValue, args: PyValue[]): PyValue =>
    opts.reduce?.(fn, args) ?? new PyReduce(fn, args);
  const setItems = (d: PyValue, kv: PyValue[]) => {
    if (d instanceof Map) {
      for (let i = 0; i + 1 < kv.length; i += 2) d.set(kv[i], kv[i + 1]);
    } else if (d instanceof PyReduce) {
      // An unknown mapping-like object: keep its items on the record.
      const m = (d.state instanceof Map ? d.state : new Map()) as Map<PyValue, PyValue>;
      for (let i = 0; i + 1 < kv.length; i += 2) m.set(kv[i], kv[i + 1]);
      d.state = m;
    } else fail("SETITEM(S) on a non-dict");
  };
  const int8 = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v;
  };

  while (true) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME (protocol 4): an 8-byte length, frames are just concatenated
        bytes(8);
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(int8(bytes(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(int8(bytes(u32())));
        break;
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        stack.push(dv.getFloat64(p, false));
        p += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(td.decode(bytes(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(td.decode(bytes(u8())));
        break;
      case 0x54: // BINSTRING
        stack.push(td.decode(bytes(u32())));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(td.decode(bytes(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(bytes(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(bytes(u8()).slice());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: { // TUPLE2
        const b = pop(), a = pop();
        stack.push(new PyTuple([a, b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop(), b = pop(), a = pop();
        stack.push(new PyTuple([a, b, c]));
        break;
      }
      case 0x74: // TUPLE
        stack.push(new PyTuple(popMark()));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: { // APPEND
        const v = pop();
        const l = top();
        if (!Array.isArray(l)) fail("APPEND to a non-list");
        (l as PyValue[]).push(v);
        break;
      }
      case 0x65: { // APPENDS
        const vs = popMark();
        const l = top();
        if (!Array.isArray(l)) fail("APPENDS to a non-list");
        (l as PyValue[]).push(...vs);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: { // DICT
        const m = new Map<PyValue, PyValue>();
        setItems(m, popMark());
        stack.push(m);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop(), k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push([]);
        break;
      case 0x90: { // ADDITEMS
        const vs = popMark();
        (top() as PyValue[]).push(...vs);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: { // LONG_BINGET
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) fail(`memo key ${k} missing`);
        stack.push(memo.get(k)!);
        break;
      }
      case 0x63: { // GLOBAL "module\nname\n"
        const module = line();
        stack.push(new PyGlobal(module, line()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop(), module = pop();
        stack.push(new PyGlobal(String(module), String(name)));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        stack.push(call(fn, args instanceof PyTuple ? args.items : [args]));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        const cls = pop();
        stack.push(call(cls, args instanceof PyTuple ? args.items : [args]));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const obj = top();
        if (obj instanceof PyReduce) obj.state = state;
        else if (obj instanceof Map) {
          // OrderedDict state (torch's `_metadata`): keep it off the items.
          Object.defineProperty(obj, "pyState", { value: state, enumerable: false });
        }
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) fail("persistent id without a persistentLoad hook");
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      case 0x30: // POP
        stack.pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      default:
        p--;
        fail(`unsupported pickle opcode 0x${op.toString(16)}`);
    }
  }
}
