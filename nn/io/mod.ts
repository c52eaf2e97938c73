/**
 * File formats and data plumbing around the neural engine: PyTorch checkpoint import (zip +
 * pickle), `.npy`, patchstore sample sources, predicted patchstores, model loading.
 *
 * @example
 * ```ts
 * import { importSrMidasCheckpoint, writeNpy } from "./mod.ts";
 * await importSrMidasCheckpoint("x1_x2-itrOut", "models/x1_x2");
 * await writeNpy("/tmp/a.npy", new Float32Array(4), [2, 2]);
 * ```
 * @module
 */
export * from "./load_model.ts";
export * from "./npy.ts";
export * from "./patch_source.ts";
export * from "./pickle.ts";
export * from "./pred_pst.ts";
export * from "./pth.ts";
export * from "./zip.ts";
