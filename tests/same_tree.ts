/**
 * `assertSameTree(a, b)`: two directories hold the same relative file paths with identical
 * bytes (the executor- and shard-parity checks).
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

/**
 * Throws naming the first differing or missing file. `pathIn`: a text file may differ only by
 * naming path `[0]` under `a` where it names `[1]` under `b` (reports that record their inputs'
 * absolute paths, compared across two stores).
 */
export async function assertSameTree(
  a: string,
  b: string,
  o: { pathIn?: [string, string] } = {},
): Promise<number> {
  const fa = await files(a), fb = await files(b);
  const onlyA = fa.filter((f) => !fb.includes(f)), onlyB = fb.filter((f) => !fa.includes(f));
  if (onlyA.length || onlyB.length) {
    throw new Error(
      `${a} vs ${b}: only in the first: ${onlyA.join(", ") || "-"}; only in the second: ${
        onlyB.join(", ") || "-"
      }`,
    );
  }
  for (const f of fa) {
    const x = await Deno.readFile(join(a, f)), y = await Deno.readFile(join(b, f));
    const differ = (x.length !== y.length || x.some((v, i) => v !== y[i])) &&
      !(o.pathIn && sameUpToPath(x, y, o.pathIn));
    if (differ) {
      throw new Error(
        `${f} differs: ${join(a, f)} (${x.length} B) vs ${join(b, f)} (${y.length} B)`,
      );
    }
  }
  return fa.length;
}

function sameUpToPath(x: Uint8Array, y: Uint8Array, [from, to]: [string, string]): boolean {
  const dec = new TextDecoder("utf-8", { fatal: true });
  try {
    return dec.decode(x).replaceAll(from, to) === dec.decode(y);
  } catch {
    return false; // not text
  }
}
