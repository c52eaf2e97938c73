/**
 * A detector frame as a palette PNG for the QA report: log-scaled counts in viridis, ring bands
 * as dotted outlines and peaks as circles, so a reader sees at a glance whether the peak search
 * caught the spots. Large detectors are reduced by max-pooling `bin × bin` blocks (a spot never
 * vanishes); a detector position (y, z) (pixel centres at integers, y = column) lands at display
 * pixel ((y + ½)/bin − ½, (z + ½)/bin − ½).
 *
 * Palette: entries 0 … 199 are the colour scale, then the overlay colours
 * ({@link OVERLAY}) — indexed PNGs of noisy frames are several times smaller than RGBA.
 *
 * @example
 * ```ts
 * import { renderFrameImage } from "./frame_image.ts";
 * const frame = new Float64Array(16 * 16).fill(5);
 * const img = renderFrameImage({ frame, nY: 16, nZ: 16, markers: [{ y: 8, z: 8, set: 0 }] });
 * img.width; // 16
 * ```
 * @module
 */
import { colormap } from "../plot/colormap.ts";
import { encodeIndexedPng } from "../plot/png.ts";

/** Colour-scale entries of the palette. */
export const SCALE_STEPS = 200;

/** Overlay colours (0xRRGGBB) and their palette indices. */
export const OVERLAY = {
  ring: { index: 200, color: 0xd8d8d8 },
  /** Peaks of the first table. */
  peakA: { index: 201, color: 0xff2a2a },
  /** Peaks of the second table (comparison mode). */
  peakB: { index: 202, color: 0x19e3ff },
} as const;

const PALETTE: number[] = [
  ...Array.from({ length: SCALE_STEPS }, (_, i) => colormap("viridis", i / (SCALE_STEPS - 1))),
  OVERLAY.ring.color,
  OVERLAY.peakA.color,
  OVERLAY.peakB.color,
];

/** A peak to mark: detector column y, row z; `set` 0 = first table (red ○), 1 = second (cyan +). */
export interface FrameMarker {
  y: number;
  z: number;
  set: 0 | 1;
}

/** Options of {@link renderFrameImage}. */
export interface FrameImageOptions {
  /** Row-major nZ × nY corrected counts. */
  frame: ArrayLike<number>;
  nY: number;
  nZ: number;
  /** Longest display side (px, default 1024); the bin is ceil(max(nY, nZ) / maxSide). */
  maxSide?: number;
  /** Ring index per display pixel ({@link displayRingMap}), −1 = none. */
  ringMap?: Int16Array;
  markers?: readonly FrameMarker[];
  /** Colour range (counts); default: 90th percentile (≥ 1) → max of the pooled pixels. */
  lo?: number;
  hi?: number;
  /** Circle radius of a marker (display px, default 6; drawn 2 px thick). */
  markerPx?: number;
}

/** The rendered image: PNG bytes, display size, pooling bin and the colour range used. */
export interface FrameImage {
  png: Uint8Array;
  width: number;
  height: number;
  bin: number;
  lo: number;
  hi: number;
}

/** Max-pools, log-scales and overlays a frame (see module doc). */
export function renderFrameImage(o: FrameImageOptions): FrameImage {
  const { nY, nZ } = o;
  if (o.frame.length !== nY * nZ) {
    throw new Error(`renderFrameImage: frame has ${o.frame.length} pixels, expected ${nZ}×${nY}`);
  }
  const { bin, width: W, height: H } = displayGrid(nY, nZ, o.maxSide);
  const pooled = new Float64Array(W * H).fill(-Infinity);
  for (let z = 0; z < nZ; z++) {
    const row = Math.floor(z / bin) * W;
    for (let y = 0; y < nY; y++) {
      const v = o.frame[z * nY + y];
      const k = row + Math.floor(y / bin);
      if (v > pooled[k]) pooled[k] = v;
    }
  }
  // Background (the 90th percentile) dark, the brightest spot at the top of the scale.
  const lo = o.lo ?? Math.max(1, topPercentile(pooled, 0.9));
  let max = 1;
  for (let i = 0; i < pooled.length; i++) if (pooled[i] > max) max = pooled[i];
  const hi = Math.max(lo * 10, o.hi ?? max);
  const l0 = Math.log10(lo), span = Math.log10(hi) - l0;
  const index = new Uint8Array(W * H);
  for (let i = 0; i < index.length; i++) {
    const v = pooled[i];
    const t = v > lo ? (Math.log10(v) - l0) / span : 0;
    index[i] = Math.min(SCALE_STEPS - 1, Math.max(0, Math.round(t * (SCALE_STEPS - 1))));
  }
  if (o.ringMap) {
    if (o.ringMap.length !== W * H) {
      throw new Error(
        `renderFrameImage: ring map has ${o.ringMap.length} pixels, expected ${W}×${H}`,
      );
    }
    drawRingOutlines(index, W, H, o.ringMap);
  }
  const r = o.markerPx ?? 6;
  for (const m of o.markers ?? []) {
    const cx = (m.y + 0.5) / bin - 0.5, cy = (m.z + 0.5) / bin - 0.5;
    if (m.set === 0) {
      circle(index, W, H, cx, cy, r, OVERLAY.peakA.index);
      circle(index, W, H, cx, cy, r + 1, OVERLAY.peakA.index);
    } else plus(index, W, H, cx, cy, r - 1, OVERLAY.peakB.index);
  }
  return {
    png: encodeIndexedPng({ width: W, height: H, index, palette: PALETTE }),
    width: W,
    height: H,
    bin,
    lo,
    hi,
  };
}

/** The value below which a fraction q of the finite entries lie (histogram of log values). */
function topPercentile(v: Float64Array, q: number): number {
  let max = 1;
  for (let i = 0; i < v.length; i++) if (v[i] > max) max = v[i];
  const nb = 1000, lmax = Math.log10(max);
  const h = new Int32Array(nb + 1);
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    if (!(v[i] > 1)) continue;
    h[Math.floor((Math.log10(v[i]) / lmax) * nb)]++;
    n++;
  }
  if (n === 0) return max;
  let acc = 0;
  for (let k = 0; k <= nb; k++) {
    acc += h[k];
    if (acc >= q * n) return 10 ** (((k + 1) / nb) * lmax);
  }
  return max;
}

/** Display size and pooling bin of an nY × nZ detector at `maxSide` (default 1024). */
export function displayGrid(
  nY: number,
  nZ: number,
  maxSide = 1024,
): { bin: number; width: number; height: number } {
  const bin = Math.max(1, Math.ceil(Math.max(nY, nZ) / maxSide));
  return { bin, width: Math.ceil(nY / bin), height: Math.ceil(nZ / bin) };
}

/**
 * Ring index of every display pixel, sampled at its block centre with `ringAt(y, z)` (detector
 * px) — computed once per scan, shared by every frame image.
 */
export function displayRingMap(
  nY: number,
  nZ: number,
  maxSide: number | undefined,
  ringAt: (y: number, z: number) => number,
): Int16Array {
  const { bin, width: W, height: H } = displayGrid(nY, nZ, maxSide);
  const ring = new Int16Array(W * H);
  const c = (bin - 1) / 2;
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) ring[v * W + u] = ringAt(u * bin + c, v * bin + c);
  }
  return ring;
}

/** Dotted outline where the ring index changes between neighbouring display pixels. */
function drawRingOutlines(index: Uint8Array, W: number, H: number, ring: Int16Array): void {
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      const k = ring[v * W + u];
      if (k < 0 || (u + v) % 3 !== 0) continue;
      const edge = (u > 0 && ring[v * W + u - 1] !== k) ||
        (u + 1 < W && ring[v * W + u + 1] !== k) ||
        (v > 0 && ring[(v - 1) * W + u] !== k) || (v + 1 < H && ring[(v + 1) * W + u] !== k);
      if (edge) index[v * W + u] = OVERLAY.ring.index;
    }
  }
}

function put(index: Uint8Array, W: number, H: number, x: number, y: number, c: number): void {
  const xi = Math.round(x), yi = Math.round(y);
  if (xi >= 0 && yi >= 0 && xi < W && yi < H) index[yi * W + xi] = c;
}

function circle(
  ix: Uint8Array,
  W: number,
  H: number,
  cx: number,
  cy: number,
  r: number,
  c: number,
) {
  const n = Math.max(16, Math.ceil(4 * Math.PI * r));
  for (let i = 0; i < n; i++) {
    const a = (2 * Math.PI * i) / n;
    put(ix, W, H, cx + r * Math.cos(a), cy + r * Math.sin(a), c);
  }
}

function plus(ix: Uint8Array, W: number, H: number, cx: number, cy: number, s: number, c: number) {
  for (let d = -s; d <= s; d++) {
    if (d === 0) continue; // leave the centre pixel visible
    put(ix, W, H, cx + d, cy, c);
    put(ix, W, H, cx, cy + d, c);
  }
}
