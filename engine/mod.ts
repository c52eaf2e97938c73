/**
 * The domain-free workflow engine: typed steps, YAML workflows, content-hash caching,
 * atomic outputs, resume, plan/why, executors. Knows nothing about diffraction.
 * @module
 */
export * from "./step.ts";
export * from "./workflow.ts";
export * from "./runner.ts";
export * from "./store.ts";
export * from "./key.ts";
export * from "./hash.ts";
export * from "./events.ts";
export * from "./executor.ts";
export * from "./progress.ts";
export * from "./publish.ts";
export { codeFingerprint } from "./fingerprint.ts";
export { canonicalJson } from "./canonical.ts";
export * from "./resources.ts";
export { SlurmExecutor, type SlurmOptions } from "./executors/slurm.ts";
export { AllocationExecutor, type AllocationOptions } from "./executors/allocation.ts";
