/**
 * Example patches for the report: close truth pairs shown as the raw (x1) detector crop, the
 * super-resolved patch when the peak directory kept its SR patches, and each run's fitted model
 * re-rendered from its peak rows, with truth (○) and peaks (×) marked: a row reads x1 → SR → fit.
 *
 * The SR panel covers the same detector area as the x1 crop, at s× the pixels: SR pixel k of a
 * patch with origin y00 sits at y00 − ½ + (k + ½)/s (process/sr_peaks.ts, the physically centred
 * grid), so a detector position y lands at SR column (y − y0 + ½)·s − ½ of a crop starting at y0.
 *
 * The fitted model of a peak is MIDAS's pseudo-Voigt in (R, Eta) about the beam centre, which
 * each row implies: YCen = ybc + R·sin Eta, ZCen = zbc + R·cos Eta (midas-formats §0, §2.1).
 * The patch adds the largest BG of the peaks drawn, as MIDAS fits one flat BG per region.
 *
 * @example
 * ```ts
 * import { cropPatch } from "./examples.ts";
 * const frame = Float64Array.from({ length: 16 }, (_, i) => i); // 4 × 4
 * cropPatch(frame, 4, 4, 1, 1, 1).data; // rows 0…2, columns 0…2: [0, 1, 2, 4, 5, 6, 8, 9, 10]
 * ```
 * @module
 */
import { N_PEAK_COLS, PEAK_COL } from "../midas/peak_table.ts";
import { pseudoVoigt } from "../peaks/pseudo_voigt.ts";
import type { Patch, PatchMarker } from "../plot/patches.ts";
import type { TruthPair } from "./metrics.ts";
import type { SrPatchFrame } from "./sr_patches.ts";
import type { TruthSpots } from "./truth_table.ts";

const DEG = Math.PI / 180;

/** A square crop: `data` is (2·half+1)², its top-left pixel at column y0, row z0. */
export interface Crop {
  data: Float64Array;
  width: number;
  height: number;
  y0: number;
  z0: number;
}

/**
 * Crops a (2·half+1)² patch of a row-major nZ × nY frame centred on the pixel nearest (yc, zc);
 * pixels outside the frame are NaN.
 */
export function cropPatch(
  frame: ArrayLike<number>,
  nY: number,
  nZ: number,
  yc: number,
  zc: number,
  half: number,
): Crop {
  const w = 2 * half + 1;
  const y0 = Math.round(yc) - half, z0 = Math.round(zc) - half;
  const data = new Float64Array(w * w).fill(Number.NaN);
  for (let j = 0; j < w; j++) {
    const z = z0 + j;
    if (z < 0 || z >= nZ) continue;
    for (let i = 0; i < w; i++) {
      const y = y0 + i;
      if (y >= 0 && y < nY) data[j * w + i] = frame[z * nY + y];
    }
  }
  return { data, width: w, height: w, y0, z0 };
}

/**
 * Renders the fitted pseudo-Voigts of `rows` (one frame, nPeaks × 29) on the crop's pixel grid,
 * using every peak whose centre lies within `marginPx` of the crop.
 */
export function renderFit(
  rows: Float64Array,
  crop: Omit<Crop, "data">,
  marginPx = 4,
): Float64Array {
  const out = new Float64Array(crop.width * crop.height);
  let bg = 0;
  for (let p = 0; p < rows.length / N_PEAK_COLS; p++) {
    const c = (k: number) => rows[p * N_PEAK_COLS + k];
    const yC = c(PEAK_COL.YCen), zC = c(PEAK_COL.ZCen);
    if (
      yC < crop.y0 - marginPx || yC > crop.y0 + crop.width - 1 + marginPx ||
      zC < crop.z0 - marginPx || zC > crop.z0 + crop.height - 1 + marginPx
    ) continue;
    const R = c(PEAK_COL.Radius), eta = c(PEAK_COL.Eta);
    const ybc = yC - R * Math.sin(eta * DEG), zbc = zC - R * Math.cos(eta * DEG);
    const pv = {
      u0: R,
      v0: eta,
      sigmaGU: c(PEAK_COL.SigmaGR),
      sigmaGV: c(PEAK_COL.SigmaGEta),
      sigmaLU: c(PEAK_COL.SigmaLR),
      sigmaLV: c(PEAK_COL.SigmaLEta),
      mu: c(PEAK_COL.MU),
      iMax: c(PEAK_COL.IMax),
    };
    if (Number.isFinite(c(PEAK_COL.BG))) bg = Math.max(bg, c(PEAK_COL.BG));
    for (let j = 0; j < crop.height; j++) {
      for (let i = 0; i < crop.width; i++) {
        const dy = crop.y0 + i - ybc, dz = crop.z0 + j - zbc;
        const r = Math.hypot(dy, dz);
        // Eta of the pixel, unwrapped to within ±180° of the peak's Eta.
        const e = Math.atan2(dy, dz) / DEG;
        const v = eta + ((((e - eta) % 360) + 540) % 360) - 180;
        const val = pseudoVoigt(pv, r, v);
        if (Number.isFinite(val)) out[j * crop.width + i] += val;
      }
    }
  }
  for (let k = 0; k < out.length; k++) out[k] += bg;
  return out;
}

/**
 * Markers for the truth spots (○) and one frame's peaks (×) inside a crop (`width × height`
 * detector pixels from y0, z0), in the pixels of its image at `s`× resolution (1: the crop
 * itself; s: the SR crop, detector y → (y − y0 + ½)·s − ½).
 */
export function cropMarkers(
  crop: Omit<Crop, "data">,
  truthYZ: readonly (readonly [number, number])[],
  rows?: Float64Array,
  s = 1,
): PatchMarker[] {
  const inside = (y: number, z: number) =>
    y >= crop.y0 - 0.5 && y <= crop.y0 + crop.width - 0.5 && z >= crop.z0 - 0.5 &&
    z <= crop.z0 + crop.height - 0.5;
  const at = (y: number, z: number, shape: PatchMarker["shape"]): PatchMarker => ({
    x: (y - crop.y0 + 0.5) * s - 0.5,
    y: (z - crop.z0 + 0.5) * s - 0.5,
    shape,
  });
  const out: PatchMarker[] = [];
  for (const [y, z] of truthYZ) if (inside(y, z)) out.push(at(y, z, "circle"));
  for (let p = 0; rows && p < rows.length / N_PEAK_COLS; p++) {
    const y = rows[p * N_PEAK_COLS + PEAK_COL.YCen], z = rows[p * N_PEAK_COLS + PEAK_COL.ZCen];
    if (inside(y, z)) out.push(at(y, z, "cross"));
  }
  return out;
}

/**
 * The SR image of a crop's detector area, taken from the frame's saved SR patch that contains
 * (yc, zc) and whose centre is nearest to it: `(width·s) × (height·s)` pixels, NaN where the
 * patch does not reach. Undefined when no patch contains (yc, zc).
 */
export function srCrop(
  sr: SrPatchFrame,
  crop: Omit<Crop, "data">,
  yc: number,
  zc: number,
): (Crop & { s: number; patch: number }) | undefined {
  const { s, lowRes: lr } = sr;
  let best = -1, bestD = Infinity;
  for (let j = 0; j < sr.count; j++) {
    const y00 = sr.y00[j], z00 = sr.z00[j];
    if (yc < y00 - 0.5 || yc >= y00 + lr - 0.5 || zc < z00 - 0.5 || zc >= z00 + lr - 0.5) {
      continue;
    }
    const d = Math.max(Math.abs(yc - (y00 + (lr - 1) / 2)), Math.abs(zc - (z00 + (lr - 1) / 2)));
    if (d < bestD) [best, bestD] = [j, d];
  }
  if (best < 0) return undefined;
  const n = lr * s, w = crop.width * s, h = crop.height * s;
  const data = new Float64Array(w * h).fill(Number.NaN);
  const base = best * n * n;
  // Low-res pixel c of the patch is SR pixels c·s … c·s + s − 1, so the crop starts s·(y0 − y00) in.
  const col0 = (crop.y0 - sr.y00[best]) * s, row0 = (crop.z0 - sr.z00[best]) * s;
  for (let j = 0; j < h; j++) {
    const row = row0 + j;
    if (row < 0 || row >= n) continue;
    for (let i = 0; i < w; i++) {
      const col = col0 + i;
      if (col >= 0 && col < n) data[j * w + i] = sr.data[base + row * n + col];
    }
  }
  return { data, width: w, height: h, y0: crop.y0, z0: crop.z0, s, patch: best };
}

/** Detector-pixel edges of a crop, for its panel's axes (pixel centres at integers). */
export function cropExtent(c: Omit<Crop, "data">): Patch["extent"] {
  return {
    x: [c.y0 - 0.5, c.y0 + c.width - 0.5],
    y: [c.z0 - 0.5, c.z0 + c.height - 0.5],
  };
}

/**
 * Picks example pairs: per separation bin of `edges`, the first unresolved and the first
 * resolved pair (in table order), up to `perBin` pairs per bin.
 */
export function pickExamplePairs(
  pairs: readonly TruthPair[],
  edges: readonly number[],
  perBin = 2,
): TruthPair[] {
  const out: TruthPair[] = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    const inBin = pairs.filter((p) => p.separationPx >= edges[i] && p.separationPx < edges[i + 1]);
    const picks = [inBin.find((p) => !p.resolved), inBin.find((p) => p.resolved)]
      .filter((p): p is TruthPair => p !== undefined);
    for (const p of inBin) if (picks.length < perBin && !picks.includes(p)) picks.push(p);
    out.push(...picks.slice(0, perBin));
  }
  return out;
}

/**
 * One patch row per pair: the x1 crop (when `frames` has the pair's frame), the SR crop (when
 * `srFrames` is given: run 0's saved SR patches by frame; a pair no patch covers gets an empty
 * panel so the columns stay aligned) and, per run, its fitted model. `runRows(k, f)` returns
 * run k's rows of frame f; the x1 and SR panels mark run 0's peaks.
 */
export function examplePanels(opts: {
  pairs: readonly TruthPair[];
  truth: TruthSpots;
  runLabels: readonly string[];
  runRows: (run: number, frame: number) => Float64Array;
  /** Detector frame (row-major nZ × nY) by frame index, if the scan is available. */
  frames?: ReadonlyMap<number, ArrayLike<number>>;
  nY?: number;
  nZ?: number;
  halfPx?: number;
  /** Run 0's saved SR patches by frame, when its peak directory has them. */
  srFrames?: { s: number; get(frame: number): SrPatchFrame | undefined };
}): { label: string; panels: Patch[] }[] {
  const half = opts.halfPx ?? 7;
  const t = opts.truth;
  return opts.pairs.map((pair) => {
    const yc = (t.y[pair.a] + t.y[pair.b]) / 2, zc = (t.z[pair.a] + t.z[pair.b]) / 2;
    const truthYZ = [[t.y[pair.a], t.z[pair.a]], [t.y[pair.b], t.z[pair.b]]] as const;
    const geom = {
      width: 2 * half + 1,
      height: 2 * half + 1,
      y0: Math.round(yc) - half,
      z0: Math.round(zc) - half,
    };
    const extent = cropExtent(geom);
    const panels: Patch[] = [];
    const frame = opts.frames?.get(pair.frame);
    if (frame && opts.nY && opts.nZ) {
      const crop = cropPatch(frame, opts.nY, opts.nZ, yc, zc, half);
      panels.push({
        title: "x1",
        data: crop.data,
        width: crop.width,
        height: crop.height,
        markers: cropMarkers(crop, truthYZ, opts.runRows(0, pair.frame)),
        extent,
        valueTitle: "counts − dark",
      });
    }
    if (opts.srFrames) {
      const s = opts.srFrames.s;
      const sr = opts.srFrames.get(pair.frame);
      const c = sr ? srCrop(sr, geom, yc, zc) : undefined;
      panels.push({
        title: c ? `SRx${s}` : `SRx${s}: no patch`,
        data: c ? c.data : new Float64Array(geom.width * s * geom.height * s).fill(Number.NaN),
        width: geom.width * s,
        height: geom.height * s,
        markers: c ? cropMarkers(geom, truthYZ, opts.runRows(0, pair.frame), s) : [],
        extent,
        valueTitle: "SR output",
      });
    }
    opts.runLabels.forEach((label, k) => {
      const rows = opts.runRows(k, pair.frame);
      panels.push({
        title: `fit ${label}`,
        data: renderFit(rows, geom),
        width: geom.width,
        height: geom.height,
        markers: cropMarkers(geom, truthYZ, rows),
        extent,
        valueTitle: "model counts",
      });
    });
    const tag = pair.resolved ? "resolved" : "unresolved";
    return { label: `${pair.separationPx.toFixed(2)} px ${tag}`, panels };
  });
}
