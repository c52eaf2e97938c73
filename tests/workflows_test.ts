/**
 * The shipped workflows: every file in workflows/ validates against the built-in steps, and the
 * training campaign runs end to end at toy size, after which changing one stage's parameter
 * re-plans only that stage and what depends on it (issue #7 acceptance, shown by `plan`).
 */
import { join } from "node:path";
import { loadWorkflow, planWorkflow, runWorkflow, Store } from "../engine/mod.ts";
import { resolveStep } from "../steps/registry.ts";
import { assert, assertEquals } from "./assert.ts";

const WORKFLOWS = new URL("../workflows/", import.meta.url).pathname;

/** The campaign at toy size: seconds, not an hour. */
const TOY = [
  "nFrames=8",
  "nPatch=100",
  "epochsX2=1",
  "epochsX4=1",
  "epochsX8=1",
  "epochsX1X8=1",
  "epochsSeedX2=1",
];

Deno.test("every shipped workflow validates against the built-in steps", async () => {
  const files = [...Deno.readDirSync(WORKFLOWS)].filter((e) => e.name.endsWith(".yaml"));
  assert(files.length >= 2, `workflows: ${files.map((f) => f.name)}`);
  for (const f of files) {
    const wf = await loadWorkflow(join(WORKFLOWS, f.name), { resolveStep, set: [] });
    assert(wf.nodes.length > 0, `${f.name}: no steps`);
  }
});

Deno.test("campaign: toy run end to end; a changed x4→x8 parameter re-plans only its branch", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srmidas-campaign-" });
  try {
    const store = await new Store(join(dir, ".srmidas")).init();
    const file = join(WORKFLOWS, "campaign.yaml");
    const wf = await loadWorkflow(file, { resolveStep, set: TOY });
    const res = await runWorkflow(wf, { store, cores: 2 });
    assert(res.ok, `failed: ${JSON.stringify(res.failed)}`);
    const ship = Object.entries(res.outputs).find(([id]) => id.startsWith("ship["))![1].models;
    for (const key of ["x1_x2", "x2_x4", "x4_x8", "x1_x8"]) {
      const card = JSON.parse(await Deno.readTextFile(join(ship, key, "model.json")));
      assertEquals(card.key, key);
      assert(card.evaluation?.length === 2, `${key}: evaluation runs in the card`);
      assertEquals(card.provenance.nPatch, 100);
    }
    const table = await Deno.readTextFile(join(res.outputs.compare.report, "report.md"));
    assert(table.includes("single x1_x8: SR x8"), table.slice(0, 400));

    const changed = await loadWorkflow(file, {
      resolveStep,
      set: [...TOY, "epochsX8=2"],
    });
    const plan = await planWorkflow(changed, { store });
    const rerun = plan.filter((e) => e.status === "run").map((e) => e.id.replace(/\[.*\]$/, ""));
    assertEquals(
      rerun.sort(),
      // sr2 reads the same cascade folder, so its input digest changes too.
      [
        "cascade",
        "compare",
        "eval2",
        "eval8",
        "eval8single",
        "ship",
        "sr2",
        "sr8",
        "sr8single",
        "x8",
      ],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
