/**
 * sr-midas architecture strings (sr-midas-seed §6.1) plus a sub-pixel upsampling extension.
 *
 * Grammar: layers joined by `_`.
 * - `C-K-A`: a K×K convolution to C channels, stride 1, zero "same" padding floor(K/2), with bias,
 *   followed by activation A: `r` ReLU, `s` Sigmoid, `lr` LeakyReLU(0.01), `t` Tanh, and the
 *   extension `n` (none). sr-midas silently treats any other code as "no activation"; here that
 *   is an error unless `{ lenient: true }` is passed. K must be odd (even K grows the image by one
 *   pixel in PyTorch, which no sr-midas model uses).
 * - `psR` (extension): pixel shuffle with factor R (PyTorch `PixelShuffle(R)`, ONNX DepthToSpace
 *   mode CRD): C channels at H×W become C/R² channels at (R·H)×(R·W). C must be divisible by R².
 *   A network with shuffles computes at its input resolution and upsamples by Π R, e.g.
 *   `64-5-r_32-5-r_4-5-s_ps2` maps x1 patches straight to x2 (activation commutes with shuffle).
 *
 * @example
 * ```ts
 * import { archCost, parseArch } from "./arch.ts";
 * const arch = parseArch("64-5-r_32-5-r_1-5-s");
 * archCost(arch, 1, 40, 40); // { params: 52961, macsPerPatch: 85760000, ... }
 * ```
 * @module
 */

/** Activation codes. `n` = identity. */
export type Activation = "r" | "s" | "lr" | "t" | "n";

/** A convolution layer (+ activation). */
export interface ConvLayer {
  kind: "conv";
  outChannels: number;
  kernel: number;
  act: Activation;
}

/** A pixel-shuffle (DepthToSpace CRD) layer. */
export interface ShuffleLayer {
  kind: "shuffle";
  factor: number;
}

/** One layer of a parsed architecture. */
export type Layer = ConvLayer | ShuffleLayer;

/** A parsed architecture string. */
export interface Arch {
  /** The canonical string (round-trips through {@link formatArch}). */
  text: string;
  layers: Layer[];
}

const ACTS = new Set<string>(["r", "s", "lr", "t", "n"]);

/** Options of {@link parseArch}. */
export interface ParseArchOptions {
  /** Accept unknown activation codes as identity, like sr-midas. Default false (error). */
  lenient?: boolean;
  /** Where the string came from, for error messages (e.g. "_train_args.json field arch"). */
  source?: string;
}

/** Parses and validates an architecture string. Throws an Error naming the bad token. */
export function parseArch(text: string, opts: ParseArchOptions = {}): Arch {
  const where = opts.source ?? "architecture string";
  if (typeof text !== "string" || text.trim() === "") {
    throw new Error(
      `${where}: expected layers like "64-5-r_32-5-r_1-5-s", got ${JSON.stringify(text)}`,
    );
  }
  const layers: Layer[] = [];
  const tokens = text.trim().split("_");
  tokens.forEach((tok, i) => {
    const at = `${where} "${text}", layer ${i + 1} "${tok}"`;
    const ps = /^ps(\d+)$/.exec(tok);
    if (ps) {
      const factor = Number(ps[1]);
      if (factor < 2) throw new Error(`${at}: pixel-shuffle factor must be ≥ 2`);
      layers.push({ kind: "shuffle", factor });
      return;
    }
    const f = tok.split("-");
    if (f.length !== 3) {
      throw new Error(`${at}: expected "C-K-A" (channels-kernel-activation) or "psR"`);
    }
    const [c, k, a] = f;
    if (!/^\d+$/.test(c) || Number(c) < 1) {
      throw new Error(`${at}: channels must be a positive integer, got "${c}"`);
    }
    if (!/^\d+$/.test(k) || Number(k) < 1 || Number(k) % 2 === 0) {
      throw new Error(`${at}: kernel size must be a positive odd integer, got "${k}"`);
    }
    let act = a as Activation;
    if (!ACTS.has(a)) {
      if (!opts.lenient) {
        throw new Error(`${at}: unknown activation "${a}", expected one of r, s, lr, t, n`);
      }
      act = "n";
    }
    layers.push({ kind: "conv", outChannels: Number(c), kernel: Number(k), act });
  });
  if (!layers.some((l) => l.kind === "conv")) throw new Error(`${where} "${text}": no conv layer`);
  const arch = { text: "", layers };
  arch.text = formatArch(arch);
  return arch;
}

/** Canonical text of an architecture. */
export function formatArch(arch: { layers: Layer[] }): string {
  return arch.layers.map((l) =>
    l.kind === "conv" ? `${l.outChannels}-${l.kernel}-${l.act}` : `ps${l.factor}`
  ).join("_");
}

/** Shape of one parameter tensor, in the order weights are passed around (W0, B0, W1, B1, …). */
export interface ParamSpec {
  name: string;
  dims: number[];
  /** Index of the layer in `arch.layers`. */
  layer: number;
  /** fan_in = C_in·K² of the conv, for initialization. */
  fanIn: number;
}

/** Per-layer shapes given the number of input channels; validates channel divisibility. */
export function layerShapes(
  arch: Arch,
  inChannels: number,
): { cin: number; cout: number; scale: number }[] {
  let c = inChannels;
  let scale = 1;
  return arch.layers.map((l, i) => {
    const cin = c;
    if (l.kind === "conv") {
      c = l.outChannels;
    } else {
      if (c % (l.factor * l.factor) !== 0) {
        throw new Error(
          `architecture "${arch.text}", layer ${i + 1} ps${l.factor}: needs channels divisible by ${
            l.factor * l.factor
          }, has ${c}`,
        );
      }
      c = c / (l.factor * l.factor);
      scale *= l.factor;
    }
    return { cin, cout: c, scale };
  });
}

/** Output channels and total upscale factor of the network. */
export function archIO(arch: Arch, inChannels: number): { outChannels: number; upscale: number } {
  const s = layerShapes(arch, inChannels);
  const last = s[s.length - 1];
  return { outChannels: last.cout, upscale: last.scale };
}

/** Parameter tensors in canonical order: for every conv layer its weight (OIHW) then bias. */
export function paramSpecs(arch: Arch, inChannels: number): ParamSpec[] {
  const shapes = layerShapes(arch, inChannels);
  const out: ParamSpec[] = [];
  let ci = 0;
  arch.layers.forEach((l, i) => {
    if (l.kind !== "conv") return;
    const { cin } = shapes[i];
    const fanIn = cin * l.kernel * l.kernel;
    out.push({ name: `W${ci}`, dims: [l.outChannels, cin, l.kernel, l.kernel], layer: i, fanIn });
    out.push({ name: `B${ci}`, dims: [l.outChannels], layer: i, fanIn });
    ci++;
  });
  return out;
}

/** Parameter count and multiply-accumulates per patch (padding taps counted, as §13). */
export interface ArchCost {
  params: number;
  macsPerPatch: number;
  /** Largest activation (one layer's output) per patch, in float32 bytes. */
  peakActivationBytes: number;
  outChannels: number;
  upscale: number;
}

/** Cost of one forward pass over an `inChannels`×h×w input patch. */
export function archCost(arch: Arch, inChannels: number, h: number, w: number): ArchCost {
  const shapes = layerShapes(arch, inChannels);
  let params = 0;
  let macs = 0;
  let peak = inChannels * h * w;
  let res = 1;
  arch.layers.forEach((l, i) => {
    const { cin, cout } = shapes[i];
    if (l.kind === "conv") {
      params += cout * cin * l.kernel * l.kernel + cout;
      macs += h * res * w * res * cin * cout * l.kernel * l.kernel;
    } else {
      res *= l.factor;
    }
    peak = Math.max(peak, cout * h * res * w * res);
  });
  const io = archIO(arch, inChannels);
  return { params, macsPerPatch: macs, peakActivationBytes: 4 * peak, ...io };
}
