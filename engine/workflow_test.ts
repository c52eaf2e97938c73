import { assert, assertEquals, assertMatch, assertRejects } from "../tests/assert.ts";
import { parseWorkflow, toMermaid, WorkflowError } from "./workflow.ts";
import { resolveToy } from "./testdata/toy_steps.ts";

const parse = (text: string, set?: string[]) =>
  parseWorkflow(text, "/tmp/wf.yaml", { resolveStep: resolveToy, set });

async function issues(text: string): Promise<string> {
  const e = await assertRejects(() => parse(text));
  assert(e instanceof WorkflowError, String(e));
  return e.message;
}

Deno.test("each bad-input class is reported with file, line, step and field", async () => {
  assertMatch(
    await issues("steps:\n  a:\n    uses: nope\n"),
    "/tmp/wf.yaml:3: step 'a', field 'uses': unknown step 'nope'",
  );
  assertMatch(
    await issues(
      "steps:\n  a: { uses: toy-emit, with: { value: 1 } }\n  b:\n    uses: toy-add\n    in:\n      nums: [a.out]\n",
    ),
    "/tmp/wf.yaml:6: step 'b', field 'in.nums': unknown input port 'nums' of step 'toy-add' (ports: terms)",
  );
  assertMatch(
    await issues("steps:\n  b:\n    uses: toy-add\n"),
    "/tmp/wf.yaml:2: step 'b', field 'in.terms': missing required input 'terms'",
  );
  assertMatch(
    await issues(
      "steps:\n  a: { uses: toy-emit, with: { value: 1 } }\n  b:\n    uses: toy-add\n    in: { terms: [a.sum] }\n",
    ),
    "step 'b', field 'in.terms': step 'a' (toy-emit) has no output 'sum'",
  );
  assertMatch(
    await issues("steps:\n  a:\n    uses: toy-emit\n    with:\n      value: ten\n"),
    /\/tmp\/wf.yaml:5: step 'a', field 'value': Invalid type: Expected number but received "ten"/,
  );
  const cyc = await issues(
    "steps:\n  a: { uses: toy-add, in: { terms: [b.sum] } }\n  b: { uses: toy-add, in: { terms: [a.sum] } }\n",
  );
  assertMatch(cyc, /cycle: (a → b → a|b → a → b)/);
  assertMatch(
    await issues('steps:\n  a: { uses: toy-emit, with: { value: "${params.x}" } }\n'),
    "${params.x} is not defined",
  );
  assertMatch(await issues("steps: [1, 2\n"), /wf.yaml:\d+: YAML:/);
  const e = await assertRejects(() =>
    parse("params: { a: 1 }\nsteps:\n  e: { uses: toy-emit, with: { value: 1 } }\n", ["b=2"])
  );
  assertMatch(e.message, "--set names unknown workflow param 'b' (known: a)");
});

Deno.test("a misspelled param under with: is an error naming file:line and the closest name", async () => {
  assertMatch(
    await issues("steps:\n  a:\n    uses: toy-emit\n    with:\n      value: 1\n      labl: x\n"),
    "/tmp/wf.yaml:6: step 'a', field 'labl': unknown param 'labl' (did you mean 'label'?)",
  );
  assertMatch(
    await issues("steps:\n  a: { uses: toy-emit, with: { value: 1, zzzzzz: 2 } }\n"),
    "/tmp/wf.yaml:2: step 'a', field 'zzzzzz': unknown param 'zzzzzz'",
  );
});

Deno.test("kind mismatch across an edge is rejected", async () => {
  const kinds = async (name: string) => {
    const s = await resolveToy(name);
    return s && name === "toy-add"
      ? { ...s, inputs: { terms: { kind: "patchstore", many: true } } }
      : s;
  };
  const e = await assertRejects(() =>
    parseWorkflow(
      "steps:\n  a: { uses: toy-emit, with: { value: 1 } }\n  b: { uses: toy-add, in: { terms: [a.out] } }\n",
      "w.yaml",
      {
        resolveStep: kinds as never,
      },
    )
  );
  assertMatch(e.message, "kind mismatch: 'a.out' is text, input 'terms' expects patchstore");
});

Deno.test("matrix lists from params: --set widens every step that branches on them", async () => {
  const yaml = `name: m
params: { values: [1], labels: [x] }
steps:
  e:
    uses: toy-emit
    matrix: { value: "\${params.values}", label: "\${params.labels}" }
    with: { value: "\${matrix.value}", label: "\${matrix.label}" }
  f:
    uses: toy-add
    matrix: { value: "\${params.values}" }
    in: { terms: [e.out] }
  sum: { uses: toy-add, in: { terms: [f.sum] } }
`;
  const one = await parse(yaml);
  assertEquals(one.nodes.map((n) => n.id), ["e[value=1,label=x]", "f[value=1]", "sum"]);
  const wide = await parse(yaml, ["values=[1, 2]", "labels=[x, y]"]);
  assertEquals(wide.nodes.map((n) => n.id), [
    "e[value=1,label=x]",
    "e[value=1,label=y]",
    "e[value=2,label=x]",
    "e[value=2,label=y]",
    "f[value=1]",
    "f[value=2]",
    "sum",
  ]);
  // Each f branch reads the e instances of its own value; sum reads every f.
  assertEquals(wide.nodes[4].deps, ["e[value=1,label=x]", "e[value=1,label=y]"]);
  assertEquals(wide.nodes[6].deps, ["f[value=1]", "f[value=2]"]);
  const e = await assertRejects(() => parse(yaml, ["values=[]"]));
  assertMatch(e.message, "step 'e', field 'matrix': matrix must map names to non-empty lists");
  const u = await assertRejects(() => parse(yaml.replace("params.labels", "params.nope")));
  assertMatch(u.message, "${params.nope} is not defined");
});

Deno.test("params interpolate with their type, --set overrides, matrices expand", async () => {
  const wf = await parse(
    `name: m
params: { v: 3 }
steps:
  e:
    uses: toy-emit
    matrix: { value: [1, 2] }
    with: { value: "\${matrix.value}", label: "n\${params.v}" }
  sum: { uses: toy-add, in: { terms: [e.out] }, with: { plus: "\${params.v}" } }
`,
    ["v=7"],
  );
  assertEquals(wf.nodes.map((n) => n.id), ["e[value=1]", "e[value=2]", "sum"]);
  assertEquals(wf.nodes[0].params, { value: 1, label: "n7" });
  assertEquals(wf.nodes[2].params, { plus: 7 });
  assertEquals(wf.nodes[2].deps, ["e[value=1]", "e[value=2]"]);
  assertMatch(toMermaid(wf), 'e_value_1_ -- "out→terms" --> sum');
});
