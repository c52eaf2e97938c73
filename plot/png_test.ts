import { assert, assertEquals, decodePng } from "./_test_util.ts";
import { crc32, encodePng } from "./png.ts";

Deno.test("crc32 matches the standard check value", () => {
  assertEquals(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assertEquals(crc32(new Uint8Array(0)), 0);
});

Deno.test("encodePng round-trips pixels through IHDR/IDAT/IEND with valid CRCs", () => {
  const w = 7, h = 5;
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + 11) & 0xff;
  const png = encodePng({ width: w, height: h, data });
  const d = decodePng(png);
  assertEquals(d.chunks, ["IHDR", "IDAT", "IEND"]);
  assertEquals([d.width, d.height], [w, h]);
  assertEquals(Array.from(d.data), Array.from(data));
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
