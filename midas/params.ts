/**
 * MIDAS analysis and scan parameters: typing rules, the typed view the engine uses, and the
 * MIDAS parameter text file (`Parameters.txt`) reader/writer.
 *
 * Names are MIDAS's own (`YCen`, `Lsd`, `RingThresh` …) so values can be cross-checked against
 * MIDAS output without a translation table. Units follow MIDAS: µm for lengths, pixels for
 * `YCen`/`ZCen`, degrees for tilts and omega.
 *
 * @example
 * ```ts
 * import { parseParamText, paramFileToZipParameters } from "./params.ts";
 * const entries = parseParamText("px 200\nBC 1022 1022\nRingThresh 1 10\n", "inline");
 * const { analysisParameters } = paramFileToZipParameters(entries, "inline");
 * analysisParameters.YCen; // 1022
 * ```
 * @module
 */
import type { DetectorGeometry } from "../geometry/detector.ts";

/** A value of one stored parameter: scalar, 1-D list, 2-D table or string. */
export type ParamValue = number | number[] | number[][] | string;

/** Keys MIDAS stores as int32 (its C reader decompresses them into a C `int`). */
export const INT32_PARAMS: ReadonlySet<string> = new Set([
  "MinNrPx",
  "MaxNrPx",
  "MaxNPeaks",
  "DoFullImage",
  "SkipFrame",
  "LayerNr",
  "LocalMaximaOnly",
  "UseMaximaPositions",
  "UsePixelOverlap",
  "doPeakFit",
  "SpaceGroup",
  "NPanelsY",
  "NPanelsZ",
  "PanelSizeY",
  "PanelSizeZ",
  "PanelGapsY",
  "PanelGapsZ",
  "Padding",
  "NrFilesPerSweep",
  "MinNrSpots",
  "UseFriedelPairs",
  "OverallRingToIndex",
  "PhaseNr",
  "NumPhases",
  "Twins",
  "DiscModel",
  "MaxNFrames",
  "BgSubtract",
  "BgNSectors",
  "ImTransOpt",
]); // deno-fmt-ignore

/** Keys whose value is one row of a fixed-width table, stored as float64 (n, width). */
const TABLE_WIDTH: Readonly<Record<string, number>> = {
  RingThresh: 2,
  RingsToExclude: 2,
  OmegaRanges: 2,
  BoxSizes: 4,
};

/** Renames applied by MIDAS's zipper (`write_analysis_parameters`). */
const RENAMES: Readonly<Record<string, string>> = {
  Completeness: "MinMatchesToAcceptFrac",
  px: "PixelSize",
  LatticeConstant: "LatticeParameter",
  OverAllRingToIndex: "OverallRingToIndex",
  resultFolder: "ResultFolder",
  OmegaRange: "OmegaRanges",
  BoxSize: "BoxSizes",
};

/** Parameters written even when absent, with MIDAS's sentinel values (never `RingThresh`). */
export const ZIP_PARAM_DEFAULTS: Readonly<Record<string, ParamValue>> = {
  RingsToExclude: [[0, 0]],
  OmegaRanges: [[-10000, 0]],
  BoxSizes: [[-10000, 0, 0, 0]],
  ImTransOpt: [-1],
};

// ---------------------------------------------------------------------------------------------
// Parameter text file
// ---------------------------------------------------------------------------------------------

/** One non-comment line of a parameter file: key and its value tokens (numbers auto-typed). */
export interface ParamEntry {
  key: string;
  values: (number | string)[];
}

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses a MIDAS parameter file. `#` starts a comment anywhere on a line; the first token is the
 * key; repeated keys (e.g. `RingThresh`) stay as separate entries in file order.
 */
export function parseParamText(text: string, source: string): ParamEntry[] {
  const out: ParamEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const body = lines[i].replace(/#.*$/, "").trim();
    if (body === "") continue;
    const [key, ...rest] = body.split(/\s+/);
    if (!/^[A-Za-z_][\w.-]*$/.test(key)) {
      throw new Error(`${source}:${i + 1}: parameter key '${key}' is not a MIDAS key name`);
    }
    out.push({ key, values: rest.map((t) => (NUMBER_RE.test(t) ? Number(t) : t)) });
  }
  return out;
}

/** Formats entries as a parameter file (one `key v1 v2 …` line each, comments dropped). */
export function formatParamText(entries: readonly ParamEntry[]): string {
  return entries.map((e) => [e.key, ...e.values.map(String)].join(" ")).join("\n") + "\n";
}

/** Reads and parses a MIDAS parameter file. */
export async function readParamFile(path: string): Promise<ParamEntry[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read MIDAS parameter file (${(e as Error).message})`);
  }
  return parseParamText(text, path);
}

/** Writes entries as a MIDAS parameter file. */
export async function writeParamFile(path: string, entries: readonly ParamEntry[]): Promise<void> {
  await Deno.writeTextFile(path, formatParamText(entries));
}

function numericRow(e: ParamEntry, source: string): number[] {
  return e.values.map((v) => {
    if (typeof v !== "number") {
      throw new Error(`${source}: parameter ${e.key}: expected numbers, got '${v}'`);
    }
    return v;
  });
}

/**
 * Converts parameter-file entries to what the zip stores, with MIDAS's zipper rules: renames,
 * `BC y z` → `YCen`/`ZCen`, `LatticeParameter` padded to 6, tables for `RingThresh` & co.,
 * `OmegaStep` → scan `step`, `start = OmegaStart − SkipFrame·step`, defaults of
 * {@link ZIP_PARAM_DEFAULTS}. Other repeated numeric keys become 2-D tables.
 */
export function paramFileToZipParameters(
  entries: readonly ParamEntry[],
  source: string,
): {
  analysisParameters: Record<string, ParamValue>;
  scanParameters: { start: number; step: number };
} {
  const groups = new Map<string, ParamEntry[]>();
  for (const e of entries) {
    const key = RENAMES[e.key] ?? e.key;
    const list = groups.get(key) ?? [];
    list.push({ key, values: e.values });
    groups.set(key, list);
  }
  const ap: Record<string, ParamValue> = {};
  for (const [key, list] of groups) {
    if (key === "BC") {
      const [y, z] = numericRow(list.at(-1)!, source);
      if (z === undefined) throw new Error(`${source}: parameter BC: expected 'BC y z'`);
      ap.YCen = y;
      ap.ZCen = z;
    } else if (key === "LatticeParameter") {
      const v = numericRow(list.at(-1)!, source);
      ap[key] = Array.from({ length: 6 }, (_, i) => v[i] ?? 0);
    } else if (key === "ImTransOpt") {
      ap[key] = list.flatMap((e) => numericRow(e, source));
    } else if (key in TABLE_WIDTH) {
      ap[key] = list.map((e) => {
        const row = numericRow(e, source);
        if (row.length !== TABLE_WIDTH[key]) {
          throw new Error(
            `${source}: parameter ${key}: expected ${TABLE_WIDTH[key]} numbers per line`,
          );
        }
        return row;
      });
    } else {
      const rows = list.map((e) => e.values);
      if (rows.some((r) => r.length === 0)) continue; // flag without value: nothing to store
      if (rows.every((r) => r.every((v) => typeof v === "number"))) {
        const num = rows as number[][];
        ap[key] = num.length > 1 ? num : num[0].length === 1 ? num[0][0] : num[0];
      } else {
        ap[key] = rows.at(-1)!.join(" ");
      }
    }
  }
  const step = ap.OmegaStep;
  delete ap.OmegaStep;
  if (typeof step !== "number") {
    throw new Error(`${source}: parameter OmegaStep: required number (omega step, degrees)`);
  }
  const start0 = ap.OmegaStart ?? ap.OmegaFirstFile;
  if (typeof start0 !== "number") {
    throw new Error(
      `${source}: parameter OmegaStart: required number (first-frame omega, degrees)`,
    );
  }
  const skip = typeof ap.SkipFrame === "number" ? ap.SkipFrame : 0;
  for (const [k, v] of Object.entries(ZIP_PARAM_DEFAULTS)) if (!(k in ap)) ap[k] = v;
  return { analysisParameters: ap, scanParameters: { start: start0 - skip * step, step } };
}

// ---------------------------------------------------------------------------------------------
// Typed view
// ---------------------------------------------------------------------------------------------

/** The analysis + scan parameters the peak search and SR pipeline use (MIDAS names). */
export interface MidasParams {
  /** Beam centre column (px). */
  YCen: number;
  /** Beam centre row (px). */
  ZCen: number;
  /** Sample–detector distance (µm). */
  Lsd: number;
  /** Pixel size (µm). */
  PixelSize: number;
  /** X-ray wavelength (Å). */
  Wavelength: number;
  tx: number;
  ty: number;
  tz: number;
  /** Distortion coefficients p0…p14 (0 when absent). */
  p: number[];
  /** Distortion normalisation radius (µm): `RhoD`, else `MaxRingRad`, else max(nY, nZ)·PixelSize. */
  RhoD: number;
  /** Ring half-width (µm). */
  Width: number;
  /** Rows `[ringNr, threshold]`. */
  RingThresh: [number, number][];
  SkipFrame: number;
  /** Image transforms in order; `[]` when MIDAS's sentinel `[-1]` (or nothing) is stored. */
  ImTransOpt: number[];
  /** Pixels equal to this are zeroed; `undefined` = disabled. */
  BadPxIntensity?: number;
  UpperBoundThreshold: number;
  ReferenceRingCurrent: number;
  /** Zero-padding of frame numbers in file names. */
  Padding: number;
  LatticeParameter: number[];
  SpaceGroup: number;
  MinNrPx: number;
  MaxNrPx: number;
  MaxNPeaks: number;
  DoFullImage: number;
  doPeakFit: number;
  LocalMaximaOnly: number;
  OverlapLength: number;
  ResultFolder?: string;
  ResidualCorrectionMap?: string;
  /** Omega of stored frame 0 (`scan_parameters/start`, deg). */
  start: number;
  /** Omega step (`scan_parameters/step`, deg). */
  step: number;
  /** Per-frame omega override, indexed by stored frame. */
  omegaCenter?: Float64Array;
  /** Every analysis parameter as stored, for keys not typed above. */
  raw: Record<string, ParamValue>;
}

/** Parameters sr-midas refuses to run without (KeyError there); scan `start`/`step` always. */
export const SR_REQUIRED_PARAMS: readonly string[] = [
  "YCen",
  "ZCen",
  "Lsd",
  "PixelSize",
  "Wavelength",
  "tx",
  "ty",
  "tz",
  "Width",
  "RingThresh",
  "SpaceGroup",
  "LatticeParameter",
]; // deno-fmt-ignore

/** Options of {@link midasParamsFrom}. */
/** The detector geometry a scan's parameters describe, for a `nY` × `nZ` frame. */
export function detectorGeometry(p: MidasParams, nY: number, nZ: number): DetectorGeometry {
  return {
    nY,
    nZ,
    pxUm: p.PixelSize,
    lsdUm: p.Lsd,
    ybc: p.YCen,
    zbc: p.ZCen,
    tx: p.tx,
    ty: p.ty,
    tz: p.tz,
    p: p.p,
    rhoDUm: p.RhoD,
  };
}

export interface MidasParamsOptions {
  /** Keys that must be present (default {@link SR_REQUIRED_PARAMS}). */
  required?: readonly string[];
  /** max(nY, nZ) of the detector, for the `RhoD` fallback. */
  detectorPx?: number;
}

/**
 * Builds the typed view from raw stored values. A missing required key is an Error naming
 * `source` and the key; optional keys get MIDAS's defaults (documented on each field).
 */
export function midasParamsFrom(
  raw: Record<string, ParamValue>,
  scan: { start?: number; step?: number; omegaCenter?: Float64Array },
  source: string,
  opts: MidasParamsOptions = {},
): MidasParams {
  for (const k of opts.required ?? SR_REQUIRED_PARAMS) {
    if (!(k in raw)) {
      throw new Error(`${source}: analysis_parameters/${k}: required parameter is missing`);
    }
  }
  for (const k of ["start", "step"] as const) {
    if (typeof scan[k] !== "number") {
      throw new Error(
        `${source}: measurement/process/scan_parameters/${k}: required number is missing`,
      );
    }
  }
  const num = (k: string, def?: number): number => {
    const v = raw[k];
    if (v === undefined) {
      if (def === undefined) {
        throw new Error(`${source}: analysis_parameters/${k}: required parameter is missing`);
      }
      return def;
    }
    const x = Array.isArray(v) && v.length === 1 && typeof v[0] === "number" ? v[0] : v;
    if (typeof x !== "number") {
      throw new Error(
        `${source}: analysis_parameters/${k}: expected a number, got ${JSON.stringify(v)}`,
      );
    }
    return x;
  };
  const list = (k: string): number[] => {
    const v = raw[k];
    if (v === undefined) return [];
    if (typeof v === "number") return [v];
    if (Array.isArray(v) && v.every((x) => typeof x === "number")) return v as number[];
    throw new Error(
      `${source}: analysis_parameters/${k}: expected a number list, got ${JSON.stringify(v)}`,
    );
  };
  const str = (k: string): string | undefined => {
    const v = raw[k];
    return v === undefined ? undefined : String(v);
  };
  const rt = raw.RingThresh;
  const ringRows = rt === undefined
    ? []
    : Array.isArray(rt) && Array.isArray(rt[0])
    ? rt as number[][]
    : [list("RingThresh")];
  const RingThresh = ringRows.map((r) => {
    if (r.length !== 2) {
      throw new Error(
        `${source}: analysis_parameters/RingThresh: expected rows [ringNr, threshold]`,
      );
    }
    return [r[0], r[1]] as [number, number];
  });
  const pixelSize = num("PixelSize", 200);
  const rhoDefault = opts.detectorPx ? opts.detectorPx * pixelSize : 2048 * 200;
  return {
    YCen: num("YCen", 1024),
    ZCen: num("ZCen", 1024),
    Lsd: num("Lsd", 1e6),
    PixelSize: pixelSize,
    Wavelength: num("Wavelength", 0.189714),
    tx: num("tx", 0),
    ty: num("ty", 0),
    tz: num("tz", 0),
    p: Array.from({ length: 15 }, (_, i) => num(`p${i}`, 0)),
    RhoD: num("RhoD", num("MaxRingRad", rhoDefault)),
    Width: num("Width", 1000),
    RingThresh,
    SkipFrame: num("SkipFrame", 0),
    ImTransOpt: list("ImTransOpt").filter((t) => t !== -1),
    BadPxIntensity: raw.BadPxIntensity === undefined ? undefined : num("BadPxIntensity"),
    UpperBoundThreshold: num("UpperBoundThreshold", 14000),
    ReferenceRingCurrent: num("ReferenceRingCurrent", 1),
    Padding: num("Padding", 6),
    LatticeParameter: list("LatticeParameter"),
    SpaceGroup: num("SpaceGroup", 0),
    MinNrPx: num("MinNrPx", 1),
    MaxNrPx: num("MaxNrPx", 10000),
    MaxNPeaks: num("MaxNPeaks", 400),
    DoFullImage: num("DoFullImage", 0),
    doPeakFit: num("doPeakFit", 1),
    LocalMaximaOnly: num("LocalMaximaOnly", 0),
    OverlapLength: num("OverlapLength", 2),
    ResultFolder: str("ResultFolder"),
    ResidualCorrectionMap: str("ResidualCorrectionMap"),
    start: scan.start!,
    step: scan.step!,
    omegaCenter: scan.omegaCenter,
    raw,
  };
}

/**
 * Frame-start omega (deg) of frame `f`, counted after `SkipFrame` (MIDAS §0):
 * `omegaCenter[f + SkipFrame]` when stored, else `start + (f + SkipFrame)·step`.
 */
export function frameOmega(
  p: Pick<MidasParams, "start" | "step" | "SkipFrame" | "omegaCenter">,
  f: number,
): number {
  const g = f + p.SkipFrame;
  if (p.omegaCenter && g < p.omegaCenter.length) return p.omegaCenter[g];
  return p.start + g * p.step;
}
