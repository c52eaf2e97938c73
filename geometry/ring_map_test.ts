import { MIDAS_EXAMPLE_DIR } from "../tests/shared_data.ts";
import { assert, assertEq, assertThrows } from "./_assert.ts";
import { exampleGeometry } from "./detector.ts";
import { radiusMapPx, ringIndexMap } from "./ring_map.ts";

const small = { ...exampleGeometry(), nY: 80, nZ: 60, ybc: 40, zbc: 30 };

Deno.test("radiusMapPx: float64 radius from the beam centre, row-major", () => {
  const r = radiusMapPx(small);
  assert(r instanceof Float64Array, "float64");
  assertEq(r[30 * 80 + 40], 0, "centre");
  assertEq(r[30 * 80 + 50], 10, "10 px to the right");
  assertEq(r[40 * 80 + 40], 10, "10 rows up");
  const res = new Float64Array(80 * 60).fill(0.25);
  assertEq(radiusMapPx(small, res)[30 * 80 + 50], 10.25, "residual map added");
  assertThrows(() => radiusMapPx(small, new Float64Array(3)), "residual map has 3 values");
});

Deno.test("ringIndexMap: strict band |R − Rring| < width, later rings win, −1 elsewhere", () => {
  const r = radiusMapPx(small);
  const m = ringIndexMap(r, [10, 12], 1.5);
  assertEq(m[30 * 80 + 40], -1, "centre is in no ring");
  assertEq(m[30 * 80 + 49], 0, "R = 9 → ring 0");
  assertEq(m[30 * 80 + 51], 1, "R = 11 is in both bands; the later ring wins");
  assertEq(m[30 * 80 + 53], 1, "R = 13 → ring 1");
  assertEq(m[30 * 80 + 54], -1, "R = 14 → |14 − 12| = 2 ≥ 1.5");
  assertEq(ringIndexMap([8.5], [10], 1.5)[0], -1, "boundary excluded (strict <)");
});

Deno.test("full 2048² Example map: every golden C peak lies in the band of its own ring", async () => {
  const { parseHklsCsv } = await import("./crystal.ts");
  const data = MIDAS_EXAMPLE_DIR;
  const hkls = parseHklsCsv(await Deno.readTextFile(data + "hkls.csv"));
  const radii = [1, 2, 3, 4, 5].map((r) => hkls.find((h) => h.ringNr === r)!.radiusUm / 200);
  const g = exampleGeometry();
  const map = ringIndexMap(radiusMapPx(g), radii, 1500 / 200);
  const lines = (await Deno.readTextFile(data + "golden_peaks_per_frame_C.tsv")).trim().split("\n");
  const head = lines[0].split("\t");
  const [cy, cz, cr] = ["maxY", "maxZ", "Radius"].map((n) => head.indexOf(n));
  for (const line of lines.slice(1)) {
    const v = line.split("\t").map(Number);
    const k = map[v[cz] * 2048 + v[cy]];
    assert(k >= 0, `peak at (${v[cy]}, ${v[cz]}) outside every band`);
    assert(Math.abs(v[cr] - radii[k]) < 2, `ring ${k + 1} radius ${radii[k]} vs peak R ${v[cr]}`);
  }
  const inBand = map.reduce((a, x) => a + (x >= 0 ? 1 : 0), 0);
  // Five 15-px-wide annuli, all fully on the detector: area 2π·ΣR·15.
  const area = 2 * Math.PI * radii.reduce((a, b) => a + b, 0) * 15;
  assert(
    Math.abs(inBand / area - 1) < 0.002,
    `band pixel count ${inBand} vs area ${area.toFixed(0)}`,
  );
});
