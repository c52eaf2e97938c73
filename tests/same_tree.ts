/**
 * `assertSameTree(a, b)`: two directories hold the same relative file paths with identical
 * bytes (the executor- and shard-parity checks, the chaos test).
 * @module
 */
import { join, relative } from "node:path";

async function files(root: string, dir = root, out: string[] = []): Promise<string[]> {
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) await files(root, p, out);
    else out.push(relative(root, p));
  }
  return out.sort();
}

/** What {@link assertSameTree} may leave out or rewrite before comparing. */
export interface SameTreeOptions {
  /** Relative paths not compared (e.g. a store's manifest.json, which records pids and times). */
  ignore?: (rel: string) => boolean;
  /** Rewrites a file's bytes before the comparison (e.g. blanks wall-clock timings). */
  normalize?: (rel: string, bytes: Uint8Array) => Uint8Array;
}

/** Throws naming the first differing or missing file; returns the number of files compared. */
export async function assertSameTree(
  a: string,
  b: string,
  opts: SameTreeOptions = {},
): Promise<number> {
  const keep = (f: string) => !opts.ignore?.(f);
  const fa = (await files(a)).filter(keep), fb = (await files(b)).filter(keep);
  const onlyA = fa.filter((f) => !fb.includes(f)), onlyB = fb.filter((f) => !fa.includes(f));
  if (onlyA.length || onlyB.length) {
    throw new Error(
      `${a} vs ${b}: only in the first: ${onlyA.join(", ") || "-"}; only in the second: ${
        onlyB.join(", ") || "-"
      }`,
    );
  }
  const read = async (root: string, f: string) => {
    const bytes = await Deno.readFile(join(root, f));
    return opts.normalize ? opts.normalize(f, bytes) : bytes;
  };
  for (const f of fa) {
    const x = await read(a, f), y = await read(b, f);
    if (x.length !== y.length || x.some((v, i) => v !== y[i])) {
      throw new Error(
        `${f} differs: ${join(a, f)} (${x.length} B) vs ${join(b, f)} (${y.length} B)`,
      );
    }
  }
  return fa.length;
}
