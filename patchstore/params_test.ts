import * as v from "valibot";
import { createPatchstoreParams, parseFactorList, toSynthesisConfig } from "./params.ts";
import { assert, assertRejects } from "./test_assert.ts";

Deno.test("params: sr-midas keys and CLI aliases map to one config", () => {
  const a = toSynthesisConfig(v.parse(createPatchstoreParams, {
    nPatch: 50,
    lrsz: 20,
    srfacAll: "1-2-4-8",
    nPeak: "1-2-3",
    midasIthresh: 40,
    Ypx_BC: 1000,
    Zpx_BC: 990,
  }));
  const b = toSynthesisConfig(v.parse(createPatchstoreParams, {
    n_patches: 50,
    patch_size: 20,
    srfac_list: [1, 2, 4, 8],
    n_peaks_per_patch: [1, 2, 3],
    I_thresh: 40,
    Ypx_BC: 1000,
    Zpx_BC: 990,
    savedir: "/x",
    useRch: true,
    config: null,
  }));
  assert(JSON.stringify(a) === JSON.stringify(b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  assert(a.nPeak.join() === "1,2,3" && a.midasIthresh === 40 && a.seed === 0, "values");
  assert(
    parseFactorList("1-2-4-8").join() === "1,2,4,8" && parseFactorList(8).join() === "8",
    "lists",
  );
});

Deno.test("params: conflicts, typos, bad lists and a missing beam centre are errors", async () => {
  const bad = (x: unknown) => !v.safeParse(createPatchstoreParams, x).success;
  assert(bad({ nPatch: 5, n_patches: 6 }), "conflicting aliases");
  assert(bad({ nPach: 5 }), "unknown key");
  assert(bad({ srfacAll: "1-x-4" }), "non-numeric list");
  assert(bad({ nPatch: 1.5 }), "non-integer");
  const msg =
    v.safeParse(createPatchstoreParams, { nPatch: 5, n_patches: 6 }).issues?.[0].message ?? "";
  assert(/nPatch=5 and its alias n_patches=6 disagree/.test(msg), msg);
  await assertRejects(
    () => toSynthesisConfig(v.parse(createPatchstoreParams, {})),
    /Ypx_BC and Zpx_BC .* are required/,
  );
  const c = toSynthesisConfig(v.parse(createPatchstoreParams, {}), { y: 10, z: 20 });
  assert(c.Ypx_BC === 10 && c.Zpx_BC === 20, "beam centre from the peakbank");
});
