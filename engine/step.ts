/**
 * The step contract: a typed unit of work with declared ports and a valibot params schema.
 *
 * Steps know nothing about workflows, caching or executors: they read input paths, write into
 * `ctx.outDir` (a staging directory the engine commits atomically) and report progress.
 *
 * @example
 * ```ts
 * import * as v from "valibot";
 * import { defineStep } from "./step.ts";
 *
 * export const double = defineStep({
 *   name: "double",
 *   version: "1",
 *   description: "Doubles a number stored in a text file.",
 *   params: v.object({ factor: v.optional(v.number(), 2) }),
 *   inputs: { value: { kind: "text" } },
 *   outputs: { value: { kind: "text", path: "value.txt" } },
 *   async run(ctx) {
 *     const x = Number(await Deno.readTextFile(ctx.inputs.value));
 *     await Deno.writeTextFile(ctx.output("value"), String(x * ctx.params.factor));
 *   },
 * });
 * ```
 * @module
 */
import type * as v from "valibot";
import type { PublishTarget } from "./publish.ts";

/** Artifact kinds that travel between steps. Free-form strings are allowed for extensions. */
export type ArtifactKind =
  | "scan" // a MIDAS analysis directory (zip + hkls.csv + parameter file)
  | "truth" // a simulation's truth table
  | "peaks" // a MIDAS peak-table directory (Temp/ with PS/PX files)
  | "peakbank" // a peakbank CSV
  | "patchstore" // an sr-midas patchstore HDF5
  | "model" // one ONNX model + card
  | "cascade" // a set of models x1→x2→x4→x8
  | "report" // a Markdown report with figures
  | "config" // an SR config
  | "text"
  | "file"
  | "dir"
  | (string & Record<never, never>);

/** A declared input port. `optional` ports may be left unwired. */
export interface InputPort {
  kind: ArtifactKind;
  optional?: boolean;
  /** Several artifacts of this kind may be wired; the step receives a list of paths. */
  many?: boolean;
  description?: string;
  /**
   * The files of a folder input that the step actually reads, relative to it. When given, the
   * cache key covers only these (a scan's zip and `hkls.csv`, not a note or the step's own
   * published results beside them); otherwise the whole tree is hashed.
   */
  contents?: (path: string, params: any) => Promise<string[]>;
}

/** A declared output port; `path` is relative to the step's output directory. */
export interface OutputPort {
  kind: ArtifactKind;
  path: string;
  description?: string;
}

/** Structured log and progress sink handed to a running step. */
export interface StepLogger {
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  /** Reports progress: `done` of `total` units (frames, patches, epochs…). */
  progress(done: number, total: number, label?: string): void;
}

/** What a step's `run` receives. */
export interface StepContext<
  P,
  I extends Record<string, InputPort>,
  O extends Record<string, OutputPort>,
> {
  params: P;
  /** Absolute paths of the wired inputs; `many` ports get arrays, unwired optional ports `undefined`. */
  inputs: {
    [K in keyof I]: I[K]["many"] extends true ? string[]
      : I[K]["optional"] extends true ? string | undefined
      : string;
  };
  /** Staging directory; everything written here is committed together after success. */
  outDir: string;
  /** Absolute staging path of a declared output. */
  output(name: keyof O & string): string;
  /** A directory that survives a failed or killed run of the same step key, for checkpoints. */
  checkpointDir: string;
  log: StepLogger;
  signal: AbortSignal;
  /** Cores this step may use (the scheduler's grant). */
  threads: number;
}

/** A typed step definition. */
export interface Step<
  S extends v.GenericSchema = v.GenericSchema,
  I extends Record<string, InputPort> = Record<string, InputPort>,
  O extends Record<string, OutputPort> = Record<string, OutputPort>,
> {
  name: string;
  /** Bump when the step's output semantics change without a code change in its module tree. */
  version: string;
  description: string;
  params: S;
  inputs: I;
  outputs: O;
  /** Cores the step wants (default 1); the scheduler never grants more than the machine has. */
  threads?: number | ((params: v.InferOutput<S>) => number);
  /** Peak memory the step needs, in MB (default 512); the scheduler keeps the sum within budget. */
  memoryMB?: number | ((params: v.InferOutput<S>) => number);
  /** `import.meta.url` of the defining module: its local import tree is fingerprinted for the cache key. */
  module?: string;
  /**
   * Extra CLI flag spellings (e.g. sr-midas's `midasZarrDir`) → a param name, or `in:<port>`
   * for an input. Param names and port names are accepted as flags without listing them here.
   */
  cliAliases?: Record<string, string>;
  /**
   * Where the outputs go when the step runs alone from the CLI on the user's own files
   * (sr-midas's layout, e.g. `process` → `<scan>/Temp`, `<scan>/SR_out`). `--no-publish` turns
   * it off; workflows publish only what their YAML says (`publish:`).
   */
  publish?: (
    params: v.InferOutput<S>,
    inputs: Record<string, string | string[] | undefined>,
    options: Record<string, string>,
  ) => PublishTarget[];
  /**
   * CLI flags and config keys that only say where {@link Step.publish} puts copies (sr-midas's
   * `-saveDir`, `peakbank_savedir` …): handed to `publish` as `options`, never params, so they
   * do not enter the cache key (the same result published to two folders is computed once).
   */
  publishOptions?: string[];
  run(ctx: StepContext<v.InferOutput<S>, I, O>): Promise<void>;
}

/** Identity helper that infers the step's generic types. */
export function defineStep<
  S extends v.GenericSchema,
  I extends Record<string, InputPort>,
  O extends Record<string, OutputPort>,
>(step: Step<S, I, O>): Step<S, I, O> {
  return step;
}

/** A step with its type parameters erased, for registries. */
// deno-lint-ignore no-explicit-any
export type AnyStep = Step<any, Record<string, InputPort>, Record<string, OutputPort>>;
