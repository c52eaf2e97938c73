/**
 * The one-node Slurm cluster for tests: reuses a running one, else starts it with
 * `tests/slurm/cluster.sh` (root, slurm-wlm and munge installed) and stops it when the test
 * file is done. When the daemons cannot start, {@link slurmCluster} says why, and the test
 * file prints one visible SKIP line instead of running.
 *
 * Importing this module brings the cluster up once per test process ({@link cluster}); all
 * Slurm test cases live in modules registered by the one test file `tests/slurm/slurm_test.ts`,
 * so that parallel test files never start or stop the daemons under each other.
 *
 * @example
 * ```ts ignore
 * import { slurmTest } from "./cluster.ts";
 * slurmTest("x", async () => {});
 * ```
 * @module
 */
import { SlurmExecutor } from "../../engine/executors/slurm.ts";

const SCRIPT = new URL("./cluster.sh", import.meta.url).pathname;

async function sh(args: string[]): Promise<{ ok: boolean; text: string }> {
  try {
    const r = await new Deno.Command("bash", { args, stdout: "piped", stderr: "piped" }).output();
    const dec = new TextDecoder();
    return { ok: r.success, text: (dec.decode(r.stdout) + dec.decode(r.stderr)).trim() };
  } catch (e) {
    return { ok: false, text: (e as Error).message };
  }
}

/** Whether a cluster is usable, why not, and whether this process started it. */
export interface Cluster {
  ok: boolean;
  why: string;
  started: boolean;
  /** Stops the daemons if this process started them. */
  stop(): Promise<void>;
}

/** Ensures a one-node cluster is up (see module doc); prints a SKIP line when it cannot be. */
export async function slurmCluster(label = "slurm tests"): Promise<Cluster> {
  const stop = async () => {};
  if ((await SlurmExecutor.available()).ok) return { ok: true, why: "", started: false, stop };
  if (Deno.env.get("SRMIDAS_SLURM") === "0") {
    console.log(`SKIP ${label}: SRMIDAS_SLURM=0`);
    return { ok: false, why: "SRMIDAS_SLURM=0", started: false, stop };
  }
  const r = await sh([SCRIPT, "start"]);
  const a = await SlurmExecutor.available();
  if (!r.ok || !a.ok) {
    const why = (r.text.split("\n").pop() ?? "") || a.why;
    console.log(`SKIP ${label}: the Slurm daemons cannot start here (${why})`);
    return { ok: false, why, started: false, stop };
  }
  return {
    ok: true,
    why: "",
    started: true,
    stop: async () => {
      await sh([SCRIPT, "stop"]);
    },
  };
}

/** Ids of this user's queued or running jobs whose name starts with `prefix`. */
export async function queuedJobs(prefix = "srmidas-"): Promise<string[]> {
  const r = await new Deno.Command("squeue", {
    args: ["-h", "-o", "%i %j %T"],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(r.stdout).split("\n").map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 2 && f[1].startsWith(prefix)).map((f) => f[0]);
}

/** The cluster of this test process (started on first import, stopped at exit if we started it). */
export const cluster: Cluster = await slurmCluster();
globalThis.addEventListener("unload", () => {
  if (cluster.started) new Deno.Command("bash", { args: [SCRIPT, "stop"] }).outputSync();
});

/** A test that needs the cluster; ignored (after the printed SKIP line) when it is not up. */
export function slurmTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, ignore: !cluster.ok, sanitizeOps: false, sanitizeResources: false, fn });
}
