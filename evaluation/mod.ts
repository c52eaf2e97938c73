/**
 * Peak-finding evaluation against simulation truth (issue #6): truth and peak-table loading,
 * frame-by-frame matching, metrics, example patches and the Markdown report.
 *
 * @example
 * ```ts
 * import { evaluatePeaks, parseTruthTable } from "./mod.ts";
 * const truth = parseTruthTable("frame\tY\tZ\n0\t1\t1\n");
 * const peaks = { n: 1, nFrames: 1, frame: Int32Array.of(0), y: Float64Array.of(1.2),
 *   z: Float64Array.of(1), intensity: Float64Array.of(1) };
 * evaluatePeaks(truth, peaks).metrics.recall; // 1
 * ```
 * @module
 */
export * from "./truth_table.ts";
export * from "./peak_table.ts";
export * from "./matching.ts";
export * from "./metrics.ts";
export * from "./examples.ts";
export * from "./report.ts";
export * from "./sr_patches.ts";
export * from "./crlb.ts";
export * from "./oracle.ts";
export * from "./truth_shapes.ts";
export * from "./physical_limits.ts";
