import { assert, assertEquals, assertMatch } from "../../tests/assert.ts";
import { jobFiles, jobResources, jobStatusOf, parseScontrol, renderBatchScript } from "./slurm.ts";
import type { Task } from "../executor.ts";

// Recorded from Slurm 22.05 (`scontrol show job -o`), trimmed.
const FAILED =
  "JobId=2 JobName=wrap UserId=root(0) GroupId=root(0) JobState=FAILED Reason=NonZeroExitCode " +
  "Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 ExitCode=3:0 RunTime=00:00:00 " +
  "Command=/tmp/a b.sh WorkDir=/work/x y StdOut=/work/main/slurm-2.out";
const CANCELLED = "JobId=7 JobState=CANCELLED Reason=None ExitCode=0:15 TimeLimit=00:01:00";

Deno.test("slurm: scontrol lines parse into job states", () => {
  const f = parseScontrol(FAILED);
  assertEquals(f.Command, "/tmp/a b.sh");
  assertEquals(f.WorkDir, "/work/x y");
  assertEquals(jobStatusOf(f), {
    state: "FAILED",
    exitCode: 3,
    signal: 0,
    reason: "NonZeroExitCode",
  });
  assertEquals(jobStatusOf(parseScontrol(CANCELLED)), {
    state: "CANCELLED",
    exitCode: 0,
    signal: 15,
    reason: undefined,
  });
});

const task: Task = {
  stepId: "train[arch=a b]",
  stepName: "train",
  stepModule: "file:///p/steps/train.ts",
  params: {},
  inputs: {},
  outDir: "/s/staging/0123456789abcdef0123.run1",
  outputs: {},
  checkpointDir: "/s/checkpoints/0123",
  threads: 2,
  memoryMB: 700,
  resources: { gpus: 1, time: "2:00:00", extra: ["--qos=debug"] },
};

Deno.test("slurm: the batch script asks for the layered resources and writes an exit file", () => {
  const res = jobResources(task, { partition: "gpu", mem: 4096 });
  assertEquals(res.cpus, 2);
  assertEquals(res.mem, 4096);
  const files = jobFiles("/s/slurm", task);
  assertEquals(files.log, "/s/slurm/train_arch_a_b_-0123456789ab.%j.log");
  const s = renderBatchScript(task, res, files, {
    deno: "/bin/deno",
    worker: "/p/engine/worker_main.ts",
    denoConfig: "/p/deno.json",
    cwd: "/p it's",
    signalSec: 90,
  });
  for (
    const line of [
      "#SBATCH --job-name=srmidas-train_arch_a_b_",
      "#SBATCH --cpus-per-task=2",
      "#SBATCH --mem=4096M",
      "#SBATCH --gres=gpu:1",
      "#SBATCH --time=2:00:00",
      "#SBATCH --signal=B:USR1@90",
      "#SBATCH --partition=gpu",
      "#SBATCH --qos=debug",
      "#SBATCH --output=/s/slurm/train_arch_a_b_-0123456789ab.%j.log",
      "cd '/p it'\\''s'",
      "export NO_COLOR=1 SRMIDAS_THREADS=2",
      `'/bin/deno' 'run' '-A' '--quiet' '--config' '/p/deno.json' '/p/engine/worker_main.ts' '--task'`,
      `exit_file='/s/slurm/train_arch_a_b_-0123456789ab.'"$SLURM_JOB_ID"'.exit'`,
    ]
  ) assertMatch(s, line);
  assert(!s.includes("--account"), "no account asked for");
  // A short walltime is warned at most half of it ahead.
  assertMatch(
    renderBatchScript(task, { time: "2" }, files, { deno: "d", worker: "w", cwd: "/" }),
    "--signal=B:USR1@60",
  );
  assertMatch(
    renderBatchScript(task, { time: "1:00" }, files, { deno: "d", worker: "w", cwd: "/" }),
    "--signal=B:USR1@30",
  );
});
