/**
 * Atomic file output: write to a sibling temporary file, then rename over the target, so a
 * reader never sees a partial file and a failed run leaves nothing behind.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./atomic.ts";
 * await writeFileAtomic("/tmp/out.bin", new Uint8Array([1, 2, 3]));
 * ```
 * @module
 */

/** A unique temporary path next to `path` (same directory, so rename stays atomic). */
export function tmpPathFor(path: string): string {
  return `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Writes `data` to `path` atomically. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = tmpPathFor(path);
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}
