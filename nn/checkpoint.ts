/**
 * Training checkpoints: one binary file = magic `SRMCKPT1`, a uint32 LE header length, a UTF-8
 * JSON header (metadata + tensor table), zero padding to 4 bytes, then float32 LE tensor data.
 * Written atomically (temporary file + rename), so a killed run never leaves a torn checkpoint.
 *
 * @example
 * ```ts
 * import { readCheckpoint, writeCheckpoint } from "./checkpoint.ts";
 * await writeCheckpoint("/tmp/a.ckpt", { epoch: 3 }, { W0: new Float32Array([1, 2]) });
 * const { meta, tensors } = await readCheckpoint("/tmp/a.ckpt");
 * ```
 * @module
 */

const MAGIC = "SRMCKPT1";

interface TensorEntry {
  name: string;
  offset: number;
  length: number;
}

/** Writes `meta` (any JSON) and named float32 tensors to `path` atomically. */
export async function writeCheckpoint(
  path: string,
  meta: Record<string, unknown>,
  tensors: Record<string, Float32Array>,
): Promise<void> {
  const table: TensorEntry[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    table.push({ name, offset, length: t.length });
    offset += t.length;
  }
  const header = new TextEncoder().encode(JSON.stringify({ meta, tensors: table }));
  const headerEnd = 12 + header.length;
  const dataStart = Math.ceil(headerEnd / 4) * 4;
  const buf = new Uint8Array(dataStart + 4 * offset);
  buf.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(buf.buffer).setUint32(8, header.length, true);
  buf.set(header, 12);
  const data = new Float32Array(buf.buffer, dataStart, offset);
  for (const e of table) data.set(tensors[e.name], e.offset);
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeFile(tmp, buf);
  await Deno.rename(tmp, path);
}

/** Reads a checkpoint; throws an Error naming the file if it is not one. */
export async function readCheckpoint(
  path: string,
): Promise<{ meta: Record<string, unknown>; tensors: Record<string, Float32Array> }> {
  const buf = await Deno.readFile(path);
  if (buf.length < 12 || new TextDecoder().decode(buf.subarray(0, 8)) !== MAGIC) {
    throw new Error(`${path}: not an srmidas checkpoint (expected magic ${MAGIC})`);
  }
  const hl = new DataView(buf.buffer, buf.byteOffset).getUint32(8, true);
  const dataStart = Math.ceil((12 + hl) / 4) * 4;
  let header: { meta: Record<string, unknown>; tensors: TensorEntry[] };
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(12, 12 + hl)));
  } catch (e) {
    throw new Error(`${path}: checkpoint header is not valid JSON (${(e as Error).message})`);
  }
  const copy = buf.slice(dataStart);
  const total = copy.length / 4;
  const data = new Float32Array(copy.buffer, 0, Math.floor(total));
  const tensors: Record<string, Float32Array> = {};
  for (const e of header.tensors) {
    if (e.offset + e.length > data.length) {
      throw new Error(`${path}: tensor ${e.name} runs past the end of the file (truncated?)`);
    }
    tensors[e.name] = data.slice(e.offset, e.offset + e.length);
  }
  return { meta: header.meta, tensors };
}
