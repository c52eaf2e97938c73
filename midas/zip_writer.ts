/**
 * Writes a `.MIDAS.zip`: a STORED zip holding a zarr v2 hierarchy that MIDAS C, midas_peakfit,
 * sr-midas and Python zarr all read (layout of midas-formats §1.3, typing of §1.5).
 *
 * Why these choices:
 * - every chunk is a Blosc frame, including scalars and strings, because MIDAS C passes every
 *   chunk to `blosc1_decompress` (a raw chunk breaks it);
 * - frame chunks are `(1, nZ, nY)` and consecutive zip entries in frame order, because the C
 *   readers locate frame `i` as zip index `dataLoc + i`;
 * - frames are pulled one at a time and written as they come, to a temporary file renamed at
 *   the end, so memory stays at one frame and a failed run leaves no partial archive.
 *
 * numcodecs' WASM Blosc encoder always uses typesize 4 (it takes no typesize argument); the
 * chunks are valid Blosc1 frames that every reader decodes, only the shuffle granularity
 * differs from MIDAS's typesize = itemsize.
 *
 * @example
 * ```ts
 * import { writeMidasZip } from "./zip_writer.ts";
 * await writeMidasZip("/tmp/x.MIDAS.zip", {
 *   nFrames: 1, nZ: 2, nY: 3, dtype: "uint16",
 *   frames: [new Uint16Array([1, 2, 3, 4, 5, 6])],
 *   analysisParameters: { YCen: 1, ZCen: 1, SpaceGroup: 225 },
 *   scanParameters: { start: 0, step: 0.25 },
 * });
 * ```
 * @module
 */
import Blosc from "numcodecs/blosc";
import {
  allocFrame,
  bytesOf,
  convertFrame,
  dtypeOf,
  type FrameArray,
  type FrameDtype,
  isFrameDtype,
  ZARR_DTYPE,
} from "./dtype.ts";
import { INT32_PARAMS, type ParamValue, ZIP_PARAM_DEFAULTS } from "./params.ts";
import { tmpPathFor } from "./atomic.ts";
import { ZipStreamWriter, type ZipWriterOptions } from "./zip_container.ts";

export type { FrameArray, FrameDtype } from "./dtype.ts";

/** Everything a `.MIDAS.zip` holds. Frames are pulled lazily, one at a time. */
export interface MidasZipContent {
  nFrames: number;
  nZ: number;
  nY: number;
  dtype: FrameDtype;
  /** Frames in order, each row-major (nZ rows × nY cols); pulled one at a time (never all in memory). */
  frames: Iterable<FrameArray> | AsyncIterable<FrameArray>;
  /** `exchange/dark` (n, nZ, nY), same dtype as the frames; default one zero frame. */
  dark?: { n: number; data: FrameArray };
  /** `exchange/flood` (1, nZ, nY), stored as float64. */
  flood?: Float64Array | Float32Array;
  /** `exchange/mask` (1, nZ, nY), 1 = bad; stored in the frame dtype as MIDAS does. */
  mask?: Uint8Array | Int32Array;
  /** analysis/process/analysis_parameters/<MIDAS name>; numbers → float64 (1,) unless MIDAS stores the
   *  key as int32 (SpaceGroup, SkipFrame, Padding, ImTransOpt, ...); arrays/2-D arrays keep shape. */
  analysisParameters: Record<string, ParamValue>;
  scanParameters: { start: number; step: number; omegaCenter?: Float64Array; datatype?: string };
}

/** Extra knobs for tests and tools; the contract's two-argument call never needs them. */
export interface WriteMidasZipOptions extends ZipWriterOptions {
  /** Blosc settings for frame/dark chunks (default zstd, clevel 1, bit-shuffle). */
  frameCodec?: BloscConfig;
}

/** numcodecs Blosc configuration. */
export interface BloscConfig {
  cname: "zstd" | "lz4" | "lz4hc" | "blosclz" | "zlib";
  clevel: number;
  /** 0 none, 1 byte shuffle, 2 bit shuffle. */
  shuffle: 0 | 1 | 2;
}

/** MIDAS's frame compressor (`ffGenerateZipRefactor.py`). */
export const FRAME_CODEC: BloscConfig = { cname: "zstd", clevel: 1, shuffle: 2 };
/** zarr-python 2's default compressor, used by MIDAS for parameters, masks and strings. */
export const PARAM_CODEC: BloscConfig = { cname: "lz4", clevel: 5, shuffle: 1 };

const GROUPS = [
  "",
  "exchange/",
  "measurement/",
  "measurement/process/",
  "measurement/process/scan_parameters/",
  "analysis/",
  "analysis/process/",
  "analysis/process/analysis_parameters/",
];
const SCAN = "measurement/process/scan_parameters";
const ANALYSIS = "analysis/process/analysis_parameters";
/** Keys MIDAS's zipper routes to scan_parameters rather than analysis_parameters. */
const SCAN_KEYS = new Set(["doPeakFit"]);

/** `scan_parameters/datatype` strings, as MIDAS's zipper maps them (no int32 → "unknown"). */
const DATATYPE_NAME: Record<FrameDtype, string> = {
  uint16: "uint16",
  uint32: "uint32",
  int32: "unknown",
  float32: "float32",
  float64: "float64",
};

type Codec = { encode(b: Uint8Array): Promise<Uint8Array> | Uint8Array };

function bloscCodec(c: BloscConfig): Codec {
  return Blosc.fromConfig({ id: "blosc", ...c, blocksize: 0 }) as Codec;
}

/** `.zarray` JSON as zarr-python 2 writes it (sorted keys, 4-space indent). */
export function zarrayJson(
  shape: number[],
  chunks: number[],
  dtype: string,
  codec: BloscConfig,
): Uint8Array {
  const fill = dtype.startsWith("|S") ? "" : 0;
  const meta = {
    chunks,
    compressor: {
      blocksize: 0,
      clevel: codec.clevel,
      cname: codec.cname,
      id: "blosc",
      shuffle: codec.shuffle,
    },
    dtype,
    fill_value: fill,
    filters: null,
    order: "C",
    shape,
    zarr_format: 2,
  };
  return new TextEncoder().encode(JSON.stringify(meta, null, 4));
}

const ZGROUP = new TextEncoder().encode(JSON.stringify({ zarr_format: 2 }, null, 4));

/** Encodes one parameter value as (dtype, shape, bytes), with MIDAS's int32/float64/|S typing. */
export function encodeParam(
  key: string,
  value: ParamValue,
  source: string,
): { dtype: string; shape: number[]; bytes: Uint8Array } {
  if (typeof value === "string") {
    const b = new TextEncoder().encode(value);
    const n = Math.max(1, b.length);
    const padded = new Uint8Array(n);
    padded.set(b);
    return { dtype: `|S${n}`, shape: [1], bytes: padded };
  }
  let shape: number[];
  let flat: number[];
  if (typeof value === "number") {
    shape = [1];
    flat = [value];
  } else if (value.length > 0 && value.every((r) => Array.isArray(r))) {
    const rows = value as number[][];
    const w = rows[0].length;
    if (w === 0 || rows.some((r) => r.length !== w)) {
      throw new Error(
        `${source}: parameter ${key}: 2-D table rows must have equal, non-zero length`,
      );
    }
    shape = [rows.length, w];
    flat = rows.flat();
  } else if (value.length > 0 && value.every((x) => typeof x === "number")) {
    shape = [value.length];
    flat = value as number[];
  } else {
    throw new Error(`${source}: parameter ${key}: expected number, number[], number[][] or string`);
  }
  if (flat.some((x) => typeof x !== "number")) {
    throw new Error(`${source}: parameter ${key}: expected numbers, got ${JSON.stringify(value)}`);
  }
  if (INT32_PARAMS.has(key)) {
    if (!flat.every((x) => Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 31)) {
      throw new Error(
        `${source}: parameter ${key}: MIDAS stores it as int32; got ${JSON.stringify(value)}`,
      );
    }
    return { dtype: "<i4", shape, bytes: bytesOf(Int32Array.from(flat)) };
  }
  return { dtype: "<f8", shape, bytes: bytesOf(Float64Array.from(flat)) };
}

function checkFrame(a: ArrayBufferView, dtype: FrameDtype, n: number, what: string): FrameArray {
  if (dtypeOf(a) !== dtype || (a as FrameArray).length !== n) {
    throw new Error(
      `${what}: expected ${dtype} array of ${n} pixels, got ${a.constructor.name}(${
        (a as FrameArray).length
      })`,
    );
  }
  return a as FrameArray;
}

/**
 * Writes `content` to `path` atomically (temporary file + rename). Errors name `path` and the
 * offending field.
 */
export async function writeMidasZip(
  path: string,
  content: MidasZipContent,
  opts: WriteMidasZipOptions = {},
): Promise<void> {
  const { nFrames, nZ, nY, dtype } = content;
  for (const [k, v] of [["nFrames", nFrames], ["nZ", nZ], ["nY", nY]] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new Error(`${path}: ${k}: expected a positive integer, got ${v}`);
    }
  }
  if (!isFrameDtype(dtype)) {
    throw new Error(
      `${path}: dtype: expected one of uint16/uint32/int32/float32/float64, got ${dtype}`,
    );
  }
  const npx = nZ * nY;
  const zdt = ZARR_DTYPE[dtype];
  const frameCodec = opts.frameCodec ?? FRAME_CODEC;
  const fenc = bloscCodec(frameCodec);
  const penc = bloscCodec(PARAM_CODEC);
  const tmp = tmpPathFor(path);
  const zip = await ZipStreamWriter.create(tmp, opts);
  const putArray = async (
    name: string,
    shape: number[],
    chunks: number[],
    zdtype: string,
    codec: BloscConfig,
    chunkBytes: Uint8Array,
    enc: Codec,
  ) => {
    await zip.add(`${name}/.zarray`, zarrayJson(shape, chunks, zdtype, codec));
    const key = shape.length === 0 ? "0" : shape.map(() => "0").join(".");
    await zip.add(`${name}/${key}`, await enc.encode(chunkBytes));
  };
  try {
    for (const g of GROUPS) await zip.add(`${g}.zgroup`, ZGROUP);

    const frameChunks = [1, nZ, nY];
    await zip.add(
      "exchange/data/.zarray",
      zarrayJson([nFrames, nZ, nY], frameChunks, zdt, frameCodec),
    );
    const dark = content.dark ?? { n: 1, data: allocFrame(dtype, npx) };
    if (!Number.isInteger(dark.n) || dark.n < 1) {
      throw new Error(`${path}: dark.n: expected a positive integer`);
    }
    checkFrame(dark.data, dtype, dark.n * npx, `${path}: dark.data`);
    for (const name of ["exchange/dark", "exchange/bright"]) {
      await zip.add(`${name}/.zarray`, zarrayJson([dark.n, nZ, nY], frameChunks, zdt, frameCodec));
      for (let i = 0; i < dark.n; i++) {
        await zip.add(
          `${name}/${i}.0.0`,
          await fenc.encode(bytesOf(dark.data.subarray(i * npx, (i + 1) * npx))),
        );
      }
    }
    let f = 0;
    for await (const frame of content.frames) {
      if (f >= nFrames) {
        throw new Error(`${path}: frames: more than nFrames = ${nFrames} frames supplied`);
      }
      checkFrame(frame, dtype, npx, `${path}: frame ${f}`);
      await zip.add(`exchange/data/${f}.0.0`, await fenc.encode(bytesOf(frame)));
      f++;
    }
    if (f !== nFrames) {
      throw new Error(`${path}: frames: nFrames = ${nFrames} but ${f} frames supplied`);
    }

    if (content.mask) {
      if (content.mask.length !== npx) {
        throw new Error(`${path}: mask: expected ${npx} pixels, got ${content.mask.length}`);
      }
      await putArray(
        "exchange/mask",
        [1, nZ, nY],
        frameChunks,
        zdt,
        PARAM_CODEC,
        bytesOf(convertFrame(dtype, content.mask)),
        penc,
      );
    }
    if (content.flood) {
      if (content.flood.length !== npx) {
        throw new Error(`${path}: flood: expected ${npx} pixels, got ${content.flood.length}`);
      }
      await putArray(
        "exchange/flood",
        [1, nZ, nY],
        frameChunks,
        "<f8",
        PARAM_CODEC,
        bytesOf(Float64Array.from(content.flood)),
        penc,
      );
    }

    const sp = content.scanParameters;
    for (const k of ["start", "step"] as const) {
      if (typeof sp?.[k] !== "number" || !Number.isFinite(sp[k])) {
        throw new Error(`${path}: scanParameters.${k}: expected a finite number (degrees)`);
      }
      await putArray(
        `${SCAN}/${k}`,
        [1],
        [1],
        "<f8",
        PARAM_CODEC,
        bytesOf(new Float64Array([sp[k]])),
        penc,
      );
    }
    if (sp.omegaCenter) {
      const n = sp.omegaCenter.length;
      if (n < nFrames) {
        throw new Error(
          `${path}: scanParameters.omegaCenter: expected ≥ ${nFrames} values, got ${n}`,
        );
      }
      await putArray(
        `${SCAN}/omegaCenter`,
        [n],
        [n],
        "<f8",
        PARAM_CODEC,
        bytesOf(Float64Array.from(sp.omegaCenter)),
        penc,
      );
    }
    const dt = new TextEncoder().encode(sp.datatype ?? DATATYPE_NAME[dtype]);
    await putArray(`${SCAN}/datatype`, [], [], `|S${dt.length}`, PARAM_CODEC, dt, penc);

    const params: Record<string, ParamValue> = {
      ...ZIP_PARAM_DEFAULTS,
      ...content.analysisParameters,
    };
    for (const key of Object.keys(params)) {
      if (!/^[A-Za-z_][\w.-]*$/.test(key)) {
        throw new Error(`${path}: analysisParameters: invalid key '${key}'`);
      }
      if (key === "start" || key === "step" || key === "datatype" || key === "OmegaStep") {
        throw new Error(`${path}: analysisParameters.${key}: belongs in scanParameters`);
      }
      const p = encodeParam(key, params[key], path);
      const group = SCAN_KEYS.has(key) ? SCAN : ANALYSIS;
      await putArray(`${group}/${key}`, p.shape, p.shape, p.dtype, PARAM_CODEC, p.bytes, penc);
    }
    await zip.finish();
    await Deno.rename(tmp, path);
  } catch (e) {
    zip.abort();
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}
