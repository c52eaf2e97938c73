/**
 * The `--executor` names of the CLI: `local` (a subprocess per step, the default), `inline`
 * (in the engine's process), `slurm` (a batch job per step; job files under `<store>/slurm/`)
 * and `slurm-alloc` (one batch job whose worker runs the steps; `<store>/slurm-alloc/`).
 * `--resource key=value` sets batch resources for every step (for `slurm-alloc`: the job's).
 *
 * @example
 * ```ts
 * import { executorOf } from "./executors.ts";
 * executorOf("local", { store: ".srmidas" }).name; // "local"
 * ```
 * @module
 */
import { join, resolve } from "node:path";
import { AllocationExecutor } from "../engine/executors/allocation.ts";
import {
  type Executor,
  InlineExecutor,
  LocalExecutor,
  resourcesFromPairs,
  SlurmExecutor,
} from "../engine/mod.ts";

/** Executors by name, for the error message. */
export const EXECUTOR_NAMES = ["local", "inline", "slurm", "slurm-alloc"] as const;

/** Builds the executor `name` (default local) for a run on `store`. */
export function executorOf(
  name: string | undefined,
  o: { store: string; resources?: string[] },
): Executor {
  if (o.resources?.length && !name?.startsWith("slurm")) {
    throw new Error("--resource applies to batch executors (--executor slurm or slurm-alloc)");
  }
  if (!name || name === "local") return new LocalExecutor();
  if (name === "inline") return new InlineExecutor();
  if (name === "slurm") {
    return new SlurmExecutor({
      dir: join(resolve(o.store), "slurm"),
      resources: resourcesFromPairs(o.resources ?? []),
    });
  }
  if (name === "slurm-alloc") {
    // --resource describes the allocation job; its cpus are the steps' slots.
    return new AllocationExecutor({
      dir: join(resolve(o.store), "slurm-alloc"),
      resources: resourcesFromPairs(o.resources ?? []),
    });
  }
  throw new Error(`--executor: unknown executor '${name}' (${EXECUTOR_NAMES.join(", ")})`);
}
