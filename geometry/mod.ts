/**
 * Detector and diffraction geometry: tilts, distortion, ring maps, crystal lattices, Bragg and ω solutions, grains.
 * @module
 */
export * from "./detector.ts";
export * from "./ring_map.ts";
export * from "./crystal.ts";
export * from "./forward.ts";
export * from "./grains.ts";
