/**
 * Allocation (pilot) mode on Slurm, for sites that cap jobs per user: one batch job runs a
 * worker (engine/executors/alloc_worker.ts) that pulls many steps from a queue directory on the
 * shared filesystem, `slots` at a time; the engine hands it task files instead of submitting a
 * job per step. The allocation is submitted with the first step, ends after `idleSec` without
 * work or on {@link AllocationExecutor.close}, and a new one is submitted when a step arrives
 * after it ended. A step's failure names the allocation's job id and the step's log; a step
 * whose allocation died is reported with the job's state and log.
 *
 * @example
 * ```ts ignore
 * import { AllocationExecutor } from "./allocation.ts";
 * const ex = new AllocationExecutor({ dir: ".srmidas/alloc", slots: 4, resources: { cpus: 4, time: "1:00:00" } });
 * ```
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import { basename, join, resolve } from "node:path";
import type { EventInit } from "../events.ts";
import { defaultConfig, type Executor, type Task, type TaskHandle } from "../executor.ts";
import type { Resources } from "../resources.ts";
import { followJobLog, queryJobs, readExitFile, renderBatchScript, sh, TERMINAL } from "./slurm.ts";
import { recordJob } from "./jobs.ts";

/** Options of {@link AllocationExecutor}. */
export interface AllocationOptions {
  /** Queue, scripts and logs; shared with the nodes. */
  dir: string;
  /** Steps run at once inside the allocation (default: its cpus, else 1). */
  slots?: number;
  /** What the allocation job asks for (cpus, mem, time, partition, account, extra). */
  resources?: Resources;
  /** The worker leaves after this many seconds without work (default 60). */
  idleSec?: number;
  pollSec?: number;
}

const ALLOC_WORKER = new URL("./alloc_worker.ts", import.meta.url);
let seq = 0;

/** See the module doc. */
export class AllocationExecutor implements Executor {
  readonly name = "slurm-alloc";
  readonly capacity: { cores: number; memoryMB: number };
  readonly dir: string;
  #o: AllocationOptions;
  #job: Promise<string> | undefined;

  constructor(o: AllocationOptions) {
    this.#o = o;
    this.dir = resolve(o.dir);
    const slots = o.slots ?? o.resources?.cpus ?? 1;
    // One core per slot: the runner keeps at most `slots` steps in the allocation.
    this.capacity = { cores: slots, memoryMB: 1e12 };
  }

  /** The allocation's job id, submitting it when none is alive. */
  async #allocation(): Promise<string> {
    if (this.#job) {
      const id = await this.#job;
      const state = await jobState(id);
      if (!TERMINAL.has(state) && state !== "GONE" && !(await exists(join(this.dir, "stop")))) {
        return id;
      }
    }
    this.#job = (async () => {
      await Deno.mkdir(join(this.dir, "todo"), { recursive: true });
      await Deno.remove(join(this.dir, "stop")).catch(() => {});
      const slots = this.#o.slots ?? this.#o.resources?.cpus ?? 1;
      const files = {
        task: "",
        script: join(this.dir, "allocation.sbatch"),
        log: join(this.dir, "allocation.%j.log"),
        exit: join(this.dir, "allocation.%j.exit"),
      };
      const pseudo: Task = {
        stepId: "allocation",
        stepName: "allocation",
        stepModule: "",
        params: {},
        inputs: {},
        outDir: "",
        outputs: {},
        checkpointDir: "",
        threads: slots,
      };
      const script = renderBatchScript(pseudo, { cpus: slots, ...this.#o.resources }, files, {
        deno: Deno.execPath(),
        worker: fromFileUrl(ALLOC_WORKER),
        denoConfig: defaultConfig(),
        cwd: Deno.cwd(),
        workerArgs: [this.dir, String(slots), String(this.#o.idleSec ?? 60)],
      });
      await Deno.writeTextFile(files.script, script);
      const r = await sh("sbatch", ["--parsable", files.script]);
      const id = r.out.trim().split(";")[0];
      if (!r.ok || !/^\d+$/.test(id)) {
        throw new Error(`allocation: sbatch refused the job (${r.err || r.out.trim()})`);
      }
      return id;
    })();
    return await this.#job;
  }

  submit(task: Task, emit: (e: EventInit) => void): TaskHandle {
    const name = `${String(++seq).padStart(4, "0")}-${Deno.pid}-${
      task.stepId.replace(/[^\w.-]+/g, "_").slice(0, 60)
    }`;
    const base = join(this.dir, "running", name);
    let cancelled = false;
    let jobId = "";
    let unrecord = async () => {};
    const done = (async () => {
      jobId = await this.#allocation();
      emit({
        type: "step-log",
        stepId: task.stepId,
        level: "info",
        msg: `queued in allocation job ${jobId}`,
      });
      await Deno.mkdir(join(this.dir, "running"), { recursive: true });
      const tmp = join(this.dir, `${name}.tmp`);
      await Deno.writeTextFile(tmp, JSON.stringify(task));
      await Deno.rename(tmp, join(this.dir, "todo", `${name}.task.json`));
      unrecord = await recordJob(this.dir, name, {
        jobId,
        executor: this.name,
        stepId: task.stepId,
        key: task.key ?? basename(task.checkpointDir),
        log: `${base}.log`,
      });
      const { follower: follow, tail } = followJobLog(`${base}.log`, task.stepId, emit);
      for (let i = 0;; i++) {
        await new Promise((r) =>
          setTimeout(r, Math.min((this.#o.pollSec ?? 2) * 1000, 100 * 2 ** i))
        );
        await follow.read();
        const exit = await readExitFile(`${base}.exit`);
        if (exit) {
          await follow.read();
          if (exit.code === 0 && !exit.interrupted) return;
          if (cancelled) {
            throw new Error(`step '${task.stepId}' cancelled (allocation job ${jobId})`);
          }
          throw new Error(
            `step '${task.stepId}' failed in allocation job ${jobId} (exit code ${exit.code}); log: ${base}.log\n${
              tail.filter((l) => !/^\s+at /.test(l)).slice(-8).join("\n")
            }`,
          );
        }
        if (i % 10 === 9) {
          const st = await jobState(jobId);
          if (TERMINAL.has(st) || st === "GONE") {
            await Deno.remove(join(this.dir, "todo", `${name}.task.json`)).catch(() => {});
            throw new Error(
              `step '${task.stepId}': allocation job ${jobId} ended (state ${st}) before the step did; log: ${
                join(this.dir, `allocation.${jobId}.log`)
              }`,
            );
          }
        }
      }
    })().finally(() => unrecord());
    return {
      done,
      cancel: () => {
        cancelled = true;
        Deno.writeTextFile(`${base}.cancel`, "").catch(() => {});
        // Not claimed yet: take it back, and say so through the exit file.
        Deno.remove(join(this.dir, "todo", `${name}.task.json`)).then(
          () => Deno.writeTextFile(`${base}.exit`, "143 1\n"),
          () => {},
        );
      },
      info: () => ({ jobIds: jobId ? [jobId] : [], allocation: true, log: `${base}.log` }),
    };
  }

  /** Ends the allocation once its running steps finish (the worker sees the `stop` file). */
  async close(): Promise<void> {
    await Deno.mkdir(this.dir, { recursive: true });
    await Deno.writeTextFile(join(this.dir, "stop"), "");
  }
}

/** The job's state; GONE once Slurm forgot it, UNKNOWN when the scheduler did not answer. */
async function jobState(id: string): Promise<string> {
  const q = await queryJobs([id]);
  return q ? q.get(id)?.state ?? "GONE" : "UNKNOWN";
}

const exists = (p: string) => Deno.stat(p).then(() => true, () => false);
