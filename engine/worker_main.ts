/**
 * Subprocess entry of the executors.
 *
 * - {@link LocalExecutor}: reads one task as a JSON line on stdin, runs the step, reports
 *   events on stdout, and exits non-zero on failure. When stdin closes (the engine was killed)
 *   the step is aborted and the process exits, so no orphan keeps writing.
 * - Batch jobs (`--task <file>`, the Slurm executor): reads the task from a file; stdin is not
 *   watched (a batch job has none). SIGTERM or SIGUSR1 (a scheduler's cancel, preemption or
 *   walltime warning) aborts the step, whose checkpoint lets the next attempt resume.
 * @module
 */
import { encodeEvent, runTask, type Task } from "./executor.ts";
import type { EventInit } from "./events.ts";

const out = (e: EventInit) => Deno.stdout.writeSync(new TextEncoder().encode(encodeEvent(e)));

const ac = new AbortController();
const leave = (code: number) => {
  ac.abort();
  // Give the step a moment to stop cleanly, then leave regardless.
  setTimeout(() => Deno.exit(code), 200);
};
let task: Task;
const fileArg = Deno.args.indexOf("--task");
if (fileArg >= 0) {
  task = JSON.parse(await Deno.readTextFile(Deno.args[fileArg + 1])) as Task;
  for (const sig of ["SIGTERM", "SIGUSR1"] as const) {
    Deno.addSignalListener(sig, () => {
      console.error(`worker: ${sig}: stopping the step (its checkpoint is kept)`);
      ac.abort();
      setTimeout(() => Deno.exit(4), 3000);
    });
  }
} else {
  const reader = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  while (!buf.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) Deno.exit(2);
    buf += value;
  }
  task = JSON.parse(buf.slice(0, buf.indexOf("\n"))) as Task;
  (async () => {
    while (true) {
      const { done } = await reader.read();
      if (done) break;
    }
    leave(3);
  })();
}
// Route console output of the step to stderr so stdout carries only events.
console.log = (...a: unknown[]) => console.error(...a);
try {
  await runTask(task, {
    info: (msg, data) => out({ type: "step-log", stepId: task.stepId, level: "info", msg, data }),
    warn: (msg, data) => out({ type: "step-log", stepId: task.stepId, level: "warn", msg, data }),
    progress: (done, total, label) =>
      out({ type: "step-progress", stepId: task.stepId, done, total, label }),
  }, ac.signal);
  Deno.exit(0);
} catch (e) {
  // The message travels as an event (shown once, no stack); the stack only with --verbose.
  const msg = e instanceof Error ? e.message : String(e);
  out({ type: "step-failed", stepId: task.stepId, key: "", error: msg });
  if (Deno.env.get("SRMIDAS_VERBOSE") && e instanceof Error && e.stack) console.error(e.stack);
  Deno.exit(1);
}
