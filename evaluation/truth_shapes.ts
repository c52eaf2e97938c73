/**
 * A simulated truth spot as it appears in one frame: its true shape (synthesis/truth.ts row),
 * the beam centre it was rendered about and its peak height in that frame (IMax × the ω weight
 * the simulator gave the frame). The physical limits (crlb.ts, oracle.ts) start from this.
 *
 * The beam centre comes from the row itself (Y = Ybc + R·sin η, Z = Zbc + R·cos η), so no scan
 * parameters are needed for it; the ω weight needs the scan's ω start and step.
 *
 * @example
 * ```ts
 * import { spotInFrame } from "./truth_shapes.ts";
 * import { parseTruthTsv } from "../synthesis/truth.ts";
 * const head = "spotId grainId h k l ringNr omegaDeg frame yPx zPx rPx etaDeg intensity iMax " +
 *   "sigmaGRPx sigmaGEtaDeg sigmaLRPx sigmaLEtaDeg mu omegaSigmaDeg firstFrame nFrames saturated pairOf";
 * const row = "1 1 1 1 1 1 179.9 0 2022 1022 1000 90 1 500 1 0.06 1 0.06 0 0 0 1 0 0";
 * const [t] = parseTruthTsv(head.replaceAll(" ", "\t") + "\n" + row.replaceAll(" ", "\t") + "\n");
 * const s = spotInFrame(t, 0, { omegaStartDeg: 180, omegaStepDeg: -0.25, nFrames: 1 });
 * s.height; // 500 (all of it in frame 0)
 * ```
 * @module
 */
import type { SpotShape } from "../synthesis/render.ts";
import { omegaFrameWeights } from "../synthesis/scene.ts";
import type { TruthRow } from "../synthesis/truth.ts";

const DEG = Math.PI / 180;

/** The ω sampling of a scan. */
export interface OmegaScan {
  omegaStartDeg: number;
  omegaStepDeg: number;
  nFrames: number;
}

/** One truth spot in one frame. */
export interface SpotInFrame {
  shape: SpotShape;
  /** Peak height in the frame: IMax × the frame's ω weight (counts). */
  height: number;
  /** Beam centre the spot was rendered about. */
  ybc: number;
  zbc: number;
  saturated: boolean;
}

/** The truth row's shape and its height in `frame` (0 outside the spot's ω spread). */
export function spotInFrame(t: TruthRow, frame: number, scan: OmegaScan): SpotInFrame {
  const fw = omegaFrameWeights(t.omegaDeg, t.omegaSigmaDeg, scan);
  const k = frame - fw.firstFrame;
  const w = k >= 0 && k < fw.weights.length ? fw.weights[k] : 0;
  const shape: SpotShape = {
    yPx: t.yPx,
    zPx: t.zPx,
    rPx: t.rPx,
    etaDeg: t.etaDeg,
    iMax: t.iMax,
    sigmaGRPx: t.sigmaGRPx,
    sigmaGEtaDeg: t.sigmaGEtaDeg,
    sigmaLRPx: t.sigmaLRPx,
    sigmaLEtaDeg: t.sigmaLEtaDeg,
    mu: t.mu,
  };
  return {
    shape,
    height: t.iMax * w,
    ybc: t.yPx - t.rPx * Math.sin(t.etaDeg * DEG),
    zbc: t.zPx - t.rPx * Math.cos(t.etaDeg * DEG),
    saturated: t.saturated !== 0,
  };
}
