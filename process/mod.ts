/**
 * The process step's pipeline: preprocessing, spot patches, SR config, the cascade, SR peak localization, the frame log and outputs.
 * @module
 */
export * from "./run.ts";
export * from "./preprocess.ts";
export * from "./spots.ts";
export * from "./sr_config.ts";
export * from "./cascade.ts";
export * from "./sr_peaks.ts";
export * from "./frame_log.ts";
export * from "./outputs.ts";
