/**
 * The sr-midas SR config (sr-midas-seed §10.7, §10.12): JSON (bundled keys) or the `.txt`
 * `key value` format, validated with valibot. Unlike sr-midas, a config missing keys fails at
 * load time with an Error naming the file and every missing/invalid key (not a later KeyError),
 * and a file that is neither `.json` nor `.txt` is an Error, not `sys.exit(1)`.
 *
 * Model references (`mods_to_use.SRx{2,4,8}.mod_dir`) are keys of the bundled model folder
 * (`models/<key>/`: x1_x2, x2_x4, x4_x8, x1_x8) or paths (absolute, or relative to the config
 * file). {@link resolveModelDirs} maps them, with a `models` override folder taking precedence.
 *
 * @example
 * ```ts
 * import { loadSrConfig, levelArgs } from "./sr_config.ts";
 * const cfg = await loadSrConfig(); // the bundled configs/sr_config.default.json
 * levelArgs(cfg, 8).minDistance; // 5
 * ```
 * @module
 */
import * as v from "valibot";
import { assertKnownKeys, closestName } from "../engine/strict.ts";

/** The bundled default config. */
export const DEFAULT_SR_CONFIG_PATH = new URL("../configs/sr_config.default.json", import.meta.url)
  .pathname;
export { BUNDLED_MODELS_DIR, MODEL_KEYS } from "../models/mod.ts";
import { BUNDLED_MODELS_DIR } from "../models/mod.ts";
import type { SplitOptions } from "../fitting/model_select.ts";

const LEVELS1 = ["SRx1", "SRx2", "SRx4", "SRx8"] as const;
const LEVELS = ["SRx2", "SRx4", "SRx8"] as const;
/** An SR level name. */
export type Level = typeof LEVELS1[number];

const num = v.pipe(v.number(), v.finite());
const pos = v.pipe(num, v.minValue(0));
const intPos = v.pipe(num, v.integer(), v.minValue(1));
const yesNo = v.pipe(
  v.union([v.string(), v.number(), v.boolean()]),
  v.transform((x) => String(x).toLowerCase()),
);
const perLevel = <T extends v.GenericSchema>(s: T) =>
  v.object({ SRx1: s, SRx2: s, SRx4: s, SRx8: s });
const shift = v.object({ shiftYpx: num, shiftZpx: num });

/**
 * valibot schema of a loaded SR config. Keys it does not name are errors ({@link validateSrConfig}),
 * except sr-midas's "about" strings ({@link SR_CONFIG_EXTRA_KEYS}).
 */
export const srConfigSchema = v.pipe(
  v.object({
    minEta: num,
    minPxCount: intPos,
    skipFitIfExists: yesNo,
    fitPeakShapePV: v.pipe(
      yesNo,
      v.check(
        (x) => MODE_WORDS.has(x),
        "expected yes/no/auto (or y/n/true/false/t/f/1/0/partial/mix)",
      ),
    ),
    /**
     * srmidas extension: re-fit the SR-detected peaks jointly on the raw x1 counts (MIDAS's
     * pseudo-Voigt model, seeded at the SR positions). "no" = sr-midas (positions from the SR
     * patch). Absent = "yes".
     */
    refine_on_raw: v.optional(
      v.pipe(
        yesNo,
        v.check((x) => YES.has(x) || NO.has(x), "expected yes/no (or y/n/true/false/t/f/1/0)"),
      ),
      "yes",
    ),
    /**
     * srmidas extension: how the raw re-fit decides how many peaks a component holds. "bic" =
     * BIC with the frame's measured noise (fitting/model_select.ts; per-frame background level and
     * σ, gain 1), "ftest" = the F-test without a noise model. Absent = "bic".
     */
    refine_select: v.optional(v.picklist(["bic", "ftest"]), "bic"),
    /**
     * srmidas extension, BIC re-fit only: also try splitting each fitted peak in two and keep the
     * split when BIC falls (fitting/model_select.ts `split`), so a pair closer than a peak width
     * — one maximum on any smooth image — can still come out as two. Absent = "yes".
     */
    refine_split: v.optional(
      v.pipe(
        yesNo,
        v.check((x) => YES.has(x) || NO.has(x), "expected yes/no (or y/n/true/false/t/f/1/0)"),
      ),
      "yes",
    ),
    /**
     * srmidas extension: how much BIC must fall for a split to be kept (`refine_split`). Higher
     * trades resolved pairs for fewer false splits. Absent = 3: once fits escape the Lorentzian
     * corner (fitting/pv_fit.ts `fitOutOfLorentzianCorner`), whose misfits were a share of the
     * false splits, 3 instead of 5 resolved 105 instead of 101 of a tuning scan's 325 pairs for 6
     * more unmatched peaks in 60 frames (bench/RESULTS.md). Earlier, 5 instead of 10 resolved 79
     * pairs instead of 74 on issue #12's acceptance scan.
     */
    refine_split_min_gain: v.optional(v.pipe(num, v.minValue(0)), 3),
    /**
     * srmidas extension, a speed knob: the split search runs only on fits whose χ² is at least
     * this many σ above its expectation (fitting/model_select.ts `minMisfitZ`). −2 cut the
     * fitting time by a quarter and lost 1 of 52 resolved pairs on issue #12's held-out scan
     * (bench/RESULTS.md). Absent = every fit is searched.
     */
    refine_split_min_misfit_z: v.optional(num),
    /**
     * srmidas extension: the directions a peak is split along (fitting/model_select.ts). "residual"
     * = the one axis the fit's residual points to; "all" = radial, azimuthal and both diagonals
     * (`allDirections`), about twice the fitting time; "misfit" = all four on fits whose χ² lies
     * {@link SPLIT_ALL_DIRECTIONS_MISFIT_Z} σ or more above its expectation, the residual axis
     * elsewhere. Absent = "misfit".
     */
    refine_split_directions: v.optional(v.picklist(["residual", "misfit", "all"]), "misfit"),
    /**
     * srmidas extension: the raw re-fit also fits the below-threshold pixels within this many px
     * of the component (process/spots.ts `ring`); 0 = only the pixels over the threshold, as
     * MIDAS. Absent = 2.
     */
    refine_ring_px: v.optional(v.pipe(num, v.integer(), v.minValue(0)), 2),
    /**
     * srmidas extension, BIC re-fit only: how many neighbouring frames on each side (ω) the
     * re-fit may sum with frame f where that raises a region's SNR (process/sr_peaks.ts
     * `selectRegionPeaks`); 0 = frame f alone. Absent = 1: on issue #12's acceptance scan it
     * resolved 91 pairs instead of 79 (1–2 px 29 → 35, 2–3 px 33 → 40) at recall 0.953 (0.9508)
     * and precision 0.985 (0.986), for 8 % more fitting time; with `refine_split_directions
     * misfit` 100 pairs (37 / 43) at recall 0.954, precision 0.985 (bench/RESULTS.md).
     */
    refine_omega_frames: v.optional(v.pipe(num, v.integer(), v.minValue(0), v.maxValue(1)), 1),
    R_deviation: num,
    lrsz: v.pipe(intPos, v.minValue(4)),
    edge_bound_cutoff_fac: pos,
    batch_size: intPos,
    mods_to_use: v.object({
      SRx2: v.object({ mod_dir: v.string(), mod_itr: v.optional(num) }),
      SRx4: v.object({ mod_dir: v.string(), mod_itr: v.optional(num) }),
      SRx8: v.object({ mod_dir: v.string(), mod_itr: v.optional(num) }),
    }),
    spot_find_args: v.object({ threshold: v.optional(num), patch_size: intPos }),
    peak_find_args: v.object({
      min_d: perLevel(intPos),
      thresh_rel: perLevel(v.pipe(num, v.minValue(0), v.maxValue(1))),
      gauss_filter_sigma: perLevel(pos),
      median_filter_size: perLevel(intPos),
      peak_crop_size: perLevel(intPos),
      pvfit_int_thresh: perLevel(pos),
    }),
    shift_YZ_pos: v.optional(v.object({ SRx2: shift, SRx4: shift, SRx8: shift })),
  }),
  v.check(
    (c) => c.lrsz === c.spot_find_args.patch_size,
    "lrsz and spot_find_args.patch_size must be equal (sr-midas assumes it)",
  ),
);

/** A validated SR config. */
export type SrConfig = v.InferOutput<typeof srConfigSchema>;

const YES = new Set(["yes", "y", "true", "t", "1"]);
const NO = new Set(["no", "n", "false", "f", "0"]);
const AUTO = new Set(["auto", "partial", "mix"]);
const MODE_WORDS = new Set([...YES, ...NO, ...AUTO]);

/** sr-midas truthiness of `skipFitIfExists` ("yes" keeps existing results). */
export function isYes(x: string): boolean {
  return YES.has(x.toLowerCase());
}

/** Peak localization mode from `fitPeakShapePV`: COM, PV, or COM for 1 maximum / PV for ≥ 2. */
export function peakShapeMode(c: SrConfig): "com" | "pv" | "auto" {
  const m = c.fitPeakShapePV;
  return YES.has(m) ? "pv" : AUTO.has(m) ? "auto" : "com";
}

/**
 * `refine_split_directions "misfit"`: fits this many σ or more above their χ² expectation are
 * split along all four directions. A single spot's fit seldom lies there, a pair's one-peak fit
 * does. On issue #12's acceptance scan regions (bench/refit_replay.ts, frames f ± 1 summed):
 * along the residual axis 91 pairs resolved for 100 unmatched peaks on frames 0–59 in 62 s of
 * fitting (model error 6 % on the sum; 98 / 125 at 3 %); gated at 2σ, 100 / 95 in 70 s (3 %);
 * all four everywhere, 98 / 95 in 111 s (3.5 %) (bench/RESULTS.md).
 */
export const SPLIT_ALL_DIRECTIONS_MISFIT_Z = 2;

/** True when SR peaks are re-fitted on the raw counts (`refine_on_raw`, default yes). */
export function refinesOnRaw(c: SrConfig): boolean {
  return YES.has(c.refine_on_raw);
}

/** True when the raw re-fit picks the peak count by BIC with the measured noise (`refine_select`). */
export function refineUsesBic(c: SrConfig): boolean {
  return c.refine_select !== "ftest";
}

/**
 * The split options of the BIC re-fit (`refine_split`, `refine_split_min_gain`), or undefined
 * when it does not split.
 */
export function refineSplits(c: SrConfig): SplitOptions | undefined {
  if (!refineUsesBic(c) || !YES.has(c.refine_split)) return undefined;
  const z = c.refine_split_min_misfit_z;
  return {
    minGain: c.refine_split_min_gain,
    ...(z === undefined ? {} : { minMisfitZ: z }),
    ...(c.refine_split_directions === "all" ? { allDirections: true } : {}),
    ...(c.refine_split_directions === "misfit"
      ? { allDirectionsMinMisfitZ: SPLIT_ALL_DIRECTIONS_MISFIT_Z }
      : {}),
  };
}

/** Keys sr-midas's own JSON configs carry that mean nothing to the code (§10.7), at any level. */
export const SR_CONFIG_EXTRA_KEYS = ["about"] as const;

/**
 * Validates a parsed config object; errors name `source` and each bad key path. Unknown keys
 * are errors (with `source:line` when the file's `text` is given, and the closest valid name).
 */
export function validateSrConfig(obj: unknown, source: string, text?: string): SrConfig {
  assertKnownKeys(srConfigSchema, obj, {
    file: source,
    text,
    what: "SR config key",
    allow: SR_CONFIG_EXTRA_KEYS,
  });
  const r = v.safeParse(srConfigSchema, obj);
  if (r.success) return r.output;
  const lines = r.issues.map((is) => {
    const path = (is.path ?? []).map((p: { key: unknown }) => String(p.key)).join(".");
    const missing = is.input === undefined && is.kind === "schema";
    return `  ${path || "(root)"}: ${missing ? "missing key" : is.message}`;
  });
  throw new Error(`${source}: invalid SR config:\n${lines.join("\n")}`);
}

/**
 * Parses the sr-midas `.txt` format (§10.12) into the JSON structure. Per-level families are
 * all-or-nothing as in sr-midas (a family with a missing level is left out, so validation then
 * names it). Unknown keys are an Error naming the line.
 */
export function parseSrConfigTxt(text: string, source: string): Record<string, unknown> {
  const kv = new Map<string, string[]>();
  const lineOf = new Map<string, number>();
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === "" || t.startsWith("#")) return;
    const [k, ...vals] = t.split(/\s+/);
    if (vals.length === 0) throw new Error(`${source}:${i + 1}: key '${k}' has no value`);
    kv.set(k, vals);
    lineOf.set(k, i + 1);
  });
  const known = new Set<string>();
  const val = (k: string): string | number | undefined => {
    known.add(k);
    const x = kv.get(k)?.[0];
    if (x === undefined) return undefined;
    const n = Number(x);
    return Number.isFinite(n) && x.trim() !== "" ? n : x;
  };
  const out: Record<string, unknown> = {};
  const used = new Set<string>();
  const take = (k: string, dst = k) => {
    const x = val(k);
    if (x !== undefined) {
      out[dst] = x;
      used.add(k);
    }
  };
  for (
    const k of [
      "minEta",
      "minPxCount",
      "skipFitIfExists",
      "fitPeakShapePV",
      "refine_on_raw",
      "refine_select",
      "refine_split",
      "refine_split_min_gain",
      "refine_split_min_misfit_z",
      "refine_split_directions",
      "refine_ring_px",
      "refine_omega_frames",
      "R_deviation",
      "lrsz",
      "edge_bound_cutoff_fac",
      "batch_size",
    ]
  ) take(k);
  const mods: Record<string, unknown> = {};
  for (const l of LEVELS) {
    known.add(`${l}_mod_dir`).add(`${l}_mod_itr`);
    const dir = kv.get(`${l}_mod_dir`)?.[0];
    if (dir === undefined) continue;
    used.add(`${l}_mod_dir`).add(`${l}_mod_itr`);
    mods[l] = { mod_dir: dir, mod_itr: val(`${l}_mod_itr`) };
  }
  out.mods_to_use = mods;
  const spot: Record<string, unknown> = {};
  for (const [k, dst] of [["spot_threshold", "threshold"], ["spot_patch_size", "patch_size"]]) {
    if (val(k) !== undefined) spot[dst] = val(k);
    used.add(k);
  }
  out.spot_find_args = spot;
  const fam: Record<string, unknown> = {};
  for (
    const f of [
      "min_d",
      "thresh_rel",
      "gauss_filter_sigma",
      "median_filter_size",
      "peak_crop_size",
      "pvfit_int_thresh",
    ]
  ) {
    const vals = LEVELS1.map((l) => val(`${l}_${f}`));
    LEVELS1.forEach((l) => used.add(`${l}_${f}`));
    if (vals.every((x) => x !== undefined)) {
      fam[f] = Object.fromEntries(LEVELS1.map((l, i) => [l, vals[i]]));
    }
  }
  out.peak_find_args = fam;
  const shifts: Record<string, unknown> = {};
  for (const l of LEVELS) {
    const y = val(`${l}_shift_Ypx`), z = val(`${l}_shift_Zpx`);
    used.add(`${l}_shift_Ypx`).add(`${l}_shift_Zpx`);
    if (y !== undefined && z !== undefined) shifts[l] = { shiftYpx: y, shiftZpx: z };
  }
  if (Object.keys(shifts).length === LEVELS.length) out.shift_YZ_pos = shifts;
  const unknown = [...kv.keys()].filter((k) => !used.has(k) && !known.has(k));
  if (unknown.length > 0) {
    throw new Error(
      unknown.map((k) => {
        const near = closestName(k, [...known]);
        return `${source}:${lineOf.get(k)}: unknown SR config key '${k}'${
          near ? ` (did you mean '${near}'?)` : ""
        }`;
      }).join("\n"),
    );
  }
  return out;
}

/** Loads and validates a config (`.json` or `.txt`); no path → the bundled default. */
export async function loadSrConfig(path?: string): Promise<SrConfig> {
  const p = path ?? DEFAULT_SR_CONFIG_PATH;
  let text: string;
  try {
    text = await Deno.readTextFile(p);
  } catch (e) {
    throw new Error(`${p}: cannot read SR config (${(e as Error).message})`);
  }
  if (p.endsWith(".txt")) return validateSrConfig(parseSrConfigTxt(text, p), p);
  if (!p.endsWith(".json")) {
    throw new Error(`${p}: SR config must end in .json or .txt`);
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new Error(`${p}: SR config is not valid JSON (${(e as Error).message})`);
  }
  return validateSrConfig(obj, p, text);
}

/** Peak-finding settings of one SR level, in the fitting library's names. */
export interface LevelArgs {
  minDistance: number;
  thresholdRel: number;
  gaussSigma: number;
  medianSize: number;
  peakCropSize: number;
  pvfitIntThresh: number;
}

/** `peak_find_args[…]["SRx{s}"]`. */
export function levelArgs(c: SrConfig, s: number): LevelArgs {
  const l = `SRx${s}` as Level;
  const a = c.peak_find_args;
  if (!(l in a.min_d)) throw new Error(`SR config: no peak_find_args for level ${l}`);
  return {
    minDistance: a.min_d[l],
    thresholdRel: a.thresh_rel[l],
    gaussSigma: a.gauss_filter_sigma[l],
    medianSize: a.median_filter_size[l],
    peakCropSize: a.peak_crop_size[l],
    pvfitIntThresh: a.pvfit_int_thresh[l],
  };
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await Deno.stat(p)).isDirectory;
  } catch {
    return false;
  }
}

/**
 * Model folder of every level needed to reach SRx`srfac`, keyed by level: the `models` override
 * (`overrideDir/<basename>`) first; then a `mod_dir` path as given (relative paths from
 * `configDir`), or a bare key (`x1_x2`) in {@link BUNDLED_MODELS_DIR}. A path never falls back
 * to the bundled model of the same name. A missing model is an Error naming the level, the
 * reference and the folders searched.
 */
export async function resolveModelDirs(
  c: SrConfig,
  levels: readonly Level[],
  opts: { configDir?: string; overrideDir?: string; bundledDir?: string } = {},
): Promise<Map<Level, string>> {
  const out = new Map<Level, string>();
  for (const l of levels) {
    if (l === "SRx1") continue;
    const ref = c.mods_to_use[l as Exclude<Level, "SRx1">].mod_dir;
    const key = ref.replace(/\/+$/, "").split("/").pop()!;
    // A bare key (`x1_x2`) names a bundled model; a path names that folder and nothing else, so
    // a mistyped or missing path is an error, never a silent fall-back to the bundled model.
    const isKey = !ref.includes("/") && !ref.startsWith(".");
    const candidates = [
      ...(opts.overrideDir ? [`${opts.overrideDir}/${key}`] : []),
      ...(ref.startsWith("/") ? [ref] : opts.configDir ? [`${opts.configDir}/${ref}`] : []),
      ...(isKey ? [`${opts.bundledDir ?? BUNDLED_MODELS_DIR}/${key}`] : []),
    ];
    let found: string | undefined;
    for (const cand of candidates) {
      if (await isDir(cand)) {
        found = cand;
        break;
      }
    }
    if (!found) {
      throw new Error(
        `SR config mods_to_use.${l}.mod_dir '${ref}': no model folder found (searched ${
          candidates.join(", ")
        }); srfac 1 needs no models`,
      );
    }
    out.set(l, found);
  }
  return out;
}
