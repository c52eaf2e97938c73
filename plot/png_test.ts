import { assert, assertEquals } from "../tests/assert.ts";
import { decodePng, encodeIndexedPng, encodePng, pixelAt } from "./png.ts";

Deno.test("encodePng round-trips RGBA pixels", () => {
  const w = 7, h = 5;
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + 11) & 0xff;
  const d = decodePng(encodePng({ width: w, height: h, data }));
  assertEquals([d.width, d.height], [w, h]);
  assertEquals(Array.from(d.data), Array.from(data));
});

Deno.test("encodeIndexedPng round-trips through its palette", () => {
  const index = Uint8Array.from([0, 1, 2, 1, 0, 2]);
  const png = encodeIndexedPng({
    width: 3,
    height: 2,
    index,
    palette: [0x000000, 0xff0000, 0x00ff00],
  });
  const d = decodePng(png);
  assertEquals(pixelAt(d, 1, 0), 0xff0000);
  assertEquals(pixelAt(d, 2, 1), 0x00ff00);
  assertEquals(pixelAt(d, 1, 1), 0x000000);
});

Deno.test("encodePng rejects a data length that does not match the size", () => {
  let msg = "";
  try {
    encodePng({ width: 2, height: 2, data: new Uint8Array(15) });
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(msg.includes("expected width·height·4 = 16"), msg);
});
