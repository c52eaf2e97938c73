import { assert, assertEquals } from "../tests/assert.ts";
import { encodePng } from "./png.ts";
import { patchPanel } from "./patches.ts";
import { svgPngImages } from "./_test_util.ts";
import {
  binEdges,
  heatmapChart,
  histogramCounts,
  imageChart,
  lineChart,
  pngDataUri,
  renderSvg,
} from "./vega.ts";

Deno.test("histogramCounts bins half-open intervals and clamps the ends; binEdges spans the data", () => {
  assertEquals(histogramCounts([0, 0.5, 1, 1.5, 2, 9, -1, NaN], [0, 1, 2]), [3, 4]);
  assertEquals(binEdges([[2, 4], [3]], 2), [2, 3, 4]);
});

Deno.test("lineChart renders to SVG with its titles; non-finite points are left out", async () => {
  const spec = lineChart({
    title: "Peaks per frame",
    xTitle: "ω (deg)",
    yTitle: "peaks",
    series: [{ label: "a", x: [0, 1, 2], y: [1, NaN, 3] }],
  });
  assertEquals((spec.data as { values: unknown[] }).values.length, 2, "NaN point left out");
  const svg = await renderSvg(spec);
  assert(svg.startsWith("<svg"), "an SVG document");
  for (const t of ["Peaks per frame", "ω (deg)", "peaks"]) assert(svg.includes(t), t);
});

Deno.test("imageChart puts the image's top edge at the plot top for either y orientation", async () => {
  const url = pngDataUri(encodePng({ width: 2, height: 2, data: new Uint8Array(16).fill(200) }));
  for (const y of [[-0.5, 9.5], [9.5, -0.5]] as const) {
    const svg = await renderSvg(imageChart({ url, x: [-0.5, 9.5], y, width: 100, height: 80 }));
    const img = /<image[^>]*transform="translate\(([-\d.]+),([-\d.]+)\)"[^>]*>/.exec(svg);
    assert(img, `an <image> (y ${y})`);
    assertEquals([Number(img[1]), Number(img[2])], [0, 0], `image at the plot origin (y ${y})`);
    assertEquals(svgPngImages(svg).length, 1, "embedded once (no aria-label copy)");
  }
});

Deno.test("patchPanel lays out one image chart per patch with markers drawn in", async () => {
  const data = Float64Array.from({ length: 25 }, (_, i) => i);
  const svg = await renderSvg(patchPanel({
    rows: [{
      label: "row",
      panels: [
        { title: "x1", data, width: 5, height: 5, markers: [{ x: 2, y: 2, shape: "cross" }] },
        { title: "fit", data, width: 5, height: 5 },
      ],
    }],
    cellPx: 50,
  }));
  const imgs = svgPngImages(svg);
  assertEquals(imgs.map((i) => [i.width, i.height]), [[50, 50], [50, 50]]);
  // The × at patch pixel (2, 2) is centred at 25 px in the 50 px cell: red there, not in "fit".
  const red = (k: number) => {
    const o = 4 * (25 * 50 + 25);
    return imgs[k].data[o] === 0xff && imgs[k].data[o + 1] === 0x30;
  };
  assertEquals([red(0), red(1)], [true, false]);
  assert(svg.includes("row: x1"), "row label on the first panel");
});

Deno.test("heatmapChart renders one panel per series with each cell's text", async () => {
  const cells = ["oracle", "run"].flatMap((panel) =>
    ["0-1", "1-2"].flatMap((x) =>
      ["1-2", "2-5"].map((y) => ({
        panel,
        x,
        y,
        value: x === "0-1" ? 0.25 : NaN,
        text: `${panel}:${x}:${y}`,
      }))
    )
  );
  const svg = await renderSvg(heatmapChart({
    title: "Resolved pairs",
    xTitle: "separation",
    yTitle: "ratio",
    cells,
    xOrder: ["0-1", "1-2"],
    yOrder: ["1-2", "2-5"],
  }));
  assert(svg.startsWith("<svg") && svg.includes("Resolved pairs"));
  for (const c of cells) assert(svg.includes(c.text), `cell text ${c.text}`);
  assert(svg.includes(">oracle<") && svg.includes(">run<"), "panel headers");
});
