/**
 * The bundled models: `models/<key>/model.onnx` + `model.json` (card) + `README.md`, trained by
 * `workflows/campaign.yaml`. Keys follow sr-midas's `MODEL_NAMES`: the cascade stages `x1_x2`,
 * `x2_x4`, `x4_x8` and the single-shot `x1_x8`. This module is the sr-midas `get_model_dir`.
 *
 * @example
 * ```ts
 * import { modelDir } from "./mod.ts";
 * const dir = modelDir("x1_x2"); // absolute path of models/x1_x2
 * ```
 * @module
 */

/** Bundled model keys (sr-midas `MODEL_NAMES`). */
export const MODEL_KEYS = ["x1_x2", "x2_x4", "x4_x8", "x1_x8"] as const;
/** One of {@link MODEL_KEYS}. */
export type ModelKey = typeof MODEL_KEYS[number];

/** The folder holding the bundled model folders. */
export const BUNDLED_MODELS_DIR: string = new URL(".", import.meta.url).pathname.replace(/\/$/, "");

/** True when `key` names a bundled model. */
export function isModelKey(key: string): key is ModelKey {
  return (MODEL_KEYS as readonly string[]).includes(key);
}

/** The key of the model taking SR level `srfacIn` to `srfacOut` (e.g. 1, 2 → "x1_x2"). */
export function modelKeyFor(srfacIn: number, srfacOut: number): string {
  return `x${srfacIn}_x${srfacOut}`;
}

/**
 * Absolute folder of a bundled model (sr-midas `get_model_dir`). Throws, naming the key and the
 * keys there are, when `key` is not one of {@link MODEL_KEYS}; does not check that it was trained.
 */
export function modelDir(key: string, root: string = BUNDLED_MODELS_DIR): string {
  if (!isModelKey(key)) {
    throw new Error(`unknown model key '${key}': expected one of ${MODEL_KEYS.join(", ")}`);
  }
  return `${root}/${key}`;
}
