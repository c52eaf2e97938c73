import { MIDAS_EXAMPLE_DIR } from "../tests/shared_data.ts";
/**
 * Parity with MIDAS C on the 3-grain golden (midas-formats §5.2): every isolated C peak is
 * re-rendered as the simulator drew it (σ = 1 px point-sampled Gaussian at the C centre, amplitude
 * 7880.56, truncated to integers), searched with the C settings (RingThresh 10, MinNrPx 1,
 * MaxNrPx 10000, BC 1022/1022) and compared column by column. Positions are circular here (we
 * render at the C centre); what this proves is the meaning of the other columns (§2.1):
 * NrPxTot, NrPixels, IntegratedIntensity, RawSumIntensity, IMax, maxY/maxZ, diffY/diffZ, Eta sign.
 * Skipped when the shared golden file is absent.
 */
import { nativePeakSearch } from "./native_search.ts";
import { assert } from "./test_util.ts";

const GOLDEN = MIDAS_EXAMPLE_DIR + "golden_peaks_per_frame_C.tsv";
const BC = 1022, AMP = 7880.56, HALF = 10;

async function readGolden(): Promise<Record<string, number>[] | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(GOLDEN);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  const [head, ...lines] = text.trim().split("\n");
  const names = head.split("\t");
  return lines.map((l) => Object.fromEntries(l.split("\t").map((v, i) => [names[i], Number(v)])));
}

Deno.test("native search reproduces the MIDAS C golden columns for isolated spots", async () => {
  const rows = await readGolden();
  if (!rows) {
    console.log(`note: ${GOLDEN} missing; golden parity skipped`);
    return;
  }
  // Isolated = single spot (IMax not doubled) with no other peak of its frame within 2·HALF px.
  const iso = rows.filter((r) =>
    r.IMax < 9000 &&
    !rows.some((q) =>
      q !== r && q.FrameNr === r.FrameNr && Math.hypot(q.YCen - r.YCen, q.ZCen - r.ZCen) < 2 * HALF
    )
  );
  assert(iso.length > 250, `isolated golden peaks: ${iso.length}`);
  const w = 2 * HALF + 1;
  const stats = { n: 0, nrPxTot: 0, nrPixels: 0, maxYZ: 0, pos: 0, integ: 0, raw: 0, imax: 0 };
  let worstInteg = 0, worstPos = 0, worstIMax = 0;
  for (const g of iso) {
    const col0 = Math.round(g.YCen) - HALF, row0 = Math.round(g.ZCen) - HALF;
    const frame = new Float64Array(w * w);
    for (let r = 0; r < w; r++) {
      for (let c = 0; c < w; c++) {
        const dy = col0 + c - g.YCen, dz = row0 + r - g.ZCen;
        frame[r * w + c] = Math.floor(AMP * Math.exp(-0.5 * (dy * dy + dz * dz)));
      }
    }
    const res = nativePeakSearch(frame, {
      width: w,
      height: w,
      ybc: BC - col0,
      zbc: BC - row0,
      ringThresholds: [10],
      minNrPx: 1,
      maxNrPx: 10000,
      maxNPeaks: 400,
    });
    assert(res.peaks.length === 1, `frame ${g.FrameNr}: ${res.peaks.length} peaks`);
    const p = res.peaks[0];
    stats.n++;
    if (p.nrPxTot === g.NrPxTot) stats.nrPxTot++;
    if (Math.abs(p.nrPixels - g.NrPixels) <= 1) stats.nrPixels++;
    if (p.maxY + col0 === g.maxY && p.maxZ + row0 === g.maxZ) stats.maxYZ++;
    const dPos = Math.hypot(p.yCen + col0 - g.YCen, p.zCen + row0 - g.ZCen);
    worstPos = Math.max(worstPos, dPos);
    if (dPos <= 0.05 && Math.abs(p.eta - g.Eta) < 0.02 && Math.abs(p.radius - g.Radius) < 0.05) {
      stats.pos++;
    }
    const dI = Math.abs(p.integratedIntensity / g.IntegratedIntensity - 1);
    worstInteg = Math.max(worstInteg, dI);
    if (dI <= 0.01) stats.integ++;
    if (Math.abs(p.rawSumIntensity / g.RawSumIntensity - 1) <= 0.005) stats.raw++;
    const dIMax = Math.abs(p.iMax / g.IMax - 1);
    worstIMax = Math.max(worstIMax, dIMax);
    if (dIMax <= 0.01) stats.imax++;
    assert(Math.abs(p.diffY - (p.maxY - p.yCen)) < 1e-12 && Math.sign(g.diffY) !== 0, "diffY");
  }
  console.log(
    `golden parity over ${stats.n} isolated C peaks: ${JSON.stringify(stats)}, ` +
      `worst |ΔIntegratedIntensity| ${(100 * worstInteg).toFixed(3)} %, ` +
      `worst |ΔIMax| ${(100 * worstIMax).toFixed(2)} %, worst Δpos ${worstPos.toFixed(4)} px`,
  );
  const all = stats.n;
  assert(stats.pos === all, "YCen/ZCen ≤ 0.05 px, Eta ≤ 0.02°, Radius ≤ 0.05 px for every peak");
  assert(stats.maxYZ === all, "maxY/maxZ identical");
  assert(stats.integ === all, "IntegratedIntensity within 1 % (parity gate)");
  // On a few spots our LM collapses the Lorentzian below the pixel scale (σL → 0.01 px, μ ≈ 0.03):
  // the sampled model is unchanged (IMax·(1 − μ) ≈ 7880, same SSR) but IMax is not identifiable.
  assert(stats.imax >= 0.95 * all, "IMax within 1 % for ≥ 95 %");
  assert(stats.nrPxTot >= 0.95 * all, "NrPxTot identical for ≥ 95 % (truncation at the edge)");
  assert(stats.raw >= 0.95 * all, "RawSumIntensity within 0.5 % for ≥ 95 %");
  assert(stats.nrPixels >= 0.9 * all, "NrPixels within 1 for ≥ 90 %");
});
