import { levenbergMarquardt, LmWorkspace, normalEquations } from "./levenberg_marquardt.ts";
import { assert, assertClose } from "./test_util.ts";

/** Rosenbrock as least squares: r = (10(x₁ − x₀²), 1 − x₀); minimum at (1, 1). */
const rosenbrock = {
  nParams: 2,
  nResiduals: 2,
  evaluate(x: Float64Array, r: Float64Array, J: Float64Array | null) {
    r[0] = 10 * (x[1] - x[0] * x[0]);
    r[1] = 1 - x[0];
    if (J) {
      J[0] = -20 * x[0]; // ∂r₀/∂x₀
      J[1] = -1; // ∂r₁/∂x₀
      J[2] = 10; // ∂r₀/∂x₁
      J[3] = 0; // ∂r₁/∂x₁
    }
  },
};

Deno.test("levenbergMarquardt: Rosenbrock from (−1.2, 1) reaches (1, 1)", () => {
  const res = levenbergMarquardt(rosenbrock, [-1.2, 1]);
  assertClose(res.x[0], 1, 1e-6, "x0");
  assertClose(res.x[1], 1, 1e-6, "x1");
  assert(res.ssr < 1e-12, `ssr ${res.ssr}`);
  assert(res.status > 0, `status ${res.status}`);
});

Deno.test("levenbergMarquardt: bounds are honoured and the constrained optimum is found", () => {
  // With x0 ≤ 0.5 the optimum is (0.5, 0.25) on the bound.
  const ws = new LmWorkspace(4, 4);
  const res = levenbergMarquardt(rosenbrock, [-1.2, 1], {
    lower: [-2, -2],
    upper: [0.5, 2],
    workspace: ws,
  });
  assertClose(res.x[0], 0.5, 1e-9, "x0 on bound");
  assertClose(res.x[1], 0.25, 1e-7, "x1");
  // Starting on a bound whose gradient points inwards: the parameter must leave it.
  const res2 = levenbergMarquardt(rosenbrock, [-2, 3], { lower: [-2, -2], upper: [2, 3] });
  assertClose(res2.x[0], 1, 1e-7, "left the lower bound");
});

Deno.test("levenbergMarquardt: non-finite start reports −1", () => {
  const bad = {
    nParams: 1,
    nResiduals: 1,
    evaluate: (_x: Float64Array, r: Float64Array) => r[0] = NaN,
  };
  assert(levenbergMarquardt(bad, [0]).status === -1, "status −1");
});

Deno.test("normalEquations: JᵀJ and Jᵀr of a column-major Jacobian, odd and even sizes", () => {
  for (const [m, n] of [[7, 1], [5, 4], [6, 5]]) {
    const jac = Float64Array.from({ length: m * n }, (_, q) => Math.sin(1.7 * q + 0.3));
    const r = Float64Array.from({ length: m }, (_, k) => Math.cos(0.9 * k));
    const a = new Float64Array(n * n), g = new Float64Array(n);
    normalEquations(jac, r, m, n, a, g);
    for (let i = 0; i < n; i++) {
      let gi = 0;
      for (let k = 0; k < m; k++) gi += jac[i * m + k] * r[k];
      assert(g[i] === gi, `g[${i}] (${m}×${n})`);
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let k = 0; k < m; k++) s += jac[i * m + k] * jac[j * m + k];
        // Summed in the same order as this reference, so equal to the last bit.
        assert(a[i * n + j] === s, `A[${i}][${j}] (${m}×${n})`);
      }
    }
  }
});
