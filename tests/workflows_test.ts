/**
 * The shipped workflows: every file in workflows/ validates against the built-in steps, and the
 * training campaign runs end to end at toy size, after which changing one stage's parameter
 * re-plans only that stage and what depends on it (issue #7 acceptance, shown by `plan`).
 */
import { join } from "node:path";
import { loadWorkflow, planWorkflow, runWorkflow, Store } from "../engine/mod.ts";
import { resolveStep } from "../steps/registry.ts";
import { assert, assertEquals } from "./assert.ts";
import { TOY_CAMPAIGN } from "./toy_campaign.ts";

const WORKFLOWS = new URL("../workflows/", import.meta.url).pathname;

/** The campaign's shipped architecture (its `archs` default). */
const ARCH = "32-3-r_16-3-r_4-3-s_ps2";

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
    const wf = await loadWorkflow(file, { resolveStep, set: TOY_CAMPAIGN });
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
    assert(table.includes("single x1_x8, 100 patches: SR x8"), table.slice(0, 400));

    const changed = await loadWorkflow(file, {
      resolveStep,
      set: [...TOY_CAMPAIGN, "epochsX8=2"],
    });
    const plan = await planWorkflow(changed, { store });
    const rerun = plan.filter((e) => e.status === "run").map((e) => e.id.replace(/\[.*\]$/, ""));
    assertEquals(
      rerun.sort(),
      // sr2 reads the same cascade folder, so its input digest changes too; the single model
      // has its own bundle and stays cached.
      ["cascade", "compare", "eval2", "eval8", "ship", "sr2", "sr8", "x8"],
    );

    // Widening both matrices adds branches; the one already trained stays cached, and compare
    // gets one row per branch.
    const wide = await loadWorkflow(file, {
      resolveStep,
      set: [...TOY_CAMPAIGN, `archs=[${ARCH}, 8-3-r_4-3-s_ps2]`, "nPatches=[100, 120]"],
    });
    const widePlan = await planWorkflow(wide, { store });
    const runs = widePlan.filter((e) => e.status === "run").map((e) => e.id);
    const branchSteps = ["x2", "pred2", "x4", "pred4", "x8", "cascade", "sr8", "eval8", "sr2"];
    const sizeSteps = ["x1x8", "single", "sr8single", "eval8single", "seedX2", "seedModels"]
      .concat(["sr2seed", "eval2seed", "seed7X2", "seed7Models", "sr2seed7", "eval2seed7"]);
    assertEquals(
      runs.filter((id) => id.startsWith("x2[")).sort(),
      [
        `x2[arch=${ARCH},nPatch=120]`,
        "x2[arch=8-3-r_4-3-s_ps2,nPatch=100]",
        "x2[arch=8-3-r_4-3-s_ps2,nPatch=120]",
      ],
    );
    assertEquals(
      runs.length,
      1 + 3 * (branchSteps.length + 2) + sizeSteps.length + 1,
      runs.join("\n"),
    ); // patchstore, 3 new branches (+ eval2, ship), one new size, compare
    assert(!runs.includes(`x2[arch=${ARCH},nPatch=100]`) && !runs.includes("native[seed=101]"));
    const wideRes = await runWorkflow(wide, { store, cores: 2 });
    assert(wideRes.ok, `failed: ${JSON.stringify(wideRes.failed)}`);
    const wideTable = await Deno.readTextFile(join(wideRes.outputs.compare.report, "report.md"));
    for (const arch of [ARCH, "8-3-r_4-3-s_ps2"]) {
      for (const n of [100, 120]) {
        const label = `cascade ${arch}, ${n} patches: SR x8`;
        assert(wideTable.includes(label), `${label} missing from\n${wideTable.slice(0, 800)}`);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
