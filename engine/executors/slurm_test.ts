import { assert, assertEquals, assertMatch } from "../../tests/assert.ts";
import {
  jobFiles,
  JobPoller,
  jobResources,
  parseSqueue,
  readExitFile,
  renderBatchScript,
} from "./slurm.ts";
import type { Task } from "../executor.ts";

// Recorded from Slurm 22.05 (`squeue -h -t all -O JobID:|,State:|,Reason:|,exit_code:|`).
const SQUEUE = [
  "128|FAILED|NonZeroExitCode|768|",
  "129|PENDING|Priority|0|",
  "130|CANCELLED|None|15|",
  "",
].join("\n");

Deno.test("slurm: squeue lines parse into job states (exit_code is a wait status)", () => {
  const m = parseSqueue(SQUEUE);
  assertEquals([...m.keys()], ["128", "129", "130"]);
  assertEquals(m.get("128"), {
    state: "FAILED",
    exitCode: 3,
    signal: 0,
    reason: "NonZeroExitCode",
  });
  assertEquals(m.get("129")?.reason, "Priority");
  assertEquals(m.get("130"), { state: "CANCELLED", exitCode: 0, signal: 15, reason: undefined });
});

Deno.test("slurm: the poller asks the scheduler once per cycle for all watched jobs", async () => {
  const asked: string[][] = [];
  let cycle = 0;
  const poller = new JobPoller(20, (ids) => {
    asked.push([...ids].sort());
    cycle++;
    // Job 2 finishes in the second cycle; job 3 is unknown to the scheduler.
    return Promise.resolve(
      new Map([
        ["1", { state: "RUNNING" }],
        ["2", { state: cycle >= 2 ? "COMPLETED" : "RUNNING" }],
      ]),
    );
  });
  const watch = async (id: string) => {
    const seen: (string | null | undefined)[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await poller.next(id, i === 0);
      seen.push(s === null ? null : s?.state);
      if (s?.state === "COMPLETED") break;
    }
    return seen;
  };
  const [a, b, c] = await Promise.all([watch("1"), watch("2"), watch("3")]);
  assertEquals(a, ["RUNNING", "RUNNING", "RUNNING"]);
  assertEquals(b, ["RUNNING", "COMPLETED"]);
  assertEquals(c, [null, null, null]);
  // Three watchers, three cycles: three queries, not one per job and cycle.
  assertEquals(poller.queries, 3);
  assertEquals(asked, [["1", "2", "3"], ["1", "2", "3"], ["1", "3"]]);
  // A scheduler that does not answer yields undefined (not "gone").
  const down = new JobPoller(1, () => Promise.resolve(undefined));
  assertEquals(await down.next("9"), undefined);
});

Deno.test("slurm: exit files carry the code, the interruption and the job's times", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/a`, "0 0 1700000000.25 1700000003.5\n");
  assertEquals(await readExitFile(`${dir}/a`), {
    code: 0,
    interrupted: false,
    start: 1700000000.25,
    end: 1700000003.5,
  });
  // The allocation's "taken back" file has no times.
  await Deno.writeTextFile(`${dir}/b`, "143 1\n");
  assertEquals(await readExitFile(`${dir}/b`), {
    code: 143,
    interrupted: true,
    start: undefined,
    end: undefined,
  });
  assertEquals(await readExitFile(`${dir}/none`), null);
  await Deno.remove(dir, { recursive: true });
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
      'echo "$rc $interrupted $start $(date +%s.%N)" > "$exit_file.tmp"',
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
