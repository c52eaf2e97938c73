/**
 * The physical limits an evaluation is measured against (issue #12), from a simulation's full
 * truth table (synthesis/truth.ts: shapes, IMax, ω spread):
 *
 * - **Localization efficiency by SNR**: per isolated truth spot matched in its own frame, the
 *   error over its Cramér–Rao bound (crlb.ts, `medianPx`: the median error of an efficient
 *   estimator); the bin's efficiency is the median of these ratios (1 = at the bound).
 * - **Recall by SNR**: counted truth spots matched in their own frame, per SNR bin.
 * - **Close pairs vs the oracle** (oracle.ts): per separation × intensity-ratio bin, how many
 *   pairs each run resolves and how many the oracle resolves on the same pixels. The oracle needs
 *   the frames; without them only the runs' counts are given.
 *
 * SNR of a spot = its peak height in its own frame (IMax × ω weight) over the background
 * noise σ (crlb.ts). The intensity ratio of a pair is the brighter height over the fainter.
 *
 * @example
 * ```ts
 * import { DEFAULT_LIMIT_BINS } from "./physical_limits.ts";
 * DEFAULT_LIMIT_BINS.snrEdges[0]; // 0
 * ```
 * @module
 */
import type { TruthRow } from "../synthesis/truth.ts";
import { type NoiseModel, pixelVariance } from "../synthesis/noise_model.ts";
import { spotCrlb } from "./crlb.ts";
import { truthByFrame } from "./matching.ts";
import type { Evaluation } from "./metrics.ts";
import { oracleFitPair, oracleFitPairShapeFitted, PAIR_DETECTION_CHI2 } from "./oracle.ts";
import { type OmegaScan, spotInFrame } from "./truth_shapes.ts";
import type { TruthSpots } from "./truth_table.ts";

/** Bin edges of the tables (the last edge of each may be Infinity). */
export interface LimitBins {
  snrEdges: number[];
  separationEdgesPx: number[];
  ratioEdges: number[];
}

export const DEFAULT_LIMIT_BINS: Readonly<LimitBins> = {
  snrEdges: [0, 3, 5, 10, 30, 100, Infinity],
  separationEdgesPx: [0, 0.5, 1, 1.5, 2, 3, 4],
  ratioEdges: [1, 2, 5, Infinity],
};

/** One SNR bin of one run. */
export interface SnrBin {
  lo: number;
  hi: number;
  /** Counted truth spots, and those matched in their own frame. */
  nCounted: number;
  recall: number;
  /** Recall of the isolated counted spots alone (no other truth spot within the isolation radius). */
  recallIsolated: number;
  /** Isolated matched spots with a finite bound. */
  nIsolated: number;
  medianErrorPx: number;
  medianBoundPx: number;
  /** Median of error / bound over the isolated matched spots. */
  efficiency: number;
}

/** One separation × ratio cell of the pair table. */
export interface PairCell {
  sepLo: number;
  sepHi: number;
  ratioLo: number;
  ratioHi: number;
  n: number;
  /** Pairs the oracle was run on (all but saturated or frameless ones) and resolves (NaN without frames). */
  nOracle: number;
  oracle: number;
  /** Of the same pairs, how many the shape-fitted oracle resolves (oracle.ts; NaN without frames). */
  oracleShapeFitted: number;
  /**
   * Pairs the shape-fitted oracle resolves **and** could have told from one spot: its Δχ² over
   * a one-spot fit reaches {@link PAIR_DETECTION_CHI2} (a 1 % false-split rate).
   */
  oracleDetectable: number;
  /** Per run, pairs the run resolves (of n). */
  resolved: number[];
}

/**
 * One close pair with every verdict on it: which pairs a run misses that the oracle resolves is
 * what a change to the splitting should be judged on, pair by pair.
 */
export interface PairDetail {
  frame: number;
  /** Truth rows of the two spots (a < b). */
  a: number;
  b: number;
  separationPx: number;
  /** Brighter height over the fainter in this frame. */
  ratio: number;
  /** SNR of each spot in this frame (NaN when saturated). */
  snrA: number;
  snrB: number;
  /** Per run: resolved by the 0.5 px rule. */
  resolved: boolean[];
  /** The oracles' verdicts and the shape-fitted one's Δχ² over one spot (undefined: not run). */
  oracle?: boolean;
  oracleShapeFitted?: boolean;
  deltaChi2?: number;
}

/** Everything the report shows about the physical limits. */
export interface PhysicalLimits {
  noise: NoiseModel;
  bins: LimitBins;
  /** Per run (same order as the evaluations), per SNR bin. */
  bySnr: SnrBin[][];
  pairs: PairCell[];
  /** Pairs left out of the oracle (a saturated spot, or no frame). */
  pairsWithoutOracle: number;
  /** Every pair of the table, one by one. */
  pairList: PairDetail[];
}

/** Inputs of {@link physicalLimits}. */
export interface PhysicalLimitsInput {
  /** Truth parsed both ways, same rows in the same order. */
  truth: TruthSpots;
  rows: readonly TruthRow[];
  /** One evaluation per run against `truth`. */
  evaluations: readonly Evaluation[];
  scan: OmegaScan;
  noise: NoiseModel;
  /** Dark-subtracted frame f (counts above the pedestal), or undefined: no oracle there. */
  frame?: (f: number) => Float64Array | undefined;
  nY?: number;
  nZ?: number;
  bins?: Partial<LimitBins>;
}

const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  const h = (s.length - 1) / 2;
  return (s[Math.floor(h)] + s[Math.ceil(h)]) / 2;
};
/** Bin [edges[i], edges[i+1]) holding x; an infinite x falls in a last bin open to ∞. */
const binOf = (edges: readonly number[], x: number) => {
  for (let i = 0; i + 1 < edges.length; i++) {
    if (x >= edges[i] && (x < edges[i + 1] || edges[i + 1] === Infinity)) return i;
  }
  return -1;
};

/** Computes the tables (see module doc). */
export function physicalLimits(inp: PhysicalLimitsInput): PhysicalLimits {
  const { truth, rows, evaluations, scan, noise } = inp;
  if (rows.length !== truth.n) {
    throw new Error(`physicalLimits: ${rows.length} truth rows for ${truth.n} truth spots`);
  }
  if (evaluations.length === 0) throw new Error("physicalLimits: no evaluation");
  const bins: LimitBins = { ...DEFAULT_LIMIT_BINS, ...inp.bins };
  const counted = evaluations[0].counted;

  // Bound and SNR of every counted spot in its own frame.
  const snr = new Float64Array(truth.n).fill(NaN);
  const bound = new Float64Array(truth.n).fill(NaN);
  for (let i = 0; i < truth.n; i++) {
    if (!counted[i]) continue;
    const s = spotInFrame(rows[i], truth.frame[i], scan);
    if (s.saturated) continue;
    const b = spotCrlb({ ...s.shape, iMax: s.height }, s.ybc, s.zbc, noise, {
      nY: inp.nY,
      nZ: inp.nZ,
    });
    snr[i] = b.snr;
    bound[i] = b.medianPx;
  }
  const bySnr = evaluations.map((ev) => {
    const out: SnrBin[] = [];
    for (let k = 0; k + 1 < bins.snrEdges.length; k++) {
      let nCounted = 0, nMatched = 0, nIso = 0, nIsoMatched = 0;
      const errs: number[] = [], bnds: number[] = [], ratios: number[] = [];
      for (let i = 0; i < truth.n; i++) {
        if (!ev.counted[i] || binOf(bins.snrEdges, snr[i]) !== k) continue;
        nCounted++;
        if (ev.isolated[i]) nIso++;
        const d = ev.matching.centreDist[i];
        if (ev.matching.centrePeak[i] < 0) continue;
        nMatched++;
        if (ev.isolated[i]) nIsoMatched++;
        if (!ev.isolated[i] || !(bound[i] > 0)) continue;
        errs.push(d);
        bnds.push(bound[i]);
        ratios.push(d / bound[i]);
      }
      out.push({
        lo: bins.snrEdges[k],
        hi: bins.snrEdges[k + 1],
        nCounted,
        recall: nCounted > 0 ? nMatched / nCounted : NaN,
        recallIsolated: nIso > 0 ? nIsoMatched / nIso : NaN,
        nIsolated: errs.length,
        medianErrorPx: median(errs),
        medianBoundPx: median(bnds),
        efficiency: median(ratios),
      });
    }
    return out;
  });

  // Pairs: the truth pairs of the first evaluation, each run's verdict, the oracle's.
  const cells: PairCell[] = [];
  const se = bins.separationEdgesPx, re = bins.ratioEdges;
  for (let a = 0; a + 1 < se.length; a++) {
    for (let b = 0; b + 1 < re.length; b++) {
      cells.push({
        sepLo: se[a],
        sepHi: se[a + 1],
        ratioLo: re[b],
        ratioHi: re[b + 1],
        n: 0,
        nOracle: 0,
        oracle: inp.frame ? 0 : NaN,
        oracleShapeFitted: inp.frame ? 0 : NaN,
        oracleDetectable: inp.frame ? 0 : NaN,
        resolved: evaluations.map(() => 0),
      });
    }
  }
  const verdicts = evaluations.map((ev) =>
    new Map(ev.pairs.map((p) => [`${p.a}:${p.b}:${p.frame}`, p.resolved]))
  );
  const present = truthByFrame(truth);
  let without = 0;
  // The SNR crlb.ts reports: height over the background's σ.
  const sigmaBg = Math.sqrt(pixelVariance(noise.background, noise));
  const spotSnr = (s: { height: number }) => s.height / sigmaBg;
  const pairList: PairDetail[] = [];
  for (const p of evaluations[0].pairs) {
    const A = spotInFrame(rows[p.a], p.frame, scan), B = spotInFrame(rows[p.b], p.frame, scan);
    const hi = Math.max(A.height, B.height), lo = Math.min(A.height, B.height);
    const ratio = lo > 0 ? hi / lo : Infinity;
    const sb = binOf(se, p.separationPx), rb = binOf(re, ratio);
    if (sb < 0 || rb < 0) continue;
    const cell = cells[sb * (re.length - 1) + rb];
    cell.n++;
    const resolved = verdicts.map((v) => v.get(`${p.a}:${p.b}:${p.frame}`) === true);
    resolved.forEach((r, k) => {
      if (r) cell.resolved[k]++;
    });
    const detail: PairDetail = {
      frame: p.frame,
      a: p.a,
      b: p.b,
      separationPx: p.separationPx,
      ratio,
      snrA: A.saturated ? NaN : spotSnr(A),
      snrB: B.saturated ? NaN : spotSnr(B),
      resolved,
    };
    pairList.push(detail);
    if (!inp.frame) continue;
    const image = inp.frame(p.frame);
    if (!image || A.saturated || B.saturated || !inp.nY || !inp.nZ) {
      without++;
      continue;
    }
    const my = (truth.y[p.a] + truth.y[p.b]) / 2, mz = (truth.z[p.a] + truth.z[p.b]) / 2;
    const others = (present.get(p.frame) ?? [])
      .filter((j) => j !== p.a && j !== p.b && Math.hypot(truth.y[j] - my, truth.z[j] - mz) < 30)
      .map((j) => {
        const s = spotInFrame(rows[j], p.frame, scan);
        return { shape: s.shape, height: s.height };
      });
    const pair = {
      image,
      nY: inp.nY,
      nZ: inp.nZ,
      ybc: A.ybc,
      zbc: A.zbc,
      a: { shape: A.shape, height: A.height },
      b: { shape: B.shape, height: B.height },
      others,
      noise,
    };
    const rule = { resolvePx: evaluations[0].metrics.options.pairResolvePx };
    cell.nOracle++;
    detail.oracle = oracleFitPair(pair, rule).resolved;
    if (detail.oracle) cell.oracle++;
    const fitted = oracleFitPairShapeFitted(pair, rule);
    detail.oracleShapeFitted = fitted.resolved;
    detail.deltaChi2 = fitted.deltaChi2;
    if (fitted.resolved) cell.oracleShapeFitted++;
    if (fitted.resolved && fitted.deltaChi2! >= PAIR_DETECTION_CHI2) cell.oracleDetectable++;
  }
  return { noise, bins, bySnr, pairs: cells, pairsWithoutOracle: without, pairList };
}
