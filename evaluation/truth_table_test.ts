import { assertEquals, assertThrows } from "./_test_util.ts";
import { FIXTURE_TRUTH_TSV } from "./fixture.ts";
import { parseTruthTable } from "./truth_table.ts";

Deno.test("parseTruthTable reads synthesis/truth.ts columns by name", () => {
  const t = parseTruthTable(FIXTURE_TRUTH_TSV);
  assertEquals(t.n, 9);
  assertEquals(Array.from(t.frame), [0, 0, 0, 0, 1, 1, 1, 2, 2]);
  assertEquals([t.firstFrame[4], t.lastFrame[4]], [0, 2]);
  assertEquals([t.y[5], t.z[5], t.intensity[5], t.pairOf[5]], [20.5, 20, 200, 5]);
});

Deno.test("parseTruthTable accepts aliases, commas, and missing optional columns", () => {
  const t = parseTruthTable("Y,Z,frame\n1.5,2.5,4\n");
  assertEquals([t.y[0], t.z[0], t.frame[0], t.firstFrame[0], t.lastFrame[0]], [1.5, 2.5, 4, 4, 4]);
  assertEquals(Number.isNaN(t.intensity[0]), true);
  assertEquals(t.spotId[0], 1);
});

Deno.test("parseTruthTable names the file, line and column on bad input", () => {
  assertThrows(() => parseTruthTable("", "t.tsv"), "t.tsv: empty file");
  assertThrows(() => parseTruthTable("frame\tY\n0\t1\n", "t.tsv"), "header lacks a z column");
  assertThrows(() => parseTruthTable("frame\tY\tZ\n0\tx\t1\n", "t.tsv"), "line 2: column Y");
  assertThrows(() => parseTruthTable("frame\tY\tZ\n1.5\t1\t1\n", "t.tsv"), "not a 0-based integer");
});
