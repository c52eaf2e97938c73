import { patchRows, PatchRowsPool, type PatchTask } from "./patch_rows.ts";
import { assert, assertEquals, assertRejects, rawPatch, srPatch } from "./_test_util.ts";

/** Patch j: one spot, and for odd j a faint partner 2 px away, re-fitted on raw noisy counts. */
function task(j: number): PatchTask {
  const y00 = 500 + 25 * j, z00 = 300, s = 8;
  const spots: [number, number, number][] = [[y00 + 9.3, z00 + 10.6, 400]];
  if (j % 2) spots.push([y00 + 11.2, z00 + 10.1, 120]);
  return {
    srPatch: srPatch(s, y00, z00, spots.map(([y, z, a]) => [y, z, a / 8]), 0.8),
    input: {
      s,
      lowResSize: 20,
      y00,
      z00,
      ybc: 1022,
      zbc: 1022,
      omega: 12,
      nPx: 40,
      rawMax: 400,
      rawSum: 5000,
      mode: "auto",
      args: { minDistance: 5, thresholdRel: 0.1, peakCropSize: 20, pvfitIntThresh: 10 },
      raw: {
        patch: rawPatch(y00, z00, spots, j + 1),
        threshold: 5,
        noise: { gain: 1, readSigma: 1 },
        split: {},
      },
    },
    centres: { own: [y00 + 10, z00 + 10], before: [], after: [] },
    regionSource: { frame: 3, y00, z00 },
  };
}

const plain = (rows: unknown) =>
  JSON.stringify(rows, (_k, v) => (ArrayBuffer.isView(v) ? [...(v as Int32Array)] : v));

Deno.test("PatchRowsPool: rows and re-fit regions on 2 workers equal the calling thread's, in order", async () => {
  const expected = Array.from({ length: 7 }, (_, j) => patchRows(task(j)));
  assert(expected.every((r) => r.rows.length > 0 && r.regions.length > 0), "every patch fitted");
  const pool = new PatchRowsPool(2);
  try {
    // Run a's SR patches are views into one batch buffer, as process's are.
    const viewed = Array.from({ length: 7 }, (_, j) => task(j));
    const batch = new Float64Array(viewed.reduce((n, t) => n + t.srPatch.length, 0));
    let at = 0;
    for (const t of viewed) {
      batch.set(t.srPatch, at);
      t.srPatch = batch.subarray(at, at += t.srPatch.length);
    }
    // Two runs queued at once share the workers; each gets its own tasks' results.
    const [a, b] = await Promise.all([
      pool.run(viewed),
      pool.run(Array.from({ length: 7 }, (_, j) => task(j)).reverse()),
    ]);
    assertEquals(plain(a), plain(expected));
    assertEquals(plain(b), plain([...expected].reverse()));
    assertEquals(batch.length, at, "the caller's batch is copied for the workers, not moved");
  } finally {
    pool.close();
  }
});

Deno.test("PatchRowsPool: a task that fails in a worker rejects its run with the task's error", async () => {
  const pool = new PatchRowsPool(2);
  try {
    const tasks = Array.from({ length: 6 }, (_, j) => task(j));
    tasks[4] = { ...tasks[4], srPatch: new Float64Array(100) }; // not (20·8)² values
    await assertRejects(() => pool.run(tasks), "peakLocalMax: image has 100 values");
    // The pool stays usable.
    assertEquals((await pool.run([task(0), task(1), task(2), task(3), task(5)])).length, 5);
  } finally {
    pool.close();
  }
});
