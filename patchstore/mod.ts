/**
 * Training data for the CNN: peakbank CSVs, patchstore synthesis and the patchstore HDF5 format.
 *
 * @example
 * ```ts
 * import { createPatchstore, defaultSynthesisConfig, readPeakbankCsv } from "./mod.ts";
 * const pb = await readPeakbankCsv("df_peakbank.csv");
 * await createPatchstore(pb, defaultSynthesisConfig({ nPatch: 100, Ypx_BC: 1024, Zpx_BC: 1024 }), "pst.h5");
 * ```
 * @module
 */
export * from "./rng.ts";
export * from "./peakbank_csv.ts";
export * from "./peakbank.ts";
export * from "./peakbank_dir.ts";
export * from "./ring_modes.ts";
export * from "./synthesis.ts";
export * from "./h5.ts";
export * from "./create.ts";
export * from "./parallel.ts";
export * from "./params.ts";
