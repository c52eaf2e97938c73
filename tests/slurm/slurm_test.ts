/**
 * The Slurm tests against a real one-node cluster (tests/slurm/cluster.ts starts it, or reuses
 * a running one, and prints a SKIP line when it cannot). `deno task slurm-test` runs only these.
 */
import "./engine_cases.ts";
import "./process_cases.ts";
import "./allocation_cases.ts";
import "./jobs_cases.ts";
import "./campaign_cases.ts";
