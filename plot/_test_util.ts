/**
 * Test helpers for plot/: the shared assertions and a strict PNG decoder (signature, chunk CRCs,
 * IHDR, inflated IDAT with filter type 0) so tests can compare pixels without an image library.
 * @module
 */
import { inflateSync } from "node:zlib";
import { assert, assertEquals } from "../tests/assert.ts";
import { crc32, PNG_SIGNATURE, type RgbaImage } from "./png.ts";

export { assert, assertEquals };

/** Decodes PNGs this package writes (RGBA 8-bit, filter 0); throws on any structural error. */
export function decodePng(png: Uint8Array): RgbaImage & { chunks: string[] } {
  for (let i = 0; i < 8; i++) assert(png[i] === PNG_SIGNATURE[i], `signature byte ${i}`);
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: string[] = [];
  const idat: Uint8Array[] = [];
  let width = 0, height = 0, o = 8;
  while (o < png.length) {
    const len = dv.getUint32(o);
    const type = String.fromCharCode(...png.subarray(o + 4, o + 8));
    const body = png.subarray(o + 8, o + 8 + len);
    const crc = dv.getUint32(o + 8 + len);
    assertEquals(crc, crc32(png.subarray(o + 4, o + 8 + len)), `CRC of ${type}`);
    chunks.push(type);
    if (type === "IHDR") {
      width = dv.getUint32(o + 8);
      height = dv.getUint32(o + 12);
      assertEquals(Array.from(body.subarray(8)), [8, 6, 0, 0, 0], "IHDR depth/colour/methods");
    } else if (type === "IDAT") idat.push(body);
    o += 12 + len;
  }
  const raw = new Uint8Array(inflateSync(new Uint8Array(idat.flatMap((c) => Array.from(c)))));
  assertEquals(raw.length, (width * 4 + 1) * height, "inflated size");
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    assertEquals(raw[y * (width * 4 + 1)], 0, `filter type of row ${y}`);
    data.set(raw.subarray(y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1)), y * width * 4);
  }
  return { width, height, data, chunks };
}
