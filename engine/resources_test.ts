import { assertEquals, assertRejects, assertThrows } from "../tests/assert.ts";
import {
  mergeResources,
  parseResources,
  resourcesFromPairs,
  walltimeSeconds,
} from "./resources.ts";
import { parseWorkflow } from "./workflow.ts";
import { resolveToy } from "./testdata/toy_steps.ts";

Deno.test("resources: memory units, walltime forms, layering", () => {
  assertEquals(parseResources({ mem: "4G", time: 90 }), { mem: 4096, time: "90" });
  assertEquals(parseResources({ mem: 512 }).mem, 512);
  assertEquals(walltimeSeconds("90"), 5400);
  assertEquals(walltimeSeconds("1:30"), 90);
  assertEquals(walltimeSeconds("1:00:05"), 3605);
  assertEquals(walltimeSeconds("1-2"), 93600);
  assertEquals(walltimeSeconds("soon"), undefined);
  assertEquals(
    mergeResources({ cpus: 2, mem: 512, extra: ["--qos=a"] }, { mem: 1024 }, {
      partition: "gpu",
      extra: ["-C gpu"],
    }),
    { cpus: 2, mem: 1024, partition: "gpu", extra: ["--qos=a", "-C gpu"] },
  );
  assertEquals(resourcesFromPairs(["cpus=4", "time=10", "extra=--qos=debug"]), {
    cpus: 4,
    time: "10",
    extra: ["--qos=debug"],
  });
  assertThrows(() => parseResources({ mem: "lots" }), "resources.mem");
  assertThrows(() => parseResources({ gpu: 1 }), "gpu");
  assertThrows(() => resourcesFromPairs(["cpus"]), "key=value");
});

Deno.test("workflow: per-step resources and the executor key are parsed; bad ones name the line", async () => {
  const wf = await parseWorkflow(
    `executor: slurm
params: { m: 2G }
steps:
  a:
    uses: toy-emit
    with: { value: 1 }
    resources: { cpus: 2, mem: "\${params.m}", time: "1:00:00", partition: debug }
  b: { uses: toy-emit, with: { value: 2 } }
`,
    "/x/wf.yaml",
    { resolveStep: resolveToy },
  );
  assertEquals(wf.executor, "slurm");
  assertEquals(wf.nodes[0].resources, { cpus: 2, mem: 2048, time: "1:00:00", partition: "debug" });
  assertEquals(wf.nodes[1].resources, undefined);
  await assertRejects(
    () =>
      parseWorkflow(
        `steps:\n  a:\n    uses: toy-emit\n    with: { value: 1 }\n    resources: { cpus: 0 }\n`,
        "/x/wf.yaml",
        { resolveStep: resolveToy },
      ),
    /wf\.yaml:5: step 'a', field 'resources': resources\.cpus/,
  );
});
