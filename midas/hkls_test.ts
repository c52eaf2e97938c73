import { MIDAS_EXAMPLE_DIR } from "../tests/shared_data.ts";
import { formatG17, formatHkls, readHkls, ringRadiiPx } from "./hkls.ts";
import { assert, assertEquals, assertRejects } from "./_test_util.ts";

const EXAMPLE = MIDAS_EXAMPLE_DIR + "hkls.csv";

Deno.test("hkls.csv: reads MIDAS's file and writes it back byte for byte", async () => {
  const rows = await readHkls(EXAMPLE);
  assertEquals(rows.length, 58);
  assertEquals([rows[0].h, rows[0].k, rows[0].l, rows[0].ringNr], [-1, 1, 1, 1]);
  const text = await Deno.readTextFile(EXAMPLE);
  assertEquals(formatHkls(rows).trimEnd(), text.trimEnd());
  const [r1] = ringRadiiPx(rows, [1], 200, EXAMPLE);
  assert(Math.abs(r1 - 94949.402022300244 / 200) < 1e-9);
  assertEquals(formatG17(1e-5), "1.0000000000000001e-05");
});

Deno.test("hkls.csv: missing file and missing ring are clear errors", async () => {
  await assertRejects(
    () => readHkls("/nonexistent/hkls.csv"),
    "/nonexistent/hkls.csv",
    "not found",
  );
  const rows = await readHkls(EXAMPLE);
  let msg = "";
  try {
    ringRadiiPx(rows, [99], 200, EXAMPLE);
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(msg.includes("RingNr 99"), msg);
});
