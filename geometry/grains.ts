/**
 * MIDAS `Grains.csv` / `GrainsSim.csv` (midas-formats §4.1): 8 `%` header lines, a `%GrainID O11 …`
 * column header, then tab-separated rows `GrainID, O11…O33 (row-major), X Y Z (µm), a b c α β γ, …,
 * GrainRadius (col 23)`. Only the columns the forward model needs are kept.
 *
 * @example
 * ```ts
 * import { parseGrainsCsv } from "./grains.ts";
 * const text = await Deno.readTextFile("tests/data/midas-example/GrainsSim_3grain.csv");
 * const grains = parseGrainsCsv(text, "GrainsSim_3grain.csv");
 * grains[0].id; // 64
 * ```
 * @module
 */
import type { Lattice } from "./crystal.ts";

/** One grain of the forward model. */
export interface Grain {
  id: number;
  /** Orientation matrix, row-major (O11 … O33): G_lab = OM·B·hkl. */
  om: Float64Array;
  /** Centre of mass, µm (X along the beam, Y, Z). */
  posUm: [number, number, number];
  /** Strained lattice of this grain. */
  lattice: Lattice;
  /** Equivalent radius, µm (intensity ∝ radius³). */
  radiusUm: number;
}

/** Parses a MIDAS Grains.csv; throws naming the file, line and field on bad input. */
export function parseGrainsCsv(text: string, fileName = "Grains.csv"): Grain[] {
  const grains: Grain[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    const t = line.trim();
    if (t === "" || t.startsWith("%")) return;
    const v = t.split(/\s+/).map(Number);
    if (v.length < 19 || v.slice(0, 19).some((x) => !Number.isFinite(x))) {
      throw new Error(
        `${fileName}: line ${
          i + 1
        }: expected ≥ 19 numeric columns (GrainID, O11…O33, X Y Z, a b c α β γ)`,
      );
    }
    grains.push({
      id: v[0],
      om: Float64Array.from(v.slice(1, 10)),
      posUm: [v[10], v[11], v[12]],
      lattice: [v[13], v[14], v[15], v[16], v[17], v[18]],
      radiusUm: Number.isFinite(v[22]) && v[22] > 0 ? v[22] : 100,
    });
  });
  if (grains.length === 0) throw new Error(`${fileName}: no grain rows found`);
  return grains;
}

/** Writes grains in the MIDAS GrainsSim.csv layout (what ForwardSimulationCompressed reads). */
export function formatGrainsCsv(
  grains: readonly Grain[],
  spaceGroup: number,
  lattice: Lattice,
): string {
  const f = (x: number) => x.toFixed(6);
  const head = [
    `%NumGrains ${grains.length}`,
    "%BeamCenter 0.000000",
    "%BeamThickness 200.000000",
    "%GlobalPosition 0.000000",
    "%NumPhases 1",
    "%PhaseInfo",
    `%\tSpaceGroup:${spaceGroup}`,
    `%\tLattice Parameter: ${lattice.map(f).join(" ")}`,
    "%GrainID\tO11\tO12\tO13\tO21\tO22\tO23\tO31\tO32\tO33\tX\tY\tZ\ta\tb\tc\talpha\tbeta\tgamma" +
    "\tDiffPos\tDiffOme\tDiffAngle\tGrainRadius\tConfidence",
  ];
  const rows = grains.map((g) =>
    [String(g.id), ...Array.from(g.om, f), ...g.posUm.map(f), ...g.lattice.map(f), f(0), f(0), f(0)]
      .concat([f(g.radiusUm), f(1)]).join("\t")
  );
  return [...head, ...rows, ""].join("\n");
}
