/**
 * One FF-HEDM scan simulation, end to end but without I/O: grains → reflections → spots → scene
 * → a frame renderer, plus the MIDAS parameter file text and the zip's analysis parameters.
 * Used by steps/simulate.ts and bench/simulate_bench.ts.
 *
 * Defaults are the "Example" geometry of midas-formats §4.4 (Au, λ 0.22291 Å, 2048², 200 µm,
 * Lsd 1 m, BC 1022/1022, ω 180 → −180 step −0.25, 1440 frames, rings 1–5, Width 1500 µm).
 *
 * @example
 * ```ts
 * import { prepareSimulation } from "./simulation.ts";
 * const sim = prepareSimulation({ seed: 1, nGrains: 5, nFrames: 8, omegaStepDeg: -0.25 });
 * sim.scene.length; // spots of 5 random grains within 2° of ω
 * const frame0 = sim.renderer.frame(0); // Uint16Array(2048 * 2048)
 * ```
 * @module
 */
import { formatHklsCsv, generateHkls, type Lattice, type Reflection } from "../geometry/crystal.ts";
import type { DetectorGeometry } from "../geometry/detector.ts";
import { exampleGeometry } from "../geometry/detector.ts";
import { forwardSpots } from "../geometry/forward.ts";
import { formatGrainsCsv, type Grain } from "../geometry/grains.ts";
import {
  createFrameRenderer,
  type FrameOptions,
  type FrameRenderer,
  midasScanMax,
} from "./frames.ts";
import { Rng } from "./noise.ts";
import { randomGrains } from "./random_grains.ts";
import { buildScene, midasScene, type PairPlan, type Range, type SceneSpot } from "./scene.ts";

/** The detector-and-noise options a setup passes through to {@link FrameOptions} unchanged. */
type NoiseSettings = Pick<
  FrameOptions,
  "pedestal" | "backgroundFlux" | "readSigma" | "saturationCounts" | "noise" | "subsample"
>;

/** Everything that defines a simulated scan (all optional except the seed). */
export interface SimulationSetup extends NoiseSettings {
  seed: number;
  mode?: "realistic" | "midas";
  detector?: Partial<DetectorGeometry>;
  wavelengthA?: number;
  lattice?: Lattice;
  spaceGroup?: number;
  /** Rings to simulate (RingNr of hkls.csv; default 1–5). */
  rings?: readonly number[];
  /** Ring band half-width for the peak search, µm (MIDAS Width, default 1500). */
  widthUm?: number;
  /** Per-ring intensity threshold written as RingThresh (default 10). */
  ringThreshold?: number;
  omegaStartDeg?: number;
  omegaStepDeg?: number;
  nFrames?: number;
  /**
   * MIDAS mode: scale intensities as ForwardSim would for a scan of this many frames (its
   * pre-pass normalizes the brightest pixel of the whole scan), so the first `nFrames` frames of
   * a long scan can be simulated alone with identical counts. Default: `nFrames`.
   */
  midasScaleFrames?: number;
  /** Grains from a file (parsed), else `nGrains` random grains (default 250). */
  grains?: readonly Grain[];
  nGrains?: number;
  grainRSampleUm?: number;
  grainHBeamUm?: number;
  /** Reflections (e.g. parsed MIDAS hkls.csv); generated from lattice + space group otherwise. */
  hkls?: readonly Reflection[];
  sigmaRPx?: Range;
  sigmaEtaPx?: Range;
  lorentzScale?: Range;
  mu?: Range;
  omegaSigmaDeg?: Range;
  peakMin?: number;
  decades?: number;
  saturatedFraction?: number;
  pairs?: PairPlan;
  /** MIDAS mode: PeakIntensity, GaussWidth (px), scan maximum (uint16 golden: 15000). */
  midasPeakIntensity?: number;
  midasGaussWidthPx?: number;
  midasMaxOutput?: number;
}

/** A prepared simulation. */
export interface Simulation {
  detector: DetectorGeometry;
  grains: Grain[];
  hkls: Reflection[];
  scene: SceneSpot[];
  frameOptions: FrameOptions;
  renderer: FrameRenderer;
  /** MIDAS parameter file (ForwardSim / ff_MIDAS keys; the zip's parameters derive from it). */
  parameterText: string;
  hklsCsv: string;
  grainsCsv: string;
}

/** Builds grains, spots, scene, renderer and parameter sets; no frames are rendered yet. */
export function prepareSimulation(s: SimulationSetup): Simulation {
  const det: DetectorGeometry = { ...exampleGeometry(), ...s.detector };
  if (det.p.length > 15) {
    throw new Error(`simulation: detector.p has ${det.p.length} values, expected ≤ 15`);
  }
  const mode = s.mode ?? "realistic";
  const lambda = s.wavelengthA ?? 0.22291;
  const lattice = s.lattice ?? [4.08, 4.08, 4.08, 90, 90, 90];
  const spaceGroup = s.spaceGroup ?? 225;
  const rings = s.rings ?? [1, 2, 3, 4, 5];
  const omegaStartDeg = s.omegaStartDeg ?? 180, omegaStepDeg = s.omegaStepDeg ?? -0.25;
  const nFrames = s.nFrames ?? 1440;
  if (!(Number.isInteger(nFrames) && nFrames >= 1)) {
    throw new Error(`simulation: nFrames must be ≥ 1, got ${nFrames}`);
  }
  if (omegaStepDeg === 0) throw new Error("simulation: omegaStepDeg must not be 0");
  const rng = new Rng(s.seed, 0);
  const grains = s.grains ? [...s.grains] : randomGrains(rng, {
    nGrains: s.nGrains ?? 250,
    lattice,
    rSampleUm: s.grainRSampleUm,
    hBeamUm: s.grainHBeamUm,
  });
  const allHkls = s.hkls ? [...s.hkls] : generateHkls({
    lattice,
    spaceGroup,
    wavelengthA: lambda,
    lsdUm: det.lsdUm,
    maxRadiusUm: det.rhoDUm,
  });
  const hkls = allHkls.filter((r) => rings.includes(r.ringNr));
  if (hkls.length === 0) throw new Error(`simulation: no reflections in rings ${rings.join(",")}`);
  const scan = { wavelengthA: lambda, omegaStartDeg, omegaStepDeg, nFrames };
  const spots = forwardSpots(grains, hkls, det, scan);
  const scene = mode === "midas"
    ? midasScene(spots, s.midasPeakIntensity ?? 5000, s.midasGaussWidthPx ?? 1)
    : buildScene(spots, {
      nFrames,
      omegaStartDeg,
      omegaStepDeg,
      sigmaRPx: s.sigmaRPx,
      sigmaEtaPx: s.sigmaEtaPx,
      lorentzScale: s.lorentzScale,
      mu: s.mu,
      omegaSigmaDeg: s.omegaSigmaDeg,
      peakMin: s.peakMin,
      decades: s.decades,
      saturatedFraction: s.saturatedFraction,
      saturationCounts: s.saturationCounts,
      pairs: s.pairs,
      grainRadiusUm: new Map(grains.map((g) => [g.id, g.radiusUm])),
    }, rng);
  const frameOptions: FrameOptions = {
    nY: det.nY,
    nZ: det.nZ,
    ybc: det.ybc,
    zbc: det.zbc,
    nFrames,
    seed: s.seed,
    mode,
    pedestal: s.pedestal,
    backgroundFlux: s.backgroundFlux,
    readSigma: s.readSigma,
    saturationCounts: s.saturationCounts,
    noise: s.noise,
    subsample: s.subsample,
    midasSigmaPx: s.midasGaussWidthPx,
    midasMaxOutput: s.midasMaxOutput,
  };
  const scaleFrames = s.midasScaleFrames ?? nFrames;
  if (mode === "midas" && scaleFrames !== nFrames) {
    if (!(Number.isInteger(scaleFrames) && scaleFrames > nFrames)) {
      throw new Error(
        `simulation: midasScaleFrames must be an integer ≥ nFrames (${nFrames}), got ${scaleFrames}`,
      );
    }
    const longScan = { ...scan, nFrames: scaleFrames };
    const longScene = midasScene(
      forwardSpots(grains, hkls, det, longScan),
      s.midasPeakIntensity ?? 5000,
      s.midasGaussWidthPx ?? 1,
    );
    frameOptions.midasScanMax = midasScanMax(longScene, { ...frameOptions, nFrames: scaleFrames });
  }
  const widthUm = s.widthUm ?? 1500, thr = s.ringThreshold ?? 10;
  const sat = s.saturationCounts ?? 16383, ped = s.pedestal ?? 100;
  // Dark-subtracted values above this are saturated (realistic); the golden recipe uses 16000.
  const upperBound = mode === "midas" ? 16000 : sat - ped - 50;
  const p15 = Array.from({ length: 15 }, (_, i) => det.p[i] ?? 0);
  const ringThresh = rings.map((r) => [r, thr]);
  const common = {
    SpaceGroup: spaceGroup,
    Wavelength: lambda,
    Lsd: det.lsdUm,
    tx: det.tx,
    ty: det.ty,
    tz: det.tz,
    ...Object.fromEntries(p15.map((v, i) => [`p${i}`, v])),
    RhoD: det.rhoDUm,
    Wedge: 0,
    Width: widthUm,
    UpperBoundThreshold: upperBound,
    MinNrPx: mode === "midas" ? 1 : 2,
    MaxNrPx: 10000,
    MaxNPeaks: 400,
    OverlapLength: 2,
    SkipFrame: 0,
    OmegaStart: omegaStartDeg,
  };
  const lines: string[] = [
    `# srmidas simulate: mode ${mode}, seed ${s.seed}, ${grains.length} grains, ${scene.length} spots`,
    `LatticeConstant ${lattice.join(" ")}`,
    `px ${det.pxUm}`,
    `BC ${det.ybc} ${det.zbc}`,
    `NrPixelsY ${det.nY}`,
    `NrPixelsZ ${det.nZ}`,
    ...(det.nY === det.nZ ? [`NrPixels ${det.nY}`] : []),
    `OmegaEnd ${omegaStartDeg + nFrames * omegaStepDeg}`,
    `OmegaStep ${omegaStepDeg}`,
    ...Object.entries(common).map(([k, v]) => `${k} ${v}`),
    ...ringThresh.map(([r, t]) => `RingThresh ${r} ${t}`),
    "ImTransOpt 0",
    "InFileName GrainsSim.csv",
    ...(mode === "midas"
      ? [`PeakIntensity ${s.midasPeakIntensity ?? 5000}`, `GaussWidth ${s.midasGaussWidthPx ?? 1}`]
      : []),
    "",
  ];
  return {
    detector: det,
    grains,
    hkls: allHkls,
    scene,
    frameOptions,
    renderer: createFrameRenderer(scene, frameOptions),
    parameterText: lines.join("\n"),
    hklsCsv: formatHklsCsv(allHkls),
    grainsCsv: formatGrainsCsv(grains, spaceGroup, lattice),
  };
}
