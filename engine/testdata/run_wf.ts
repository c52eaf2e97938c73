/** Runs a workflow of toy steps in its own process: `run_wf.ts <store> <workflow.yaml> [cores]`. */
import { loadWorkflow, LocalExecutor, runWorkflow, Store } from "../mod.ts";
import { resolveToy } from "./toy_steps.ts";

const [storeDir, file, cores] = Deno.args;
const wf = await loadWorkflow(file, { resolveStep: resolveToy });
const res = await runWorkflow(wf, {
  store: await new Store(storeDir).init(),
  executor: new LocalExecutor(),
  cores: cores ? Number(cores) : undefined,
});
console.log(JSON.stringify(res));
Deno.exit(res.ok ? 0 : 1);
