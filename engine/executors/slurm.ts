/**
 * Runs each step attempt as a Slurm batch job, through the cluster's own commands: `sbatch
 * --parsable` submits, `squeue` polls (one call per poll cycle for all of a run's jobs, see
 * {@link JobPoller}), `scancel` cancels. The job runs the same worker as the local executor
 * (engine/worker_main.ts `--task <file>`), so steps cannot tell the difference; the store must be
 * on a filesystem the compute nodes share.
 *
 * Every attempt leaves, under `dir`: the task (`<base>.task.json`), the batch script
 * (`<base>.sbatch`), the job's log (`<base>.<jobid>.log`, the worker's events and stderr) and an
 * exit file written by the job's own wrapper (`<base>.<jobid>.exit`: `<code> <interrupted>
 * <start> <end>`, times in epoch seconds), which is trusted over the scheduler's view (it
 * survives the job's purge from the controller). While a job is queued or running,
 * `<dir>/jobs/<jobid>.json` names its step and key (engine/executors/jobs.ts), which is how
 * `srmidas status` and `plan` show in-flight jobs.
 *
 * A job the scheduler ends early (preempted, node failure, walltime, or cancelled by someone
 * else) is resubmitted up to `maxRetries` times and resumes from the step's checkpoint
 * directory; with a walltime the job gets `--signal=B:USR1@<signalSec>`, and the wrapper asks
 * the step to stop and checkpoint before the limit. Any other failure is reported with the job
 * id, its state, its exit code and the path of its log.
 *
 * @example
 * ```ts ignore
 * import { SlurmExecutor } from "./slurm.ts";
 * const executor = new SlurmExecutor({ dir: ".srmidas/slurm", resources: { partition: "debug" } });
 * ```
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import { basename, join, resolve } from "node:path";
import type { EventInit } from "../events.ts";
import { defaultConfig, type Executor, type Task, type TaskHandle, WORKER } from "../executor.ts";
import { mergeResources, type Resources, walltimeSeconds } from "../resources.ts";
import { recordJob } from "./jobs.ts";

/** Options of {@link SlurmExecutor}. */
export interface SlurmOptions {
  /** Directory for scripts, task files, job logs and exit files; must be shared with the nodes. */
  dir: string;
  /** Overrides applied to every step (the CLI's `--resource`), over the step's own. */
  resources?: Resources;
  /** Seconds between polls of the scheduler (default 2; the first polls of a new job are quicker). */
  pollSec?: number;
  /** Resubmissions after preemption, node failure, walltime or an outside cancel (default 3). */
  maxRetries?: number;
  /** With a walltime: warn the step this many seconds before it (default 60). */
  signalSec?: number;
  /** deno.json the job's worker runs with (default this project's). */
  denoConfig?: string;
  /** Jobs allowed in the queue at once (default 256); the runner's concurrency. */
  maxJobs?: number;
}

/** Scheduler states after which a job will not run again by itself. */
export const TERMINAL = new Set([
  "COMPLETED",
  "FAILED",
  "CANCELLED",
  "TIMEOUT",
  "PREEMPTED",
  "NODE_FAIL",
  "BOOT_FAIL",
  "DEADLINE",
  "OUT_OF_MEMORY",
  "SPECIAL_EXIT",
  "REVOKED",
]);

/** States that say the scheduler, not the step, ended the job: worth resubmitting. */
const INTERRUPTED = new Set(["CANCELLED", "TIMEOUT", "PREEMPTED", "NODE_FAIL", "BOOT_FAIL"]);

/** A job's state as the executor needs it. */
export interface JobStatus {
  state: string;
  /** `ExitCode=a:b`: the script's exit code and the signal that ended it. */
  exitCode?: number;
  signal?: number;
  reason?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The `squeue --Format` fields one poll reads, `|`-separated. */
const SQUEUE_FORMAT = "JobID:|,State:|,Reason:|,exit_code:|";

/**
 * Job states out of `squeue -h -O JobID:|,State:|,Reason:|,exit_code:|` lines. squeue's
 * exit_code is the raw wait status (`3 << 8` for exit 3; the low bits are the signal).
 */
export function parseSqueue(text: string): Map<string, JobStatus> {
  const out = new Map<string, JobStatus>();
  for (const line of text.split("\n")) {
    const [id, state, reason, code] = line.trim().split("|");
    if (!id || !state) continue;
    const raw = Number(code);
    const known = code !== undefined && code !== "" && Number.isFinite(raw);
    out.set(id, {
      state: state.split(/\s/)[0],
      exitCode: known ? raw >> 8 : undefined,
      signal: known ? raw & 0x7f : undefined,
      reason: reason && reason !== "None" ? reason : undefined,
    });
  }
  return out;
}

/**
 * Asks the scheduler about several jobs in one `squeue` call (finished jobs too, while the
 * controller remembers them). A job missing from the answer is one Slurm no longer knows;
 * `undefined` means the scheduler did not answer (try again later).
 */
export async function queryJobs(
  ids: readonly string[],
): Promise<Map<string, JobStatus> | undefined> {
  if (ids.length === 0) return new Map();
  const r = await sh("squeue", ["-h", "-t", "all", "-j", ids.join(","), "-O", SQUEUE_FORMAT]);
  if (r.ok) return parseSqueue(r.out);
  // Every id unknown: squeue fails instead of printing nothing.
  if (/Invalid job id/i.test(r.err)) return new Map();
  return undefined;
}

/**
 * One scheduler query per poll cycle for every job being watched, however many: each watcher
 * asks for its job's next status and all answers come from the same `squeue` call. Polls
 * quickly after a new job arrives (most short steps end within seconds), then every `pollMs`.
 */
export class JobPoller {
  #waiting = new Map<string, ((s: JobStatus | null | undefined) => void)[]>();
  #looping = false;
  #cycle = 0;
  /** Scheduler queries made so far. */
  queries = 0;
  constructor(
    readonly pollMs: number,
    readonly query: typeof queryJobs = queryJobs,
  ) {}

  /**
   * The job's status at the next poll cycle: null when the scheduler answered without it (it no
   * longer knows the job), undefined when the scheduler did not answer. `fresh`: a new job.
   */
  next(jobId: string, fresh = false): Promise<JobStatus | null | undefined> {
    if (fresh) this.#cycle = 0;
    const p = new Promise<JobStatus | null | undefined>((res) => {
      const ws = this.#waiting.get(jobId) ?? [];
      ws.push(res);
      this.#waiting.set(jobId, ws);
    });
    if (!this.#looping) {
      this.#looping = true;
      this.#loop();
    }
    return p;
  }

  async #loop() {
    try {
      while (this.#waiting.size > 0) {
        await sleep(Math.min(this.pollMs, 250 * 2 ** Math.min(this.#cycle++, 6)));
        const batch = this.#waiting;
        this.#waiting = new Map();
        this.queries++;
        const states = await this.query([...batch.keys()]).catch(() => undefined);
        for (const [id, ws] of batch) {
          for (const w of ws) w(states ? states.get(id) ?? null : undefined);
        }
      }
    } finally {
      // Synchronous with the empty check above: a next() after this starts a new loop.
      this.#looping = false;
    }
  }
}

function shq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Paths one attempt uses (the job id is filled in by Slurm's `%j` and the wrapper). */
export interface JobFiles {
  task: string;
  script: string;
  /** With `%j` for the job id. */
  log: string;
  /** With `%j` for the job id. */
  exit: string;
}

/** The files of a task's attempts under `dir`, named after the step and its output directory. */
export function jobFiles(dir: string, task: Task): JobFiles {
  const tag = (task.outDir.split("/").pop() ?? "").split(".")[0].slice(0, 12);
  const base = join(
    dir,
    `${task.stepId.replace(/[^\w.-]+/g, "_").slice(0, 60)}${tag ? "-" + tag : ""}`,
  );
  return {
    task: `${base}.task.json`,
    script: `${base}.sbatch`,
    log: `${base}.%j.log`,
    exit: `${base}.%j.exit`,
  };
}

/** The resources a task's job asks for: step defaults, then the workflow's, then the CLI's. */
export function jobResources(task: Task, overrides?: Resources): Resources {
  return mergeResources(
    { cpus: task.threads, mem: task.memoryMB },
    task.resources,
    overrides,
  );
}

/** Renders the batch script of one attempt (pure; see the module doc for what it does). */
export function renderBatchScript(
  task: Task,
  res: Resources,
  files: JobFiles,
  o: {
    deno: string;
    worker: string;
    denoConfig?: string;
    cwd: string;
    signalSec?: number;
    /** The worker's arguments (default `--task <task file>`). */
    workerArgs?: string[];
  },
): string {
  const sb: string[] = [
    `--job-name=srmidas-${task.stepId.replace(/[^\w.-]+/g, "_").slice(0, 60)}`,
    `--output=${files.log}`,
    "--open-mode=append",
    "--no-requeue",
    "--nodes=1",
    "--ntasks=1",
  ];
  if (res.cpus) sb.push(`--cpus-per-task=${res.cpus}`);
  if (res.mem) sb.push(`--mem=${res.mem}M`);
  if (res.gpus) sb.push(`--gres=gpu:${res.gpus}`);
  if (res.time) {
    sb.push(`--time=${res.time}`);
    const secs = walltimeSeconds(res.time) ?? 0;
    // Warn the step before the limit; never more than half the walltime ahead.
    const warn = Math.max(1, Math.min(o.signalSec ?? 60, Math.floor(secs / 2)));
    sb.push(`--signal=B:USR1@${warn}`);
  }
  if (res.partition) sb.push(`--partition=${res.partition}`);
  if (res.account) sb.push(`--account=${res.account}`);
  for (const x of res.extra ?? []) sb.push(x);
  const cmd = [o.deno, "run", "-A", "--quiet"];
  if (o.denoConfig) cmd.push("--config", o.denoConfig);
  cmd.push(o.worker, ...(o.workerArgs ?? ["--task", files.task]));
  const exitFile = files.exit;
  return [
    "#!/bin/bash",
    `# srmidas step '${task.stepId}' (${task.stepName}); written by engine/executors/slurm.ts`,
    ...sb.map((s) => `#SBATCH ${s}`),
    "set -u",
    `exit_file=${exitFile.split("%j").map(shq).join('"$SLURM_JOB_ID"')}`,
    "interrupted=0",
    "child=",
    // Preemption, walltime warning or scancel: ask the step to stop; its checkpoint remains.
    'on_signal() { interrupted=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null; }',
    "trap on_signal USR1 TERM INT",
    `export NO_COLOR=1 SRMIDAS_THREADS=${res.cpus ?? task.threads}`,
    `cd ${shq(o.cwd)}`,
    "start=$(date +%s.%N)",
    `echo "srmidas: job $SLURM_JOB_ID on $(hostname -s) started $(date -Is)" >&2`,
    `${cmd.map(shq).join(" ")} </dev/null &`,
    "child=$!",
    "rc=0",
    'while :; do wait "$child"; rc=$?; kill -0 "$child" 2>/dev/null || break; done',
    'echo "$rc $interrupted $start $(date +%s.%N)" > "$exit_file.tmp" && mv "$exit_file.tmp" "$exit_file"',
    'exit "$rc"',
    "",
  ].join("\n");
}

/** Runs a scheduler command; never throws (a missing command is `ok: false`). */
export async function sh(
  cmd: string,
  args: string[],
): Promise<{ ok: boolean; out: string; err: string }> {
  try {
    const r = await new Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const dec = new TextDecoder();
    return { ok: r.success, out: dec.decode(r.stdout), err: dec.decode(r.stderr).trim() };
  } catch (e) {
    return { ok: false, out: "", err: `${cmd}: ${(e as Error).message}` };
  }
}
const Command = Deno.Command;

/** How one attempt ended. */
interface Attempt {
  jobId: string;
  ok: boolean;
  state: string;
  exitCode?: number;
  /** The scheduler (or an outside scancel) ended it, not the step. */
  interrupted: boolean;
  log: string;
  tail: string[];
  /** When the job's script started and ended (epoch seconds, from its exit file). */
  start?: number;
  end?: number;
}

/** See the module doc. */
export class SlurmExecutor implements Executor {
  readonly name = "slurm";
  readonly capacity: { cores: number; memoryMB: number };
  readonly dir: string;
  /** The one scheduler query per poll cycle for all of this executor's jobs. */
  readonly poller: JobPoller;
  #o: SlurmOptions;

  constructor(o: SlurmOptions) {
    this.#o = o;
    this.dir = resolve(o.dir);
    this.poller = new JobPoller((o.pollSec ?? 2) * 1000);
    // The runner keeps the sum of running steps' cores within this; the cluster queues the rest.
    this.capacity = { cores: 64 * (o.maxJobs ?? 256), memoryMB: 1e12 };
  }

  /** `sbatch` is on PATH and the controller answers. */
  static async available(): Promise<{ ok: boolean; why: string }> {
    const r = await sh("sinfo", ["-h", "-o", "%t"]);
    if (!r.ok) return { ok: false, why: r.err || "sinfo failed" };
    if (!/^(idle|mix|alloc|comp)/m.test(r.out)) {
      return { ok: false, why: `no usable node (sinfo: ${r.out.trim() || "nothing"})` };
    }
    return { ok: true, why: "" };
  }

  submit(task: Task, emit: (e: EventInit) => void): TaskHandle {
    const jobIds: string[] = [];
    let cancelled = false;
    let current: string | undefined;
    let last: Attempt | undefined;
    const files = jobFiles(this.dir, task);
    const res = jobResources(task, this.#o.resources);
    const log = (level: "info" | "warn", msg: string) =>
      emit({ type: "step-log", stepId: task.stepId, level, msg });

    const done = (async () => {
      await Deno.mkdir(this.dir, { recursive: true });
      const maxRetries = this.#o.maxRetries ?? 3;
      for (let attempt = 0;; attempt++) {
        if (cancelled) throw new Error(`step '${task.stepId}' cancelled before submission`);
        if (attempt > 0) await emptyDir(task.outDir);
        await Deno.writeTextFile(
          files.task,
          JSON.stringify({ ...task, threads: res.cpus ?? task.threads }),
        );
        await Deno.writeTextFile(
          files.script,
          renderBatchScript(task, res, files, {
            deno: Deno.execPath(),
            worker: fromFileUrl(WORKER),
            denoConfig: this.#o.denoConfig ?? defaultConfig(),
            cwd: Deno.cwd(),
            signalSec: this.#o.signalSec,
          }),
        );
        const sub = await sh("sbatch", ["--parsable", files.script]);
        const jobId = sub.out.trim().split(";")[0];
        if (!sub.ok || !/^\d+$/.test(jobId)) {
          throw new Error(
            `step '${task.stepId}': sbatch refused the job (${
              sub.err || sub.out.trim() || "no job id"
            }); script: ${files.script}`,
          );
        }
        jobIds.push(jobId);
        current = jobId;
        const logPath = files.log.replace("%j", jobId);
        const unrecord = await recordJob(this.dir, jobId, {
          jobId,
          executor: this.name,
          stepId: task.stepId,
          key: task.key ?? basename(task.checkpointDir),
          log: logPath,
        });
        let a: Attempt;
        try {
          // A cancel that raced the submission.
          if (cancelled) await sh("scancel", [jobId]);
          log("info", `Slurm job ${jobId} submitted (attempt ${attempt + 1})`);
          a = last = await this.#watch(jobId, files, task, emit);
        } finally {
          await unrecord();
        }
        current = undefined;
        if (a.ok) return;
        if (cancelled) {
          throw new Error(
            `step '${task.stepId}' cancelled (Slurm job ${jobId}, state ${a.state}); log: ${a.log}`,
          );
        }
        const what = `Slurm job ${jobId} (state ${a.state}, exit code ${a.exitCode ?? "?"})`;
        if (a.interrupted && attempt < maxRetries) {
          log("warn", `${what} was interrupted; resubmitting to resume from the checkpoint`);
          continue;
        }
        const tail = a.tail.filter((l) => !/^\s+at /.test(l)).slice(-8).join("\n");
        throw new Error(
          `step '${task.stepId}' failed in ${what}${
            a.interrupted ? ` after ${attempt + 1} attempt(s)` : ""
          }; log: ${a.log}${tail ? `\n${tail}` : ""}`,
        );
      }
    })();
    const iso = (t?: number) => t === undefined ? undefined : new Date(t * 1000).toISOString();
    return {
      done,
      cancel: () => {
        if (cancelled) return;
        cancelled = true;
        if (current) sh("scancel", [current]);
      },
      info: () => ({
        jobIds,
        log: files.log.replace("%j", jobIds.at(-1) ?? "%j"),
        // The last job's own run time on its node (queue time excluded).
        jobStart: iso(last?.start),
        jobEnd: iso(last?.end),
      }),
    };
  }

  /** Polls one job until it has ended, forwarding the worker's events from its log. */
  async #watch(
    jobId: string,
    files: JobFiles,
    task: Task,
    emit: (e: EventInit) => void,
  ): Promise<Attempt> {
    const logPath = files.log.replace("%j", jobId);
    const exitPath = files.exit.replace("%j", jobId);
    const { follower: reader, tail } = followJobLog(logPath, task.stepId, emit);
    let gone = 0;
    let last: JobStatus = { state: "PENDING" };
    for (let i = 0;; i++) {
      const q = await this.poller.next(jobId, i === 0);
      // Read after the scheduler's answer: a job it calls ended wrote its exit file before.
      await reader.read();
      const exit = await readExitFile(exitPath);
      if (q) {
        gone = 0;
        last = q;
      } else if (q === null) gone++;
      const ended = TERMINAL.has(last.state) || gone >= 3;
      // The wrapper's exit file is the ground truth for a job that ran to its end.
      if (exit && exit.code === 0 && !exit.interrupted) {
        await reader.read();
        return {
          jobId,
          ok: true,
          state: last.state,
          exitCode: 0,
          interrupted: false,
          log: logPath,
          tail,
          start: exit.start,
          end: exit.end,
        };
      }
      if (!ended) continue;
      await reader.read();
      const state = gone >= 3 && !TERMINAL.has(last.state) ? "VANISHED" : last.state;
      return {
        jobId,
        ok: false,
        state,
        exitCode: exit?.code ?? last.exitCode,
        interrupted: !!exit?.interrupted || INTERRUPTED.has(state) || state === "VANISHED",
        log: logPath,
        tail,
        start: exit?.start,
        end: exit?.end,
      };
    }
  }
}

/**
 * Reads a wrapper's exit file (`<code> <interrupted> [<start> <end>]`, times in epoch seconds),
 * or null while there is none.
 */
export async function readExitFile(
  p: string,
): Promise<{ code: number; interrupted: boolean; start?: number; end?: number } | null> {
  try {
    const [code, intr, start, end] = (await Deno.readTextFile(p)).trim().split(/\s+/).map(Number);
    const t = (x: number) => Number.isFinite(x) ? x : undefined;
    return Number.isFinite(code)
      ? { code, interrupted: intr === 1, start: t(start), end: t(end) }
      : null;
  } catch {
    return null;
  }
}

async function emptyDir(dir: string) {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
}

/**
 * Follows a job's log: event lines (the worker's stdout) go to `emit`, except the step's own
 * failure, which joins `tail` so the executor's error carries it (the runner reports it once);
 * other lines are logged and the last 40 kept in `tail`.
 */
export function followJobLog(
  path: string,
  stepId: string,
  emit: (e: EventInit) => void,
): { follower: LogFollower; tail: string[] } {
  const tail: string[] = [];
  const follower = new LogFollower(path, (line) => {
    if (line.startsWith("\u001e")) {
      try {
        const ev = JSON.parse(line.slice(1));
        if (ev.type === "step-failed") tail.push(ev.error);
        else emit(ev);
        return;
      } catch { /* a torn line */ }
    }
    if (!line.trim()) return;
    tail.push(line);
    if (tail.length > 40) tail.shift();
    emit({ type: "step-log", stepId, level: "info", msg: line });
  });
  return { follower, tail };
}

/** Reads lines appended to a file since the last call (the job log on the shared filesystem). */
export class LogFollower {
  #offset = 0;
  #buf = "";
  #dec = new TextDecoder();
  constructor(readonly path: string, readonly onLine: (line: string) => void) {}

  async read(): Promise<void> {
    let f: Deno.FsFile;
    try {
      f = await Deno.open(this.path);
    } catch {
      return; // not created yet
    }
    try {
      await f.seek(this.#offset, Deno.SeekMode.Start);
      const chunk = new Uint8Array(1 << 16);
      while (true) {
        const n = await f.read(chunk);
        if (n === null || n === 0) break;
        this.#offset += n;
        this.#buf += this.#dec.decode(chunk.subarray(0, n), { stream: true });
      }
    } finally {
      f.close();
    }
    let nl;
    while ((nl = this.#buf.indexOf("\n")) >= 0) {
      this.onLine(this.#buf.slice(0, nl));
      this.#buf = this.#buf.slice(nl + 1);
    }
  }
}
