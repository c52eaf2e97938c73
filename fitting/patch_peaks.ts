/**
 * The sr-midas centre-of-mass peak path on one super-resolved patch (sr-midas-seed §10.4, COM
 * path), with §12's fixes: peak_local_max → edge cut → crop centre of mass (clipped origin fixed)
 * → watershed of the negated patch within `patch > thresholdRel·max` → per-peak sum-pool by s.
 * Each peak is paired with **its own** watershed label (j + 1), not the j-th present label, so a
 * marker that floods nothing cannot shift the pairing (§12 item 9). Smoothing (gauss σ, median)
 * is not applied: the bundled defaults are identity.
 *
 * Coordinates: SR pixel m of a patch whose detector origin is pixel `o` has its centre at
 * `o − ½ + (m + ½)/s` (the physically centred grid, §12.3), returned as `detRow`/`detCol`
 * relative to the patch origin; no `shift_YZ_pos` table is needed.
 *
 * @example
 * ```ts
 * import { comPatchPeaks } from "./patch_peaks.ts";
 * const s = 2, n = 20 * s;
 * const patch = new Float64Array(n * n);
 * patch[20 * n + 20] = 10; patch[20 * n + 21] = 10;
 * const { peaks } = comPatchPeaks(patch, s, { minDistance: 2, thresholdRel: 0.2, peakCropSize: 8 });
 * peaks[0].detCol; // 10: SR columns 20–21 are the two halves of detector column 10
 * ```
 * @module
 */
import { cropCentreOfMass, fractionOf, peakLocalMax } from "./local_max.ts";
import { watershed } from "./watershed.ts";

/** Options of {@link comPatchPeaks} (sr-midas `peak_find_args` for this SR factor). */
export interface ComPatchOptions {
  minDistance: number;
  thresholdRel: number;
  peakCropSize: number;
  /** Edge cut in detector px (`edge_bound_cutoff_fac`); default 2.5. */
  edgeBoundCutoffFac?: number;
  /** Patch side in detector px; default 20. */
  lowResSize?: number;
  /**
   * The value `thresholdRel` is a fraction of; default the patch maximum (sr-midas). A patch cut
   * around a faint spot beside a bright one passes the maximum of the part it reports, so the
   * bright neighbour's flank at its edge does not put its own spot under the threshold.
   */
  referenceMax?: number;
}

/** One COM peak of a patch. */
export interface PatchPeak {
  /** Centre of mass in SR pixels (row, col). */
  comRow: number;
  comCol: number;
  /** The same centre in detector px relative to the patch origin (pixel centres at integers). */
  detRow: number;
  detCol: number;
  /** Σ of the peak's watershed region (sum-pooled image Q, counts if the patch is). */
  integratedIntensity: number;
  /** Pixels of Q above 0.01. */
  nrPixels: number;
  /** max Q and its position (detector px in the patch). */
  iMax: number;
  maxRow: number;
  maxCol: number;
}

/** Runs the COM path; `nMaxima` is the count before the edge cut (sr-midas `nPeaks`). */
export function comPatchPeaks(
  patch: Float64Array,
  s: number,
  opts: ComPatchOptions,
): { peaks: PatchPeak[]; nMaxima: number } {
  const lr = opts.lowResSize ?? 20, n = lr * s;
  if (patch.length !== n * n) {
    throw new Error(`comPatchPeaks: patch has ${patch.length} values, expected (${lr}·${s})²`);
  }
  const maxima = peakLocalMax(patch, n, n, {
    minDistance: opts.minDistance,
    ...fractionOf(opts.thresholdRel, opts.referenceMax),
  });
  const b = (opts.edgeBoundCutoffFac ?? 2.5) * s;
  const kept = maxima.filter((p) => p.row >= b && p.col >= b && p.row <= n - b && p.col <= n - b);
  if (kept.length === 0) return { peaks: [], nMaxima: maxima.length };
  let mx = opts.referenceMax ?? -Infinity;
  if (opts.referenceMax === undefined) { for (const v of patch) mx = Math.max(mx, v); }
  const markers = new Int32Array(n * n);
  kept.forEach((p, j) => markers[p.row * n + p.col] = j + 1);
  const neg = patch.map((v) => -v);
  const mask = patch.map((v) => (v > opts.thresholdRel * mx ? 1 : 0));
  const labels = watershed(neg, n, n, markers, mask);
  const peaks = kept.map((p, j): PatchPeak => {
    const [comRow, comCol] = cropCentreOfMass(patch, n, n, p.row, p.col, opts.peakCropSize);
    const q = new Float64Array(lr * lr);
    for (let i = 0; i < n * n; i++) {
      if (labels[i] !== j + 1) continue;
      const r = (i / n) | 0, c = i - r * n;
      q[((r / s) | 0) * lr + ((c / s) | 0)] += patch[i];
    }
    let sum = 0, nr = 0, best = 0;
    for (let k = 0; k < q.length; k++) {
      sum += q[k];
      if (q[k] > 0.01) nr++;
      if (q[k] > q[best]) best = k;
    }
    return {
      comRow,
      comCol,
      detRow: -0.5 + (comRow + 0.5) / s,
      detCol: -0.5 + (comCol + 0.5) / s,
      integratedIntensity: sum,
      nrPixels: nr,
      iMax: q[best],
      maxRow: (best / lr) | 0,
      maxCol: best % lr,
    };
  });
  return { peaks, nMaxima: maxima.length };
}
