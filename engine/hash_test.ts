import { join } from "node:path";
import { assert, assertEquals } from "../tests/assert.ts";
import { DigestCache, digestPath, sha256File } from "./hash.ts";

Deno.test("file digest equals sha256 of the bytes; the stat fast path skips unchanged files", async () => {
  const dir = await Deno.makeTempDir();
  const f = join(dir, "a.bin");
  await Deno.writeFile(f, new TextEncoder().encode("abc"));
  assertEquals(
    await sha256File(f),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  const cache = await DigestCache.load(join(dir, "digests.json"));
  const d1 = await digestPath(f, cache);
  await digestPath(f, cache);
  assertEquals(cache.filesRead, 1, "second digest served from the stat cache");
  await cache.save();
  const reloaded = await DigestCache.load(join(dir, "digests.json"));
  assertEquals(await digestPath(f, reloaded), d1);
  assertEquals(reloaded.filesRead, 0, "persisted cache is used across runs");
  await new Promise((r) => setTimeout(r, 10));
  await Deno.writeFile(f, new TextEncoder().encode("abd"));
  assert((await digestPath(f, reloaded)) !== d1, "a changed file is re-read");
});

Deno.test("directory digest changes with any content or name change, not with creation order", async () => {
  const mk = async (files: [string, string][]) => {
    const d = await Deno.makeTempDir();
    for (const [n, t] of files) {
      await Deno.mkdir(join(d, n, ".."), { recursive: true });
      await Deno.writeTextFile(join(d, n), t);
    }
    return digestPath(d);
  };
  const a = await mk([["x.txt", "1"], ["sub/y.txt", "2"]]);
  assertEquals(await mk([["sub/y.txt", "2"], ["x.txt", "1"]]), a);
  assert((await mk([["x.txt", "1"], ["sub/y.txt", "3"]])) !== a);
  assert((await mk([["x.txt", "1"], ["sub/z.txt", "2"]])) !== a);
});
