/**
 * Imports sr-midas PyTorch checkpoints (seed spec §6.3) without Python: a checkpoint directory
 * (`_train_args.json` + `mod-it{N}.pth`) becomes an architecture plus weights in paramSpecs order,
 * and {@link importSrMidasCheckpoint} writes the same ONNX + JSON card as a model trained here.
 *
 * `.pth` files are PyTorch zip archives: `<prefix>/data.pkl` (a pickled OrderedDict whose tensors
 * are rebuilt by `torch._utils._rebuild_tensor_v2` from persistent-id storages) and raw
 * little-endian storages in `<prefix>/data/<key>`. The pickle is read by {@link unpickle}, which
 * never executes anything. Legacy (pre-1.6, non-zip) checkpoints are rejected with a clear error.
 *
 * @example
 * ```ts
 * import { importSrMidasCheckpoint } from "./pth.ts";
 * const { cardPath } = await importSrMidasCheckpoint(
 *   "x1_x2-pst60000-240117_arch3-itrOut", "models/x1_x2", { itr: 4975 },
 * );
 * ```
 * @module
 */
import { type Arch, paramSpecs, parseArch } from "../arch.ts";
import { exportModel, type ModelCard } from "../model_card.ts";
import { PyGlobal, type PyTuple, type PyValue, unpickle } from "./pickle.ts";
import { readZip } from "./zip.ts";

/** A dense, C-ordered float32 tensor. */
export interface Tensor {
  dims: number[];
  data: Float32Array;
}

interface StorageRef {
  kind: "storage";
  dtype: string;
  key: string;
  numel: number;
}

interface TensorRef {
  kind: "tensor";
  storage: StorageRef;
  offset: number;
  size: number[];
  stride: number[];
}

const BYTES: Record<string, number> = { FloatStorage: 4, DoubleStorage: 8 };

const tupleItems = (v: PyValue): PyValue[] => Array.isArray(v) ? v : (v as PyTuple)?.items ?? [];

/** Reads every tensor of a `torch.save(state_dict)` zip; names keep their prefixes. */
export function readTorchStateDict(buf: Uint8Array, source = "checkpoint"): Map<string, Tensor> {
  if (buf[0] === 0x80) {
    throw new Error(
      `${source}: legacy (non-zip) torch.save format; re-save it with torch ≥ 1.6 (_use_new_zipfile_serialization=True)`,
    );
  }
  const zip = readZip(buf, source);
  const pklName = zip.names.find((n) => n.endsWith("data.pkl"));
  if (!pklName) throw new Error(`${source}: no data.pkl in the archive (not a torch checkpoint?)`);
  const prefix = pklName.slice(0, -"data.pkl".length);
  const order = zip.entries.has(`${prefix}byteorder`)
    ? new TextDecoder().decode(zip.read(`${prefix}byteorder`)).trim()
    : "little";
  if (order !== "little") throw new Error(`${source}: byteorder "${order}" is not supported`);

  const root = unpickle(zip.read(pklName), {
    source: `${source}:${pklName}`,
    persistentLoad(pid) {
      const [tag, type, key, , numel] = tupleItems(pid);
      if (tag !== "storage" || !(type instanceof PyGlobal)) {
        throw new Error(`${source}: unexpected persistent id ${JSON.stringify(String(tag))}`);
      }
      return { kind: "storage", dtype: type.name, key: String(key), numel: Number(numel) };
    },
    reduce(fn, args) {
      if (!(fn instanceof PyGlobal)) return undefined;
      switch (fn.qualified) {
        case "collections.OrderedDict":
          return new Map();
        case "torch._utils._rebuild_tensor_v2":
        case "torch._utils._rebuild_tensor": {
          const [storage, offset, size, stride] = args;
          return {
            kind: "tensor",
            storage: storage as unknown as StorageRef,
            offset: Number(offset),
            size: tupleItems(size).map(Number),
            stride: tupleItems(stride).map(Number),
          } satisfies TensorRef;
        }
        case "torch._utils._rebuild_parameter":
          return args[0];
      }
      return undefined;
    },
  });
  if (!(root instanceof Map)) throw new Error(`${source}: data.pkl is not a dict (a state_dict?)`);

  const out = new Map<string, Tensor>();
  const storages = new Map<string, Float64Array | Float32Array>();
  for (const [k, v] of root) {
    const t = v as unknown as TensorRef;
    if (t?.kind !== "tensor") continue; // e.g. non-tensor entries of exotic state dicts
    const s = t.storage;
    const width = BYTES[s.dtype];
    if (!width) {
      throw new Error(`${source}: tensor ${String(k)} has storage ${s.dtype}; only Float/Double`);
    }
    let store = storages.get(s.key);
    if (!store) {
      const raw = zip.read(`${prefix}data/${s.key}`);
      if (raw.length < s.numel * width) {
        throw new Error(
          `${source}: storage ${s.key} has ${raw.length} bytes, expected ${s.numel * width}`,
        );
      }
      const copy = raw.slice(0, s.numel * width);
      store = width === 4 ? new Float32Array(copy.buffer) : new Float64Array(copy.buffer);
      storages.set(s.key, store);
    }
    out.set(String(k), { dims: t.size, data: gather(store, t.offset, t.size, t.stride) });
  }
  return out;
}

/** Copies a strided view into a C-ordered Float32Array. */
function gather(
  src: Float32Array | Float64Array,
  offset: number,
  size: number[],
  stride: number[],
): Float32Array {
  const n = size.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  const idx = new Array(size.length).fill(0);
  for (let i = 0; i < n; i++) {
    let at = offset;
    for (let d = 0; d < size.length; d++) at += idx[d] * stride[d];
    out[i] = src[at];
    for (let d = size.length - 1; d >= 0; d--) {
      if (++idx[d] < size[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** sr-midas's truthy strings for `useRch`/`useEtach` (§6.1). */
export function srMidasTrue(v: unknown): boolean {
  return ["True", "true", true, "Yes", "yes", "Y", "y"].includes(v as string);
}

/** A loaded sr-midas checkpoint. */
export interface SrMidasModel {
  arch: Arch;
  inChannels: number;
  /** Channel names: "I", then "R" and/or "Eta". */
  channels: string[];
  weights: Float32Array[];
  srfacIn: number;
  srfacOut: number;
  args: Record<string, unknown>;
  checkpoint: string;
  itr: number;
}

/** The `mod-it{N}.pth` iterations present in `dir`, ascending. */
export async function checkpointIterations(dir: string): Promise<number[]> {
  const its: number[] = [];
  for await (const e of Deno.readDir(dir)) {
    const m = /^mod-it(\d+)\.pth$/.exec(e.name);
    if (m && e.isFile) its.push(Number(m[1]));
  }
  return its.sort((a, b) => a - b);
}

/**
 * Which `mod-it{N}.pth` to load: a number, or a choice by the output level the checkpoint's
 * training arguments give (sr-midas's `-x2ModItr`/`-x4ModItr`/`-x8ModItr`); undefined = newest.
 */
export type CheckpointIteration = number | ((srfacOut: number) => number | undefined);

/**
 * The weights of a CNNSR state_dict in paramSpecs order. Keys `[module.]cnn_layers.{i}.weight`
 * / `.bias` are taken by conv order, not by index: sr-midas adds an activation module only for
 * known codes (§6.1), so the indices depend on the architecture. Shapes must match `arch`.
 */
export function stateDictWeights(
  sd: Map<string, Tensor>,
  arch: Arch,
  inChannels: number,
  source: string,
): Float32Array[] {
  const specs = paramSpecs(arch, inChannels);
  const convKeys = [
    ...new Set(
      [...sd.keys()]
        .map((k) => /^(?:module\.)?cnn_layers\.(\d+)\.weight$/.exec(k))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => Number(m[1])),
    ),
  ].sort((a, b) => a - b);
  const nConv = specs.length / 2;
  if (convKeys.length !== nConv) {
    throw new Error(
      `${source}: has ${convKeys.length} conv weights, arch "${arch.text}" needs ${nConv}`,
    );
  }
  const pre = sd.has(`module.cnn_layers.${convKeys[0]}.weight`) ? "module." : "";
  return specs.map((sp, i) => {
    const key = `${pre}cnn_layers.${convKeys[Math.floor(i / 2)]}.${i % 2 ? "bias" : "weight"}`;
    const t = sd.get(key);
    if (!t) throw new Error(`${source}: missing tensor ${key}`);
    if (t.dims.join() !== sp.dims.join()) {
      throw new Error(`${source}: ${key} has shape [${t.dims}], expected [${sp.dims}]`);
    }
    return t.data;
  });
}

/**
 * Loads `<dir>/_train_args.json` and `<dir>/mod-it{itr}.pth` (the highest iteration when `itr` is
 * omitted; a named one that is absent is an error listing those present). Keys
 * `module.cnn_layers.{2i}.weight/.bias` map onto the conv layers in order.
 */
export async function loadSrMidasCheckpoint(
  dir: string,
  opts: { itr?: CheckpointIteration } = {},
): Promise<SrMidasModel> {
  const argsPath = `${dir}/_train_args.json`;
  let args: Record<string, unknown>;
  try {
    args = JSON.parse(await Deno.readTextFile(argsPath));
  } catch (e) {
    throw new Error(`${argsPath}: cannot read training arguments (${(e as Error).message})`);
  }
  const arch = parseArch(String(args.arch), { source: `${argsPath} field arch`, lenient: true });
  const channels = ["I"];
  if (srMidasTrue(args.useRch)) channels.push("R");
  if (srMidasTrue(args.useEtach)) channels.push("Eta");
  let itr = typeof opts.itr === "function" ? opts.itr(Number(args.outSRx ?? 1)) : opts.itr;
  const its = await checkpointIterations(dir);
  if (itr === undefined) {
    if (!its.length) throw new Error(`${dir}: no mod-it{N}.pth checkpoint found`);
    itr = its[its.length - 1];
  } else if (!its.includes(itr)) {
    throw new Error(
      `${dir}: no checkpoint mod-it${itr}.pth (present: ${
        its.map((i) => `mod-it${i}.pth`).join(", ") || "none"
      })`,
    );
  }
  const checkpoint = `${dir}/mod-it${itr}.pth`;
  const sd = readTorchStateDict(await Deno.readFile(checkpoint), checkpoint);
  const weights = stateDictWeights(sd, arch, channels.length, checkpoint);
  return {
    arch,
    inChannels: channels.length,
    channels,
    weights,
    srfacIn: Number(args.inSRx ?? 1),
    srfacOut: Number(args.outSRx ?? 1),
    args,
    checkpoint,
    itr,
  };
}

/** Loads a checkpoint directory and exports it as `<outDir>/<name>.onnx` + `.json`. */
export async function importSrMidasCheckpoint(
  dir: string,
  outDir: string,
  opts: { itr?: CheckpointIteration; name?: string } = {},
): Promise<{ onnxPath: string; cardPath: string; card: ModelCard }> {
  const m = await loadSrMidasCheckpoint(dir, opts);
  const bytes = await Deno.readFile(m.checkpoint);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return exportModel(outDir, m, {
    srfacIn: m.srfacIn,
    srfacOut: m.srfacOut,
    channels: m.channels,
    args: m.args,
    source: {
      kind: "sr-midas-pth",
      checkpoint: m.checkpoint.split("/").pop(),
      itr: m.itr,
      sha256: [...digest].map((b) => b.toString(16).padStart(2, "0")).join(""),
    },
  }, opts.name ?? "model");
}
