import { assert, assertEquals, decodePng } from "./_test_util.ts";
import { barChart, formatTick, histogram, histogramCounts, lineChart, niceTicks } from "./chart.ts";
import { colormap } from "./colormap.ts";
import { patchPanel } from "./patches.ts";
import { encodePng } from "./png.ts";
import { Raster } from "./raster.ts";

Deno.test("niceTicks picks 1-2-5 steps covering the range", () => {
  assertEquals(niceTicks(0, 1, 5), { step: 0.2, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
  assertEquals(niceTicks(0.3, 3.7, 4).ticks, [1, 2, 3]);
  assertEquals(niceTicks(2, 2).ticks.length > 1, true, "degenerate range is padded");
  assertEquals(formatTick(0.4, 0.2), "0.4");
  assertEquals(formatTick(150, 50), "150");
});

Deno.test("histogramCounts bins half-open intervals and clamps the ends", () => {
  assertEquals(histogramCounts([0, 0.5, 1, 1.5, 2, 9, -1, NaN], [0, 1, 2]), [3, 4]);
});

Deno.test("Raster text draws ink inside its box; rotated text goes upward", () => {
  const r = new Raster(40, 40);
  r.text(2, 2, "1", 0x000000);
  let ink = 0;
  for (let y = 0; y < 12; y++) for (let x = 0; x < 12; x++) ink += r.pixel(x, y) === 0 ? 1 : 0;
  assertEquals(ink, 10, "glyph '1' has 10 lit font pixels");
  const q = new Raster(40, 40);
  q.text(5, 30, "--", 0x000000, { rotate: true });
  let above = 0;
  for (let y = 0; y < 30; y++) above += q.pixel(8, y) === 0 ? 1 : 0;
  assert(above >= 10, `rotated dashes form a vertical run, got ${above}`);
});

Deno.test("charts encode to decodable PNGs with series colours present", () => {
  const line = lineChart({
    title: "Resolved fraction vs separation",
    xLabel: "separation (px)",
    yLabel: "resolved",
    yRange: [0, 1],
    series: [
      { label: "SR x8", x: [0.5, 1.5, 2.5, 3.5], y: [0.1, 0.5, NaN, 1], color: 0x1f77b4 },
      { label: "native", x: [0.5, 1.5, 2.5, 3.5], y: [0, 0.2, 0.6, 0.9], color: 0xff7f0e },
    ],
  });
  const d = decodePng(encodePng(line));
  const colours = new Set<number>();
  for (let i = 0; i < d.data.length; i += 4) {
    colours.add((d.data[i] << 16) | (d.data[i + 1] << 8) | d.data[i + 2]);
  }
  assert(colours.has(0x1f77b4) && colours.has(0xff7f0e), "both series drawn");
  const h = histogram({ series: [{ label: "err", values: [0.1, 0.2, 0.9] }], edges: [0, 0.5, 1] });
  assertEquals([h.width, h.height], [720, 440]);
  const b = barChart({
    categories: ["<1", "1-2", "2-4"],
    series: [{ label: "a", values: [0.1, 0.5, 1] }],
  });
  assert(b.data.length === 720 * 440 * 4);
  let thrown = "";
  try {
    barChart({ categories: ["a"], series: [{ label: "x", values: [1, 2] }] });
  } catch (e) {
    thrown = (e as Error).message;
  }
  assert(thrown.includes('series "x" has 2 values for 1 categories'), thrown);
});

Deno.test("patchPanel colours pixels by the colormap and draws markers", () => {
  const data = Float64Array.from([0, 1, 2, 3]);
  const img = patchPanel({
    rows: [{ panels: [{ data, width: 2, height: 2, markers: [{ x: 1, y: 1, shape: "cross" }] }] }],
    cellPx: 40,
  });
  // Top-left patch pixel = minimum → first viridis colour; patch starts at (8, 8 + 14 + 8).
  assertEquals(img.pixel(10, 32), colormap("viridis", 0));
  assertEquals(img.pixel(8 + 25, 30 + 5), colormap("viridis", 1 / 3));
  assertEquals(img.pixel(8 + 30, 30 + 30), 0xff3030, "cross marker at the centre of pixel (1,1)");
});
