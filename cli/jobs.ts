/**
 * What `srmidas status` and `srmidas plan` say about batch jobs: the store's in-flight Slurm
 * jobs (engine/executors/jobs.ts records, states from one `squeue` call), and which planned
 * steps a job (or another run) is computing right now.
 *
 * @example
 * ```ts ignore
 * import { jobLines } from "./jobs.ts";
 * for (const line of await jobLines(store)) console.log(line);
 * ```
 * @module
 */
import type { LockHolder, PlanEntry, Store } from "../engine/mod.ts";
import { ACTIVE, type InflightJob, inflightJobs } from "../engine/executors/jobs.ts";
import { queryJobs } from "../engine/executors/slurm.ts";

/** The store's job records with the scheduler's states. */
export function storeJobs(store: Store): Promise<InflightJob[]> {
  return inflightJobs(store.root, queryJobs);
}

/** `status` lines for the store's in-flight jobs; none when there are none. */
export async function jobLines(store: Store, jobs?: InflightJob[]): Promise<string[]> {
  jobs ??= await storeJobs(store);
  if (jobs.length === 0) return [];
  const active = jobs.filter((j) => ACTIVE.has(j.state)).length;
  const lines = [`Slurm jobs: ${active} queued or running`];
  for (const j of jobs) {
    const state = `${j.state}${j.reason ? ` (${j.reason})` : ""}`;
    const left = ACTIVE.has(j.state) || j.state === "UNKNOWN"
      ? ""
      : `; record left by pid ${j.pid} on ${j.host}`;
    lines.push(
      `  job ${j.jobId} ${state} ${j.stepId} (key ${j.key.slice(0, 12)}${
        j.executor === "slurm-alloc" ? ", in the allocation" : ""
      }) log ${j.log}${left}`,
    );
  }
  return lines;
}

/** A plan entry with what is computing its key now. */
export type PlanRow = PlanEntry & {
  /** The queued or running batch job computing the key. */
  job?: { id: string; state: string; executor: string };
  /** The run holding the key's lock (another `srmidas run`, or the engine of `job`). */
  heldBy?: LockHolder;
};

/** Adds to each step that will run the job (or run) computing its key now. */
export async function annotatePlan(
  plan: PlanEntry[],
  store: Store,
  jobs?: InflightJob[],
): Promise<PlanRow[]> {
  jobs ??= await storeJobs(store);
  const byKey = new Map(jobs.filter((j) => ACTIVE.has(j.state)).map((j) => [j.key, j]));
  return await Promise.all(plan.map(async (p): Promise<PlanRow> => {
    if (p.status === "cached" || !p.key) return p;
    const j = byKey.get(p.key);
    const heldBy = await store.lockHolder(p.key);
    return {
      ...p,
      ...(j ? { job: { id: j.jobId, state: j.state, executor: j.executor } } : {}),
      ...(heldBy ? { heldBy } : {}),
    };
  }));
}

/** The status word of a plan row: cached, will run, queued (job N), running (job N | pid N). */
export function planWord(p: PlanRow): string {
  if (p.status === "cached") return "cached  ";
  if (p.job) return `${p.job.state === "PENDING" ? "queued" : "running"} (job ${p.job.id})`;
  if (p.heldBy) return `running (pid ${p.heldBy.pid} on ${p.heldBy.host})`;
  return "will run";
}
