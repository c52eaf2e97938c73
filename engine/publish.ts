/**
 * Publishing: copies of committed outputs in a user's directory (Nextflow's `publishDir`), so the
 * next program of a pipeline finds its files where it looks, while the store stays the source of
 * truth.
 *
 * Guarantees, file by file:
 * - **Copies, not links**: editing a published file can never change a cached result.
 * - **Atomic**: each file is copied to a temporary name beside its destination and renamed over
 *   it, so a reader (or a `kill -9`) never sees a torn file. Temporaries left by a killed publish
 *   are removed by the next one, which completes the job.
 * - **Nothing foreign is lost**: a ledger (`.srmidas-published.json` in the destination) records
 *   every digest srmidas wrote to each path. A file whose content srmidas did not write is never
 *   deleted or overwritten: if it is in the way it is moved to `.srmidas-replaced/<time>/` and the
 *   report says so; files at other paths are not touched.
 * - **Fast when nothing changed**: a destination whose (size, mtime) match the ledger's record of
 *   the digest being published is skipped without reading it; a cached re-run of a 1,440-frame
 *   scan re-publishes in milliseconds.
 * - Publishing only adds and replaces: several steps or runs may publish into one folder (sr-midas's
 *   `-saveDir` takes single and cascade predictions side by side), so a file an earlier publish
 *   left there stays, and stays replaceable as srmidas's own.
 *
 * @example
 * ```ts ignore
 * import { publishDir } from "./publish.ts";
 * const r = await publishDir("/store/objects/abc/peaks/Temp", "/data/scan1/Temp");
 * console.log(r.copied.length, r.unchanged, r.movedAside);
 * ```
 * @module
 */
import { dirname, join, relative } from "node:path";
import { DigestCache, listFiles } from "./hash.ts";

/** Where one output (or a folder inside it) is published. */
export interface PublishTarget {
  /** Output port of the step. */
  port: string;
  /** Path inside the output (a file or folder); the whole output when absent. */
  from?: string;
  /** Absolute destination: the folder (or file) that receives a copy. */
  to: string;
  /**
   * A step's own default (not asked for by the user): a destination inside the store is then
   * skipped with a warning instead of failing the run.
   */
  soft?: boolean;
}

/** What one publish did. */
export interface PublishReport {
  to: string;
  /** Destination paths written (new or changed content). */
  copied: string[];
  /** Files already identical at the destination. */
  unchanged: number;
  /** Foreign files that were in the way: `[original, backup]`. */
  movedAside: [string, string][];
}

/** The ledger kept in each destination folder. */
interface Ledger {
  version: 1;
  files: Record<string, LedgerEntry>;
}

interface LedgerEntry {
  /** Digest of the content srmidas last published here. */
  digest: string;
  size: number;
  mtimeMs: number;
  /** Every digest srmidas ever wrote at this path (newest last, bounded). */
  written: string[];
}

/** File name of the ledger in a destination folder. */
export const LEDGER_NAME = ".srmidas-published.json";
/** Folder (in a destination) that receives foreign files that were in the way. */
export const REPLACED_DIR = ".srmidas-replaced";
const TMP_MARK = ".srmidas-tmp-";
const HISTORY = 8;

async function readLedger(path: string): Promise<Ledger> {
  try {
    const l = JSON.parse(await Deno.readTextFile(path)) as Ledger;
    if (l && l.version === 1 && typeof l.files === "object") return l;
  } catch { /* missing or torn: start empty (files then compare by content) */ }
  return { version: 1, files: {} };
}

async function writeLedger(path: string, l: Ledger): Promise<void> {
  const tmp = `${path}${TMP_MARK}${Deno.pid}`;
  await Deno.writeTextFile(tmp, JSON.stringify(l));
  await Deno.rename(tmp, path);
}

// Synchronous stats: a re-publish of 1,440 files is mostly stats, and the sync call is ~5×
// cheaper than an async op round trip.
function statOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

const mtimeOf = (st: Deno.FileInfo) => st.mtime?.getTime() ?? 0;

/** Removes temporaries a killed publish left below `dir` (they are never complete results). */
async function removeTemporaries(dir: string): Promise<void> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isFile && e.name.includes(TMP_MARK)) await Deno.remove(p).catch(() => {});
    else if (e.isDirectory && e.name !== REPLACED_DIR) await removeTemporaries(p);
  }
}

/**
 * Publishes a copy of `src` (a committed file or folder) at `dest`. For a folder, `dest` is a
 * folder that receives the same relative paths; its ledger sits inside it. For a file, `dest` is
 * the file's path and the ledger sits beside it.
 */
export async function publishDir(
  src: string,
  dest: string,
  digests: DigestCache = new DigestCache(),
): Promise<PublishReport> {
  const srcStat = await Deno.stat(src);
  const destDir = srcStat.isDirectory ? dest : dirname(dest);
  const files = srcStat.isDirectory
    ? (await listFiles(src)).map((f) => ({ src: f, rel: relative(src, f) }))
    : [{ src, rel: relative(destDir, dest) }];
  try {
    await Deno.mkdir(destDir, { recursive: true });
  } catch (e) {
    throw new Error(`cannot publish into ${destDir}: ${(e as Error).message}`);
  }
  await removeTemporaries(destDir);
  const ledgerPath = join(destDir, LEDGER_NAME);
  const ledger = await readLedger(ledgerPath);
  const report: PublishReport = { to: dest, copied: [], unchanged: 0, movedAside: [] };
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "");

  // 1. Decide per file; record the digests about to be written *before* writing, so that a kill
  //    between rename and the final ledger write never makes our own file look foreign.
  const plan: { src: string; rel: string; digest: string; moveAside: boolean }[] = [];
  let dirty = false;
  for (const f of files) {
    const digest = await digests.fileDigest(f.src, Deno.statSync(f.src));
    const destPath = join(destDir, f.rel);
    const st = statOrNull(destPath);
    const entry = ledger.files[f.rel];
    if (st) {
      if (
        entry && entry.digest === digest && entry.size === st.size && entry.mtimeMs === mtimeOf(st)
      ) {
        report.unchanged++;
        continue;
      }
      const have = st.isFile ? await digests.fileDigest(destPath, st) : "";
      if (have === digest) {
        ledger.files[f.rel] = remember(entry, digest, st);
        dirty = true;
        report.unchanged++;
        continue;
      }
      plan.push({ ...f, digest, moveAside: !(entry?.written ?? []).includes(have) });
    } else plan.push({ ...f, digest, moveAside: false });
    ledger.files[f.rel] = {
      ...(entry ?? { size: -1, mtimeMs: -1, digest: "" }),
      written: [...(entry?.written ?? []), digest].slice(-HISTORY),
    };
  }
  if (plan.length || dirty) await writeLedger(ledgerPath, ledger);

  // 2. Copy: temporary name beside the destination, then rename over it. (Sync calls: thousands
  //    of small files cost 4 ops each, and the async round trips dominated.)
  const made = new Set<string>();
  for (const p of plan) {
    const destPath = join(destDir, p.rel);
    const parent = dirname(destPath);
    if (!made.has(parent)) Deno.mkdirSync(parent, { recursive: true }), made.add(parent);
    if (p.moveAside) {
      const backup = join(destDir, REPLACED_DIR, stamp, p.rel);
      Deno.mkdirSync(dirname(backup), { recursive: true });
      Deno.renameSync(destPath, backup);
      report.movedAside.push([destPath, backup]);
    }
    const tmp = `${destPath}${TMP_MARK}${Deno.pid}`;
    Deno.copyFileSync(p.src, tmp);
    Deno.chmodSync(tmp, 0o644); // store objects may be read-only; the user's copy is theirs
    Deno.renameSync(tmp, destPath);
    const st = Deno.statSync(destPath);
    ledger.files[p.rel] = remember(ledger.files[p.rel], p.digest, st);
    report.copied.push(destPath);
  }
  if (plan.length) await writeLedger(ledgerPath, ledger); // the final sizes and mtimes
  return report;
}

function remember(entry: LedgerEntry | undefined, digest: string, st: Deno.FileInfo): LedgerEntry {
  const written = entry?.written ?? [];
  return {
    digest,
    size: st.size,
    mtimeMs: mtimeOf(st),
    written: written.includes(digest) ? written : [...written, digest].slice(-HISTORY),
  };
}
