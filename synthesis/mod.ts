/**
 * Synthetic far-field HEDM scans: scenes, rendering, noise, frames, truth tables.
 * @module
 */
export * from "./scene.ts";
export * from "./render.ts";
export * from "./noise.ts";
export * from "./frames.ts";
export * from "./random_grains.ts";
export * from "./simulation.ts";
export * from "./truth.ts";
export * from "./noise_model.ts";
