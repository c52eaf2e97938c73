import { makePeakbank } from "./peakbank_csv.ts";
import { Rng } from "./rng.ts";
import { peakLocalMax } from "../fitting/local_max.ts";
import { labelComponents } from "../fitting/components.ts";
import {
  defaultSynthesisConfig,
  type PatchPeaks,
  PEAK_PARAM_NAMES,
  planSynthesis,
  renderPatch,
  rEtaFromYZ,
  samplePatchPeaks,
  srPixelCentre,
  srPixelIndex,
  sumPool,
  type SynthesisConfig,
  synthesizePatch,
} from "./synthesis.ts";
import { syntheticPeakbank } from "./testdata.ts";
import { argmax, assert, assertRejects } from "./test_assert.ts";
import { assertThrows } from "../tests/assert.ts";

const BC = { Ypx_BC: 1024, Zpx_BC: 1024 };
const small = (over: Partial<SynthesisConfig> = {}) =>
  defaultSynthesisConfig({ ...BC, nPatch: 6, cvsz: 30, pSepMax: 8, seed: 7, ...over });

Deno.test("sumPool sums f×f blocks", () => {
  const out = sumPool([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], 4, 2);
  assert(out.join() === "14,22,46,54", `got ${out.join()}`);
});

Deno.test("srPixelCentre: x1 pixel j covers [j−½, j+½) and its sub-pixels average to j", () => {
  for (const s of [1, 2, 4, 8]) {
    let mean = 0;
    for (let m = 3 * s; m < 4 * s; m++) mean += srPixelCentre(100, m, s) / s;
    assert(Math.abs(mean - 103) < 1e-12, `s=${s}: mean ${mean}`);
    assert(Math.abs(srPixelIndex(100, srPixelCentre(100, 5, s), s) - 5) < 1e-12, "inverse");
    // sr-midas nominal grid + shift_YZ_pos gives the same centre.
    assert(Math.abs(100 + 5 / s - (s - 1) / (2 * s) - srPixelCentre(100, 5, s)) < 1e-12, "shift");
  }
});

Deno.test("every level sum-pooled to x1 and max-normalised equals SRx1 (no threshold)", () => {
  const cfg = small({ midasIthresh: 0 });
  const plan = planSynthesis(syntheticPeakbank(), cfg);
  for (let i = 0; i < 4; i++) {
    const p = synthesizePatch(plan, i);
    assert(p, `patch ${i} should not be blank`);
    const x1 = p.levels[0];
    cfg.srfacAll.forEach((s, j) => {
      const n = cfg.lrsz * s;
      const pooled = sumPool(p.levels[j].subarray(0, n * n), n, s);
      let mx = 0;
      for (const v of pooled) mx = Math.max(mx, v);
      for (let k = 0; k < pooled.length; k++) {
        const d = Math.abs(pooled[k] / mx - x1[k]);
        assert(d < 2e-5, `patch ${i} SRx${s} pixel ${k}: pooled ${pooled[k] / mx} vs x1 ${x1[k]}`);
      }
    });
  }
});

Deno.test("stored peak locations lie on the rendered maxima; R channel matches Rpx", () => {
  const cfg = small({ nPeak: [1], midasIthresh: 5 });
  const plan = planSynthesis(syntheticPeakbank(), cfg);
  let checked = 0;
  for (let i = 0; i < 6; i++) {
    const p = synthesizePatch(plan, i);
    if (!p) continue;
    cfg.srfacAll.forEach((s, j) => {
      const n = cfg.lrsz * s;
      const k = argmax(p.levels[j], n * n);
      const row = Math.floor(k / n), col = k % n;
      const dy = Math.abs(col - p.locY[j][0]), dz = Math.abs(row - p.locZ[j][0]);
      // Within one grid spacing (point sampling of an anisotropic peak in curved R/Eta).
      assert(
        dy <= 1 && dz <= 1,
        `patch ${i} SRx${s}: max at (${col},${row}), loc (${p.locY[j][0]},${p.locZ[j][0]})`,
      );
      const R = p.levels[j][n * n + k];
      assert(
        Math.abs(R - p.peaks.params.Rpx[0]) <= 1.5 / s + 1e-3,
        `SRx${s}: R ${R} vs ${p.peaks.params.Rpx[0]}`,
      );
      assert(Math.abs(p.levels[j][k] - 1) < 1e-6, "max-normalised to 1");
    });
    checked++;
  }
  assert(checked >= 4, `only ${checked} non-blank patches`);
});

Deno.test("same seed → identical patches; different seed → different", () => {
  const pb = syntheticPeakbank();
  const a = planSynthesis(pb, small({ seed: 1 }));
  const b = planSynthesis(pb, small({ seed: 1 }));
  const c = planSynthesis(pb, small({ seed: 2 }));
  const pa = synthesizePatch(a, 3)!, pb2 = synthesizePatch(b, 3)!, pc = synthesizePatch(c, 3)!;
  const bytes = (x: Float32Array) =>
    Array.from(new Uint8Array(x.buffer, x.byteOffset, x.byteLength)).join();
  assert(bytes(pa.levels[3]) === bytes(pb2.levels[3]), "same seed must be byte-identical");
  assert(bytes(pa.levels[3]) !== bytes(pc.levels[3]), "different seeds must differ");
});

Deno.test("multi-peak placement respects separations, ring band and padding", () => {
  const cfg = small({ nPeak: [2, 3, 4, 5], pSepMin: 2, pSepMax: 9, varR: 2 });
  const plan = planSynthesis(syntheticPeakbank(), cfg);
  for (let i = 0; i < 30; i++) {
    const pk = samplePatchPeaks(plan, new Rng(cfg.seed, i), i);
    const { Ypx, Zpx, Rpx, IMax, peakPointer } = pk.params;
    for (let a = 0; a < pk.nPeaks; a++) {
      assert(Math.abs(Rpx[a] - pk.ringRadius) < cfg.varR, `R ${Rpx[a]} outside ring band`);
      if (a > 0) assert(IMax[a] <= IMax[a - 1], "brightest first");
      for (let b = a + 1; b < pk.nPeaks; b++) {
        const d = Math.hypot(Ypx[a] - Ypx[b], Zpx[a] - Zpx[b]);
        assert(d > cfg.pSepMin && d < cfg.pSepMax, `separation ${d}`);
      }
    }
    assert(
      new Set(Array.from(peakPointer).slice(0, pk.nPeaks)).size === pk.nPeaks,
      "without replacement",
    );
    for (let a = pk.nPeaks; a < 5; a++) assert(Number.isNaN(Ypx[a]), "NaN padding");
  }
});

Deno.test("no crash at canvas edges: canvas == patch size and far-flung peaks", () => {
  for (
    const over of [{ cvsz: 20 }, { cvsz: 24, pSepMax: 19, nPeak: [2] }, {
      lrsz: 7,
      cvsz: 9,
      srfacSource: 4,
      srfacAll: [1, 2, 4],
    }]
  ) {
    const cfg = small(over);
    const plan = planSynthesis(syntheticPeakbank(), cfg);
    for (let i = 0; i < 5; i++) {
      const p = synthesizePatch(plan, i);
      if (!p) continue;
      cfg.srfacAll.forEach((s, j) => {
        assert(p.levels[j].length === 3 * (cfg.lrsz * s) ** 2, `size at SRx${s}`);
        assert(
          p.levels[j].every(Number.isFinite),
          `finite values at SRx${s} (${JSON.stringify(over)})`,
        );
      });
    }
  }
});

Deno.test("a threshold above every peak gives blank (null) patches", () => {
  const cfg = small({ midasIthresh: 1e9 });
  const plan = planSynthesis(syntheticPeakbank(), cfg);
  assert(renderPatch(samplePatchPeaks(plan, new Rng(1)), cfg) === null, "expected a blank patch");
});

Deno.test("bad inputs give clear errors", async () => {
  const empty = makePeakbank({
    error_reconstruction: [],
    IntegratedIntensity: [],
    "Radius(px)": [],
    SigmaGR: [],
    SigmaGEta: [],
    SigmaLR: [],
    SigmaLEta: [],
    MU: [],
    IMax: [],
    BG: [],
  });
  await assertRejects(
    () => planSynthesis(empty, small(), "pb.csv"),
    /pb\.csv: the peakbank has no rows/,
  );
  // A chain of close radii merges into one mode of 8 members, but only 4 lie within ±varR of it.
  const chain = syntheticPeakbank({ rings: [500], perRing: 8 });
  chain.numeric["Radius(px)"].set([500, 500, 500.3, 500.3, 500.6, 500.6, 500.9, 500.9]);
  await assertRejects(
    () => planSynthesis(chain, small({ nPeak: [6], varR: 0.35 }), "pb.csv"),
    /pb\.csv: ring at 500\.450 px has 4 peakbank rows within ±varR=0\.35 px, fewer than max\(nPeak\)=6/,
  );
  const sparse = syntheticPeakbank({ rings: [500, 700], perRing: 3 });
  await assertRejects(
    () => planSynthesis(sparse, small({ nPeak: [5] }), "pb.csv"),
    /pb\.csv: no ring has at least max\(nPeak\)=5/,
  );
  await assertRejects(
    () => planSynthesis(syntheticPeakbank(), small({ nPeak: [2], pSepMin: 5, pSepMax: 5 })),
    /pSepMax must be > pSepMin/,
  );
  await assertRejects(
    () => planSynthesis(syntheticPeakbank(), small({ srfacAll: [3] })),
    /srfacAll must be factors dividing srfacSource/,
  );
  await assertRejects(
    () => planSynthesis(syntheticPeakbank(), small({ cvsz: 10 })),
    /cvsz must be ≥ lrsz/,
  );
  // Four points with all pairwise distances in (9, 10) do not exist in the plane.
  const plan = planSynthesis(
    syntheticPeakbank(),
    small({ nPeak: [4], pSepMin: 9, pSepMax: 10, varR: 3, maxTries: 2000 }),
  );
  await assertRejects(
    () => synthesizePatch(plan, 0),
    /patch 0: could not place 4 peaks .* after maxTries=2000 draws/,
  );
  const filtered = syntheticPeakbank();
  await assertRejects(
    () => planSynthesis(filtered, small({ errCut: 0 }), "pb.csv"),
    /no peakbank row passes the filters/,
  );
});

Deno.test("peaks straddling the Eta = ±180° seam render symmetrically (wrapped Eta)", () => {
  const cfg = small({ nPeak: [1], cvsz: 20, srfacAll: [1], srfacSource: 2 });
  const at = (v: number) => Float64Array.of(v);
  // R = 40 px at Eta = 180° is the pixel column Y = Ybc, straight "up" (−Z) from the beam centre.
  const peaks = {
    nPeaks: 1,
    iSum: 1000,
    ringRadius: 40,
    params: {
      Ypx: at(1024),
      Zpx: at(1024 - 40),
      Rpx: at(40),
      EtaDeg: at(180),
      sigGR: at(1),
      sigGEta: at(2),
      sigLR: at(1),
      sigLEta: at(2),
      IMax: at(1000),
      LGmix: at(0.5),
      IntegInt: at(1000),
      BG: at(0),
      peakPointer: at(0),
    } as Record<string, Float64Array>,
  };
  const p = renderPatch(peaks as Parameters<typeof renderPatch>[0], cfg);
  assert(p, "not blank");
  const img = p.levels[0], n = 20;
  const cy = Math.round(p.locY[0][0]), cz = Math.round(p.locZ[0][0]);
  assert(argmax(img, n * n) === cz * n + cy, "maximum at the stored location");
  for (const d of [1, 2, 3]) {
    const l = img[cz * n + cy - d], r = img[cz * n + cy + d];
    assert(r > 0.01 && Math.abs(l - r) < 1e-6, `mirror pixels ±${d}: ${l} vs ${r}`);
  }
});

/** Two peaks σ 1.5 px, IMax 1000, 1 px apart along the ring at R 500 px (beam centre 1024). */
function pairPeaks(): PatchPeaks {
  const R = 500, DEG = Math.PI / 180, eta0 = 40;
  const [y1, z1] = [1024 + R * Math.sin(eta0 * DEG), 1024 + R * Math.cos(eta0 * DEG)];
  // Partner 1 px away along the ring's tangent.
  const [y2, z2] = [y1 + Math.cos(eta0 * DEG), z1 - Math.sin(eta0 * DEG)];
  const sigDeg = 1.5 / (R * DEG);
  const params = Object.fromEntries(
    PEAK_PARAM_NAMES.map((n) => [n, new Float64Array(2).fill(NaN)]),
  ) as PatchPeaks["params"];
  [[y1, z1], [y2, z2]].forEach(([y, z], k) => {
    const [r, e] = rEtaFromYZ(y, z, 1024, 1024);
    params.Ypx[k] = y;
    params.Zpx[k] = z;
    params.Rpx[k] = r;
    params.EtaDeg[k] = e;
    params.sigGR[k] = 1.5;
    params.sigLR[k] = 1.5;
    params.sigGEta[k] = sigDeg;
    params.sigLEta[k] = sigDeg;
    params.LGmix[k] = 0;
    params.IMax[k] = 1000;
    params.IntegInt[k] = 1000 * 2 * Math.PI * 1.5 * 1.5;
    params.BG[k] = 0;
    params.peakPointer[k] = k;
  });
  return { nPeaks: 2, iSum: 2 * params.IntegInt[0], ringRadius: R, params };
}

Deno.test("deconvolving target: two maxima for a 1 px pair with σ 1.5 px; resample shows one blob", () => {
  const peaks = pairPeaks();
  const maxima = (p: ReturnType<typeof renderPatch>, level: number) => {
    const n = 20 * [1, 2, 4, 8][level];
    return peakLocalMax(p!.levels[level].subarray(0, n * n), n, n, {
      minDistance: 1,
      thresholdRel: 0.2,
    }).length;
  };
  const plain = renderPatch(peaks, small({ cvsz: 40 }));
  const sharp = renderPatch(peaks, small({ cvsz: 40, target: "deconvolve" }));
  assert(maxima(plain, 3) === 1, `resample x8: ${maxima(plain, 3)} maxima`);
  assert(maxima(sharp, 3) === 2, `deconvolve x8: ${maxima(sharp, 3)} maxima`);
  assert(maxima(sharp, 2) === 2, `deconvolve x4: ${maxima(sharp, 2)} maxima`);
  // The input level is the same; the peaks still sit where their locations say.
  assert(plain!.levels[0].every((v, i) => v === sharp!.levels[0][i]), "x1 differs");
  assert(plain!.locY[3].every((v, i) => Object.is(v, sharp!.locY[3][i])), "locations differ");
});

Deno.test("deconvolving target: bad settings are refused by name", async () => {
  await assertRejects(
    () =>
      Promise.resolve().then(() =>
        planSynthesis(syntheticPeakbank(), small({ targetWidthFactor: 0 }))
      ),
    "targetWidthFactor",
  );
});

Deno.test("input noise: x1 is seeded, thresholded, one component; targets stay noise-free", () => {
  const peaks = pairPeaks();
  const cfg = small({ cvsz: 40, target: "deconvolve", inputNoise: "detector" });
  const a = renderPatch(peaks, cfg, new Rng(1))!, a2 = renderPatch(peaks, cfg, new Rng(1))!;
  const b = renderPatch(peaks, cfg, new Rng(2))!;
  const clean = renderPatch(peaks, small({ cvsz: 40, target: "deconvolve" }))!;
  const x1 = (p: typeof a) => p.levels[0].subarray(0, 400);
  assert(x1(a).every((v, i) => v === x1(a2)[i]), "same rng, same noise");
  assert(x1(a).some((v, i) => v !== x1(b)[i]), "another rng, other noise");
  assert(x1(a).some((v, i) => v !== x1(clean)[i]), "x1 is not the noise-free render");
  for (let l = 1; l < 4; l++) {
    assert(a.levels[l].every((v, i) => v === clean.levels[l][i]), `target level ${l} has noise`);
  }
  // Thresholded as process thresholds a frame: one component of noisy counts, max 1.
  const v = x1(a);
  const comps = labelComponents(v, 20, 20);
  assert(comps.count === 1, `${comps.count} components`);
  assert(v.some((x) => x === 1), "max-normalized");
  const kept = Array.from(v).filter((x) => x > 0);
  assert(kept.length > 9 && Math.min(...kept) < 0.5, `kept ${kept.length} pixels`);
});

Deno.test("input noise: a faint lone peak below the threshold gives a blank patch", () => {
  const peaks = pairPeaks();
  peaks.params.IMax.fill(0.5);
  peaks.iSum = 2 * 0.5 * 2 * Math.PI * 1.5 * 1.5;
  const cfg = small({ cvsz: 40, inputNoise: "detector", noiseReadSigma: 0, noiseThreshold: 50 });
  assert(renderPatch(peaks, cfg, new Rng(3)) === null, "expected a blank patch");
  assertThrows(() => renderPatch(peaks, cfg), "rng");
  assertThrows(() => planSynthesis(syntheticPeakbank(), small({ noiseGain: 0 })), "noiseGain");
});
