/**
 * The built-in steps, by the name workflows use in `uses:`. Modules load lazily, so
 * `srmidas plan` does not pull in ONNX Runtime or HDF5 unless a step needs them.
 * @module
 */
import { importStep } from "../engine/executor.ts";
import type { AnyStep } from "../engine/step.ts";

/** Name → module (relative to this file) and a one-line summary for `--help`. */
export const STEP_MODULES: Record<string, { module: string; summary: string }> = {
  "simulate": {
    module: "./simulate.ts",
    summary: "simulate a far-field HEDM scan as a MIDAS analysis directory + truth",
  },
  "create-peakbank": {
    module: "./create_peakbank.ts",
    summary: "collect isolated fitted peaks from MIDAS peak tables",
  },
  "create-patchstore": {
    module: "./create_patchstore.ts",
    summary: "render multi-resolution training patches (sr-midas HDF5)",
  },
  "train": { module: "./train.ts", summary: "train a CNNSR model (ONNX training graph)" },
  "create-pred-pst": {
    module: "./create_pred_pst.ts",
    summary: "predict a patchstore for the next cascade stage",
  },
  "hp-optimize": {
    module: "./hp_optimize.ts",
    summary: "search architectures and training hyper-parameters",
  },
  "predict": { module: "./predict.ts", summary: "run a model or cascade over a patchstore (.npy)" },
  "process": {
    module: "./process.ts",
    summary: "super-resolved peak search on a MIDAS scan (the main job)",
  },
  "merge-peaks": {
    module: "./merge_peaks.ts",
    summary: "merge frame-sharded process outputs into one peak table set",
  },
  "bundle-models": {
    module: "./bundle_models.ts",
    summary: "gather trained models with cards into a models/ folder for process",
  },
  "compare": {
    module: "./compare.ts",
    summary: "one table over several evaluate reports",
  },
  "evaluate": {
    module: "./evaluate.ts",
    summary: "compare a peak table with a simulation's truth",
  },
  "qa": {
    module: "./qa.ts",
    summary: "QA report of a peak search on a real scan (no truth): peaks over the detector",
  },
};

/** Names of the steps whose modules exist in this checkout. */
export function availableSteps(): string[] {
  return Object.keys(STEP_MODULES).filter((n) => {
    try {
      Deno.statSync(new URL(STEP_MODULES[n].module, import.meta.url));
      return true;
    } catch {
      return false;
    }
  });
}

const cache = new Map<string, Promise<AnyStep>>();

/** Loads a built-in step by name; undefined for an unknown or absent step. */
export function resolveStep(name: string): Promise<AnyStep | undefined> {
  if (!availableSteps().includes(name)) return Promise.resolve(undefined);
  let p = cache.get(name);
  if (!p) {
    p = importStep(new URL(STEP_MODULES[name].module, import.meta.url).href, name).then((s) => ({
      ...s,
      module: s.module ?? new URL(STEP_MODULES[name].module, import.meta.url).href,
    }));
    cache.set(name, p);
  }
  return p;
}
