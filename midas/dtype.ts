/**
 * Pixel dtypes of MIDAS frame stacks and their zarr v2 spellings.
 *
 * @example
 * ```ts
 * import { allocFrame, ZARR_DTYPE } from "./dtype.ts";
 * ZARR_DTYPE.uint16; // "<u2"
 * allocFrame("float32", 4); // Float32Array(4)
 * ```
 * @module
 */

/** Pixel types a MIDAS `exchange/data` array may hold. */
export type FrameDtype = "uint16" | "uint32" | "int32" | "float32" | "float64";
/** One frame (or a stack of frames), row-major, in its native pixel type. */
export type FrameArray = Uint16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/** Little-endian zarr v2 dtype string of each frame dtype. */
export const ZARR_DTYPE: Readonly<Record<FrameDtype, string>> = {
  uint16: "<u2",
  uint32: "<u4",
  int32: "<i4",
  float32: "<f4",
  float64: "<f8",
};

const CTORS = {
  uint16: Uint16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

/** All frame dtypes, in a stable order. */
export const FRAME_DTYPES = Object.keys(CTORS) as FrameDtype[];

/** True when `s` names a supported frame dtype. */
export function isFrameDtype(s: string): s is FrameDtype {
  return Object.hasOwn(CTORS, s);
}

/** The frame dtype stored as zarr v2 `zdtype` (`"<u2"`, `"|u1"` …), or `undefined`. */
export function frameDtypeFromZarr(zdtype: string): FrameDtype | undefined {
  for (const d of FRAME_DTYPES) if (ZARR_DTYPE[d] === zdtype) return d;
  return undefined;
}

/** A zero-filled typed array of `n` pixels of `dtype`. */
export function allocFrame(dtype: FrameDtype, n: number): FrameArray {
  return new CTORS[dtype](n);
}

/** A frame of `dtype` over an existing buffer (no copy), e.g. one transferred from a worker. */
export function frameView(dtype: FrameDtype, buf: ArrayBuffer): FrameArray {
  return new CTORS[dtype](buf);
}

/** Copies `src` (any numeric array) into a new array of `dtype`. */
export function convertFrame(dtype: FrameDtype, src: ArrayLike<number>): FrameArray {
  return CTORS[dtype].from(src);
}

/** The dtype of a typed array, when it is one of the frame types. */
export function dtypeOf(a: ArrayBufferView): FrameDtype | undefined {
  for (const d of FRAME_DTYPES) if (a instanceof CTORS[d]) return d;
  return undefined;
}

/** Bytes per pixel of `dtype`. */
export function itemSize(dtype: FrameDtype): number {
  return CTORS[dtype].BYTES_PER_ELEMENT;
}

/** The bytes behind a typed array view (no copy). */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
