/**
 * Executors run one step attempt somewhere: in this process, in a local subprocess, or (later)
 * as a Slurm job. Steps and workflows never know which: the runner hands an executor a
 * {@link Task} and receives events until it settles.
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import type { AnyStep, StepLogger } from "./step.ts";
import type { EventInit } from "./events.ts";
import type { Resources } from "./resources.ts";

/** A fully resolved step attempt. Plain JSON, so it can cross process and host boundaries. */
export interface Task {
  stepId: string;
  stepName: string;
  /** `file:` URL of the module that exports the step. */
  stepModule: string;
  /** The cache key the attempt computes (batch executors record it for `status` and `plan`). */
  key?: string;
  params: unknown;
  inputs: Record<string, string | string[] | undefined>;
  outDir: string;
  outputs: Record<string, string>;
  checkpointDir: string;
  threads: number;
  /** The step's memory estimate in MB (batch executors ask the scheduler for it). */
  memoryMB?: number;
  /** The workflow step's `resources:` (engine/resources.ts), for batch executors. */
  resources?: Resources;
}

/** A submitted task. */
export interface TaskHandle {
  /** Resolves when the step succeeded; rejects with its error. */
  done: Promise<void>;
  cancel(): void;
  /** Where it ran, for the manifest (e.g. Slurm job ids); read after `done` settles. */
  info?(): Record<string, unknown>;
}

/** Where tasks run. */
export interface Executor {
  readonly name: string;
  /**
   * Cores and memory (MB) the runner may hand out at once; default this machine's. A batch
   * executor's come from the cluster, not from the machine the engine runs on.
   */
  readonly capacity?: { cores: number; memoryMB: number };
  submit(task: Task, emit: (e: EventInit) => void): TaskHandle;
  /** Releases what the executor holds (e.g. a batch allocation) once a run is over. */
  close?(): Promise<void>;
}

/** Finds the step a module exports under `name`. */
export async function importStep(moduleUrl: string, name: string): Promise<AnyStep> {
  const mod = await import(moduleUrl);
  const step = Object.values(mod).find((s): s is AnyStep =>
    !!s && typeof s === "object" && (s as AnyStep).name === name &&
    typeof (s as AnyStep).run === "function"
  );
  if (!step) throw new Error(`${moduleUrl} exports no step named '${name}'`);
  return step;
}

/** Runs a task's step in the current process with a given logger. */
export async function runTask(task: Task, log: StepLogger, signal: AbortSignal, step?: AnyStep) {
  const s = step ?? await importStep(task.stepModule, task.stepName);
  await Deno.mkdir(task.checkpointDir, { recursive: true });
  await s.run({
    params: task.params,
    inputs: task.inputs as never,
    outDir: task.outDir,
    output: (name: string) => {
      const p = task.outputs[name];
      if (!p) throw new Error(`step '${task.stepName}' has no output '${name}'`);
      return p;
    },
    checkpointDir: task.checkpointDir,
    log,
    signal,
    threads: task.threads,
  });
}

function loggerFor(task: Task, emit: (e: EventInit) => void): StepLogger {
  return {
    info: (msg, data) => emit({ type: "step-log", stepId: task.stepId, level: "info", msg, data }),
    warn: (msg, data) => emit({ type: "step-log", stepId: task.stepId, level: "warn", msg, data }),
    progress: (done, total, label) =>
      emit({ type: "step-progress", stepId: task.stepId, done, total, label }),
  };
}

/** Runs steps inside the engine's own process: no isolation, no parallel CPU; good for tiny steps. */
export class InlineExecutor implements Executor {
  readonly name = "inline";
  submit(task: Task, emit: (e: EventInit) => void): TaskHandle {
    const ac = new AbortController();
    return { done: runTask(task, loggerFor(task, emit), ac.signal), cancel: () => ac.abort() };
  }
}

const EVENT_PREFIX = "\u001e";
/** The worker entry that runs one task in a fresh process (engine/worker_main.ts). */
export const WORKER = new URL("./worker_main.ts", import.meta.url);

/**
 * Runs each step in its own `deno` subprocess: independent steps use separate cores, a crash
 * cannot take the engine down, and a killed engine takes its workers with it (they exit when
 * their stdin closes).
 */
export class LocalExecutor implements Executor {
  readonly name = "local";
  /** `denoConfig` defaults to the deno.json of the project this engine lives in. */
  constructor(private readonly denoConfig: string | undefined = defaultConfig()) {}

  submit(task: Task, emit: (e: EventInit) => void): TaskHandle {
    const args = ["run", "-A", "--quiet"];
    if (this.denoConfig) args.push("--config", this.denoConfig);
    args.push(fromFileUrl(WORKER));
    const child = new Deno.Command(Deno.execPath(), {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1", SRMIDAS_THREADS: String(task.threads) },
    }).spawn();
    const writer = child.stdin.getWriter();
    // A worker that dies early (cancelled) makes this write fail; its exit status reports that.
    writer.write(new TextEncoder().encode(JSON.stringify(task) + "\n")).catch(() => {});
    // Keep stdin open: the worker treats EOF as "engine died" and exits.
    const stderrTail: string[] = [];
    let failure: string | undefined;
    const pump = async (stream: ReadableStream<Uint8Array>, isErr: boolean) => {
      const lines = stream.pipeThrough(new TextDecoderStream());
      let buf = "";
      for await (const chunk of lines) {
        buf += chunk;
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (!isErr && line.startsWith(EVENT_PREFIX)) {
            try {
              const ev = JSON.parse(line.slice(1));
              // The worker's own failure report becomes this task's error (reported once, by the runner).
              if (ev.type === "step-failed") failure = ev.error;
              else emit(ev);
            } catch { /* a torn line */ }
          } else if (line.trim()) {
            if (isErr) {
              stderrTail.push(line);
              if (stderrTail.length > 40) stderrTail.shift();
            }
            emit({
              type: "step-log",
              stepId: task.stepId,
              level: isErr ? "warn" : "info",
              msg: line,
            });
          }
        }
      }
    };
    const pumps = Promise.all([pump(child.stdout, false), pump(child.stderr, true)]);
    const done = (async () => {
      const status = await child.status;
      await pumps;
      await writer.close().catch(() => {});
      if (!status.success) {
        if (failure !== undefined && status.code === 1) throw new Error(failure);
        const err = stderrTail.filter((l) => !l.startsWith("    at ")).slice(-8).join("\n");
        throw new Error(
          `step '${task.stepId}' failed (exit ${status.code}${
            status.signal ? `, ${status.signal}` : ""
          })${err ? `:\n${err}` : ""}`,
        );
      }
    })();
    return {
      done,
      cancel: () => {
        try {
          child.kill("SIGTERM");
        } catch { /* already gone */ }
      },
    };
  }
}

/** The deno.json of the project this engine lives in, if there is one. */
export function defaultConfig(): string | undefined {
  const p = fromFileUrl(new URL("../deno.json", import.meta.url));
  try {
    Deno.statSync(p);
    return p;
  } catch {
    return undefined;
  }
}

/** Encodes an event line for the worker's stdout. */
export function encodeEvent(e: EventInit): string {
  return EVENT_PREFIX + JSON.stringify(e) + "\n";
}
