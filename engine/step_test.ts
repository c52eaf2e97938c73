import * as v from "valibot";
import { defineStep } from "./step.ts";

Deno.test("defineStep keeps the definition as given", () => {
  const s = defineStep({
    name: "noop",
    version: "1",
    description: "nothing",
    params: v.object({ a: v.optional(v.number(), 1) }),
    inputs: {},
    outputs: { out: { kind: "text", path: "out.txt" } },
    async run() {},
  });
  if (s.name !== "noop" || s.outputs.out.path !== "out.txt") throw new Error("changed");
});
