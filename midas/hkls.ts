/**
 * MIDAS `hkls.csv` (written by `GetHKLList[Zarr]`, read by the peak search and sr-midas): one row
 * per reflection, space-separated, header `h k l D-spacing RingNr g1 g2 g3 Theta 2Theta Radius`.
 * Only `RingNr` and `Radius` (µm) are used downstream.
 *
 * @example
 * ```ts
 * import { parseHkls, ringRadiiPx } from "./hkls.ts";
 * const rows = parseHkls(
 *   "h k l D-spacing RingNr g1 g2 g3 Theta 2Theta Radius\n1 1 1 2.35 1 0.2 0.2 0.2 2.7 5.4 94949.4\n",
 *   "inline",
 * );
 * ringRadiiPx(rows, [1], 200, "inline"); // [474.747]
 * ```
 * @module
 */

/** Header line MIDAS writes. */
export const HKLS_HEADER = "h k l D-spacing RingNr g1 g2 g3 Theta 2Theta Radius";

/** One reflection. Angles in degrees, d in Å, radius in µm, g = reciprocal vector (no 2π). */
export interface HklRow {
  h: number;
  k: number;
  l: number;
  dSpacing: number;
  ringNr: number;
  g1: number;
  g2: number;
  g3: number;
  theta: number;
  twoTheta: number;
  radius: number;
}

const FIELDS: (keyof HklRow)[] = [
  "h",
  "k",
  "l",
  "dSpacing",
  "ringNr",
  "g1",
  "g2",
  "g3",
  "theta",
  "twoTheta",
  "radius",
];

/** Parses hkls.csv text; `source` names the file in errors. */
export function parseHkls(text: string, source: string): HklRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length === 0 || !/^h\s+k\s+l\b/.test(lines[0].trim())) {
    throw new Error(`${source}: hkls.csv: expected header '${HKLS_HEADER}'`);
  }
  return lines.slice(1).map((line, i) => {
    const t = line.trim().split(/\s+/).map(Number);
    if (t.length < FIELDS.length || t.some((x) => Number.isNaN(x))) {
      throw new Error(
        `${source}:${i + 2}: hkls.csv: expected ${FIELDS.length} numbers, got '${line}'`,
      );
    }
    return Object.fromEntries(FIELDS.map((f, j) => [f, t[j]])) as unknown as HklRow;
  });
}

/** Reads hkls.csv; a missing file is an Error saying where it was expected and who makes it. */
export async function readHkls(path: string): Promise<HklRow[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(
        `${path}: hkls.csv not found; it must sit next to the .MIDAS.zip (MIDAS GetHKLList writes it)`,
      );
    }
    throw new Error(`${path}: cannot read hkls.csv (${(e as Error).message})`);
  }
  return parseHkls(text, path);
}

/** C's `%.17g`, so a written file matches MIDAS's byte for byte. */
export function formatG17(x: number): string {
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const exp = Math.floor(Math.log10(Math.abs(x)));
  if (exp < -4 || exp >= 17) {
    const [m, e] = x.toExponential(16).split("e");
    const mant = m.includes(".") ? m.replace(/\.?0+$/, "") : m;
    const n = Number(e);
    return `${mant}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
  }
  const s = x.toPrecision(17);
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/** Formats rows as hkls.csv (header + `%.17g` values, space-separated). */
export function formatHkls(rows: readonly HklRow[]): string {
  return [HKLS_HEADER, ...rows.map((r) => FIELDS.map((f) => formatG17(r[f])).join(" "))].join(
    "\n",
  ) + "\n";
}

/**
 * Ring radii in pixels for `ringNrs`: the radius of the first row with that RingNr divided by
 * `pixelSize` (sr-midas, after its commit 83a48e9). An absent ring is an Error.
 */
export function ringRadiiPx(
  rows: readonly HklRow[],
  ringNrs: readonly number[],
  pixelSize: number,
  source: string,
): number[] {
  return ringNrs.map((n) => {
    const row = rows.find((r) => r.ringNr === n);
    if (!row) throw new Error(`${source}: hkls.csv has no reflection with RingNr ${n}`);
    return row.radius / pixelSize;
  });
}
