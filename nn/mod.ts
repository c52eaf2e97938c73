/**
 * The neural engine: sr-midas architecture strings, ONNX graph construction (inference and
 * training step), onnxruntime-node sessions, the training loop, and input preparation.
 *
 * @example
 * ```ts
 * import { arraySource, exportModel, train } from "./mod.ts";
 * const n = 64;
 * const src = arraySource(new Float32Array(n * 100), new Float32Array(n * 100), n, [1, 10, 10], [1, 10, 10]);
 * const r = await train(src, { arch: "8-3-r_1-3-s", batchSize: 16, epochs: 2 });
 * await exportModel("out/model", r, { srfacIn: 1, srfacOut: 1 });
 * ```
 * @module
 */
export * from "./arch.ts";
export * from "./checkpoint.ts";
export * from "./error_stats.ts";
export * from "./hwnc.ts";
export * from "./infer_graph.ts";
export * from "./model_card.ts";
export * from "./onnx_proto.ts";
export * from "./reference.ts";
export * from "./rng.ts";
export * from "./session.ts";
export * from "./train_graph.ts";
export * from "./trainer.ts";
export * from "./upscale.ts";
export * from "./winograd.ts";
