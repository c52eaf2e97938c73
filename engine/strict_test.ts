import * as v from "valibot";
import { assertEquals, assertThrows } from "../tests/assert.ts";
import { assertKnownKeys, closestName, editDistance, lineOfKey, unknownKeys } from "./strict.ts";

Deno.test("edit distance and the closest name", () => {
  assertEquals(editDistance("nGrain", "nGrains"), 1);
  assertEquals(editDistance("kitten", "sitting"), 3);
  assertEquals(closestName("nGrain", ["nFrames", "nGrains", "seed"]), "nGrains");
  assertEquals(closestName("NFRAMES", ["nFrames"]), "nFrames");
  assertEquals(closestName("zzzz", ["nFrames", "seed"]), undefined);
});

Deno.test("unknown keys are found through pipes, optionals and nested objects; loose objects pass", () => {
  const s = v.pipe(
    v.object({
      a: v.optional(v.number(), 1),
      nested: v.optional(v.object({ deep: v.number() })),
      free: v.looseObject({}),
    }),
    v.check(() => true),
  );
  const bad = unknownKeys(s, {
    a: 1,
    b: 2,
    nested: { deep: 1, dep: 2 },
    free: { any: 1 },
    about: "x",
  }, {
    allow: ["about"],
  });
  assertEquals(bad.map((u) => [u.path.join("."), u.suggestion]), [["b", "a"], [
    "nested.dep",
    "deep",
  ]]);
});

Deno.test("assertKnownKeys names file:line in YAML and JSON", () => {
  const s = v.object({ nGrains: v.number(), seed: v.number() });
  assertEquals(lineOfKey("seed: 1\nnGrain: 5\n", ["nGrain"]), 2);
  assertThrows(
    () =>
      assertKnownKeys(s, { seed: 1, nGrain: 5 }, {
        file: "c.yaml",
        text: "seed: 1\nnGrain: 5\n",
        what: "param",
      }),
    "c.yaml:2: unknown param 'nGrain' (did you mean 'nGrains'?)",
  );
  const json = '{\n  "seed": 1,\n  "nGrain": 5\n}';
  assertThrows(
    () => assertKnownKeys(s, JSON.parse(json), { file: "c.json", text: json }),
    "c.json:3: unknown key 'nGrain'",
  );
});
