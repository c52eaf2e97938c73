/**
 * Peak finding and fitting library for the `process` step: connected components, peak_local_max,
 * watershed, bounded Levenberg–Marquardt, the MIDAS multi-peak pseudo-Voigt fit, MIDAS's native
 * per-frame search and a noise-rejection rule. All pure functions over typed arrays.
 *
 * @example
 * ```ts
 * import { labelComponents } from "./mod.ts";
 * labelComponents(new Float64Array([1, 1, 0, 1]), 2, 2).count; // 1
 * ```
 * @module
 */
export * from "./components.ts";
export * from "./local_max.ts";
export * from "./watershed.ts";
export * from "./levenberg_marquardt.ts";
export * from "./pv_gradient.ts";
export * from "./pv_fit.ts";
export * from "./native_search.ts";
export * from "./noise_filter.ts";
export * from "./prominent_maxima.ts";
export * from "./patch_peaks.ts";
