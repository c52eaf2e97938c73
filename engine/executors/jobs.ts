/**
 * The store's in-flight batch jobs: while a Slurm job runs a step (or an allocation runs it), a
 * record `<executor dir>/jobs/<name>.json` names the job, the step and its cache key; the
 * executor removes it when the job has ended. `srmidas status` lists them with the scheduler's
 * state and `srmidas plan` marks a step whose key a job is computing as queued or running.
 * The CLI's executors live in `<store>/slurm` and `<store>/slurm-alloc` ({@link JOB_DIRS}).
 *
 * @example
 * ```ts ignore
 * import { inflightJobs } from "./jobs.ts";
 * for (const j of await inflightJobs(".srmidas")) console.log(j.jobId, j.stepId, j.state);
 * ```
 * @module
 */
import { hostname } from "node:os";
import { join } from "node:path";

/** A submitted job, as recorded while it is queued or running. */
export interface JobRecord {
  jobId: string;
  /** `slurm` (one job per step) or `slurm-alloc` (the allocation job running the step). */
  executor: string;
  stepId: string;
  /** The cache key the step computes. */
  key: string;
  /** The job's (or, in an allocation, the step's) log. */
  log: string;
  submittedAt: string;
  /** The engine that submitted it and waits on it. */
  host: string;
  pid: number;
}

/** The executor directories, relative to a store, whose records `status` and `plan` read. */
export const JOB_DIRS = ["slurm", "slurm-alloc"];

/**
 * Records a job under `<dir>/jobs/<name>.json` (written atomically); returns the function that
 * removes the record once the job has ended.
 */
export async function recordJob(
  dir: string,
  name: string,
  rec: Omit<JobRecord, "submittedAt" | "host" | "pid">,
): Promise<() => Promise<void>> {
  const jobs = join(dir, "jobs");
  await Deno.mkdir(jobs, { recursive: true });
  const path = join(jobs, `${name}.json`);
  const full: JobRecord = {
    ...rec,
    submittedAt: new Date().toISOString(),
    host: hostname(),
    pid: Deno.pid,
  };
  await Deno.writeTextFile(`${path}.tmp`, JSON.stringify(full, null, 2));
  await Deno.rename(`${path}.tmp`, path);
  return () => Deno.remove(path).catch(() => {});
}

/** The job records of a store's executors (unreadable or torn records are skipped). */
export async function listJobs(storeRoot: string): Promise<JobRecord[]> {
  const out: JobRecord[] = [];
  for (const d of JOB_DIRS) {
    const dir = join(storeRoot, d, "jobs");
    let names: string[];
    try {
      names = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name);
    } catch {
      continue;
    }
    for (const n of names.filter((n) => n.endsWith(".json")).sort()) {
      try {
        const r = JSON.parse(await Deno.readTextFile(join(dir, n)));
        if (typeof r?.jobId === "string" && typeof r?.key === "string") out.push(r);
      } catch { /* removed meanwhile, or being written */ }
    }
  }
  return out.sort((a, b) => Number(a.jobId) - Number(b.jobId) || a.stepId.localeCompare(b.stepId));
}

/** Scheduler states in which a job still holds its step: queued or running. */
export const ACTIVE = new Set([
  "PENDING",
  "CONFIGURING",
  "RUNNING",
  "COMPLETING",
  "SUSPENDED",
  "REQUEUED",
  "RESIZING",
  "SIGNALING",
  "STAGE_OUT",
]);

/** A job record with the scheduler's view of the job. */
export interface InflightJob extends JobRecord {
  /** Slurm's state; `GONE` when the scheduler no longer knows the job, `UNKNOWN` when it did not answer. */
  state: string;
  reason?: string;
}

/**
 * The store's job records with their states, from one scheduler query for all of them
 * (`query` is engine/executors/slurm.ts `queryJobs`; passed in to keep this module free of it).
 */
export async function inflightJobs(
  storeRoot: string,
  query: (
    ids: string[],
  ) => Promise<Map<string, { state: string; reason?: string }> | undefined>,
): Promise<InflightJob[]> {
  const recs = await listJobs(storeRoot);
  const states = await query([...new Set(recs.map((r) => r.jobId))]);
  return recs.map((r) => {
    const s = states?.get(r.jobId);
    return { ...r, state: states ? s?.state ?? "GONE" : "UNKNOWN", reason: s?.reason };
  });
}
