import { componentPixels, labelComponents } from "./components.ts";
import { assert, assertEquals, gaussianRng, runPython } from "./test_util.ts";

Deno.test("labelComponents: 8-connectivity, raster label order, stats", () => {
  // 5×4:   1 0 0 2 2
  //        0 3 0 0 0
  //        0 0 0 0 4
  //        5 0 0 4 0
  const img = new Float64Array([1, 0, 0, 2, 2, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 5, 0, 0, 4, 0]);
  const c = labelComponents(img, 5, 4);
  assertEquals(c.count, 4, "count");
  assertEquals(Array.from(c.labels), [1, 0, 0, 2, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3, 4, 0, 0, 3, 0]);
  assertEquals(Array.from(c.size), [2, 2, 2, 1], "size");
  assertEquals(Array.from(c.argmax), [6, 3, 14, 15], "argmax");
  assertEquals(Array.from(c.sum), [4, 4, 8, 5], "sum");
  assertEquals(Array.from(componentPixels(c, 2)), [14, 18], "pixels");
  assertEquals([c.rowMin[2], c.rowMax[2], c.colMin[2], c.colMax[2]], [2, 3, 3, 4], "bbox");
});

Deno.test("labelComponents: U-shape merges late (union-find) and keeps first-pixel order", () => {
  // Two arms that join at the bottom: one component; a later blob gets label 2.
  const img = new Float64Array([1, 0, 1, 0, 9, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
  const c = labelComponents(img, 5, 3);
  assertEquals(c.count, 2);
  assertEquals(Array.from(c.labels), [1, 0, 1, 0, 2, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
});

Deno.test("labelComponents: MIDAS strict size filter MinNrPx < n < MaxNrPx and renumbering", () => {
  // Components of sizes 1, 2, 3, 4 in raster order.
  const w = 12;
  const img = new Float64Array(w * 2);
  img[0] = 1;
  img[2] = img[3] = 1;
  img[5] = img[6] = img[7] = 1;
  img[9] =
    img[10] =
    img[w + 9] =
    img[w + 10] =
      1;
  const c = labelComponents(img, w, 2, { minNrPx: 1, maxNrPx: 4 });
  assertEquals(Array.from(c.size), [2, 3], "kept sizes");
  assertEquals(c.labels[0], 0, "single pixel dropped");
  assertEquals([c.labels[2], c.labels[5], c.labels[9]], [1, 2, 0], "renumbered");
  assertEquals(c.pixels.length, 5);
  const capped = labelComponents(img, w, 2, { minNrPx: 1, maxComponents: 2 });
  assertEquals(Array.from(capped.size), [2], "cap applies before the size filter");
});

Deno.test("labelComponents: matches scipy.ndimage.label on a random frame", async () => {
  const w = 64, h = 48;
  const rnd = gaussianRng(7);
  const img = new Float64Array(w * h);
  for (let i = 0; i < img.length; i++) img[i] = rnd() > 0.6 ? 1 : 0;
  const c = labelComponents(img, w, h);
  const py = await runPython(
    `import sys, numpy as np
from scipy import ndimage
a = np.array(sys.stdin.read().split(), dtype=float).reshape(${h}, ${w})
lab, n = ndimage.label(a > 0, structure=np.ones((3, 3)))
print(n); print(" ".join(map(str, lab.ravel())))`,
    Array.from(img).join(" "),
  );
  if (py === null) {
    console.log("note: /usr/bin/python3 with scipy missing; scipy cross-check skipped");
    return;
  }
  const [n, labs] = py.trim().split("\n");
  assertEquals(c.count, Number(n), "count vs scipy");
  assertEquals(Array.from(c.labels).join(" "), labs, "labels vs scipy");
  assert(c.count > 50, "non-trivial");
});
