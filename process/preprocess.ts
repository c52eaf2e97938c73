/**
 * Per-frame detector corrections for the `process` step, in MIDAS order (midas-formats §3.1,
 * sr-midas-seed §10.3 with the §12 item 6 fixes):
 *
 * 1. `ImTransOpt` is applied to the frame **and** to dark, flood and mask (sr-midas forgot the
 *    mask); a transpose swaps nZ and nY, so non-square detectors keep consistent shapes;
 * 2. a pixel whose **raw** value equals `BadPxIntensity` becomes 0 (sr-midas tested it after
 *    correction, where it practically never matches);
 * 3. `v = (raw − darkMean) / flood · bc`; the dark mean skips the first `SkipFrame` darks
 *    (MIDAS C; see `MidasZip.darkMean`);
 * 4. masked pixels become 0.
 *
 * Saturation (`UpperBoundThreshold`) is a region rule, not a pixel rule: MIDAS drops a whole
 * region when any of its pixels exceeds it, so it is applied by the spot stage
 * (`saturatedComponents` / `nativePeakSearch`'s `upperBoundThreshold`).
 *
 * @example
 * ```ts
 * import { correctFrame, makeCorrection } from "./preprocess.ts";
 * const corr = makeCorrection({ nZ: 1, nY: 2, imTransOpt: [1], dark: new Float64Array([10, 20]) });
 * correctFrame(new Uint16Array([110, 220]), corr); // Float64Array [200, 100]: flipped, dark-subtracted
 * ```
 * @module
 */

import { type Image, transformImage } from "../midas/image_transform.ts";

export { type Image, transformImage };

type Numeric = Float64Array | Uint8Array;

/** Flat index map: `out[i]` = index in the stored frame of transformed pixel i. */
export function transformIndexMap(
  nZ: number,
  nY: number,
  ops: readonly number[],
): Image<Int32Array> {
  const idx = new Int32Array(nZ * nY);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return transformImage({ data: idx, nZ, nY }, ops, (n) => new Int32Array(n));
}

/** Everything {@link correctFrame} needs, already in the transformed frame's layout. */
export interface FrameCorrection {
  /** Shape of the stored (untransformed) frame. */
  rawNZ: number;
  rawNY: number;
  /** Shape after `ImTransOpt`. */
  nZ: number;
  nY: number;
  /** Transformed pixel i reads stored pixel `index[i]`; null when `ImTransOpt` is empty. */
  index: Int32Array | null;
  dark: Float64Array;
  /** Reciprocal flood (1/flood; a zero flood pixel gives 0, i.e. the pixel is dropped). */
  invFlood: Float64Array;
  /** 1 = masked. */
  mask: Uint8Array;
  /** ReferenceRingCurrent-style multiplicative factor. */
  bc: number;
  /** Raw value marking a bad pixel; undefined or 0 = disabled. */
  badPxIntensity?: number;
}

/** Inputs of {@link makeCorrection}, all in the **stored** layout (as read from the zip). */
export interface CorrectionInputs {
  nZ: number;
  nY: number;
  imTransOpt?: readonly number[];
  /** Dark mean (default zeros). */
  dark?: Float64Array;
  /** Flood (default ones). */
  flood?: Float64Array;
  /** Mask, > 0 = bad (default none). */
  mask?: Uint8Array;
  bc?: number;
  badPxIntensity?: number;
}

/** Transforms dark, flood and mask once per scan (see module doc). */
export function makeCorrection(o: CorrectionInputs): FrameCorrection {
  const npx = o.nZ * o.nY;
  const ops = (o.imTransOpt ?? []).filter((t) => t === 1 || t === 2 || t === 3);
  for (const [name, a] of [["dark", o.dark], ["flood", o.flood], ["mask", o.mask]] as const) {
    if (a && a.length !== npx) {
      throw new Error(`makeCorrection: ${name} has ${a.length} pixels, expected ${o.nZ}×${o.nY}`);
    }
  }
  const tr = <T extends Numeric>(a: T, alloc: (n: number) => T) =>
    transformImage({ data: a, nZ: o.nZ, nY: o.nY }, ops, alloc);
  const dark = tr(o.dark ?? new Float64Array(npx), (n) => new Float64Array(n));
  const flood = tr(o.flood ?? new Float64Array(npx).fill(1), (n) => new Float64Array(n)).data;
  const mask = tr(o.mask ?? new Uint8Array(npx), (n) => new Uint8Array(n)).data;
  const invFlood = new Float64Array(npx);
  for (let i = 0; i < npx; i++) invFlood[i] = flood[i] !== 0 ? 1 / flood[i] : 0;
  return {
    rawNZ: o.nZ,
    rawNY: o.nY,
    nZ: dark.nZ,
    nY: dark.nY,
    index: ops.length > 0 ? transformIndexMap(o.nZ, o.nY, ops).data : null,
    dark: dark.data,
    invFlood,
    mask,
    bc: o.bc ?? 1,
    badPxIntensity: o.badPxIntensity,
  };
}

/**
 * Corrects one stored frame (any numeric dtype) into `out` (allocated when omitted), laid out
 * as the transformed frame (`corr.nZ × corr.nY`). Pure apart from writing `out`.
 */
export function correctFrame(
  raw: ArrayLike<number>,
  corr: FrameCorrection,
  out?: Float64Array,
): Float64Array {
  const npx = corr.nZ * corr.nY;
  if (raw.length !== npx) {
    throw new Error(
      `correctFrame: frame has ${raw.length} pixels, expected ${corr.rawNZ}×${corr.rawNY}`,
    );
  }
  const o = out ?? new Float64Array(npx);
  const { index, dark, invFlood, mask, bc } = corr;
  const bad = corr.badPxIntensity ? corr.badPxIntensity : NaN; // NaN never equals: disabled
  for (let i = 0; i < npx; i++) {
    const v = raw[index ? index[i] : i];
    o[i] = v === bad || mask[i] ? 0 : (v - dark[i]) * invFlood[i] * bc;
  }
  return o;
}
