/**
 * The content-addressed output store (`.srmidas/` by default).
 *
 * ```
 * objects/<key>/            committed outputs of one step execution + manifest.json
 * staging/<key>.<run>/      where a running step writes; renamed into objects/ on success
 * checkpoints/<key>/        survives failures and kills; a re-run of the same key resumes from it
 * locks/<key>.lock          one writer per key across processes (concurrent runs are safe)
 * records/<workflow>/<id>.json  the key parts last used for a workflow step (for `why`, `gc`)
 * published/<dest-hash>.json    which key was last published to a user folder (a gc root)
 * logs/<run>.jsonl          the event log of each run
 * digests.json              the (size, mtime, inode) → digest fast path
 * ```
 *
 * A committed object is only ever created by `rename` of a complete staging directory, so a
 * crash leaves either nothing or a whole, manifest-carrying output.
 * @module
 */
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import type { KeyParts } from "./key.ts";

/** What a committed object records about how it was made. */
export interface Manifest {
  key: string;
  stepId: string;
  workflow: string;
  parts: KeyParts;
  outputs: Record<string, { path: string; kind: string; digest: string }>;
  host: string;
  pid: number;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Which executor ran it and where (e.g. `{ name: "slurm", jobIds: ["42"] }`); not in the key. */
  executor?: { name: string; [k: string]: unknown };
}

/** The last key parts used for a workflow step (what `why` compares against). */
export interface StepRecord {
  key: string;
  parts: KeyParts;
  at: string;
}

/** Filesystem layout and primitives of a store directory. */
export class Store {
  readonly root: string;
  constructor(root: string) {
    this.root = root;
  }

  /** Creates the store directories if needed. */
  async init(): Promise<this> {
    for (const d of ["objects", "staging", "checkpoints", "locks", "records", "logs"]) {
      await Deno.mkdir(join(this.root, d), { recursive: true });
    }
    return this;
  }

  objectDir(key: string): string {
    return join(this.root, "objects", key);
  }
  checkpointDir(key: string): string {
    return join(this.root, "checkpoints", key);
  }
  get digestCachePath(): string {
    return join(this.root, "digests.json");
  }
  logPath(runId: string): string {
    return join(this.root, "logs", `${runId}.jsonl`);
  }

  /** The manifest of a committed object, or undefined when the key is not committed. */
  async manifest(key: string): Promise<Manifest | undefined> {
    try {
      return JSON.parse(await Deno.readTextFile(join(this.objectDir(key), "manifest.json")));
    } catch {
      return undefined;
    }
  }

  /** A fresh, empty staging directory for one attempt at `key`. */
  async staging(key: string, runId: string): Promise<string> {
    const dir = join(this.root, "staging", `${key}.${runId}`);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.mkdir(dir, { recursive: true });
    return dir;
  }

  /**
   * Commits a staging directory as `key` by an atomic rename, after writing its manifest.
   * If another process committed the same key first, ours is discarded (same key ⇒ same result).
   */
  async commit(stagingDir: string, manifest: Manifest): Promise<void> {
    await Deno.writeTextFile(join(stagingDir, "manifest.json"), JSON.stringify(manifest, null, 2));
    try {
      await Deno.rename(stagingDir, this.objectDir(manifest.key));
    } catch (e) {
      if (await this.manifest(manifest.key)) {
        await Deno.remove(stagingDir, { recursive: true });
      } else throw e;
    }
    await Deno.remove(this.checkpointDir(manifest.key), { recursive: true }).catch(() => {});
  }

  /**
   * Takes the per-key lock, waiting while a live process holds it. A lock left by a dead
   * process on this host (kill -9) is taken over. Returns a release function.
   */
  async lock(key: string, signal?: AbortSignal): Promise<() => Promise<void>> {
    const path = join(this.root, "locks", `${key}.lock`);
    const me = JSON.stringify({ pid: Deno.pid, host: hostname(), at: new Date().toISOString() });
    let delay = 20;
    while (true) {
      signal?.throwIfAborted();
      try {
        const f = await Deno.open(path, { createNew: true, write: true });
        await f.write(new TextEncoder().encode(me));
        f.close();
        return async () => {
          await Deno.remove(path).catch(() => {});
        };
      } catch (e) {
        if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      }
      if (await this.#lockIsStale(path)) {
        await Deno.remove(path).catch(() => {});
        continue;
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 250);
    }
  }

  async #lockIsStale(path: string): Promise<boolean> {
    try {
      const { pid, host } = JSON.parse(await Deno.readTextFile(path));
      if (host !== hostname()) return false; // another machine on a shared FS: trust it
      return !(await processAlive(pid));
    } catch {
      // Unreadable: a writer between create and write, or a torn file. Age decides.
      try {
        const st = await Deno.stat(path);
        return Date.now() - (st.mtime?.getTime() ?? 0) > 5000;
      } catch {
        return false;
      }
    }
  }

  /**
   * Notes that a key's outputs were published to `dest` (one file per destination, replaced by
   * the next publish there): `published/*.json`, which gc keeps as roots.
   */
  async recordPublished(
    rec: { dest: string; key: string; stepId: string; workflow: string },
  ): Promise<void> {
    const dir = join(this.root, "published");
    await Deno.mkdir(dir, { recursive: true });
    const name = createHash("sha256").update(rec.dest).digest("hex").slice(0, 32);
    const p = join(dir, `${name}.json`);
    const tmp = `${p}.${Deno.pid}.tmp`;
    await Deno.writeTextFile(
      tmp,
      JSON.stringify({ ...rec, at: new Date().toISOString() }, null, 2),
    );
    await Deno.rename(tmp, p);
  }

  recordPath(workflow: string, stepId: string): string {
    return join(
      this.root,
      "records",
      encodeURIComponent(workflow),
      `${encodeURIComponent(stepId)}.json`,
    );
  }

  async writeRecord(workflow: string, stepId: string, rec: StepRecord): Promise<void> {
    const p = this.recordPath(workflow, stepId);
    await Deno.mkdir(join(p, ".."), { recursive: true });
    const tmp = `${p}.${Deno.pid}.tmp`;
    await Deno.writeTextFile(tmp, JSON.stringify(rec, null, 2));
    await Deno.rename(tmp, p);
  }

  async readRecord(workflow: string, stepId: string): Promise<StepRecord | undefined> {
    try {
      return JSON.parse(await Deno.readTextFile(this.recordPath(workflow, stepId)));
    } catch {
      return undefined;
    }
  }

  /** Every key referenced by a step record. */
  async referencedKeys(): Promise<Set<string>> {
    const keys = new Set<string>();
    for await (const wf of readDirSafe(join(this.root, "records"))) {
      if (!wf.isDirectory) continue;
      for await (const f of readDirSafe(join(this.root, "records", wf.name))) {
        if (!f.name.endsWith(".json")) continue;
        try {
          const rec = JSON.parse(
            await Deno.readTextFile(join(this.root, "records", wf.name, f.name)),
          ) as StepRecord;
          keys.add(rec.key);
        } catch { /* a torn record references nothing */ }
      }
    }
    return keys;
  }

  /** Committed keys. */
  async keys(): Promise<string[]> {
    const out: string[] = [];
    for await (const e of readDirSafe(join(this.root, "objects"))) {
      if (e.isDirectory) out.push(e.name);
    }
    return out.sort();
  }

  /**
   * Removes objects no record references, checkpoints of committed or unreferenced keys, and
   * staging directories whose key is not locked by a live process. Returns what was removed.
   */
  async gc(
    opts: { dryRun?: boolean } = {},
  ): Promise<{ objects: string[]; staging: string[]; bytes: number }> {
    const keep = await this.referencedKeys();
    const removed = { objects: [] as string[], staging: [] as string[], bytes: 0 };
    for (const key of await this.keys()) {
      if (keep.has(key)) continue;
      removed.objects.push(key);
      removed.bytes += await duBytes(this.objectDir(key));
      if (!opts.dryRun) await Deno.remove(this.objectDir(key), { recursive: true });
    }
    for await (const e of readDirSafe(join(this.root, "staging"))) {
      const key = e.name.split(".")[0];
      const lockPath = join(this.root, "locks", `${key}.lock`);
      let locked = false;
      try {
        await Deno.stat(lockPath);
        locked = !(await this.#lockIsStale(lockPath));
      } catch { /* no lock */ }
      if (locked) continue;
      removed.staging.push(e.name);
      removed.bytes += await duBytes(join(this.root, "staging", e.name));
      if (!opts.dryRun) await Deno.remove(join(this.root, "staging", e.name), { recursive: true });
    }
    return removed;
  }
}

async function* readDirSafe(dir: string): AsyncIterable<Deno.DirEntry> {
  try {
    for await (const e of Deno.readDir(dir)) yield e;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/** Bytes below a path (files only). */
export async function duBytes(path: string): Promise<number> {
  const st = await Deno.lstat(path);
  if (!st.isDirectory) return st.size;
  let n = 0;
  for await (const e of Deno.readDir(path)) n += await duBytes(join(path, e.name));
  return n;
}

/** Whether a local process id is alive (Linux /proc; elsewhere assume alive). */
export async function processAlive(pid: number): Promise<boolean> {
  if (Deno.build.os !== "linux") return true;
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    // A zombie (state Z) has exited already.
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}
