import { FrameLog } from "./frame_log.ts";
import { assertEquals } from "./_test_util.ts";

Deno.test("frame log: reopen keeps records, truncates a torn tail, resets on new settings", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const row = (x: number) => new Float64Array(29).fill(x);
    let log = await FrameLog.open(dir, { a: 1 });
    await log.append(0, row(1), [Int16Array.from([1, 2])]);
    await log.append(1, new Float64Array(0), []);
    log.close();
    // A kill in the middle of the third record leaves a partial record.
    const f = await Deno.open(`${dir}/frames.log`, { append: true });
    await f.write(new Uint8Array([200, 0, 0, 0, 2, 0, 0]));
    f.close();
    log = await FrameLog.open(dir, { a: 1 });
    assertEquals([...log.index.keys()], [0, 1]);
    await log.append(2, row(3), [Int16Array.from([5, 6, 7, 8])]);
    const recs = [];
    for await (const r of log.records()) {
      recs.push([r.frame, r.rows.length, r.rows[0] ?? -1, ...r.pixels.flatMap((p) => [...p])]);
    }
    assertEquals(recs, [[0, 29, 1, 1, 2], [1, 0, -1], [2, 29, 3, 5, 6, 7, 8]]);
    log.close();
    log = await FrameLog.open(dir, { a: 2 });
    assertEquals(log.index.size, 0, "new settings discard the log");
    log.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
