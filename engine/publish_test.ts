import { join } from "node:path";
import { LEDGER_NAME, publishDir, REPLACED_DIR } from "./publish.ts";
import { assert, assertEquals } from "../tests/assert.ts";

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "srm_pub_src_" });
  for (const [rel, text] of Object.entries(files)) {
    await Deno.mkdir(join(dir, rel, ".."), { recursive: true });
    await Deno.writeTextFile(join(dir, rel), text);
    await Deno.chmod(join(dir, rel), 0o444); // committed store objects are read-only
  }
  return dir;
}

const read = (p: string) => Deno.readTextFile(p);

Deno.test("publishDir: copies (not links), re-publishes nothing when unchanged, keeps user files", async () => {
  const src = await tree({ "a_PS.csv": "1\t2\n", "AllPeaks_PS.bin": "bin", "sub/x.npy": "x" });
  const dest = join(await Deno.makeTempDir(), "Temp");
  await Deno.mkdir(dest);
  await Deno.writeTextFile(join(dest, "notes.txt"), "mine");
  const r1 = await publishDir(src, dest);
  assertEquals(r1.copied.length, 3);
  assertEquals(await read(join(dest, "sub/x.npy")), "x");
  const st = await Deno.lstat(join(dest, "a_PS.csv"));
  assert(st.isFile && !st.isSymlink, "a regular file");
  assertEquals(st.mode! & 0o777, 0o644, "the user's copy is writable");
  // Editing the copy never reaches the store.
  await Deno.writeTextFile(join(dest, "a_PS.csv"), "edited");
  assertEquals(await read(join(src, "a_PS.csv")), "1\t2\n");
  await Deno.writeTextFile(join(dest, "a_PS.csv"), "1\t2\n");

  const r2 = await publishDir(src, dest);
  assertEquals([r2.copied.length, r2.unchanged, r2.movedAside.length], [0, 3, 0]);
  assertEquals(
    await read(join(dest, "notes.txt")),
    "mine",
    "a file srmidas did not write survives",
  );
});

Deno.test("publishDir: a foreign file in the way is moved aside, never overwritten", async () => {
  const src = await tree({ "f_PS.csv": "ours" });
  const dest = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dest, "f_PS.csv"), "MIDAS wrote this");
  const r = await publishDir(src, dest);
  assertEquals(r.movedAside.length, 1);
  assertEquals(await read(join(dest, "f_PS.csv")), "ours");
  assertEquals(await read(r.movedAside[0][1]), "MIDAS wrote this");
  assert(r.movedAside[0][1].includes(REPLACED_DIR));
  // A user's edit of a published file is theirs: the next publish keeps it aside too.
  await Deno.writeTextFile(join(dest, "f_PS.csv"), "user edit");
  const r2 = await publishDir(src, dest);
  assertEquals(await read(r2.movedAside[0][1]), "user edit");
  assertEquals(await read(join(dest, "f_PS.csv")), "ours");
});

Deno.test("publishDir: new content replaces ours; what other publishes left stays (and stays ours)", async () => {
  const dest = await Deno.makeTempDir();
  await publishDir(await tree({ "a": "1", "single.npy": "s" }), dest);
  const r = await publishDir(await tree({ "a": "1 new", "cascade.npy": "c" }), dest);
  assertEquals(r.movedAside.length, 0, "our own older version is replaced in place");
  assertEquals(await read(join(dest, "a")), "1 new");
  assertEquals(await read(join(dest, "single.npy")), "s", "an earlier publish's file stays");
  const ledger = JSON.parse(await read(join(dest, LEDGER_NAME)));
  assertEquals(Object.keys(ledger.files).sort(), ["a", "cascade.npy", "single.npy"]);
  const again = await publishDir(await tree({ "single.npy": "s2" }), dest);
  assertEquals([again.copied.length, again.movedAside.length], [1, 0], "still replaceable");
});

Deno.test("publishDir: a publish killed half-way is completed by the next one, no torn or foreign files", async () => {
  const src = await tree({ "a": "A".repeat(1000), "b": "B".repeat(1000) });
  const dest = await Deno.makeTempDir();
  await publishDir(await tree({ "a": "old a", "b": "old b" }), dest);
  // The state a kill -9 leaves: the ledger already lists the new digests, 'a' was renamed into
  // place, 'b' is still a temporary next to the old 'b'.
  const ledgerPath = join(dest, LEDGER_NAME);
  const ledger = JSON.parse(await read(ledgerPath));
  await publishDir(src, join(await Deno.makeTempDir(), "scratch")); // digests of the new files
  const { sha256File } = await import("./hash.ts");
  for (const rel of ["a", "b"]) ledger.files[rel].written.push(await sha256File(join(src, rel)));
  await Deno.writeTextFile(ledgerPath, JSON.stringify(ledger));
  await Deno.copyFile(join(src, "a"), join(dest, "a"));
  await Deno.writeTextFile(join(dest, "b.srmidas-tmp-99999"), "B".repeat(10));
  const r = await publishDir(src, dest);
  assertEquals(r.movedAside.length, 0, "our own half-published file is not foreign");
  assertEquals(await read(join(dest, "a")), await read(join(src, "a")));
  assertEquals(await read(join(dest, "b")), await read(join(src, "b")));
  const names = [...Deno.readDirSync(dest)].map((e) => e.name).sort();
  assertEquals(names, [LEDGER_NAME, "a", "b"], "no temporaries left");
});

Deno.test("publishDir: a single file publishes to a file path", async () => {
  const src = await tree({ "model.onnx": "onnx" });
  const dest = join(await Deno.makeTempDir(), "deep", "m.onnx");
  const r = await publishDir(join(src, "model.onnx"), dest);
  assertEquals(r.copied, [dest]);
  assertEquals(await read(dest), "onnx");
});
