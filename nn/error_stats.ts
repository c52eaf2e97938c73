/**
 * Streaming statistics of element-wise absolute errors |gt − pred| (sr-midas's "l2-norm" log
 * lines, §7.2): mean and percentiles over every pixel, from a fixed histogram so memory stays
 * constant. Errors in [0, range] are binned with resolution range/bins; larger errors are kept
 * exactly.
 *
 * @example
 * ```ts
 * import { AbsErrorStats } from "./error_stats.ts";
 * const s = new AbsErrorStats();
 * s.add(new Float32Array([0.1, 0.5]), new Float32Array([0, 0]));
 * s.summary(); // { count: 2, mean: 0.3, p50: ~0.1, ... }
 * ```
 * @module
 */

/** Mean and percentiles of absolute errors. */
export interface ErrorSummary {
  count: number;
  mean: number;
  p50: number;
  p75: number;
  p95: number;
  p995: number;
}

/** Accumulates absolute errors into a histogram. */
export class AbsErrorStats {
  private hist: Float64Array;
  private over: number[] = [];
  private sum = 0;
  private n = 0;

  constructor(private readonly range = 1, private readonly bins = 1 << 16) {
    this.hist = new Float64Array(bins);
  }

  /** Adds |gt − pred| for every element. */
  add(pred: ArrayLike<number>, gt: ArrayLike<number>): void {
    const scale = this.bins / this.range;
    for (let i = 0; i < pred.length; i++) {
      const e = Math.abs(gt[i] - pred[i]);
      this.sum += e;
      const b = Math.floor(e * scale);
      if (b < this.bins) this.hist[b]++;
      else this.over.push(e);
    }
    this.n += pred.length;
  }

  /** Value at quantile q ∈ [0, 1] (bin centre, or the exact value above range). */
  quantile(q: number): number {
    if (this.n === 0) return NaN;
    const target = Math.min(this.n - 1, Math.floor(q * (this.n - 1) + 0.5));
    let seen = 0;
    for (let b = 0; b < this.bins; b++) {
      seen += this.hist[b];
      if (seen > target) return ((b + 0.5) * this.range) / this.bins;
    }
    const sorted = this.over.slice().sort((a, b) => a - b);
    return sorted[target - seen];
  }

  /** Mean and the percentiles sr-midas logs (50, 75, 95, 99.5). */
  summary(): ErrorSummary {
    return {
      count: this.n,
      mean: this.n ? this.sum / this.n : NaN,
      p50: this.quantile(0.5),
      p75: this.quantile(0.75),
      p95: this.quantile(0.95),
      p995: this.quantile(0.995),
    };
  }
}
