/**
 * Parameters of the create-patchstore step: one valibot schema that accepts sr-midas's function
 * keys (seed spec §4.1), the names its README/CLI flags use, and `seed`, and normalises them into
 * a {@link SynthesisConfig}. sr-midas's CLI names never reached the function (§12.1-1); here both
 * spellings work, and giving both with different values is an error.
 *
 * | sr-midas key | CLI/README alias |
 * |---|---|
 * | nPatch | n_patches |
 * | lrsz | patch_size |
 * | srfacAll (`"1-2-4-8"` or [1, 2, 4, 8]) | srfac_list |
 * | nPeak (`"1-2-3"` or [1, 2, 3]) | n_peaks_per_patch |
 * | midasIthresh | I_thresh |
 * | srfacSource | srfac |
 *
 * Accepted and ignored (the engine wires files, R/Eta channels are always written):
 * peakbank/peakbankPath, saveDir/savedir, saveName/savename, config, useRch, useEtach.
 * `nwork` (sr-midas CLI: worker count) sets the step's requested threads (render Workers).
 *
 * @example
 * ```ts
 * import * as v from "valibot";
 * import { createPatchstoreParams, toSynthesisConfig } from "./params.ts";
 * const p = v.parse(createPatchstoreParams, { n_patches: 100, srfacAll: "1-2-4-8", Ypx_BC: 1000, Zpx_BC: 1000 });
 * toSynthesisConfig(p).nPatch; // 100
 * ```
 * @module
 */
import * as v from "valibot";
import { defaultSynthesisConfig, type SynthesisConfig } from "./synthesis.ts";

/** Parses `"1-2-4-8"` (sr-midas dash list), `"1,2"`, a single number or a number array. */
export function parseFactorList(x: string | number | number[]): number[] {
  if (Array.isArray(x)) return x;
  if (typeof x === "number") return [x];
  const parts = x.split(/[-,\s]+/).filter((s) => s !== "");
  return parts.map(Number);
}

// Array first: the CLI's coercion then YAML-parses "1-2-4-8" to a string and "[1, 2]" to a list.
const intList = v.pipe(
  v.union([v.array(v.number()), v.string(), v.number()]),
  v.transform(parseFactorList),
  v.check(
    (xs) => xs.length > 0 && xs.every((n) => Number.isInteger(n) && n >= 1),
    'expected positive integers, e.g. "1-2-4-8" or [1, 2, 4, 8]',
  ),
);
const posInt = v.pipe(v.number(), v.integer(), v.minValue(1));
const num = v.number();
/** An optional param with a --help line (the CLI reads the description off the inner schema). */
const opt = <S extends v.GenericSchema>(schema: S, text: string) =>
  v.optional(v.pipe(schema, v.description<v.InferOutput<S>, string>(text)));
const ignoredStr = (what: string) => opt(v.nullable(v.string()), `ignored (${what})`);

/** Keys that are accepted for sr-midas compatibility and have no effect here. */
export const IGNORED_KEYS = [
  "peakbank",
  "peakbankPath",
  "saveDir",
  "savedir",
  "saveName",
  "savename",
  "config",
  "useRch",
  "useEtach",
] as const;

/** Aliases: [sr-midas key, CLI/README name]. */
const ALIASES = [
  ["nPatch", "n_patches"],
  ["lrsz", "patch_size"],
  ["srfacAll", "srfac_list"],
  ["nPeak", "n_peaks_per_patch"],
  ["midasIthresh", "I_thresh"],
  ["srfacSource", "srfac"],
] as const;

const entries = {
  nPatch: opt(posInt, "patches to attempt (blank ones are dropped) [1000]"),
  n_patches: opt(posInt, "alias of nPatch (sr-midas CLI)"),
  lrsz: opt(posInt, "low-resolution patch size, x1 px [20]"),
  patch_size: opt(posInt, "alias of lrsz"),
  cvsz: opt(posInt, "canvas size, x1 px (>= lrsz) [40]"),
  srfacSource: opt(posInt, "render factor S of the canvas [8]"),
  srfac: opt(posInt, "alias of srfacSource"),
  srfacAll: opt(intList, "SR factors to emit, e.g. 1-2-4-8 [1-2-4-8]"),
  srfac_list: opt(intList, "alias of srfacAll"),
  nPeak: opt(intList, "allowed peak counts per patch, e.g. 1-2-3-4-5 [1-2-3-4-5]"),
  n_peaks_per_patch: opt(intList, "alias of nPeak"),
  pSepMin: opt(num, "minimum pairwise peak separation, px [1]"),
  pSepMax: opt(num, "maximum pairwise peak separation, px [10]"),
  varR: opt(num, "allowed radial deviation from the ring radius, px [2]"),
  errCut: opt(num, "keep peakbank rows with error_reconstruction < errCut [0.5]"),
  integIntCut: opt(num, "keep peakbank rows with IntegratedIntensity > integIntCut [0]"),
  midasIthresh: opt(num, "MIDAS threshold in x1 counts (blank test, per-level thresholds) [0]"),
  I_thresh: opt(num, "alias of midasIthresh"),
  peakImin: opt(num, "lower clip of IMax [0]"),
  peakImax: opt(num, "upper clip of IMax [inf]"),
  Ypx_BC: opt(num, "beam centre Y, px [from the peakbank's BeamYCen(px) column]"),
  Zpx_BC: opt(num, "beam centre Z, px [from the peakbank's BeamZCen(px) column]"),
  srIthreshFac: opt(num, "multiplier on the source-level threshold [1]"),
  seed: v.optional(
    v.pipe(v.number(), v.integer(), v.description("random seed; same seed, same patchstore [0]")),
    0,
  ),
  maxTries: opt(posInt, "placement draws per patch before giving up [100000]"),
  target: opt(
    v.picklist(["resample", "deconvolve"]),
    "levels above x1: resample (sr-midas sum-pool) or deconvolve (peaks re-rendered narrower) [resample]",
  ),
  targetWidthFactor: opt(
    v.pipe(v.number(), v.gtValue(0), v.maxValue(1)),
    "width multiplier of the deconvolving target, (0, 1] [0.25]",
  ),
  inputNoise: opt(
    v.picklist(["none", "detector"]),
    "x1 input: none (noise-free render) or detector (seeded noise, thresholded as process) [none]",
  ),
  noiseBackground: opt(v.pipe(v.number(), v.minValue(0)), "input noise: background, counts [2]"),
  noiseGain: opt(v.pipe(v.number(), v.gtValue(0)), "input noise: counts per photon [1]"),
  noiseReadSigma: opt(v.pipe(v.number(), v.minValue(0)), "input noise: read σ, counts [4]"),
  noiseThreshold: opt(num, "input noise: x1 threshold, counts (the scan's RingThresh) [10]"),
  peakbank: ignoredStr("the peakbank is the input port"),
  peakbankPath: ignoredStr("the peakbank is the input port"),
  saveDir: ignoredStr("the engine chooses the output directory"),
  savedir: ignoredStr("the engine chooses the output directory"),
  saveName: ignoredStr("the output is patchstore.h5"),
  savename: ignoredStr("the output is patchstore.h5"),
  config: ignoredStr("use a workflow or --config"),
  useRch: opt(
    v.union([v.boolean(), v.number(), v.string()]),
    "ignored (R/Eta channels are always written)",
  ),
  useEtach: opt(
    v.union([v.boolean(), v.number(), v.string()]),
    "ignored (R/Eta channels are always written)",
  ),
  nwork: opt(posInt, "render Workers (the step's requested threads) [4]"),
};

/** The step's params schema (strict: unknown keys are errors, so typos do not pass silently). */
export const createPatchstoreParams = v.pipe(
  v.strictObject(entries),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const val = dataset.value as Record<string, unknown>;
    for (const [key, alias] of ALIASES) {
      const a = val[key], b = val[alias];
      if (a !== undefined && b !== undefined && JSON.stringify(a) !== JSON.stringify(b)) {
        addIssue({
          message: `${key}=${JSON.stringify(a)} and its alias ${alias}=${
            JSON.stringify(b)
          } disagree`,
        });
      }
    }
  }),
);

/** Parsed params. */
export type CreatePatchstoreParams = v.InferOutput<typeof createPatchstoreParams>;

/**
 * Resolves aliases and defaults into a synthesis config. `beamCentre` fills Ypx_BC/Zpx_BC when
 * the params leave them out; without either the beam centre is an Error.
 */
export function toSynthesisConfig(
  p: CreatePatchstoreParams,
  beamCentre?: { y: number; z: number },
): SynthesisConfig {
  const pick = <T>(a: T | undefined, b: T | undefined) => a ?? b;
  const over: Partial<SynthesisConfig> = {
    nPatch: pick(p.nPatch, p.n_patches),
    lrsz: pick(p.lrsz, p.patch_size),
    cvsz: p.cvsz,
    srfacSource: pick(p.srfacSource, p.srfac),
    srfacAll: pick(p.srfacAll, p.srfac_list),
    nPeak: pick(p.nPeak, p.n_peaks_per_patch),
    pSepMin: p.pSepMin,
    pSepMax: p.pSepMax,
    varR: p.varR,
    errCut: p.errCut,
    integIntCut: p.integIntCut,
    midasIthresh: pick(p.midasIthresh, p.I_thresh),
    peakImin: p.peakImin,
    peakImax: p.peakImax,
    Ypx_BC: pick(p.Ypx_BC, beamCentre?.y),
    Zpx_BC: pick(p.Zpx_BC, beamCentre?.z),
    srIthreshFac: p.srIthreshFac,
    seed: p.seed,
    maxTries: p.maxTries,
    target: p.target,
    targetWidthFactor: p.targetWidthFactor,
    inputNoise: p.inputNoise,
    noiseBackground: p.noiseBackground,
    noiseGain: p.noiseGain,
    noiseReadSigma: p.noiseReadSigma,
    noiseThreshold: p.noiseThreshold,
  };
  if (over.Ypx_BC === undefined || over.Zpx_BC === undefined) {
    throw new Error(
      "create_patchstore: Ypx_BC and Zpx_BC (beam centre, px) are required: give them as params " +
        "or use a peakbank with one beam centre in its BeamYCen(px)/BeamZCen(px) columns",
    );
  }
  const defined = Object.fromEntries(Object.entries(over).filter(([, x]) => x !== undefined));
  return defaultSynthesisConfig(defined);
}
