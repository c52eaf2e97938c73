/**
 * Patchstore synthesis: multi-peak training patches rendered from peakbank peaks at every SR level
 * (sr-midas `create_patchstore`, seed spec §4), one patch at a time into typed arrays.
 *
 * Per patch: draw a peak count and a ring, sample that many peakbank peaks near the ring, place
 * them on the detector with pairwise separations in (pSepMin, pSepMax), render the pseudo-Voigts
 * on a `cvsz`-pixel canvas at the source factor S, threshold, find the brightest x1 pixel, crop
 * `lrsz` pixels around it and sum-pool the crop to every factor of `srfacAll`.
 *
 * Deliberate differences from sr-midas (seed spec §12.1-12, §4.6):
 * - **Reproducible:** patch i draws from its own stream `new Rng(seed, i)`, so a patchstore is a
 *   pure function of (peakbank, config) whatever the order or number of workers.
 * - **Bounded sampling:** placement stops after `maxTries` draws with an Error naming the patch
 *   and the constraints; rings with fewer candidates than max(nPeak) are an Error up front.
 * - **Physically centred grid:** SR pixel m of a patch with detector origin Y00 (an integer, the
 *   x1 pixel centre) has centre `Y00 − ½ + (m + ½)/s` ({@link srPixelCentre}), at every level and on
 *   the source canvas. So an x1 pixel sums exactly the sub-pixels inside [j − ½, j + ½), peaks sit
 *   where their `Ypx`/`Zpx` say, and the R/Eta channels are evaluated at the same centres.
 *   sr-midas instead evaluates everything on the nominal grid `Y00 + m/s` and later adds
 *   `shift_YZ_pos` = −(s−1)/(2s) to positions read off SR indices; that is the same centre
 *   (`Y00 + m/s − (s−1)/(2s) = Y00 − ½ + (m+½)/s`), so our patches need no shift table.
 *   Stored locations follow the same convention: `peaksLocInPatch` = `(Ypx − Y00 + ½)·s − ½`, the
 *   continuous index at which pixel m's centre is m (sr-midas stores `(Ypx − Y00)·s`).
 * - **Background once:** a single constant, the mean fitted `BG` of the patch's peaks, is added to
 *   the canvas (sr-midas adds every peak's BG to the whole canvas, i.e. nPeaks times).
 * - **Canvas edges:** the crop origin is clamped into the canvas instead of producing an empty or
 *   partial crop; crops are always aligned to whole x1 pixels (also for odd `lrsz`).
 * - **Eta seam:** peaks are evaluated with the Eta difference wrapped to (−180, 180], and Eta at
 *   Y == Ybc is taken as +|Eta| (sr-midas: NaN).
 * - Renormalising to ISum before dividing by the maximum (sr-midas step 8) cancels, so each level
 *   is simply divided by its maximum.
 * - **Targets that resolve** (issue #12, `target: "deconvolve"`): levels above x1 may instead be
 *   the crop's peaks re-rendered with narrowed widths (see {@link SynthesisConfig.target}); the
 *   sum-pooled `"resample"` target stays the default for compatibility.
 *
 * @example
 * ```ts
 * import { makePeakbank } from "./peakbank_csv.ts";
 * import { defaultSynthesisConfig, planSynthesis, synthesizePatch } from "./synthesis.ts";
 * const n = 12;
 * const pb = makePeakbank({
 *   error_reconstruction: new Array(n).fill(0.1), IntegratedIntensity: new Array(n).fill(5000),
 *   "Radius(px)": Array.from({ length: n }, (_, i) => 500 + (i % 3) * 0.1),
 *   SigmaGR: new Array(n).fill(1), SigmaGEta: new Array(n).fill(0.2), SigmaLR: new Array(n).fill(1),
 *   SigmaLEta: new Array(n).fill(0.2), MU: new Array(n).fill(0.5), IMax: new Array(n).fill(900),
 *   BG: new Array(n).fill(0),
 * });
 * const cfg = defaultSynthesisConfig({ nPatch: 4, nPeak: [1, 2], Ypx_BC: 1024, Zpx_BC: 1024 });
 * const plan = planSynthesis(pb, cfg);
 * const patch = synthesizePatch(plan, 0); // RenderedPatch | null (null = blank, dropped)
 * ```
 * @module
 */
import { pseudoVoigt, type PseudoVoigtParams } from "../peaks/pseudo_voigt.ts";
import {
  numericColumn,
  PATCHSTORE_PEAK_COLUMNS,
  type Peakbank,
  requireColumns,
} from "./peakbank_csv.ts";
import { findRingRadii } from "./ring_modes.ts";
import { Rng } from "./rng.ts";
import { applyNoise, type NoiseModel } from "../synthesis/noise_model.ts";
import { labelComponents } from "../fitting/components.ts";

/** Synthesis settings; names are sr-midas's `create_patchstore` keys (seed spec §4.1). */
export interface SynthesisConfig {
  /** Patches to attempt; blank ones are dropped, so the store may hold fewer. */
  nPatch: number;
  /** Low-resolution patch size in x1 pixels (20). */
  lrsz: number;
  /** Canvas size in x1 pixels (≥ lrsz; 40 leaves room for the crop). */
  cvsz: number;
  /** Render factor S of the canvas (8). Every entry of `srfacAll` must divide it. */
  srfacSource: number;
  /** Factors to emit (sr-midas `"1-2-4-8"`). */
  srfacAll: number[];
  /** Allowed peak counts per patch (sr-midas `"1-2-3-4-5"`). */
  nPeak: number[];
  /** Minimum and maximum pairwise peak separation (x1 px). */
  pSepMin: number;
  pSepMax: number;
  /** Allowed radial deviation from the ring radius (px). */
  varR: number;
  /** Keep peakbank rows with error_reconstruction < errCut. */
  errCut: number;
  /** Keep peakbank rows with IntegratedIntensity > integIntCut. */
  integIntCut: number;
  /** MIDAS threshold in x1 counts (blank detection and per-level thresholds). */
  midasIthresh: number;
  /** Clip range of IMax. */
  peakImin: number;
  peakImax: number;
  /** The single beam centre (px) used for every patch. */
  Ypx_BC: number;
  Zpx_BC: number;
  /** Multiplier on the source-level threshold. */
  srIthreshFac: number;
  /** Seed of the per-patch random streams. */
  seed: number;
  /** Cap on random placement draws per patch before giving up (sr-midas: unbounded). */
  maxTries: number;
  /**
   * What the levels above x1 hold: `"resample"` (sr-midas: sum-pools of the one canvas, the same
   * blur on a finer grid) or `"deconvolve"` (each peak re-rendered with its widths ×
   * `targetWidthFactor`, at least one SR pixel, integrated intensity kept, background left out:
   * a target in which peaks closer than ~2σ still have two maxima). x1, the network input, is the
   * same either way.
   */
  target: "resample" | "deconvolve";
  /** Width multiplier of the deconvolving target (0 < f ≤ 1; default 0.25: σ 1.5 px → 0.375 px, so peaks 1 px apart keep two maxima). */
  targetWidthFactor: number;
  /**
   * Noise on the x1 input (issue #12: inputs that look like the detector). `"none"` (sr-midas): the
   * x1 level is the noise-free render. `"detector"`: the x1 crop (in counts; the noise model's flat
   * background replaces the peakbank's BG on the canvas) gets seeded detector noise
   * ({@link applyNoise}: `gain·Poisson((noiseBackground + s)/gain) + N(0, noiseReadSigma²)`,
   * rounded), then is cut as `process` cuts a frame: pixels below `noiseThreshold` (the scan's
   * ring threshold) become 0 and only the brightest 8-connected component of ≥ 2 pixels stays
   * (process/spots.ts keeps one component per patch, minPxCount 2). Levels above x1, the targets, stay noise-free.
   */
  inputNoise: "none" | "detector";
  /** Flat background of the input noise, counts per x1 pixel (simulator default 2). */
  noiseBackground: number;
  /** Counts per photon of the input noise (1: photon counting, as the simulator). */
  noiseGain: number;
  /** Read-noise σ of the input noise, counts (simulator default 4; the rounding adds its 1/12). */
  noiseReadSigma: number;
  /** Threshold (counts above the pedestal) applied to the noisy x1 crop (simulator RingThresh 10). */
  noiseThreshold: number;
}

/**
 * A config with our defaults (sr-midas has none: every key is required). The geometry matches the
 * pretrained data (lrsz 20, cvsz 40, S = 8, x1–x8, 1–5 peaks); thresholds default to 0 (off).
 */
export function defaultSynthesisConfig(over: Partial<SynthesisConfig> = {}): SynthesisConfig {
  return {
    nPatch: 1000,
    lrsz: 20,
    cvsz: 40,
    srfacSource: 8,
    srfacAll: [1, 2, 4, 8],
    nPeak: [1, 2, 3, 4, 5],
    pSepMin: 1,
    pSepMax: 10,
    varR: 2,
    errCut: 0.5,
    integIntCut: 0,
    midasIthresh: 0,
    peakImin: 0,
    peakImax: Infinity,
    Ypx_BC: 1024,
    Zpx_BC: 1024,
    srIthreshFac: 1,
    seed: 0,
    maxTries: 100_000,
    target: "resample",
    targetWidthFactor: 0.25,
    inputNoise: "none",
    noiseBackground: 2,
    noiseGain: 1,
    noiseReadSigma: 4,
    noiseThreshold: 10,
    ...over,
  };
}

/** Centre (detector px) of SR pixel `m` at factor `s` in a patch whose x1 origin is `origin`. */
export function srPixelCentre(origin: number, m: number, s: number): number {
  return origin - 0.5 + (m + 0.5) / s;
}

/** Continuous SR-pixel index of detector coordinate `y` (inverse of {@link srPixelCentre}). */
export function srPixelIndex(origin: number, y: number, s: number): number {
  return (y - origin + 0.5) * s - 0.5;
}

/** R (px) and Eta (deg, MIDAS convention, seed spec §0.2) of (Y, Z); Eta ≥ 0 where Y == Ybc. */
export function rEtaFromYZ(y: number, z: number, ybc: number, zbc: number): [number, number] {
  const dy = y - ybc, dz = z - zbc;
  const r = Math.hypot(dy, dz);
  if (r === 0) return [0, 0];
  const eta = (Math.acos(Math.max(-1, Math.min(1, dz / r))) * 180) / Math.PI;
  return [r, dy < 0 ? -eta : eta];
}

/**
 * Fills `rr`/`ee` (n×n, row-major, row = Z) with R and Eta at the centres of the SR pixels of a
 * grid with x1 origin (y00, z00) at factor s. Same maths as {@link rEtaFromYZ}, without the
 * per-pixel tuple (this loop runs (cvsz·S)² times per patch).
 */
export function fillREtaGrid(
  rr: Float32Array | Float64Array,
  ee: Float32Array | Float64Array,
  y00: number,
  z00: number,
  n: number,
  s: number,
  ybc: number,
  zbc: number,
): void {
  const toDeg = 180 / Math.PI;
  for (let r = 0; r < n; r++) {
    const dz = srPixelCentre(z00, r, s) - zbc;
    for (let c = 0; c < n; c++) {
      const dy = srPixelCentre(y00, c, s) - ybc;
      const R = Math.sqrt(dy * dy + dz * dz);
      const i = r * n + c;
      rr[i] = R;
      if (R === 0) {
        ee[i] = 0;
        continue;
      }
      const e = Math.acos(Math.max(-1, Math.min(1, dz / R))) * toDeg;
      ee[i] = dy < 0 ? -e : e;
    }
  }
}

/** (Y, Z) of (R px, Eta deg). */
export function yzFromREta(r: number, etaDeg: number, ybc: number, zbc: number): [number, number] {
  const e = (etaDeg * Math.PI) / 180;
  return [ybc + r * Math.sin(e), zbc + r * Math.cos(e)];
}

/** Wraps an angle difference (deg) into (−180, 180]. */
function wrapDeg(d: number): number {
  return d - 360 * Math.ceil((d - 180) / 360);
}

/** Sum-pools a square `n`×`n` image by `f` (n divisible by f) into (n/f)². */
export function sumPool(src: ArrayLike<number>, n: number, f: number): Float64Array {
  if (n % f !== 0) throw new Error(`sumPool: size ${n} is not divisible by factor ${f}`);
  const m = n / f;
  const out = new Float64Array(m * m);
  for (let r = 0; r < n; r++) {
    const orow = ((r / f) | 0) * m;
    const irow = r * n;
    for (let c = 0; c < n; c++) out[orow + ((c / f) | 0)] += src[irow + c];
  }
  return out;
}

/** Validates a config; throws an Error naming the offending key and what was expected. */
export function validateSynthesisConfig(cfg: SynthesisConfig, source = "create_patchstore"): void {
  const fail = (key: string, want: string, got: unknown) => {
    throw new Error(`${source}: ${key} must be ${want}, got ${JSON.stringify(got)}`);
  };
  const posInt = (key: keyof SynthesisConfig) => {
    const x = cfg[key] as number;
    if (!Number.isInteger(x) || x < 1) fail(key, "a positive integer", x);
  };
  posInt("nPatch");
  posInt("lrsz");
  posInt("cvsz");
  posInt("srfacSource");
  posInt("maxTries");
  if (cfg.cvsz < cfg.lrsz) fail("cvsz", `≥ lrsz (${cfg.lrsz})`, cfg.cvsz);
  if (!Number.isSafeInteger(cfg.seed)) fail("seed", "an integer", cfg.seed);
  if (!cfg.srfacAll.length) fail("srfacAll", "a non-empty list", cfg.srfacAll);
  for (const s of cfg.srfacAll) {
    if (!Number.isInteger(s) || s < 1 || cfg.srfacSource % s !== 0) {
      fail("srfacAll", `factors dividing srfacSource (${cfg.srfacSource})`, cfg.srfacAll);
    }
  }
  if (new Set(cfg.srfacAll).size !== cfg.srfacAll.length) {
    fail("srfacAll", "distinct", cfg.srfacAll);
  }
  if (!cfg.nPeak.length || cfg.nPeak.some((k) => !Number.isInteger(k) || k < 1)) {
    fail("nPeak", "a non-empty list of positive integers", cfg.nPeak);
  }
  if (!(cfg.varR > 0)) fail("varR", "> 0", cfg.varR);
  if (!(cfg.pSepMin >= 0)) fail("pSepMin", "≥ 0", cfg.pSepMin);
  if (Math.max(...cfg.nPeak) > 1 && !(cfg.pSepMax > cfg.pSepMin)) {
    fail("pSepMax", `> pSepMin (${cfg.pSepMin}) when patches hold several peaks`, cfg.pSepMax);
  }
  if (!(cfg.peakImax >= cfg.peakImin)) {
    fail("peakImax", `≥ peakImin (${cfg.peakImin})`, cfg.peakImax);
  }
  if (!(cfg.midasIthresh >= 0)) fail("midasIthresh", "≥ 0", cfg.midasIthresh);
  if (!(cfg.srIthreshFac >= 0)) fail("srIthreshFac", "≥ 0", cfg.srIthreshFac);
  if (cfg.target !== "resample" && cfg.target !== "deconvolve") {
    fail("target", '"resample" or "deconvolve"', cfg.target);
  }
  if (!(cfg.targetWidthFactor > 0 && cfg.targetWidthFactor <= 1)) {
    fail("targetWidthFactor", "in (0, 1]", cfg.targetWidthFactor);
  }
  if (cfg.inputNoise !== "none" && cfg.inputNoise !== "detector") {
    fail("inputNoise", '"none" or "detector"', cfg.inputNoise);
  }
  if (!(cfg.noiseBackground >= 0)) fail("noiseBackground", "≥ 0", cfg.noiseBackground);
  if (!(cfg.noiseGain > 0)) fail("noiseGain", "> 0", cfg.noiseGain);
  if (!(cfg.noiseReadSigma >= 0)) fail("noiseReadSigma", "≥ 0", cfg.noiseReadSigma);
  if (!Number.isFinite(cfg.noiseThreshold)) fail("noiseThreshold", "a number", cfg.noiseThreshold);
  for (const k of ["Ypx_BC", "Zpx_BC", "errCut", "integIntCut"] as const) {
    if (Number.isNaN(cfg[k])) fail(k, "a number", cfg[k]);
  }
}

/** The filtered peakbank and ring candidates that every patch samples from. */
export interface SynthesisPlan {
  cfg: SynthesisConfig;
  /** Ring radii (px) and, per ring, peakbank row numbers with |Radius − ring| < varR. */
  rings: { radius: number; candidates: Int32Array }[];
  /** Peakbank columns used, indexed by original row number. */
  cols: Record<(typeof PATCHSTORE_PEAK_COLUMNS)[number], Float64Array>;
  /** Number of rows that passed the filters. */
  nFiltered: number;
  /** Largest peak count per patch (padding width of per-peak arrays). */
  maxPeaks: number;
}

/** Row numbers passing sr-midas's peakbank filter (seed spec §4.2). */
export function filterPeakbank(
  pb: Peakbank,
  cfg: SynthesisConfig,
  source = "peakbank",
): Int32Array {
  requireColumns(pb, undefined, source);
  const col = (n: string) => numericColumn(pb, n, source);
  const err = col("error_reconstruction"), ii = col("IntegratedIntensity");
  const gr = col("SigmaGR"), ge = col("SigmaGEta"), lr = col("SigmaLR"), le = col("SigmaLEta");
  const inWidth = (x: number) => x > 0.1 && x < 2;
  const inRatio = (x: number) => x > 0.1 && x < 10;
  const keep: number[] = [];
  for (let i = 0; i < pb.length; i++) {
    if (!(err[i] < cfg.errCut && ii[i] > cfg.integIntCut)) continue;
    if (!inRatio(gr[i] / ge[i]) || !inRatio(lr[i] / le[i])) continue;
    if (!inWidth(gr[i]) || !inWidth(lr[i]) || !inWidth(ge[i]) || !inWidth(le[i])) continue;
    keep.push(i);
  }
  return Int32Array.from(keep);
}

/**
 * Validates the config, filters the peakbank, finds ring radii (modes with ≥ max(nPeak) members)
 * and each ring's candidate rows. Throws a clear Error when nothing can be sampled.
 */
export function planSynthesis(
  pb: Peakbank,
  cfg: SynthesisConfig,
  source = "peakbank",
): SynthesisPlan {
  validateSynthesisConfig(cfg);
  if (pb.length === 0) throw new Error(`${source}: the peakbank has no rows`);
  const rows = filterPeakbank(pb, cfg, source);
  const maxPeaks = Math.max(...cfg.nPeak);
  if (rows.length === 0) {
    throw new Error(
      `${source}: no peakbank row passes the filters (error_reconstruction < errCut=${cfg.errCut}, ` +
        `IntegratedIntensity > integIntCut=${cfg.integIntCut}, widths in (0.1, 2), ratios in (0.1, 10))`,
    );
  }
  const radius = numericColumn(pb, "Radius(px)", source);
  const rowRadii = Array.from(rows, (i) => radius[i]);
  const modes = findRingRadii(rowRadii, { minCount: maxPeaks, mergeWithin: cfg.varR });
  if (modes.length === 0) {
    throw new Error(
      `${source}: no ring has at least max(nPeak)=${maxPeaks} filtered peaks ` +
        `(${rows.length} rows passed the filters)`,
    );
  }
  const rings = modes.map((m) => {
    const cand = Array.from(rows).filter((i) => Math.abs(radius[i] - m.radius) < cfg.varR);
    if (cand.length < maxPeaks) {
      throw new Error(
        `${source}: ring at ${m.radius.toFixed(3)} px has ${cand.length} peakbank rows within ` +
          `±varR=${cfg.varR} px, fewer than max(nPeak)=${maxPeaks}; widen varR or lower nPeak`,
      );
    }
    return { radius: m.radius, candidates: Int32Array.from(cand) };
  });
  rings.sort((a, b) => a.radius - b.radius); // a stable, data-defined order for ring draws
  const cols = Object.fromEntries(
    PATCHSTORE_PEAK_COLUMNS.map((n) => [n, numericColumn(pb, n, source)]),
  ) as SynthesisPlan["cols"];
  return { cfg, rings, cols, nFiltered: rows.length, maxPeaks };
}

/** Per-peak parameter names stored in `/peaksParameters` (seed spec §4.7), in order. */
export const PEAK_PARAM_NAMES = [
  "Ypx",
  "Zpx",
  "Rpx",
  "EtaDeg",
  "sigGR",
  "sigGEta",
  "sigLR",
  "sigLEta",
  "IMax",
  "LGmix",
  "IntegInt",
  "BG",
  "peakPointer",
] as const;

/** One of {@link PEAK_PARAM_NAMES}. */
export type PeakParamName = (typeof PEAK_PARAM_NAMES)[number];

/** The peaks of one patch: arrays of length maxPeaks, NaN beyond `nPeaks`. Brightest first. */
export interface PatchPeaks {
  nPeaks: number;
  /** Σ IntegratedIntensity of the peaks: the patch's total intensity. */
  iSum: number;
  ringRadius: number;
  params: Record<PeakParamName, Float64Array>;
}

/** Draws the peaks of one patch and places them (seed spec §4.4, bounded). */
export function samplePatchPeaks(plan: SynthesisPlan, rng: Rng, patchIndex = 0): PatchPeaks {
  const { cfg, cols, maxPeaks } = plan;
  const nPeaks = rng.choice(cfg.nPeak);
  const ring = rng.choice(plan.rings);
  const picks = rng.sampleIndices(ring.candidates.length, nPeaks).map((k) => ring.candidates[k]);
  const imax = cols.IMax;
  picks.sort((a, b) => imax[b] - imax[a] || a - b);

  const params = Object.fromEntries(
    PEAK_PARAM_NAMES.map((n) => [n, new Float64Array(maxPeaks).fill(NaN)]),
  ) as Record<PeakParamName, Float64Array>;
  let iSum = 0;
  picks.forEach((row, k) => {
    params.sigGR[k] = cols.SigmaGR[row];
    params.sigGEta[k] = cols.SigmaGEta[row];
    params.sigLR[k] = cols.SigmaLR[row];
    params.sigLEta[k] = cols.SigmaLEta[row];
    params.IMax[k] = Math.min(cfg.peakImax, Math.max(cfg.peakImin, imax[row]));
    params.LGmix[k] = cols.MU[row];
    params.IntegInt[k] = cols.IntegratedIntensity[row];
    params.BG[k] = cols.BG[row];
    params.peakPointer[k] = row;
    iSum += cols.IntegratedIntensity[row];
  });

  const { Ypx_BC: ybc, Zpx_BC: zbc, varR, pSepMin, pSepMax } = cfg;
  const r1 = rng.uniform(ring.radius - varR, ring.radius + varR);
  const eta1 = rng.random() < 0.5 ? rng.uniform(-177, -3) : rng.uniform(3, 177);
  const [y1, z1] = yzFromREta(r1, eta1, ybc, zbc);
  const ys = [y1], zs = [z1];
  let draws = 0;
  const budget = () => {
    if (++draws > cfg.maxTries) {
      throw new Error(
        `create_patchstore: patch ${patchIndex}: could not place ${nPeaks} peaks with pairwise ` +
          `separations in (pSepMin=${pSepMin}, pSepMax=${pSepMax}) px within ±varR=${varR} px of ` +
          `ring ${
            ring.radius.toFixed(3)
          } px after maxTries=${cfg.maxTries} draws; the constraints ` +
          `look infeasible (widen pSepMax − pSepMin or varR, or lower nPeak)`,
      );
    }
  };
  if (nPeaks > 1) {
    for (;;) {
      ys.length = 1;
      zs.length = 1;
      for (let k = 1; k < nPeaks; k++) {
        let y: number, z: number;
        do {
          budget();
          y = rng.uniform(y1 - pSepMax, y1 + pSepMax);
          z = rng.uniform(z1 - pSepMax, z1 + pSepMax);
        } while (!(Math.abs(Math.hypot(y - ybc, z - zbc) - ring.radius) < varR));
        ys.push(y);
        zs.push(z);
      }
      let dmin = Infinity, dmax = 0;
      for (let a = 0; a < nPeaks; a++) {
        for (let b = a + 1; b < nPeaks; b++) {
          const d = Math.hypot(ys[a] - ys[b], zs[a] - zs[b]);
          dmin = Math.min(dmin, d);
          dmax = Math.max(dmax, d);
        }
      }
      if (dmin > pSepMin && dmax < pSepMax) break;
      budget();
    }
  }
  for (let k = 0; k < nPeaks; k++) {
    const [r, e] = rEtaFromYZ(ys[k], zs[k], ybc, zbc);
    params.Ypx[k] = ys[k];
    params.Zpx[k] = zs[k];
    params.Rpx[k] = r;
    params.EtaDeg[k] = e;
  }
  return { nPeaks, iSum, ringRadius: ring.radius, params };
}

/** One rendered patch, ready to store. */
export interface RenderedPatch {
  peaks: PatchPeaks;
  /** Detector pixel (integer) of the patch's x1 pixel (0, 0). */
  Y00: number;
  Z00: number;
  /** Per factor of `srfacAll` (same order): 3 channels × (lrsz·s)², row-major [ch][row][col]. */
  levels: Float32Array[];
  /** Per factor: peak positions as continuous SR-pixel indices (NaN padded, maxPeaks long). */
  locY: Float32Array[];
  locZ: Float32Array[];
}

/**
 * Renders one patch's peaks (seed spec §4.5 with the fixes listed in the module doc).
 * Returns null for a blank patch (nothing above the source or x1 threshold, or with input noise
 * nothing left above `noiseThreshold`), which the store drops, as sr-midas does. `rng` draws the
 * input noise (`inputNoise: "detector"`; {@link synthesizePatch} passes the patch's own stream).
 */
export function renderPatch(
  peaks: PatchPeaks,
  cfg: SynthesisConfig,
  rng?: Rng,
): RenderedPatch | null {
  const noisy = cfg.inputNoise === "detector";
  if (noisy && !rng) throw new Error('renderPatch: inputNoise "detector" needs an rng');
  const S = cfg.srfacSource, cv = cfg.cvsz, lr = cfg.lrsz;
  const ns = cv * S;
  const { Ypx_BC: ybc, Zpx_BC: zbc } = cfg;
  const p = peaks.params;
  const yc00 = Math.trunc(Math.trunc(p.Ypx[0]) - cv / 2);
  const zc00 = Math.trunc(Math.trunc(p.Zpx[0]) - cv / 2);

  // Canvas R/Eta at physically centred sub-pixel coordinates.
  const rr = new Float64Array(ns * ns), ee = new Float64Array(ns * ns);
  fillREtaGrid(rr, ee, yc00, zc00, ns, S, ybc, zbc);
  const a = new Float64Array(ns * ns);
  renderPeaks(a, rr, ee, peaks, S);
  let bg = 0;
  for (let k = 0; k < peaks.nPeaks; k++) bg += Number.isFinite(p.BG[k]) ? p.BG[k] : 0;
  // With input noise the noise model's background is the background (added with the noise).
  bg = noisy ? 0 : bg / (peaks.nPeaks * S * S);
  if (bg !== 0) { for (let i = 0; i < a.length; i++) a[i] += bg; }

  const iSum = peaks.iSum;
  const rescale = (x: Float64Array, target: number) => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i];
    if (s > 0) { for (let i = 0; i < x.length; i++) x[i] *= target / s; }
    return s;
  };
  const maxOf = (x: ArrayLike<number>) => {
    let m = -Infinity;
    for (let i = 0; i < x.length; i++) if (x[i] > m) m = x[i];
    return m;
  };
  if (!(rescale(a, iSum) > 0)) return null;
  const tS = (cfg.srIthreshFac * cfg.midasIthresh) / (S * S);
  if (maxOf(a) <= tS) return null;
  for (let i = 0; i < a.length; i++) if (a[i] < tS) a[i] = 0;
  rescale(a, iSum);

  // Brightest x1 pixel after the x1 threshold (its renormalisation would not move the argmax).
  const b = sumPool(a, ns, S);
  let best = -1, bestVal = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] >= cfg.midasIthresh && b[i] > bestVal) {
      bestVal = b[i];
      best = i;
    }
  }
  if (best < 0) return null;
  const clamp = (x: number) => Math.min(cv - lr, Math.max(0, x));
  const r0 = clamp(Math.floor(best / cv) - Math.floor(lr / 2));
  const c0 = clamp((best % cv) - Math.floor(lr / 2));
  const Y00 = yc00 + c0, Z00 = zc00 + r0;
  const nc = lr * S;
  const crop = new Float64Array(nc * nc);
  for (let r = 0; r < nc; r++) {
    const src = (r0 * S + r) * ns + c0 * S;
    crop.set(a.subarray(src, src + nc), r * nc);
  }

  // The deconvolving target: the crop's peaks re-rendered narrower, same total as the crop.
  let sharp: Float64Array | undefined;
  if (cfg.target === "deconvolve" && cfg.srfacAll.some((x) => x > 1)) {
    const tr = new Float64Array(nc * nc), te = new Float64Array(nc * nc);
    fillREtaGrid(tr, te, Y00, Z00, nc, S, ybc, zbc);
    sharp = new Float64Array(nc * nc);
    renderPeaks(sharp, tr, te, peaks, S, cfg.targetWidthFactor);
    let cropSum = 0;
    for (let i = 0; i < crop.length; i++) cropSum += crop[i];
    rescale(sharp, cropSum);
  }
  const levels: Float32Array[] = [], locY: Float32Array[] = [], locZ: Float32Array[] = [];
  for (const x of cfg.srfacAll) {
    const n = lr * x, n2 = n * n;
    let c = sumPool(x > 1 && sharp ? sharp : crop, nc, S / x);
    if (x === 1 && noisy) {
      const cut = noisyInput(c, lr, cfg, rng!);
      if (!cut) return null;
      c = cut;
    }
    const tx = cfg.midasIthresh / (x * x);
    if (maxOf(c) > tx) { for (let i = 0; i < n2; i++) if (c[i] < tx) c[i] = 0; }
    const inv = 1 / maxOf(c);
    const out = new Float32Array(3 * n2);
    for (let i = 0; i < n2; i++) out[i] = c[i] * inv;
    fillREtaGrid(out.subarray(n2, 2 * n2), out.subarray(2 * n2), Y00, Z00, n, x, ybc, zbc);
    levels.push(out);
    const ly = new Float32Array(p.Ypx.length).fill(NaN);
    const lz = new Float32Array(p.Ypx.length).fill(NaN);
    for (let k = 0; k < peaks.nPeaks; k++) {
      ly[k] = srPixelIndex(Y00, p.Ypx[k], x);
      lz[k] = srPixelIndex(Z00, p.Zpx[k], x);
    }
    locY.push(ly);
    locZ.push(lz);
  }
  return { peaks, Y00, Z00, levels, locY, locZ };
}

/** The noise model of a config's input-noise keys. */
export function inputNoiseModel(cfg: SynthesisConfig): NoiseModel {
  return {
    background: cfg.noiseBackground,
    gain: cfg.noiseGain,
    readSigma: Math.sqrt(cfg.noiseReadSigma ** 2 + 1 / 12),
  };
}

/**
 * The x1 crop (`lr`², counts) as `process` would see it on a detector: noisy, thresholded at
 * `noiseThreshold`, only the component of the brightest pixel kept (see
 * {@link SynthesisConfig.inputNoise}). Null when no pixel is left.
 */
function noisyInput(
  c: Float64Array,
  lr: number,
  cfg: SynthesisConfig,
  rng: Rng,
): Float64Array | null {
  const v = applyNoise(c, inputNoiseModel(cfg), rng);
  for (let i = 0; i < v.length; i++) if (v[i] < cfg.noiseThreshold || v[i] <= 0) v[i] = 0;
  const comp = labelComponents(v, lr, lr, { minNrPx: 1 }); // process: minPxCount 2
  if (comp.count === 0) return null;
  let best = 0;
  for (let k = 1; k < comp.count; k++) if (comp.maxValue[k] > comp.maxValue[best]) best = k;
  for (let i = 0; i < v.length; i++) if (comp.labels[i] !== best + 1) v[i] = 0;
  return v;
}

/**
 * Adds the patch's peaks to `out`, evaluated at the (R, Eta) grid `rr`/`ee` of an S-times finer
 * grid (IMax / S² per sub-pixel, so sum-pooling to x1 gives counts). `widthFactor` < 1 narrows
 * every width (never below one sub-pixel, 1/S px) and raises IMax so each peak keeps its area.
 */
function renderPeaks(
  out: Float64Array,
  rr: Float64Array,
  ee: Float64Array,
  peaks: PatchPeaks,
  S: number,
  widthFactor = 1,
): void {
  const p = peaks.params;
  for (let k = 0; k < peaks.nPeaks; k++) {
    const pv: PseudoVoigtParams = {
      u0: p.Rpx[k],
      v0: p.EtaDeg[k],
      sigmaGU: p.sigGR[k],
      sigmaGV: p.sigGEta[k],
      sigmaLU: p.sigLR[k],
      sigmaLV: p.sigLEta[k],
      mu: p.LGmix[k],
      iMax: p.IMax[k] / (S * S),
    };
    if (widthFactor !== 1) {
      const minDeg = (180 / Math.PI) / (S * Math.max(pv.u0, 1e-9)); // 1/S px of arc
      const area = (q: PseudoVoigtParams) =>
        q.mu * Math.PI * Math.PI * q.sigmaLU * q.sigmaLV +
        (1 - q.mu) * 2 * Math.PI * q.sigmaGU * q.sigmaGV;
      const a0 = area(pv);
      pv.sigmaGU = Math.max(pv.sigmaGU * widthFactor, 1 / S);
      pv.sigmaLU = Math.max(pv.sigmaLU * widthFactor, 1 / S);
      pv.sigmaGV = Math.max(pv.sigmaGV * widthFactor, minDeg);
      pv.sigmaLV = Math.max(pv.sigmaLV * widthFactor, minDeg);
      pv.iMax *= a0 / area(pv);
    }
    for (let i = 0; i < out.length; i++) {
      out[i] += pseudoVoigt(pv, rr[i], pv.v0 + wrapDeg(ee[i] - pv.v0));
    }
  }
}

/** Samples and renders patch `index` from its own random stream `Rng(seed, index)`. */
export function synthesizePatch(plan: SynthesisPlan, index: number): RenderedPatch | null {
  const rng = new Rng(plan.cfg.seed, index);
  return renderPatch(samplePatchPeaks(plan, rng, index), plan.cfg, rng);
}
