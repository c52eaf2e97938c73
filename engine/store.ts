/**
 * The content-addressed output store (`.srmidas/` by default).
 *
 * ```
 * objects/<key>/            committed outputs of one step execution + manifest.json
 * staging/<key>.<run>/      where a running step writes; renamed into objects/ on success
 * checkpoints/<key>/        survives failures and kills; a re-run of the same key resumes from it
 * locks/<key>.lock          one writer per key across processes (concurrent runs are safe)
 * records/<workflow>/<id>.json  the key parts last used for a workflow step (for `why`)
 * records/<workflow>/<id>.keys   every key that step committed or restored, one JSON line each (gc)
 * roots/<hash>.json         one link directory (`out/…`) and the keys its links point at (gc)
 * published/<dest-hash>.json  which key was last published to a user folder (gc keeps it)
 * logs/<run>.jsonl          the event log of each run
 * digests.json              the (size, mtime, inode) → digest fast path
 * ```
 *
 * A committed object is only ever created by `rename` of a complete staging directory, so a
 * crash leaves either nothing or a whole, manifest-carrying output. Once committed it is made
 * read-only (files 0444, directories 0555) and its manifest records each file's size, mtime and
 * SHA-256, so a restore from cache can check what it hands back ({@link Store.restorable}).
 * @module
 */
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { join, relative, resolve } from "node:path";
import { type DigestCache, digestPath, listFiles, sha256File } from "./hash.ts";
import type { KeyParts } from "./key.ts";
import { tempPathBeside, tempWriter } from "./temp_name.ts";

/** Size, mtime and content digest of one committed file (the restore check's reference). */
export interface FileStamp {
  size: number;
  mtimeMs: number;
  sha256: string;
}

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
  /** Every file of the object but manifest.json, by path relative to the object (absent in old stores). */
  files?: Record<string, FileStamp>;
}

/** Who holds a lock: written into the lock file. */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  at: string;
  /** Linux: the holder's start time in clock ticks since boot (/proc/<pid>/stat field 22). */
  start?: number;
}

/** What {@link Store.gc} removed (or would remove, with `dryRun`). */
export interface GcReport {
  objects: string[];
  staging: string[];
  checkpoints: string[];
  /**
   * What killed runs left besides those: lock files of dead holders and half-written
   * temporaries (engine/temp_name.ts), by path relative to the store.
   */
  leftovers: string[];
  bytes: number;
  /** Bytes per category, for the summary line. */
  sizes: { objects: number; staging: number; checkpoints: number };
  /** Objects kept and why (a key may have several reasons). */
  kept: Map<string, string[]>;
}

/** Options of {@link Store.gc}. */
export interface GcOptions {
  dryRun?: boolean;
  /** Keys kept per workflow step: the last N distinct ones it committed or restored (default 1). */
  keepLast?: number;
}

/** A lock is taken over when its holder has not touched it for this long (hosts without /proc). */
export const LOCK_STALE_MS = 120_000;
const LOCK_HEARTBEAT_MS = 15_000;

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

  /** Drops a failed attempt's staging dir, and its checkpoint dir when nothing was saved there. */
  async discardAttempt(key: string, runId: string): Promise<void> {
    await removeTree(join(this.root, "staging", `${key}.${runId}`)).catch(() => {});
    await Deno.remove(this.checkpointDir(key)).catch(() => {}); // only succeeds when empty
  }

  /**
   * Commits a staging directory as `key` by an atomic rename, after writing its manifest.
   * If another process committed the same key first, ours is discarded (same key ⇒ same result).
   */
  async commit(stagingDir: string, manifest: Manifest, digests?: DigestCache): Promise<void> {
    manifest.files = await stampFiles(stagingDir, digests);
    await Deno.writeTextFile(join(stagingDir, "manifest.json"), JSON.stringify(manifest, null, 2));
    try {
      await Deno.rename(stagingDir, this.objectDir(manifest.key));
    } catch (e) {
      if (await this.manifest(manifest.key)) {
        await Deno.remove(stagingDir, { recursive: true });
      } else throw e;
    }
    await setTreeMode(this.objectDir(manifest.key), "read-only");
    await Deno.remove(this.checkpointDir(manifest.key), { recursive: true }).catch(() => {});
  }

  /**
   * Checks a committed object against its manifest: the same files, each with its recorded size
   * and mtime (fast path) or, when those differ or `full` is set, its recorded SHA-256.
   * Returns the problems found (empty = intact); objects from before `files` was recorded are
   * checked against their output digests.
   */
  async verifyObject(key: string, opts: { full?: boolean } = {}): Promise<string[]> {
    const dir = this.objectDir(key);
    let m: Manifest;
    try {
      m = JSON.parse(await Deno.readTextFile(join(dir, "manifest.json")));
    } catch (e) {
      return [`manifest.json unreadable (${(e as Error).message})`];
    }
    if (m.key !== key) return [`manifest.json is for key ${m.key}`];
    const problems: string[] = [];
    if (!m.files) {
      for (const [port, o] of Object.entries(m.outputs)) {
        const d = await digestPath(join(dir, o.path)).catch(() => "missing");
        if (d !== o.digest) problems.push(`output '${port}' (${o.path}): content changed`);
      }
      return problems;
    }
    const present = new Set<string>();
    for (const f of await listFiles(dir).catch(() => [] as string[])) {
      const rel = relative(dir, f);
      if (rel !== "manifest.json") present.add(rel);
    }
    for (const [rel, want] of Object.entries(m.files)) {
      if (!present.delete(rel)) {
        problems.push(`${rel}: missing`);
        continue;
      }
      const st = await Deno.stat(join(dir, rel));
      const same = st.size === want.size && (st.mtime?.getTime() ?? 0) === want.mtimeMs;
      if (same && !opts.full) continue;
      if (st.size !== want.size) {
        problems.push(`${rel}: size ${st.size} bytes, committed ${want.size}`);
      } else if (await sha256File(join(dir, rel)) !== want.sha256) {
        problems.push(`${rel}: content changed since commit`);
      }
    }
    for (const rel of present) problems.push(`${rel}: not part of the committed object`);
    return problems;
  }

  /**
   * The manifest of `key` if its object is intact (what a cache hit may hand back). A damaged
   * object is moved out of `objects/` (into staging/, which gc clears) after `onDamaged` is told
   * what is wrong, and undefined is returned so the caller re-runs the step.
   */
  async restorable(
    key: string,
    onDamaged?: (problems: string[]) => void,
  ): Promise<Manifest | undefined> {
    const m = await this.manifest(key);
    if (!m) return undefined;
    const problems = await this.verifyObject(key);
    if (problems.length === 0) return m;
    onDamaged?.(problems);
    const aside = join(this.root, "staging", `${key}.damaged-${Deno.pid}-${Date.now()}`);
    await setTreeMode(this.objectDir(key), "writable").catch(() => {});
    await Deno.rename(this.objectDir(key), aside).catch(() => {});
    await Deno.remove(aside, { recursive: true }).catch(() => {});
    return undefined;
  }

  /** Checks every committed object (full digests unless `fast`); key → problems, damaged only. */
  async verify(opts: { fast?: boolean } = {}): Promise<Map<string, string[]>> {
    const bad = new Map<string, string[]>();
    for (const key of await this.keys()) {
      const p = await this.verifyObject(key, { full: !opts.fast });
      if (p.length) bad.set(key, p);
    }
    return bad;
  }

  /**
   * Takes the per-key lock, waiting while a live process holds it. The lock file names the
   * holder (pid, host, process start time); a holder that died (kill -9), or whose pid now
   * belongs to another process, is taken over at once on this host; a lock from another host, or
   * on a system without /proc, is taken over when its holder stopped touching it (heartbeat every
   * 15 s, stale after {@link LOCK_STALE_MS}). `onWait` is told once who holds it. Returns a
   * release function.
   */
  async lock(
    key: string,
    signal?: AbortSignal,
    onWait?: (holder: LockHolder) => void,
  ): Promise<() => Promise<void>> {
    const path = join(this.root, "locks", `${key}.lock`);
    const holder: LockHolder = {
      pid: Deno.pid,
      host: hostname(),
      at: new Date().toISOString(),
      start: await processStartTime(Deno.pid),
    };
    let delay = 20;
    let told = false;
    while (true) {
      signal?.throwIfAborted();
      try {
        const f = await Deno.open(path, { createNew: true, write: true });
        await f.write(new TextEncoder().encode(JSON.stringify(holder)));
        f.close();
        const beat = setInterval(() => {
          const now = new Date();
          Deno.utime(path, now, now).catch(() => {});
        }, LOCK_HEARTBEAT_MS);
        Deno.unrefTimer(beat);
        return async () => {
          clearInterval(beat);
          await Deno.remove(path).catch(() => {});
        };
      } catch (e) {
        if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      }
      if (await this.#lockIsStale(path)) {
        await Deno.remove(path).catch(() => {});
        continue;
      }
      if (!told && onWait) {
        const h = await readLock(path);
        if (h) {
          told = true;
          onWait(h);
        }
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 250);
    }
  }

  /** Who holds the key's lock, when a live process does (a run is computing the key now). */
  async lockHolder(key: string): Promise<LockHolder | undefined> {
    const path = join(this.root, "locks", `${key}.lock`);
    if (await this.#lockIsStale(path)) return undefined;
    return await readLock(path);
  }

  async #lockIsStale(path: string): Promise<boolean> {
    const h = await readLock(path);
    let age: number;
    try {
      age = Date.now() - ((await Deno.stat(path)).mtime?.getTime() ?? 0);
    } catch {
      return false; // gone already: the next create decides
    }
    // Unreadable: a writer between create and write, or a torn file. Age decides.
    if (!h) return age > 5000;
    if (h.host === hostname() && Deno.build.os === "linux") {
      if (!(await processAlive(h.pid))) return true;
      // Same pid, different start time: the pid was reused by an unrelated process.
      const start = await processStartTime(h.pid);
      return h.start !== undefined && start !== undefined && start !== h.start;
    }
    return age > LOCK_STALE_MS;
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
    const tmp = tempPathBeside(p);
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

  /** Saves the step's last key parts (for `why`) and appends the key to its history (for gc). */
  async writeRecord(workflow: string, stepId: string, rec: StepRecord): Promise<void> {
    const p = this.recordPath(workflow, stepId);
    await Deno.mkdir(join(p, ".."), { recursive: true });
    const tmp = tempPathBeside(p);
    await Deno.writeTextFile(tmp, JSON.stringify(rec, null, 2));
    await Deno.rename(tmp, p);
    const line = JSON.stringify({ key: rec.key, at: rec.at }) + "\n";
    await Deno.writeTextFile(p.replace(/\.json$/, ".keys"), line, { append: true });
  }

  /**
   * Remembers that `linkDir`'s links point at these keys (stepId → key), so gc keeps what the
   * user's `out/` folders show. One file per link directory, replaced on each run.
   */
  async recordLinks(linkDir: string, links: Map<string, string>): Promise<void> {
    const dir = resolve(linkDir);
    const p = join(
      this.root,
      "roots",
      `${createHash("sha256").update(dir).digest("hex").slice(0, 16)}.json`,
    );
    let prev: Record<string, string> = {};
    try {
      prev = JSON.parse(await Deno.readTextFile(p)).links ?? {};
    } catch { /* first run into this folder */ }
    await Deno.mkdir(join(this.root, "roots"), { recursive: true });
    const tmp = tempPathBeside(p);
    const rec = {
      dir,
      links: { ...prev, ...Object.fromEntries(links) },
      at: new Date().toISOString(),
    };
    await Deno.writeTextFile(tmp, JSON.stringify(rec, null, 2));
    await Deno.rename(tmp, p);
  }

  /**
   * Keys users still hold: the link directories' links that still point into this store (a link
   * replaced or deleted holds nothing) and `published/*.json` entries. Key → reasons.
   */
  async heldKeys(): Promise<Map<string, string[]>> {
    const held = new Map<string, string[]>();
    const hold = (key: string, why: string) => held.set(key, [...(held.get(key) ?? []), why]);
    for await (const e of readDirSafe(join(this.root, "roots"))) {
      if (!e.name.endsWith(".json")) continue;
      let rec: { dir: string; links: Record<string, string> };
      try {
        rec = JSON.parse(await Deno.readTextFile(join(this.root, "roots", e.name)));
      } catch {
        continue;
      }
      for (const [id, key] of Object.entries(rec.links ?? {})) {
        const link = join(rec.dir, id);
        const target = await Deno.readLink(link).catch(() => undefined);
        if (target && resolve(rec.dir, target) === resolve(this.objectDir(key))) {
          hold(key, `linked from ${link}`);
        }
      }
    }
    for await (const e of readDirSafe(join(this.root, "published"))) {
      if (!e.name.endsWith(".json")) continue;
      try {
        const key = JSON.parse(await Deno.readTextFile(join(this.root, "published", e.name))).key;
        if (typeof key === "string") hold(key, `published (${e.name})`);
      } catch { /* a torn publication record holds nothing */ }
    }
    return held;
  }

  async readRecord(workflow: string, stepId: string): Promise<StepRecord | undefined> {
    try {
      return JSON.parse(await Deno.readTextFile(this.recordPath(workflow, stepId)));
    } catch {
      return undefined;
    }
  }

  /**
   * Keys referenced by step records: per workflow step, its last record plus the last `keepLast`
   * distinct keys of its history (default 1, the most recent run).
   */
  async referencedKeys(keepLast = 1): Promise<Set<string>> {
    const keys = new Set<string>();
    for await (const wf of readDirSafe(join(this.root, "records"))) {
      if (!wf.isDirectory) continue;
      for await (const f of readDirSafe(join(this.root, "records", wf.name))) {
        const p = join(this.root, "records", wf.name, f.name);
        if (f.name.endsWith(".json")) {
          try {
            keys.add((JSON.parse(await Deno.readTextFile(p)) as StepRecord).key);
          } catch { /* a torn record references nothing */ }
        } else if (f.name.endsWith(".keys")) {
          const lines = (await Deno.readTextFile(p)).split("\n").filter((l) => l.trim());
          const recent = new Set<string>();
          for (let i = lines.length - 1; i >= 0 && recent.size < keepLast; i--) {
            try {
              recent.add(JSON.parse(lines[i]).key);
            } catch { /* a torn last line */ }
          }
          for (const k of recent) keys.add(k);
        }
      }
    }
    return keys;
  }

  /** Staging and checkpoint directories no live process is using: name → bytes. */
  async abandoned(): Promise<{ staging: Map<string, number>; checkpoints: Map<string, number> }> {
    const out = { staging: new Map<string, number>(), checkpoints: new Map<string, number>() };
    for (const kind of ["staging", "checkpoints"] as const) {
      for await (const e of readDirSafe(join(this.root, kind))) {
        const key = e.name.split(".")[0];
        if (await this.#keyLocked(key)) continue;
        out[kind].set(e.name, await duBytes(join(this.root, kind, e.name)));
      }
    }
    return out;
  }

  async #keyLocked(key: string): Promise<boolean> {
    const lockPath = join(this.root, "locks", `${key}.lock`);
    try {
      await Deno.stat(lockPath);
    } catch {
      return false;
    }
    return !(await this.#lockIsStale(lockPath));
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
   * Removes objects nobody holds, and abandoned staging and checkpoint directories (their key is
   * not locked by a live process). Kept: the last `keepLast` keys of every workflow step (cli
   * runs are workflows `cli-<step>`), keys linked from a recorded `out/` folder, published keys.
   * A checkpoint is what lets a failed run resume, so gc'ing it means that run starts over.
   * Also removed: lock files whose holder is gone and temporaries of killed runs ({@link
   * Store.leftovers}).
   */
  async gc(opts: GcOptions = {}): Promise<GcReport> {
    const kept = new Map<string, string[]>();
    for (const k of await this.referencedKeys(opts.keepLast ?? 1)) kept.set(k, ["recent run"]);
    for (const [k, why] of await this.heldKeys()) kept.set(k, [...(kept.get(k) ?? []), ...why]);
    const r: GcReport = {
      objects: [],
      staging: [],
      checkpoints: [],
      leftovers: [],
      bytes: 0,
      sizes: { objects: 0, staging: 0, checkpoints: 0 },
      kept: new Map(),
    };
    for (const key of await this.keys()) {
      if (kept.has(key)) {
        r.kept.set(key, kept.get(key)!);
        continue;
      }
      r.objects.push(key);
      r.sizes.objects += await duBytes(this.objectDir(key));
      if (!opts.dryRun) await removeTree(this.objectDir(key));
    }
    const ab = await this.abandoned();
    for (const kind of ["staging", "checkpoints"] as const) {
      for (const [name, bytes] of ab[kind]) {
        r[kind].push(name);
        r.sizes[kind] += bytes;
        if (!opts.dryRun) await removeTree(join(this.root, kind, name));
      }
    }
    r.bytes = r.sizes.objects + r.sizes.staging + r.sizes.checkpoints;
    for (const rel of await this.leftovers()) {
      r.leftovers.push(rel);
      if (!opts.dryRun) await Deno.remove(join(this.root, rel)).catch(() => {});
    }
    return r;
  }

  /**
   * Files a run killed with `kill -9` leaves that no later run removes: the lock of a key it
   * held when the next run found that key committed already (a cache hit takes no lock), and the
   * temporaries of records, roots, publication records and the digest cache (each written, then
   * renamed over its file; engine/temp_name.ts). A temporary is abandoned when its writer was a
   * process of this host that is gone, or when it is older than {@link LOCK_STALE_MS} (another
   * host's, or from a version whose names did not say whose it was). Paths relative to the store.
   */
  async leftovers(): Promise<string[]> {
    const out: string[] = [];
    for await (const e of readDirSafe(join(this.root, "locks"))) {
      if (e.name.endsWith(".lock") && await this.#lockIsStale(join(this.root, "locks", e.name))) {
        out.push(join("locks", e.name));
      }
    }
    const dirs = ["", "roots", "published"];
    for await (const wf of readDirSafe(join(this.root, "records"))) {
      if (wf.isDirectory) dirs.push(join("records", wf.name));
    }
    for (const dir of dirs) {
      for await (const e of readDirSafe(join(this.root, dir))) {
        if (!e.isFile || !e.name.endsWith(".tmp")) continue;
        const w = tempWriter(e.name);
        const gone = w !== undefined && w.host === hostname() && Deno.build.os === "linux" &&
          !(await processAlive(w.pid));
        const st = await Deno.stat(join(this.root, dir, e.name)).catch(() => undefined);
        if (gone || Date.now() - (st?.mtime?.getTime() ?? Date.now()) > LOCK_STALE_MS) {
          out.push(join(dir, e.name));
        }
      }
    }
    return out.sort();
  }
}

/** Per-file stamps of a directory about to be committed (manifest.json excluded). */
async function stampFiles(dir: string, digests?: DigestCache): Promise<Record<string, FileStamp>> {
  const out: Record<string, FileStamp> = {};
  for (const f of await listFiles(dir)) {
    const rel = relative(dir, f);
    if (rel === "manifest.json") continue;
    const st = await Deno.stat(f);
    const sha256 = digests ? await digests.fileDigest(f, st) : await sha256File(f);
    out[rel] = { size: st.size, mtimeMs: st.mtime?.getTime() ?? 0, sha256 };
  }
  return out;
}

/**
 * Makes a tree read-only (files 0444, directories 0555) or writable again (0644 / 0755).
 * Symlinks are left alone (chmod would follow them out of the tree).
 */
export async function setTreeMode(path: string, mode: "read-only" | "writable"): Promise<void> {
  if (Deno.build.os === "windows") return;
  const st = await Deno.lstat(path);
  if (st.isSymlink) return;
  if (!st.isDirectory) {
    await Deno.chmod(path, mode === "read-only" ? 0o444 : 0o644);
    return;
  }
  // Writable before descending (to list and later remove), read-only after (children first).
  if (mode === "writable") await Deno.chmod(path, 0o755);
  for await (const e of Deno.readDir(path)) await setTreeMode(join(path, e.name), mode);
  if (mode === "read-only") await Deno.chmod(path, 0o555);
}

/** Removes a tree, first making it writable (committed objects are read-only). */
export async function removeTree(path: string): Promise<void> {
  await setTreeMode(path, "writable").catch(() => {});
  await Deno.remove(path, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
}

async function readLock(path: string): Promise<LockHolder | undefined> {
  try {
    const h = JSON.parse(await Deno.readTextFile(path));
    return typeof h?.pid === "number" && typeof h?.host === "string" ? h : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Start time of a local process in clock ticks since boot (/proc/<pid>/stat field 22), which
 * with the pid identifies a process across pid reuse; undefined off Linux or when it is gone.
 */
export async function processStartTime(pid: number): Promise<number | undefined> {
  if (Deno.build.os !== "linux") return undefined;
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    // Fields after the parenthesised command name (which may hold spaces) start at field 3.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(rest[22 - 3]);
  } catch {
    return undefined;
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

/** Whether a local process id is alive (Linux /proc; elsewhere assume alive: locks use heartbeats). */
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
