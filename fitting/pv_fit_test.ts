import { pseudoVoigt, type PseudoVoigtParams } from "../peaks/pseudo_voigt.ts";
import { addPseudoVoigtRegion, pseudoVoigtGradient } from "./pv_gradient.ts";
import {
  fitOutOfLorentzianCorner,
  fitPseudoVoigtRegion,
  LORENTZIAN_CORNER_MU,
  midasInitialGuess,
  type PeakSeed,
  wrapDeg,
} from "./pv_fit.ts";
import { assert, assertClose, gaussianRng } from "./test_util.ts";

const KEYS = ["u0", "v0", "sigmaGU", "sigmaGV", "sigmaLU", "sigmaLV", "mu", "iMax"] as const;

Deno.test("pseudoVoigtGradient: value equals pseudoVoigt and gradient matches finite differences", () => {
  const p: PseudoVoigtParams = {
    u0: 100.3,
    v0: 20.1,
    sigmaGU: 1.2,
    sigmaGV: 0.7,
    sigmaLU: 0.9,
    sigmaLV: 0.5,
    mu: 0.35,
    iMax: 800,
  };
  const g = new Float64Array(8);
  for (const [u, v] of [[101.1, 19.7], [99.0, 20.9], [100.3, 20.1]]) {
    const f = pseudoVoigtGradient(p, u, v, g);
    assertClose(f, pseudoVoigt(p, u, v), 1e-9, "value");
    KEYS.forEach((k, s) => {
      const h = 1e-6 * Math.max(1, Math.abs(p[k]));
      const fd =
        (pseudoVoigt({ ...p, [k]: p[k] + h }, u, v) - pseudoVoigt({ ...p, [k]: p[k] - h }, u, v)) /
        (2 * h);
      assertClose(g[s], fd, 1e-5 * Math.max(1, Math.abs(fd)), `d/d${k} at (${u}, ${v})`);
    });
  }
});

/** Region pixels on an (R, Eta) grid: R px step 1, Eta step = 1 px of arc; keeps values ≥ thr. */
function renderRegion(
  peaks: PseudoVoigtParams[],
  rC: number,
  etaC: number,
  bg: number,
  thr: number,
  half = 6,
) {
  const dEta = (180 / Math.PI) / rC;
  const r: number[] = [], eta: number[] = [], value: number[] = [];
  for (let a = -half; a <= half; a++) {
    for (let b = -half; b <= half; b++) {
      const R = rC + a, E = wrapDeg(etaC + b * dEta);
      let v = bg;
      for (const p of peaks) v += pseudoVoigt(p, R, p.v0 + wrapDeg(E - p.v0));
      if (v >= thr) {
        r.push(R);
        eta.push(E);
        value.push(v);
      }
    }
  }
  return { r, eta, value };
}

function seedAtMax(px: { r: number[]; eta: number[]; value: number[] }): PeakSeed {
  let k = 0;
  for (let i = 1; i < px.value.length; i++) if (px.value[i] > px.value[k]) k = i;
  return { r: px.r[k], eta: px.eta[k], value: px.value[k] };
}

const base = { sigmaGU: 1.1, sigmaGV: 0.06, sigmaLU: 0.9, sigmaLV: 0.05, mu: 0.3, iMax: 1000 };

Deno.test("fitPseudoVoigtRegion: isolated noiseless peak recovered to < 0.01 px", () => {
  const rC = 800;
  const truth = { ...base, u0: rC + 0.37, v0: 30 + 0.21 * (180 / Math.PI) / rC };
  const px = renderRegion([truth], rC, 30, 20, 50);
  const fit = fitPseudoVoigtRegion(px, [seedAtMax(px)], { threshold: 50 });
  const pk = fit.peaks[0];
  assertClose(pk.r, truth.u0, 0.01, "R");
  assertClose((pk.eta - truth.v0) * (Math.PI / 180) * rC, 0, 0.01, "Eta (px of arc)");
  assertClose(pk.iMax, truth.iMax, 1, "IMax");
  assertClose(fit.bg, 20, 0.5, "BG");
  assert(fit.retVal < 1e-2, `retVal ${fit.retVal}`);
  assert(pk.nrPixels > 0 && pk.nrPixels <= px.value.length, "NrPixels");
});

Deno.test("fitPseudoVoigtRegion: two peaks 3 px apart in R are separated", () => {
  const rC = 600, e = 45;
  const a = { ...base, u0: rC - 1.4, v0: e };
  const b = { ...base, u0: rC + 1.6, v0: e, iMax: 600 };
  const px = renderRegion([a, b], rC, e, 10, 40, 7);
  const seeds: PeakSeed[] = [];
  for (const t of [a, b]) {
    let k = 0, d = Infinity;
    px.r.forEach((R, i) => {
      const dd = Math.abs(R - Math.round(t.u0)) + Math.abs(px.eta[i] - e);
      if (dd < d) {
        d = dd;
        k = i;
      }
    });
    seeds.push({ r: px.r[k], eta: px.eta[k], value: px.value[k] });
  }
  const fit = fitPseudoVoigtRegion(px, seeds, { threshold: 40 });
  // The 17-parameter PV model has shallow local minima in the μ/σL trade-off (this case ends in
  // one, converged, 0.02 px off), so the joint-fit tolerance is 0.05 px, not 0.01.
  assertClose(fit.peaks[0].r, a.u0, 0.05, "R a");
  assertClose(fit.peaks[1].r, b.u0, 0.05, "R b");
  assertClose(fit.peaks[1].iMax, 600, 15, "IMax b");
  assert(fit.peaks[0].integratedIntensity > fit.peaks[1].integratedIntensity, "apportioned");
});

Deno.test("fitPseudoVoigtRegion: a spot on the Eta = ±180° seam fits as one blob", () => {
  const rC = 500;
  const truth = { ...base, u0: rC + 0.2, v0: 179.98 };
  const px = renderRegion([truth], rC, 180, 0, 30);
  assert(px.eta.some((x) => x < 0) && px.eta.some((x) => x > 0), "region straddles the seam");
  const fit = fitPseudoVoigtRegion(px, [seedAtMax(px)], { threshold: 30 });
  assertClose(fit.peaks[0].r, truth.u0, 0.01, "R");
  assertClose(wrapDeg(fit.peaks[0].eta - truth.v0), 0, 1e-3, "Eta across seam");
  assert(fit.peaks[0].eta <= 180 && fit.peaks[0].eta > -180, "Eta wrapped");
});

Deno.test("fitPseudoVoigtRegion: MIDAS bounds honoured (centre boxed ±1 px from its seed)", () => {
  const rC = 700;
  // True peak 2.5 px from the seed we force: the fit must stop on the R bound.
  const truth = { ...base, u0: rC + 2.5, v0: 10 };
  const px = renderRegion([truth], rC, 10, 0, 5, 8);
  const i0 = px.r.findIndex((R, i) => R === rC && Math.abs(px.eta[i] - 10) < 1e-9);
  const seed = { r: rC, eta: 10, value: px.value[i0] };
  const g = midasInitialGuess(px, [seed], 5);
  const fit = fitPseudoVoigtRegion(px, [seed], { threshold: 5 });
  const pk = fit.peaks[0];
  assert(pk.r <= rC + 1 + 1e-12 && pk.r >= rC - 1, `R ${pk.r} within ±1`);
  assertClose(pk.r, rC + 1, 1e-9, "stopped on the bound");
  assert(fit.bg >= 0 && fit.bg <= 5, "BG in [0, threshold]");
  assert(pk.iMax >= seed.value / 2 && pk.iMax <= 5 * seed.value, "IMax in [½, 5]×");
  assert(g.upper[3] - g.lower[3] > 0 && g.x0[4] === 0.5, "Eta box and MU start");
});

Deno.test("fitPseudoVoigtRegion: a start moves where the fit begins, not its box", () => {
  const rC = 700;
  const truth = { ...base, u0: rC + 0.3, v0: 10 };
  const px = renderRegion([truth], rC, 10, 0, 5, 8);
  const seed = seedAtMax(px);
  const cold = fitPseudoVoigtRegion(px, [seed], { threshold: 5 });
  const warm = fitPseudoVoigtRegion(px, [{ ...seed, start: cold.peaks[0], shape: cold.peaks[0] }], {
    threshold: 5,
    bgStart: cold.bg,
  });
  assertClose(warm.peaks[0].r, cold.peaks[0].r, 1e-4, "the same solution");
  assert(warm.iterations < cold.iterations, `${warm.iterations} vs ${cold.iterations} iterations`);
  // A start outside the seed's ±1 px box is clamped into it: the bounds are the seed's.
  const far = { r: seed.r + 3, eta: seed.eta, iMax: seed.value * 20 };
  const g = midasInitialGuess(px, [{ ...seed, start: far }], 5);
  assertClose(g.x0[2], seed.r + 1, 1e-12, "R start on the seed's bound");
  assertClose(g.x0[1], seed.value * 5, 1e-9, "IMax start on its bound");
});

Deno.test("fitPseudoVoigtRegion: shape groups tie widths within a group, not across groups", () => {
  // Two spots 8 px apart in Eta with radial widths 0.9 and 1.8 px: one group per spot recovers
  // both; one group for both forces one width on the pair.
  const rC = 600, e = 30, arc = (180 / Math.PI) / rC;
  const a = { ...base, u0: rC + 0.2, v0: e - 4 * arc, sigmaGU: 0.9, sigmaLU: 0.9 };
  const b = { ...base, u0: rC - 0.3, v0: e + 4 * arc, sigmaGU: 1.8, sigmaLU: 1.8, iMax: 700 };
  const px = renderRegion([a, b], rC, e, 10, 30, 9);
  const seeds = [a, b].map((t) => ({ r: Math.round(t.u0), eta: t.v0, value: t.iMax }));
  const own = fitPseudoVoigtRegion(px, seeds, { threshold: 30, shapeGroups: [0, 1] });
  assertClose(own.peaks[0].sigmaGR, 0.9, 0.02, "σGR a, own shape");
  assertClose(own.peaks[1].sigmaGR, 1.8, 0.02, "σGR b, own shape");
  assert(own.retVal < 1, `own shapes fit exactly (retVal ${own.retVal})`);
  const one = fitPseudoVoigtRegion(px, seeds, { threshold: 30, shapeGroups: [5, 5] });
  for (const k of ["sigmaGR", "sigmaLR", "sigmaGEta", "sigmaLEta", "mu"] as const) {
    assertClose(one.peaks[0][k], one.peaks[1][k], 1e-12, `${k} tied`);
  }
  assert(
    one.nParams === own.nParams - 5,
    `${one.nParams} free parameters, 5 fewer than ${own.nParams}`,
  );
  assert(one.retVal > 10 * own.retVal, "one shape cannot fit both spots");
});

Deno.test("fitPseudoVoigtRegion: minSigmaPx floors every width (Eta in px of arc)", () => {
  // One hot pixel on a faint flat region: unbounded, the fit shrinks onto it.
  const rC = 900, e = 12, arc = (180 / Math.PI) / rC;
  const px = renderRegion([], rC, e, 20, 0, 4);
  const hot = px.r.findIndex((R, i) => R === rC && Math.abs(px.eta[i] - e) < 1e-9);
  px.value[hot] = 120;
  const seed = { r: rC, eta: e, value: 100 };
  const free = fitPseudoVoigtRegion(px, [seed], { threshold: 30 }).peaks[0];
  assert(Math.min(free.sigmaGR, free.sigmaGEta / arc) < 0.5, "without a floor it fits the pixel");
  const p = fitPseudoVoigtRegion(px, [seed], { threshold: 30, minSigmaPx: 0.5 }).peaks[0];
  for (const s of [p.sigmaGR, p.sigmaLR]) assert(s >= 0.5 - 1e-12, `radial σ ${s}`);
  for (const s of [p.sigmaGEta, p.sigmaLEta]) assert(s / arc >= 0.5 - 1e-6, `arc σ ${s / arc} px`);
});

Deno.test("fitOutOfLorentzianCorner: a noisy Gaussian spot trapped at µ = 1 is re-fitted as one", () => {
  // A mostly Gaussian, elongated spot (σR 0.8 px, σ along the ring 3.6 px, µ 0.1) with detector
  // noise in a 27 × 27 px region of mostly background: from MIDAS's start the fit ends a pure
  // Lorentzian (µ = 1) whose Gaussian widths have drifted, and cannot come back.
  const rC = 800, arc = (180 / Math.PI) / rC, noise = gaussianRng(1);
  const truth = {
    u0: rC + 0.2,
    v0: 30 + 0.3 * arc,
    sigmaGU: 0.8,
    sigmaLU: 0.8,
    sigmaGV: 3.6 * arc,
    sigmaLV: 3.6 * arc,
    mu: 0.1,
    iMax: 250,
  };
  const px = renderRegion([truth], rC, 30, 5, -Infinity, 13);
  px.value = px.value.map((v) => v + Math.sqrt(v + 4.4 ** 2) * noise());
  const o = { threshold: 10, ftolRel: 1e-6, minSigmaPx: 0.5 };
  const trapped = fitPseudoVoigtRegion(px, [seedAtMax(px)], o);
  assert(trapped.peaks[0].mu >= LORENTZIAN_CORNER_MU, `plain fit µ ${trapped.peaks[0].mu}`);
  const fit = fitOutOfLorentzianCorner(px, [seedAtMax(px)], o), p = fit.peaks[0];
  assert(fit.retVal < trapped.retVal, `χ ${fit.retVal} against ${trapped.retVal}`);
  assert(p.mu < 0.5, `µ ${p.mu}`);
  assertClose(p.sigmaGR, 0.8, 0.15, "σGR");
  assertClose(p.sigmaGEta / arc, 3.6, 0.5, "σGEta (px of arc)");
  assertClose(p.r, truth.u0, 0.1, "R");
  // Out of the corner already: the same fit, not a second one.
  const clean = renderRegion([truth], rC, 30, 5, -Infinity, 13);
  const once = fitPseudoVoigtRegion(clean, [seedAtMax(clean)], o);
  assert(once.peaks[0].mu < LORENTZIAN_CORNER_MU, `noise-free µ ${once.peaks[0].mu}`);
  const same = fitOutOfLorentzianCorner(clean, [seedAtMax(clean)], o);
  assertClose(same.retVal, once.retVal, 0, "noise-free χ");
});

Deno.test("addPseudoVoigtRegion: pseudoVoigtGradient's values and weighted derivatives, bit for bit", () => {
  const p = {
    u0: 100.2,
    v0: 10.1,
    sigmaGU: 1.3,
    sigmaGV: 0.4,
    sigmaLU: 0.9,
    sigmaLV: 0.6,
    mu: 0.35,
    iMax: 420,
  };
  const u = Float64Array.of(98, 99.5, 100, 101, 103), v = Float64Array.of(9, 10.1, 10.4, 11, 10);
  const w = Float64Array.of(0.5, 1, 2, 0.25, 3), m = u.length;
  const columns = [3, 1, 7, 0, 5, 2, 4, 6]; // a permutation, as a region fit's peak columns are
  const model = new Float64Array(m).fill(7), jac = new Float64Array(8 * m);
  addPseudoVoigtRegion(p, u, v, m, model, jac, columns, w);
  const valueOnly = new Float64Array(m).fill(7);
  addPseudoVoigtRegion(p, u, v, m, valueOnly, null);
  const g = new Float64Array(8);
  for (let k = 0; k < m; k++) {
    const f = pseudoVoigtGradient(p, u[k], v[k], g);
    assert(model[k] === 7 + f && valueOnly[k] === 7 + f, `value at pixel ${k}`);
    for (let s = 0; s < 8; s++) {
      assert(jac[columns[s] * m + k] === g[s] * w[k], `slot ${s}, pixel ${k}`);
    }
  }
});
