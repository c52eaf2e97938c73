import { addPseudoVoigt, pseudoVoigt } from "./pseudo_voigt.ts";

const p = { u0: 10, v0: 5, sigmaGU: 1, sigmaGV: 2, sigmaLU: 1.5, sigmaLV: 0.5, mu: 0.4, iMax: 100 };

Deno.test("pseudoVoigt equals iMax at the centre and mixes G and L off-centre", () => {
  if (Math.abs(pseudoVoigt(p, 10, 5) - 100) > 1e-12) throw new Error("centre");
  const g = Math.exp(-0.5 * (1 + 0));
  const l = 1 / (1 + (1 / 1.5) ** 2);
  const want = 100 * (0.4 * l + 0.6 * g);
  if (Math.abs(pseudoVoigt(p, 11, 5) - want) > 1e-12) throw new Error("off-centre");
});

Deno.test("addPseudoVoigt accumulates on a grid", () => {
  const out = new Float64Array([1, 1]);
  addPseudoVoigt(out, [10, 11], [5, 5], p, 2);
  if (Math.abs(out[0] - 201) > 1e-9) throw new Error(String(out[0]));
});
