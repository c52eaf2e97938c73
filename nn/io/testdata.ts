/**
 * Tiny synthetic patchstores for the nn/io and steps tests (real sr-midas layout, written by
 * patchstore/create.ts from a synthetic peakbank).
 *
 * @example
 * ```ts
 * import { makeTinyPatchstore } from "./testdata.ts";
 * const n = await makeTinyPatchstore("/tmp/pst.h5", { nPatch: 32 });
 * ```
 * @module
 */
import { createPatchstore } from "../../patchstore/create.ts";
import { defaultSynthesisConfig } from "../../patchstore/synthesis.ts";
import { syntheticPeakbank } from "../../patchstore/testdata.ts";

/** Writes a patchstore with `nPatch` attempts of lrsz×lrsz patches at x1 and x2; returns N. */
export async function makeTinyPatchstore(
  path: string,
  opts: { nPatch?: number; lrsz?: number; factors?: number[]; seed?: number } = {},
): Promise<number> {
  const lrsz = opts.lrsz ?? 8;
  const factors = opts.factors ?? [1, 2];
  const stats = await createPatchstore(
    syntheticPeakbank({ rings: [300], perRing: 60, seed: 2 }),
    defaultSynthesisConfig({
      nPatch: opts.nPatch ?? 32,
      lrsz,
      cvsz: lrsz * 2,
      srfacSource: Math.max(...factors),
      srfacAll: factors,
      nPeak: [1, 2],
      pSepMax: 4,
      seed: opts.seed ?? 5,
      Ypx_BC: 512,
      Zpx_BC: 512,
    }),
    path,
  );
  return stats.written;
}
