/**
 * srmidas — super-resolution peak finding for far-field HEDM, as a library.
 *
 * The public API, one namespace per layer (engine ← steps ← libraries):
 * - {@link engine}: typed steps, YAML workflows, the content-addressed store, plan/run/why.
 * - {@link steps}: the built-in steps by name (`simulate`, `process`, `train`, …).
 * - {@link midas}, {@link geometry}, {@link synthesis}, {@link patchstore}, {@link nn},
 *   {@link fitting}, {@link processing}, {@link evaluation}, {@link plot}: the HEDM libraries.
 * - {@link modelDir} / {@link MODEL_KEYS}: the bundled models (sr-midas `get_model_dir`).
 *
 * @example Run a workflow from code
 * ```ts
 * import { runWorkflowFile } from "./mod.ts";
 * const res = await runWorkflowFile("workflows/demo.yaml", { set: ["seed=2"] });
 * console.log(res.outputs["report"].report); // the evaluation report folder
 * ```
 *
 * @example Find a bundled model
 * ```ts
 * import { modelDir } from "./mod.ts";
 * const x2 = modelDir("x1_x2"); // …/models/x1_x2 (model.onnx + model.json)
 * ```
 * @module
 */
import { resolve } from "node:path";
import * as engine from "./engine/mod.ts";
import { resolveStep } from "./steps/registry.ts";

export * as engine from "./engine/mod.ts";
export * as midas from "./midas/mod.ts";
export * as geometry from "./geometry/mod.ts";
export * as synthesis from "./synthesis/mod.ts";
export * as patchstore from "./patchstore/mod.ts";
export * as nn from "./nn/mod.ts";
export * as fitting from "./fitting/mod.ts";
export * as processing from "./process/mod.ts";
export * as evaluation from "./evaluation/mod.ts";
export * as plot from "./plot/mod.ts";
export * as steps from "./steps/registry.ts";
export { BUNDLED_MODELS_DIR, MODEL_KEYS, modelDir, type ModelKey } from "./models/mod.ts";
export { openModel } from "./nn/io/load_model.ts";
export { openMidasZip } from "./midas/zip_reader.ts";
export { runProcess } from "./process/run.ts";
export { evaluatePeaks } from "./evaluation/metrics.ts";

/** Options of {@link runWorkflowFile}. */
export interface RunWorkflowFileOptions {
  /** `key=value` parameter overrides (as `--set`). */
  set?: string[];
  /** Store folder (default `.srmidas`). */
  store?: string;
  /** Cores the scheduler may use (default: all). */
  cores?: number;
  /** Where links to the outputs are made (default none). */
  linkDir?: string;
  events?: engine.EventSink;
  signal?: AbortSignal;
}

/**
 * Loads, validates and runs a workflow YAML with the built-in steps; cached steps are reused.
 * Throws a {@link engine.WorkflowError} (file:line, step, field) on a bad workflow.
 */
export async function runWorkflowFile(
  path: string,
  opts: RunWorkflowFileOptions = {},
): Promise<engine.RunResult> {
  const wf = await engine.loadWorkflow(path, { resolveStep, set: opts.set ?? [] });
  const store = await new engine.Store(resolve(opts.store ?? ".srmidas")).init();
  return await engine.runWorkflow(wf, {
    store,
    cores: opts.cores,
    linkDir: opts.linkDir,
    events: opts.events,
    signal: opts.signal,
  });
}
