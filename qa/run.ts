/**
 * The QA report of a processed scan, without truth (issue #16): what the peak search found,
 * frame by frame and ring by ring, over the detector image. One streaming pass over the frames
 * (decoded in a worker, bounded memory: one frame plus the few crops and images kept) gathers
 * per-frame intensity, renders the chosen frames (busiest, median, emptiest by peak count) with
 * peaks and ring bands and cuts crops around the most crowded spots. With a second peak table
 * of the same scan it adds the comparison (qa/compare.ts).
 *
 * Output folder: `report.md` (figures as `*.svg` beside it), `report.html` (one self-contained
 * page, SVG inline), `frame_{busiest,median,emptiest}.png` (the raw overlays) and `qa.json`
 * (the counts).
 *
 * @example
 * ```ts ignore
 * import { runQa } from "./run.ts";
 * await runQa({ scan: "scan/", tables: [{ label: "srfac 1", dir: "peaks/" }], outDir: "qa" });
 * ```
 * @module
 */
import { basename } from "node:path";
import { FramePipeline } from "../midas/frame_stream.ts";
import { readHkls, ringRadiiPx } from "../midas/hkls.ts";
import { detectorGeometry, frameOmega, type MidasParams } from "../midas/params.ts";
import { findMidasZip } from "../midas/scan_dir.ts";
import { openMidasZip } from "../midas/zip_reader.ts";
import { N_PEAK_COLS, PEAK_COL } from "../midas/peak_table.ts";
import { idealREtaFromPixel, tiltMatrix } from "../geometry/detector.ts";
import { correctFrame, makeCorrection } from "../process/preprocess.ts";
import { frameRows, type PeakTable, readPeakTable } from "../evaluation/peak_table.ts";
import { type Crop, cropExtent, cropPatch, renderFit, srCrop } from "../evaluation/examples.ts";
import { openSrPatches } from "../evaluation/sr_patches.ts";
import { type Patch, type PatchMarker, patchPanel } from "../plot/patches.ts";
import {
  binEdges,
  histogramChart,
  imageChart,
  lineChart,
  pngDataUri,
  renderSvg,
  type VlSpec,
} from "../plot/vega.ts";
import { encodeIndexedPng } from "../plot/png.ts";
import { colormap } from "../plot/colormap.ts";
import {
  chooseFrames,
  column,
  crowdedSpots,
  peaksPerFrame,
  peaksPerRingFrame,
  ringOfPeaks,
  type RingSet,
} from "./stats.ts";
import { comparePeakTables, type Comparison } from "./compare.ts";
import {
  displayRingMap,
  type FrameImage,
  type FrameMarker,
  renderFrameImage,
} from "./frame_image.ts";
import { formatQaHtml, formatQaMarkdown, type QaFigure, type QaSummary } from "./report.ts";

/** Progress/log sink (the step context's logger). */
export interface QaLogger {
  info(msg: string, data?: Record<string, unknown>): void;
  progress(done: number, total: number, label?: string): void;
}

/** Options of {@link runQa}. */
export interface QaOptions {
  /** Scan directory (with one `*.MIDAS.zip`, `hkls.csv`) or the zip itself. */
  scan: string;
  /** One or two peak tables (a dir with `Temp/`, a `Temp/` dir or an AllPeaks_PS.bin). */
  tables: readonly { label: string; dir: string }[];
  outDir: string;
  title?: string;
  /** Crowded spots shown as crops (default 6). */
  crowdedSpots?: number;
  /** Crops are (2·half+1)² px (default 7). */
  cropHalfPx?: number;
  /** Comparison link distance (px, default 1.5). */
  linkPx?: number;
  /** Longest side of a detector image (display px, default 1024). */
  maxImagePx?: number;
  /** Frame-decoding workers (default 2). */
  workers?: number;
  /**
   * At most this many frames are decoded for the intensity curve (every k-th frame; default
   * 240, so a 1,440-frame scan reads every 6th); the frames shown are always read.
   */
  maxIntensityFrames?: number;
  log?: QaLogger;
  signal?: AbortSignal;
}

const quiet: QaLogger = { info() {}, progress() {} };

/**
 * Per-frame intensity of the raw frames (stored layout, before flood/mask): the brightest
 * pixel minus its dark, the frame mean minus the dark mean, pixels at or above
 * UpperBoundThreshold.
 */
export interface FrameIntensity {
  max: Float64Array;
  mean: Float64Array;
  /** Pixels ≥ UpperBoundThreshold (raw counts). */
  saturated: Int32Array;
}

/** Runs the QA report (module doc); returns its summary (also written as `qa.json`). */
export async function runQa(o: QaOptions): Promise<QaSummary> {
  const log = o.log ?? quiet;
  const t0 = performance.now();
  const ms: Record<string, number> = {};
  const lap = (name: string, since: number) => (ms[name] = Math.round(performance.now() - since));
  if (o.tables.length < 1 || o.tables.length > 2) {
    throw new Error(`qa: expected one or two peak tables, got ${o.tables.length}`);
  }
  const zipPath = await findMidasZip(o.scan);
  const zip = await openMidasZip(zipPath);
  let params: MidasParams, dark: Float64Array, corr: ReturnType<typeof makeCorrection>;
  try {
    params = await zip.params({ required: [], detectorPx: Math.max(zip.nY, zip.nZ) });
    dark = await zip.darkMean(params.SkipFrame);
    corr = makeCorrection({
      nZ: zip.nZ,
      nY: zip.nY,
      imTransOpt: params.ImTransOpt,
      dark,
      flood: await zip.flood(),
      mask: await zip.mask(),
      bc: params.ReferenceRingCurrent,
      badPxIntensity: params.BadPxIntensity,
    });
  } finally {
    zip.close();
  }
  const nFrames = zip.nFrames - params.SkipFrame;
  if (nFrames <= 0) throw new Error(`${zipPath}: SkipFrame ${params.SkipFrame} leaves no frames`);
  const tables: { label: string; dir: string; table: PeakTable }[] = [];
  for (const t of o.tables) tables.push({ ...t, table: await readPeakTable(t.dir) });
  for (const t of tables) {
    if (t.table.nFrames > nFrames) {
      throw new Error(
        `${t.dir}: peak table has ${t.table.nFrames} frames, the scan ${zipPath} only ${nFrames}`,
      );
    }
  }
  const notes: string[] = [];
  const rings = await ringSet(o.scan, zipPath, params, notes);
  const A = tables[0].table;
  const counts = tables.map((t) => peaksPerFrame(t.table, nFrames));
  const chosen = chooseFrames(counts[0]);
  const half = o.cropHalfPx ?? 7;
  const crowded = crowdedSpots(A, o.crowdedSpots ?? 6, Math.max(3, half * 0.7));
  const comparison = tables.length === 2
    ? comparePeakTables(A, tables[1].table, o.linkPx ?? 1.5)
    : undefined;
  const splitExamples = (comparison?.groups ?? [])
    .filter((g) => g.kind === "splitInA" || g.kind === "splitInB").slice(0, 4);
  const cropCentres = [
    ...crowded.map((c) => ({ ...c, why: `${c.peaks} peaks within ${Math.round(half * 0.7)} px` })),
    ...splitExamples.map((g) => ({
      frame: g.frame,
      y: g.y,
      z: g.z,
      why: `${
        g.kind === "splitInB" ? tables[1].label : tables[0].label
      } splits (${g.nA} vs ${g.nB})`,
    })),
  ];
  log.info("qa setup", {
    zip: zipPath,
    frames: nFrames,
    peaks: tables.map((t) => t.table.nPeaks),
    chosen: chosen.map((c) => c.frame),
  });

  lap("setupMs", t0);
  const tPass = performance.now();
  // ---- one streaming pass ----------------------------------------------------------------
  const ringMap = rings
    ? displayRingMap(corr.nY, corr.nZ, o.maxImagePx, ringLookup(params, corr.nY, corr.nZ, rings))
    : undefined;
  const images = new Map<number, FrameImage>();
  const crops = new Map<number, Crop>();
  const intensity: FrameIntensity = {
    max: new Float64Array(nFrames).fill(NaN),
    mean: new Float64Array(nFrames).fill(NaN),
    saturated: new Int32Array(nFrames),
  };
  const wanted = new Set([...chosen.map((c) => c.frame), ...cropCentres.map((c) => c.frame)]);
  const stride = Math.max(1, Math.ceil(nFrames / (o.maxIntensityFrames ?? 240)));
  const read = [
    ...new Set([
      ...wanted,
      ...Array.from({ length: nFrames }, (_, f) => f)
        .filter((f) => f % stride === 0),
    ]),
  ].sort((a, b) => a - b);
  const corrected = new Float64Array(corr.nZ * corr.nY);
  let renderMs = 0;
  const darkMean = dark.reduce((a, b) => a + b, 0) / dark.length;
  const pipe = await FramePipeline.open(zipPath, { workers: o.workers ?? 2 });
  try {
    const skip = params.SkipFrame, ub = params.UpperBoundThreshold;
    let done = 0;
    const indices = read.map((f) => f + skip);
    for await (const fr of pipe.frames({ indices, readAhead: 4 })) {
      if (o.signal?.aborted) throw new Error("qa: aborted");
      const f = fr.index - skip, raw = fr.data;
      // Raw values only (no per-pixel dark load): the dark enters through its mean and at the
      // brightest pixel, which halves the memory traffic of this loop.
      let max = -Infinity, at = 0, sum = 0, sat = 0;
      for (let i = 0; i < raw.length; i++) {
        const v = raw[i];
        sum += v;
        if (v > max) [max, at] = [v, i];
        if (v >= ub) sat++;
      }
      intensity.max[f] = max - dark[at];
      intensity.mean[f] = sum / raw.length - darkMean;
      intensity.saturated[f] = sat;
      if (wanted.has(f)) {
        correctFrame(raw, corr, corrected);
        if (chosen.some((c) => c.frame === f)) {
          const tr = performance.now();
          images.set(
            f,
            renderFrameImage({
              frame: corrected,
              nY: corr.nY,
              nZ: corr.nZ,
              maxSide: o.maxImagePx,
              ringMap,
              markers: frameMarkers(tables.map((t) => t.table), f),
            }),
          );
          renderMs += performance.now() - tr;
        }
        cropCentres.forEach((c, k) => {
          if (c.frame === f) crops.set(k, cropPatch(corrected, corr.nY, corr.nZ, c.y, c.z, half));
        });
      }
      log.progress(++done, read.length, "frames");
    }
  } finally {
    pipe.close();
  }

  lap("passMs", tPass);
  const tFig = performance.now();
  // ---- figures -------------------------------------------------------------------------
  await Deno.mkdir(o.outDir, { recursive: true });
  const omega = Float64Array.from({ length: nFrames }, (_, f) => frameOmega(params, f));
  const figures: QaFigure[] = [];
  const add = async (
    section: string,
    file: string,
    caption: string,
    spec: VlSpec,
  ) => figures.push({ section, file, caption, svg: await renderSvg(spec) });
  const labels = tables.map((t) => t.label);
  await add(
    "Peaks over ω",
    "peaks_per_frame.svg",
    "Peaks found in each frame",
    lineChart({
      title: "Peaks per frame",
      xTitle: "ω (deg)",
      yTitle: "peaks",
      series: counts.map((c, k) => ({ label: labels[k], x: omega, y: c })),
    }),
  );
  const perRing = rings
    ? peaksPerRingFrame(A, ringOfPeaks(A, rings), rings.nr.length, nFrames)
    : [];
  if (rings) {
    await add(
      "Peaks over ω",
      "peaks_per_ring.svg",
      `Peaks per ring and ω (${labels[0]}); "none" = Radius outside every ring band`,
      ringHeatmap(perRing, rings, omega),
    );
  }
  await add(
    "Peaks over ω",
    "frame_intensity.svg",
    "Frame intensity: max and mean counts over dark (raw frames, before flood and mask)" +
      (stride > 1 ? `, every ${stride}th frame` : ""),
    lineChart({
      title: "Frame intensity",
      xTitle: "ω (deg)",
      yTitle: "counts − dark (log scale)",
      yLog: true,
      series: [
        { label: "max", x: omega, y: intensity.max },
        { label: "mean", x: omega, y: intensity.mean },
      ],
    }),
  );
  for (const c of chosen) {
    const img = images.get(c.frame)!;
    const file = `frame_${c.label}`; // stable names (the frame number is in the title)
    await Deno.writeFile(`${o.outDir}/${file}.png`, img.png);
    const w = Math.min(720, img.width), h = Math.round((w * img.height) / img.width);
    const marks = tables.length === 2
      ? `red ○ ${labels[0]}, cyan + ${labels[1]}`
      : `red ○ ${labels[0]} peaks`;
    await add(
      "Detector frames",
      `${file}.svg`,
      `Frame ${c.frame} (${c.label}, ω ${omega[c.frame].toFixed(2)}°): ${c.peaks} peaks; ` +
        `${marks}; dotted grey: ring bands; log colour scale` +
        (img.bin > 1 ? `; ${img.bin}×${img.bin} max-pooled` : ""),
      imageChart({
        title: `Frame ${c.frame} (${c.label}), ω = ${omega[c.frame].toFixed(2)}°, ${c.peaks} peaks`,
        url: pngDataUri(img.png),
        x: [-0.5, corr.nY - 0.5],
        y: [-0.5, corr.nZ - 0.5],
        xTitle: "y (px, detector column)",
        yTitle: "z (px, detector row)",
        width: w,
        height: h,
        colorBar: { title: "counts − dark", lo: img.lo, hi: img.hi, log: true },
      }),
    );
  }
  if (cropCentres.length > 0) {
    await add(
      "Crowded spots",
      "crowded_spots.svg",
      "The most crowded spots (and split groups in comparison mode): x1 crop with peaks " +
        `(× ${labels[0]}${tables.length === 2 ? `, ○ ${labels[1]}` : ""}), the SR patch when ` +
        "the peak directory kept it, and the fitted models",
      await cropFigure(cropCentres, crops, tables, half),
    );
  }
  await add(
    "Peak properties",
    "histograms.svg",
    "Distributions of the fitted peak columns",
    histograms(tables),
  );
  await add(
    "Peak properties",
    "eta_r.svg",
    "Where on the detector the peaks are: η (deg) vs R (px), peaks per cell (log colour)",
    { hconcat: tables.map((t) => etaRMap(t.label, t.table, rings)) },
  );
  if (comparison) {
    await add(
      "Comparison",
      "position_shift.svg",
      `Position shift of matched peaks (${labels[1]} − ${
        labels[0]
      }, linked within ${comparison.linkPx} px)`,
      histogramChart({
        title: `Shift of matched peaks (${labels[1]} − ${labels[0]})`,
        xTitle: "shift (px)",
        yTitle: "matched peaks",
        edges: binEdges([comparison.shiftY, comparison.shiftZ], 40),
        series: [
          { label: "Δy", values: comparison.shiftY },
          { label: "Δz", values: comparison.shiftZ },
        ],
      }),
    );
  }
  if (!(await openSrPatches(tables[0].dir))) {
    notes.push(
      `${
        labels[0]
      }: no SR_out/SR_patches (process --saveSRpatches keeps them): crops show x1 and fits only.`,
    );
  }

  const summary: QaSummary = {
    title: o.title ?? "Peak-search QA",
    // Names, not paths: the same inputs in another store (or on another node) give the same bytes.
    zip: basename(zipPath),
    nFrames,
    detector: { nY: corr.nY, nZ: corr.nZ },
    omega: { first: omega[0], last: omega[nFrames - 1] },
    tables: tables.map((t, k) => ({
      label: t.label,
      nPeaks: t.table.nPeaks,
      perFrame: Array.from(counts[k]),
      medianPerFrame: median(counts[k]),
    })),
    rings: rings
      ? rings.nr.map((nr, k) => ({
        nr,
        radiusPx: rings.radiusPx[k],
        peaks: perRing[k].reduce((s, x) => s + x, 0),
      }))
      : undefined,
    offRingPeaks: rings ? perRing[rings.nr.length].reduce((s, x) => s + x, 0) : undefined,
    chosenFrames: chosen,
    saturatedFrames: intensity.saturated.reduce((s, x) => s + (x > 0 ? 1 : 0), 0),
    framesRead: read.length,
    comparison: comparison ? compareSummary(comparison) : undefined,
  };
  for (const f of figures) await Deno.writeTextFile(`${o.outDir}/${f.file}`, f.svg);
  await Deno.writeTextFile(`${o.outDir}/qa.json`, JSON.stringify(summary, null, 1) + "\n");
  await Deno.writeTextFile(`${o.outDir}/report.md`, formatQaMarkdown(summary, figures, notes));
  await Deno.writeTextFile(`${o.outDir}/report.html`, formatQaHtml(summary, figures, notes));
  lap("figuresMs", tFig);
  log.info("qa times", { ...ms, renderFramesMs: Math.round(renderMs), framesRead: read.length });
  return summary;
}

function median(c: Int32Array): number {
  const s = Array.from(c).sort((a, b) => a - b);
  return s.length ? s[(s.length - 1) >> 1] : 0;
}

function compareSummary(c: Comparison): NonNullable<QaSummary["comparison"]> {
  const { shiftY, shiftZ, groups: _g, ...counts } = c;
  const d = Array.from(shiftY, (y, i) => Math.hypot(y, shiftZ[i])).sort((a, b) => a - b);
  return { ...counts, medianShiftPx: d.length ? d[(d.length - 1) >> 1] : NaN };
}

/** The analysed rings from RingThresh + hkls.csv; undefined (with a note) when unknown. */
async function ringSet(
  scan: string,
  zipPath: string,
  p: MidasParams,
  notes: string[],
): Promise<RingSet | undefined> {
  const hkls = `${zipPath.slice(0, zipPath.lastIndexOf("/") + 1) || "./"}hkls.csv`;
  if (p.RingThresh.length === 0) {
    notes.push(`${basename(zipPath)}: no RingThresh: peaks are not assigned to rings.`);
    return undefined;
  }
  try {
    const nr = p.RingThresh.map((r) => Math.round(r[0]));
    return {
      nr,
      radiusPx: ringRadiiPx(await readHkls(hkls), nr, p.PixelSize, hkls),
      halfWidthPx: p.Width / p.PixelSize,
    };
  } catch (e) {
    notes.push(`${scan}: rings unknown (${(e as Error).message}).`);
    return undefined;
  }
}

/** Ring index at a detector position (transformed layout), from the geometry. */
function ringLookup(p: MidasParams, nY: number, nZ: number, rings: RingSet) {
  const g = detectorGeometry(p, nY, nZ);
  const tilt = tiltMatrix(g.tx, g.ty, g.tz);
  return (y: number, z: number) => {
    const r = idealREtaFromPixel(g, y, z, tilt).rPx;
    let k = -1;
    rings.radiusPx.forEach((R, i) => {
      if (Math.abs(r - R) < rings.halfWidthPx) k = i; // last band wins, as ringIndexMap
    });
    return k;
  };
}

function frameMarkers(tables: readonly PeakTable[], f: number): FrameMarker[] {
  const out: FrameMarker[] = [];
  tables.forEach((t, k) => {
    const rows = frameRows(t, f);
    for (let i = 0; i < rows.length; i += N_PEAK_COLS) {
      out.push({ y: rows[i + PEAK_COL.YCen], z: rows[i + PEAK_COL.ZCen], set: k as 0 | 1 });
    }
  });
  return out;
}

/** Peaks per (ring, ω bin) as a heat map; ω binned to at most 180 columns. */
function ringHeatmap(perRing: Int32Array[], rings: RingSet, omega: Float64Array): VlSpec {
  const n = omega.length, per = Math.max(1, Math.ceil(n / 180));
  const values: Record<string, unknown>[] = [];
  const step = n > 1 ? omega[1] - omega[0] : 1;
  perRing.forEach((row, k) => {
    const name = k < rings.nr.length ? `ring ${rings.nr[k]}` : "none";
    for (let f = 0; f < n; f += per) {
      let s = 0;
      for (let g = f; g < Math.min(n, f + per); g++) s += row[g];
      const w0 = omega[f], w1 = omega[Math.min(n, f + per) - 1] + step;
      values.push({ ring: name, w0: Math.min(w0, w1), w1: Math.max(w0, w1), peaks: s });
    }
  });
  return {
    title: `Peaks per ring over ω${per > 1 ? ` (${per} frames per column)` : ""}`,
    width: 560,
    height: Math.max(60, 22 * perRing.length),
    data: { values },
    mark: "rect",
    encoding: {
      x: {
        field: "w0",
        type: "quantitative",
        title: "ω (deg)",
        scale: { zero: false, nice: false },
      },
      x2: { field: "w1" },
      y: { field: "ring", type: "ordinal", title: "ring", sort: null },
      color: { field: "peaks", type: "quantitative", title: "peaks", scale: { scheme: "viridis" } },
    },
  };
}

/** Histograms of intensity, widths and fit residual, one panel each, tables overlaid. */
function histograms(tables: readonly { label: string; table: PeakTable }[]): VlSpec {
  const log10 = (v: Float64Array) => v.map((x) => (x > 0 ? Math.log10(x) : NaN));
  const residual = (t: PeakTable) => {
    const rmse = column(t, "FitRMSE");
    return rmse.some((x) => x > 0) ? { v: rmse, name: "FitRMSE" } : {
      v: column(t, "retVal"),
      name: "retVal",
    };
  };
  const panels: { title: string; xTitle: string; values: (t: PeakTable) => Float64Array }[] = [
    {
      title: "Integrated intensity",
      xTitle: "log10 IntegratedIntensity (counts)",
      values: (t) => log10(column(t, "IntegratedIntensity")),
    },
    { title: "Radial width σR", xTitle: "SigmaR (px)", values: (t) => column(t, "SigmaR") },
    {
      title: "Azimuthal width σEta",
      xTitle: "SigmaEta (deg)",
      values: (t) => column(t, "SigmaEta"),
    },
    {
      title: `Fit residual (${residual(tables[0].table).name})`,
      xTitle: `${residual(tables[0].table).name} (counts)`,
      values: (t) => residual(t).v,
    },
  ];
  const specs = panels.map((p) => {
    const series = tables.map((t) => ({ label: t.label, values: p.values(t.table) }));
    return histogramChart({
      title: p.title,
      xTitle: p.xTitle,
      yTitle: "peaks",
      width: 300,
      height: 180,
      edges: binEdges(series.map((s) => robust(s.values)), 40),
      series,
    });
  });
  return { vconcat: [{ hconcat: specs.slice(0, 2) }, { hconcat: specs.slice(2) }] };
}

/** Values inside the 0.5–99.5 % range, so one outlier does not squeeze the bins. */
function robust(v: Float64Array): Float64Array {
  const s = v.filter(Number.isFinite).sort(); // typed-array sort: numeric, no comparator
  if (s.length < 20) return s;
  const lo = s[Math.floor(0.005 * s.length)], hi = s[Math.ceil(0.995 * s.length) - 1];
  return s.filter((x) => x >= lo && x <= hi);
}

/** η–R density of a table as an image chart (cells of 2° × R range / 150). */
function etaRMap(label: string, t: PeakTable, rings?: RingSet): VlSpec {
  const eta = column(t, "Eta"), R = column(t, "Radius");
  let rLo = Infinity, rHi = -Infinity;
  for (const r of R) if (Number.isFinite(r)) [rLo, rHi] = [Math.min(rLo, r), Math.max(rHi, r)];
  if (rings) {
    for (const r of rings.radiusPx) {
      [rLo, rHi] = [Math.min(rLo, r - rings.halfWidthPx), Math.max(rHi, r + rings.halfWidthPx)];
    }
  }
  if (!(rLo < rHi)) [rLo, rHi] = [0, 1];
  const nx = 180, ny = 150;
  const count = new Int32Array(nx * ny);
  for (let p = 0; p < t.nPeaks; p++) {
    const i = Math.floor(((eta[p] + 180) / 360) * nx),
      j = Math.floor(((R[p] - rLo) / (rHi - rLo)) * ny);
    if (i >= 0 && i < nx && j >= 0 && j < ny) count[(ny - 1 - j) * nx + i]++;
  }
  const max = Math.max(1, ...count);
  const palette = [
    0xffffff,
    ...Array.from({ length: 200 }, (_, k) => colormap("viridis", k / 199)),
  ];
  const index = Uint8Array.from(
    count,
    (c) => c === 0 ? 0 : 1 + Math.round((max > 1 ? Math.log(c) / Math.log(max) : 1) * 199),
  );
  const png = encodeIndexedPng({ width: nx, height: ny, index, palette });
  return imageChart({
    title: `${label}: η vs R`,
    url: pngDataUri(png),
    x: [-180, 180],
    y: [rHi, rLo],
    xTitle: "η (deg)",
    yTitle: "R (px)",
    width: 360,
    height: 300,
    colorBar: { title: "peaks per cell", lo: 1, hi: Math.max(2, max), log: true },
  });
}

/** The crop grid: x1 with peaks, SR patch (when saved) and each table's fitted model. */
async function cropFigure(
  centres: readonly { frame: number; y: number; z: number; why: string }[],
  crops: ReadonlyMap<number, Crop>,
  tables: readonly { label: string; dir: string; table: PeakTable }[],
  half: number,
): Promise<VlSpec> {
  const sr = await openSrPatches(tables[0].dir);
  const rows = [];
  for (let k = 0; k < centres.length; k++) {
    const c = centres[k], crop = crops.get(k);
    if (!crop) continue;
    const geom = { width: crop.width, height: crop.height, y0: crop.y0, z0: crop.z0 };
    const extent = cropExtent(geom);
    const marks = (s: number) => {
      const out: PatchMarker[] = [];
      tables.forEach((t, ti) => {
        const rows = frameRows(t.table, c.frame);
        for (let i = 0; i < rows.length; i += N_PEAK_COLS) {
          const y = rows[i + PEAK_COL.YCen], z = rows[i + PEAK_COL.ZCen];
          if (Math.abs(y - c.y) > half + 0.5 || Math.abs(z - c.z) > half + 0.5) continue;
          out.push({
            x: (y - crop.y0 + 0.5) * s - 0.5,
            y: (z - crop.z0 + 0.5) * s - 0.5,
            shape: ti === 0 ? "cross" : "circle",
          });
        }
      });
      return out;
    };
    const panels: Patch[] = [{
      title: "x1",
      data: crop.data,
      width: crop.width,
      height: crop.height,
      markers: marks(1),
      extent,
      valueTitle: "counts − dark",
    }];
    const srFrame = sr ? await sr.read(c.frame) : undefined;
    const s = srFrame ? srCrop(srFrame, geom, c.y, c.z) : undefined;
    if (s) {
      panels.push({
        title: `SRx${s.s}`,
        data: s.data,
        width: s.width,
        height: s.height,
        markers: marks(s.s),
        extent,
        valueTitle: "SR output",
      });
    }
    for (const t of tables) {
      panels.push({
        title: `fit ${t.label}`,
        data: renderFit(frameRows(t.table, c.frame), geom),
        width: geom.width,
        height: geom.height,
        extent,
        valueTitle: "model counts",
      });
    }
    rows.push({ label: `frame ${c.frame} (${c.why})`, panels });
  }
  return patchPanel({ rows, cellPx: 150 });
}
