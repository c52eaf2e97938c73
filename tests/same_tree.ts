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

/** Throws naming the first differing or missing file. */
export async function assertSameTree(a: string, b: string): Promise<number> {
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
    if (x.length !== y.length || x.some((v, i) => v !== y[i])) {
      throw new Error(
        `${f} differs: ${join(a, f)} (${x.length} B) vs ${join(b, f)} (${y.length} B)`,
      );
    }
  }
  return fa.length;
}
