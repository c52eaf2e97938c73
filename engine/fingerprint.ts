/**
 * Code fingerprints: the digest of a module and every local module it imports, transitively.
 *
 * A step's cache key includes this, so editing `steps/train.ts` or a library it uses
 * invalidates exactly the steps that run that code. Remote (`npm:`) imports are pinned by
 * deno.json and covered by the runtime versions in the key instead.
 *
 * @example
 * ```ts
 * import { codeFingerprint } from "./fingerprint.ts";
 * const fp = await codeFingerprint(new URL("./step.ts", import.meta.url).href);
 * fp.files; // { "engine/step.ts": "…" }
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

/** Per-file digests (paths relative to `root`) and one combined digest. */
export interface CodeFingerprint {
  digest: string;
  files: Record<string, string>;
}

// Static `import … from "x"`, `export … from "x"`, dynamic `import("x")` and `new URL("x", import.meta.url)`
// with a relative specifier. Regex over source is enough: we only need the local module graph.
const SPECIFIER =
  /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|new\s+URL\s*\(\s*)["'](\.{1,2}\/[^"']+)["']/g;

const memo = new Map<string, Promise<string>>();

function readSource(path: string): Promise<string> {
  let p = memo.get(path);
  if (!p) {
    p = Deno.readTextFile(path);
    memo.set(path, p);
  }
  return p;
}

/**
 * Fingerprints `moduleUrl` (a `file:` URL) and its local import tree. `root` makes the
 * reported paths relative (defaults to the directory containing deno.json above the module).
 */
export async function codeFingerprint(moduleUrl: string, root?: string): Promise<CodeFingerprint> {
  const start = fromFileUrl(moduleUrl);
  const base = root ?? await findRoot(dirname(start));
  const seen = new Set<string>();
  const stack = [start];
  const files: Record<string, string> = {};
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    let text: string;
    try {
      text = await readSource(file);
    } catch (e) {
      throw new Error(
        `code fingerprint: cannot read ${file} (imported from the tree of ${start}): ${e}`,
      );
    }
    files[relative(base, file)] = createHash("sha256").update(text).digest("hex");
    for (const m of text.matchAll(SPECIFIER)) {
      const target = resolve(dirname(file), m[1]);
      if (/\.(ts|js|mjs|tsx|json)$/.test(target)) stack.push(target);
    }
  }
  const sorted = Object.keys(files).sort();
  const digest = createHash("sha256").update(sorted.map((k) => `${k}\t${files[k]}`).join("\n"))
    .digest("hex");
  return { digest, files: Object.fromEntries(sorted.map((k) => [k, files[k]])) };
}

async function findRoot(dir: string): Promise<string> {
  let d = dir;
  while (true) {
    try {
      await Deno.stat(resolve(d, "deno.json"));
      return d;
    } catch {
      const up = dirname(d);
      if (up === d) return dir;
      d = up;
    }
  }
}

/** Forgets memoized file contents (tests that edit code between runs in one process). */
export function clearFingerprintMemo(): void {
  memo.clear();
}
