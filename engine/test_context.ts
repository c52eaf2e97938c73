/**
 * A fabricated {@link StepContext} for running a step directly, without the engine's store, in
 * tests and benchmarks (temporary dirs, captured logs).
 *
 * @example
 * ```ts
 * import { testContext } from "./test_context.ts";
 * import { trainStep } from "../steps/train.ts";
 * const { ctx } = await testContext(trainStep, { arch: "4-3-r_1-3-s" }, { patchstore: "pst.h5" });
 * await trainStep.run(ctx);
 * ```
 * @module
 */
import * as v from "valibot";
import type { AnyStep } from "./step.ts";

/** What {@link testContext} returns besides the context. */
export interface TestContextLog {
  info: string[];
  warn: string[];
  progress: [number, number][];
  /** The label of each progress call (same order as `progress`). */
  progressLabels: (string | undefined)[];
}

/** Builds a context for `step` with parsed `params`, fresh `outDir` and the given `checkpointDir`. */
export async function testContext(
  step: AnyStep,
  params: Record<string, unknown>,
  inputs: Record<string, string | string[] | undefined>,
  opts: {
    /** Parent of the temporary out/checkpoint dirs (default the system temp dir). */
    base?: string;
    /** Use this existing folder as the output dir instead of a new temporary one. */
    outDir?: string;
    checkpointDir?: string;
    signal?: AbortSignal;
    threads?: number;
    onProgress?: (done: number) => void;
  } = {},
  // deno-lint-ignore no-explicit-any
): Promise<{ ctx: any; outDir: string; logs: TestContextLog }> {
  const outDir = opts.outDir ??
    await Deno.makeTempDir({ dir: opts.base, prefix: `srm_${step.name}_out_` });
  const checkpointDir = opts.checkpointDir ??
    await Deno.makeTempDir({ dir: opts.base, prefix: `srm_${step.name}_ck_` });
  const logs: TestContextLog = { info: [], warn: [], progress: [], progressLabels: [] };
  for (const port of Object.values(step.outputs)) {
    const slash = port.path.lastIndexOf("/");
    if (slash > 0) await Deno.mkdir(`${outDir}/${port.path.slice(0, slash)}`, { recursive: true });
  }
  const ctx = {
    params: v.parse(step.params, params),
    inputs,
    outDir,
    output: (name: string) => `${outDir}/${step.outputs[name].path}`,
    checkpointDir,
    log: {
      info: (m: string) => logs.info.push(m),
      warn: (m: string) => logs.warn.push(m),
      progress: (done: number, total: number, label?: string) => {
        logs.progress.push([done, total]);
        logs.progressLabels.push(label);
        opts.onProgress?.(done);
      },
    },
    signal: opts.signal ?? new AbortController().signal,
    threads: opts.threads ?? 1,
  };
  return { ctx, outDir, logs };
}
