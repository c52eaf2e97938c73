/**
 * Network inputs from sr-midas patchstores (seed spec §5, §7.1): the intensity channel of the
 * input level upscaled by nearest-neighbour replication and max-normalized, plus optional R/Eta
 * grids taken from the target level and normalized per patch. {@link patchstoreSource} streams
 * training pairs with random access (one HDF5 chunk per patch), so memory stays at one batch.
 *
 * @example
 * ```ts
 * import { patchstoreSource } from "./patch_source.ts";
 * const src = await patchstoreSource({ target: "pst.h5", inSRx: 1, outSRx: 2, channels: ["I"] });
 * const batch = await src.read([0, 5, 9]); // x [3,1,40,40], y [3,1,40,40]
 * src.close();
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { PatchstoreReader } from "../../patchstore/h5.ts";
import type { SampleSource } from "../trainer.ts";
import { maxNormalize, normalizeGeometryChannels, upscaleNearest } from "../upscale.ts";

/** Input channel names in sr-midas order. */
export type ChannelName = "I" | "R" | "Eta";

/** sr-midas's channel list from its two flags: I, then R and/or Eta. */
export function channelList(useR: boolean, useEta: boolean): ChannelName[] {
  const c: ChannelName[] = ["I"];
  if (useR) c.push("R");
  if (useEta) c.push("Eta");
  return c;
}

/**
 * Builds network inputs [n, C, H·f, W·f] from `src` ([n, srcChannels, H, W], channel 0 used):
 * channel 0 = upscale(I, f) / max; R/Eta copied from `geometry` ([n, 3, H·f, W·f], channels 1
 * and 2 of a synthesized patchstore level), then zeroed where I = 0 and min-max normalized.
 */
export function prepareModelInput(
  src: Float32Array,
  n: number,
  srcChannels: number,
  size: number,
  factor: number,
  channels: readonly ChannelName[],
  geometry?: Float32Array,
): Float32Array {
  const hw = size * size;
  const i0 = new Float32Array(n * hw);
  for (let p = 0; p < n; p++) {
    i0.set(src.subarray(p * srcChannels * hw, p * srcChannels * hw + hw), p * hw);
  }
  const up = maxNormalize(
    upscaleNearest(i0, n, 1, size, size, factor),
    n,
    1,
    size * factor,
    size * factor,
  );
  const c = channels.length;
  if (c === 1) return up;
  if (!geometry) {
    throw new Error(`prepareModelInput: channels ${channels.join(",")} need R/Eta grids`);
  }
  const ho = size * factor, ohw = ho * ho;
  if (geometry.length !== n * 3 * ohw) {
    throw new Error(
      `prepareModelInput: geometry has ${geometry.length} values, expected ${n}·3·${ho}·${ho}`,
    );
  }
  const out = new Float32Array(n * c * ohw);
  for (let p = 0; p < n; p++) {
    out.set(up.subarray(p * ohw, (p + 1) * ohw), p * c * ohw);
    channels.forEach((name, k) => {
      if (k === 0) return;
      const g = name === "R" ? 1 : 2;
      out.set(geometry.subarray((p * 3 + g) * ohw, (p * 3 + g + 1) * ohw), (p * c + k) * ohw);
    });
  }
  const r = channels.indexOf("R"), eta = channels.indexOf("Eta");
  return normalizeGeometryChannels(out, n, c, ho, ho, {
    r: r > 0 ? r : undefined,
    eta: eta > 0 ? eta : undefined,
  });
}

/** Options of {@link patchstoreSource}. */
export interface PatchstoreSourceOptions {
  /** Ground-truth patchstore: targets `patchArr/SRx{outSRx}` channel 0 (and R/Eta grids). */
  target: string;
  /** Separate input patchstore (e.g. a predicted one for cascaded stages); default `target`. */
  input?: string;
  inSRx: number;
  outSRx: number;
  channels: readonly ChannelName[];
  /**
   * The network's own upscale (pixel-shuffle layers, `arch.ts` `psR`), default 1. Inputs are
   * upscaled only by (outSRx/inSRx)/netUpscale, so such a network computes at low resolution.
   */
  netUpscale?: number;
}

/** A {@link SampleSource} over patchstore files; `close()` releases the HDF5 handles. */
export interface PatchstoreSource extends SampleSource {
  close(): void;
  /** The readers, for metadata (count, lrsz, creation args). */
  targetReader: PatchstoreReader;
  inputReader: PatchstoreReader;
}

/** Opens the target (and input) patchstore as training pairs; see the module doc. */
export async function patchstoreSource(opts: PatchstoreSourceOptions): Promise<PatchstoreSource> {
  const { inSRx, outSRx, channels } = opts;
  if (
    !(Number.isInteger(inSRx) && Number.isInteger(outSRx) && inSRx >= 1 && outSRx % inSRx === 0)
  ) {
    throw new Error(`patchstore source: outSRx (${outSRx}) must be a multiple of inSRx (${inSRx})`);
  }
  const tr = await PatchstoreReader.open(opts.target);
  let ir = tr;
  try {
    if (opts.input && opts.input !== opts.target) ir = await PatchstoreReader.open(opts.input);
    if (!tr.factors.includes(outSRx)) {
      throw new Error(
        `patchstore ${tr.path}: no target level SRx${outSRx} (have ${
          tr.factors.map((s) => `SRx${s}`)
        })`,
      );
    }
    if (!ir.factors.includes(inSRx)) {
      throw new Error(
        `patchstore ${ir.path}: no input level SRx${inSRx} (have ${
          ir.factors.map((s) => `SRx${s}`)
        })`,
      );
    }
    if (ir.count !== tr.count) {
      throw new Error(
        `patchstore ${ir.path}: ${ir.count} patches but target ${tr.path} has ${tr.count}`,
      );
    }
    if (channels.length > 1 && tr.channels !== 3) {
      throw new Error(`patchstore ${tr.path}: R/Eta input channels need a 3-channel target store`);
    }
  } catch (e) {
    tr.close();
    if (ir !== tr) ir.close();
    throw e;
  }
  const f = outSRx / inSRx;
  const sizeIn = ir.lrsz * inSRx;
  const sizeOut = tr.lrsz * outSRx;
  if (sizeIn * f !== sizeOut) {
    throw new Error(
      `patchstore ${ir.path}: SRx${inSRx} patches are ${sizeIn} px, ×${f} ≠ target ${sizeOut} px`,
    );
  }
  const net = opts.netUpscale ?? 1;
  const prep = f / net;
  if (!(Number.isInteger(prep) && prep >= 1)) {
    throw new Error(
      `patchstore source: SRx${inSRx} → SRx${outSRx} with a ×${net} network leaves a non-integer input upscale ${prep}`,
    );
  }
  const c = channels.length;
  if (c > 1 && net !== 1) {
    throw new Error(
      "patchstore source: R/Eta input channels with a pixel-shuffle network are not supported yet",
    );
  }
  const ohw = sizeOut * sizeOut;
  const sizeNet = sizeIn * prep;
  return {
    size: tr.count,
    inShape: [c, sizeNet, sizeNet],
    outShape: [1, sizeOut, sizeOut],
    targetReader: tr,
    inputReader: ir,
    read(indices) {
      const n = indices.length;
      const src = new Float32Array(n * ir.channels * sizeIn * sizeIn);
      const y = new Float32Array(n * ohw);
      const geom = c > 1 ? new Float32Array(n * 3 * ohw) : undefined;
      indices.forEach((i, k) => {
        src.set(ir.readPatch(i, inSRx), k * ir.channels * sizeIn * sizeIn);
        const t = tr.readPatch(i, outSRx);
        y.set(t.subarray(0, ohw), k * ohw);
        geom?.set(t, k * 3 * ohw);
      });
      return { x: prepareModelInput(src, n, ir.channels, sizeIn, prep, channels, geom), y };
    },
    close() {
      tr.close();
      if (ir !== tr) ir.close();
    },
  };
}

/** SHA-256 (hex) of a file, streamed in 4 MiB chunks (patchstores can be tens of GB). */
export async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  const f = await Deno.open(path, { read: true });
  try {
    const buf = new Uint8Array(4 << 20);
    while (true) {
      const n = await f.read(buf);
      if (n === null) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    f.close();
  }
  return h.digest("hex");
}
