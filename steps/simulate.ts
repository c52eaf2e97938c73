/**
 * Step `simulate`: a synthetic FF-HEDM scan as a MIDAS analysis directory (issue #3).
 *
 * Output `scan/`: `<name>.MIDAS.zip` (frames uint16 (nFrames, nZ, nY), dark frames, analysis and
 * scan parameters), `hkls.csv`, `Parameters.txt` (MIDAS parameter file), `GrainsSim.csv`;
 * output `truth.tsv`: one row per spot (synthesis/truth.ts). Frames are rendered one at a time
 * while the zip is written. Mode `"midas"` reproduces MIDAS ForwardSim (the golden's recipe);
 * `"realistic"` follows the recipe of midas-formats §4.4. Grains come from the optional `grains`
 * input (MIDAS Grains.csv), else `nGrains` random grains from the seed.
 *
 * @example
 * ```ts
 * import { simulateStep } from "./simulate.ts";
 * simulateStep.outputs.scan.path; // "scan"
 * ```
 * @module
 */
import * as v from "valibot";
import { defineStep } from "../engine/step.ts";
import { parseHklsCsv, type Reflection } from "../geometry/crystal.ts";
import { type Grain, parseGrainsCsv } from "../geometry/grains.ts";
import { darkFrames } from "../synthesis/frames.ts";
import { prepareSimulation, type SimulationSetup } from "../synthesis/simulation.ts";
import { formatTruthTsv } from "../synthesis/truth.ts";
import { paramFileToZipParameters, parseParamText } from "../midas/params.ts";
import { writeMidasZip } from "../midas/zip_writer.ts";

const range = v.pipe(
  v.tuple([v.number(), v.number()]),
  v.check(([a, b]) => a <= b, "range [lo, hi] needs lo ≤ hi"),
);
const positive = v.pipe(v.number(), v.minValue(0));

/** Parameters of the simulate step (defaults: Au "Example" geometry, realistic mode). */
const simulateFields = v.object({
  name: v.optional(
    v.pipe(v.string(), v.regex(/^[\w.-]+$/, "name: letters, digits, . _ - only")),
    "sim",
  ),
  seed: v.optional(v.pipe(v.number(), v.integer()), 1),
  mode: v.optional(v.picklist(["realistic", "midas"]), "realistic"),
  nFrames: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 1440),
  omegaStartDeg: v.optional(v.number(), 180),
  omegaStepDeg: v.optional(v.pipe(v.number(), v.check((x) => x !== 0, "omegaStepDeg ≠ 0")), -0.25),
  nY: v.optional(v.pipe(v.number(), v.integer(), v.minValue(8)), 2048),
  nZ: v.optional(v.pipe(v.number(), v.integer(), v.minValue(8)), 2048),
  pxUm: v.optional(positive, 200),
  lsdUm: v.optional(positive, 1_000_000),
  /** Beam centre, px; default the Example geometry's 1022 of 2048 scaled to nY (nZ). */
  ybc: v.optional(v.number()),
  zbc: v.optional(v.number()),
  tx: v.optional(v.number(), 0),
  ty: v.optional(v.number(), 0),
  tz: v.optional(v.number(), 0),
  p: v.optional(v.pipe(v.array(v.number()), v.maxLength(15)), []),
  rhoDUm: v.optional(positive, 204_800),
  wavelengthA: v.optional(positive, 0.22291),
  lattice: v.optional(
    v.tuple([v.number(), v.number(), v.number(), v.number(), v.number(), v.number()]),
    [
      4.08,
      4.08,
      4.08,
      90,
      90,
      90,
    ],
  ),
  spaceGroup: v.optional(v.pipe(v.number(), v.integer()), 225),
  rings: v.optional(v.array(v.pipe(v.number(), v.integer(), v.minValue(1))), [1, 2, 3, 4, 5]),
  widthUm: v.optional(positive, 1500),
  ringThreshold: v.optional(positive, 10),
  nGrains: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 250),
  sigmaRPx: v.optional(range, [0.7, 2]),
  sigmaEtaPx: v.optional(range, [1, 4]),
  lorentzScale: v.optional(range, [1, 1.5]),
  mu: v.optional(range, [0, 0.3]),
  omegaSigmaDeg: v.optional(range, [0.1, 0.5]),
  peakMin: v.optional(positive, 30),
  decades: v.optional(positive, 3),
  saturatedFraction: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1)), 0.002),
  pairs: v.optional(v.object({
    count: v.pipe(v.number(), v.integer(), v.minValue(0)),
    separationsPx: v.array(positive),
    ratios: v.array(v.pipe(v.number(), v.minValue(1))),
  })),
  pedestal: v.optional(positive, 100),
  backgroundFlux: v.optional(positive, 2),
  readSigma: v.optional(positive, 4),
  saturationCounts: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535)),
    16383,
  ),
  noise: v.optional(v.boolean(), true),
  nDark: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 8),
  subsample: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(16)), 4),
  midasPeakIntensity: v.optional(positive, 5000),
  midasGaussWidthPx: v.optional(positive, 1),
  midasMaxOutput: v.optional(v.pipe(v.number(), v.minValue(1), v.maxValue(65535)), 15000),
  /** MIDAS mode: scale counts as for a scan this long (first frames of a long scan alone). */
  midasScaleFrames: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
});

/** The Example geometry's beam centre (1022 px on a 2048 px detector) scaled to `n` pixels. */
export function defaultBeamCentre(n: number): number {
  return n * 1022 / 2048;
}

/** Parameters of the simulate step; an unset beam centre follows the detector size. */
export const simulateParams = v.pipe(
  simulateFields,
  v.transform((p) => ({
    ...p,
    ybc: p.ybc ?? defaultBeamCentre(p.nY),
    zbc: p.zbc ?? defaultBeamCentre(p.nZ),
  })),
);

/**
 * Fraction of a ring of radius `rPx` around (ybc, zbc) that lies on an nY × nZ detector
 * (sampled every half degree): below 1, some of its spots are not on the frames.
 */
export function ringOnDetector(rPx: number, ybc: number, zbc: number, nY: number, nZ: number) {
  const n = 720;
  let inside = 0;
  for (let i = 0; i < n; i++) {
    const a = (2 * Math.PI * i) / n;
    const y = ybc + rPx * Math.cos(a), z = zbc + rPx * Math.sin(a);
    if (y >= 0 && y < nY && z >= 0 && z < nZ) inside++;
  }
  return inside / n;
}

/** Maps validated step params (+ parsed optional inputs) onto a {@link SimulationSetup}. */
export function toSimulationSetup(
  p: v.InferOutput<typeof simulateParams>,
  grains?: Grain[],
  hkls?: Reflection[],
): SimulationSetup {
  return {
    ...p,
    detector: {
      nY: p.nY,
      nZ: p.nZ,
      pxUm: p.pxUm,
      lsdUm: p.lsdUm,
      ybc: p.ybc,
      zbc: p.zbc,
      tx: p.tx,
      ty: p.ty,
      tz: p.tz,
      p: p.p,
      rhoDUm: p.rhoDUm,
    },
    grains,
    hkls,
  };
}

export const simulateStep = defineStep({
  name: "simulate",
  version: "1",
  description:
    "Simulates an FF-HEDM scan (frames, dark, parameters, hkls) with its spot truth table.",
  params: simulateParams,
  inputs: {
    grains: { kind: "file", optional: true, description: "MIDAS Grains.csv / GrainsSim.csv" },
    hkls: { kind: "file", optional: true, description: "MIDAS hkls.csv (else generated)" },
  },
  outputs: {
    scan: { kind: "scan", path: "scan", description: "MIDAS analysis directory" },
    truth: { kind: "truth", path: "truth.tsv", description: "one row per simulated spot" },
  },
  module: import.meta.url,
  async run(ctx) {
    const p = ctx.params;
    const grains = ctx.inputs.grains
      ? parseGrainsCsv(await Deno.readTextFile(ctx.inputs.grains), ctx.inputs.grains)
      : undefined;
    const hkls = ctx.inputs.hkls
      ? parseHklsCsv(await Deno.readTextFile(ctx.inputs.hkls), ctx.inputs.hkls)
      : undefined;
    const sim = prepareSimulation(toSimulationSetup(p, grains, hkls));
    const off: string[] = [];
    for (const ring of p.rings) {
      const r = sim.hkls.find((h) => h.ringNr === ring);
      if (!r) continue;
      const on = ringOnDetector(r.radiusUm / p.pxUm, p.ybc, p.zbc, p.nY, p.nZ);
      if (on < 0.999) off.push(`${ring} (${Math.round((1 - on) * 100)} % off)`);
    }
    if (off.length > 0 || sim.scene.length === 0) {
      const what = off.length ? `rings ${off.join(", ")} fall off` : "no spot falls on";
      ctx.log.warn(
        `${what} the ${p.nY}×${p.nZ} detector (beam centre ${p.ybc}, ${p.zbc}): spots off it ` +
          `are not simulated (${sim.scene.length} spots in all); set ybc/zbc, rhoDUm or rings`,
      );
    }
    ctx.log.info("simulation prepared", {
      grains: sim.grains.length,
      spots: sim.scene.length,
      frames: p.nFrames,
      mode: p.mode,
    });
    const dir = ctx.output("scan");
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(`${dir}/hkls.csv`, sim.hklsCsv);
    await Deno.writeTextFile(`${dir}/Parameters.txt`, sim.parameterText);
    await Deno.writeTextFile(`${dir}/GrainsSim.csv`, sim.grainsCsv);
    await Deno.writeTextFile(ctx.output("truth"), formatTruthTsv(sim.scene));
    const renderer = sim.renderer;
    function* frames() {
      for (let f = 0; f < p.nFrames; f++) {
        if (ctx.signal.aborted) throw new Error("simulate: aborted");
        yield renderer.frame(f);
        ctx.log.progress(f + 1, p.nFrames, "frames");
      }
    }
    // The zip's parameters are the parameter file's, converted with MIDAS's zipper rules (§1.5).
    const zipParams = paramFileToZipParameters(
      parseParamText(sim.parameterText, "Parameters.txt"),
      "Parameters.txt",
    );
    const useDark = p.mode === "realistic" && p.nDark > 0;
    await writeMidasZip(`${dir}/${p.name}.MIDAS.zip`, {
      nFrames: p.nFrames,
      nZ: p.nZ,
      nY: p.nY,
      dtype: "uint16",
      frames: frames(),
      dark: useDark ? { n: p.nDark, data: darkFrames(p.nDark, sim.frameOptions) } : undefined,
      ...zipParams,
    }, {
      // A fixed entry time: the same params give the same bytes, so the same downstream cache
      // keys on every machine and executor (local or Slurm).
      mtime: new Date(2000, 0, 1),
    });
    ctx.log.info("scan written", { zip: `${p.name}.MIDAS.zip` });
  },
});
