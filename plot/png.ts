/**
 * PNG encoding and decoding through `fast-png` (a maintained pure-JS codec): RGBA images for
 * charts and patches, and palette (indexed 8-bit) images for large colour-mapped detector
 * frames, which compress several times better than RGBA.
 *
 * @example
 * ```ts
 * import { decodePng, encodePng } from "./png.ts";
 * const rgba = new Uint8Array(2 * 2 * 4).fill(255);
 * const png = encodePng({ width: 2, height: 2, data: rgba });
 * decodePng(png).width; // 2
 * ```
 * @module
 */
import { decode, encode } from "fast-png";

/** An 8-bit RGBA image, rows top to bottom, `data.length === width·height·4`. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** An 8-bit indexed image: `index[i]` picks `palette[index[i]]` (0xRRGGBB). */
export interface IndexedImage {
  width: number;
  height: number;
  index: Uint8Array;
  palette: readonly number[];
}

function checkSize(what: string, w: number, h: number, n: number, per: number): void {
  if (!(Number.isInteger(w) && w > 0 && Number.isInteger(h) && h > 0)) {
    throw new Error(`${what}: width and height must be positive integers, got ${w}×${h}`);
  }
  if (n !== w * h * per) {
    throw new Error(
      `${what}: data has ${n} values, expected width·height${per > 1 ? `·${per}` : ""} = ${
        w * h * per
      }`,
    );
  }
}

/** Encodes an RGBA image as PNG (colour type 6, 8 bit). */
export function encodePng(img: RgbaImage): Uint8Array {
  checkSize("encodePng", img.width, img.height, img.data.length, 4);
  return encode({ width: img.width, height: img.height, data: img.data, channels: 4, depth: 8 });
}

/** Encodes an indexed image as a palette PNG (colour type 3, 8 bit, ≤ 256 colours). */
export function encodeIndexedPng(img: IndexedImage): Uint8Array {
  checkSize("encodeIndexedPng", img.width, img.height, img.index.length, 1);
  if (img.palette.length === 0 || img.palette.length > 256) {
    throw new Error(`encodeIndexedPng: palette has ${img.palette.length} colours, expected 1…256`);
  }
  const palette = img.palette.map((c) => [(c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff]);
  return encode({
    width: img.width,
    height: img.height,
    data: img.index,
    channels: 1,
    depth: 8,
    palette: palette as [number, number, number][],
  });
}

/** Decodes any 8-bit PNG (RGB, RGBA, grey or palette) to RGBA. */
export function decodePng(png: Uint8Array): RgbaImage {
  const d = decode(png);
  if (d.depth !== 8) throw new Error(`decodePng: bit depth ${d.depth}, expected 8`);
  const n = d.width * d.height;
  const out = new Uint8Array(n * 4);
  const src = d.data;
  for (let i = 0; i < n; i++) {
    let r: number, g: number, b: number, a = 255;
    if (d.palette) {
      [r, g, b] = d.palette[src[i]];
    } else if (d.channels >= 3) {
      [r, g, b] = [src[i * d.channels], src[i * d.channels + 1], src[i * d.channels + 2]];
      if (d.channels === 4) a = src[i * 4 + 3];
    } else {
      r = g = b = src[i * d.channels];
      if (d.channels === 2) a = src[i * 2 + 1];
    }
    out.set([r, g, b, a], i * 4);
  }
  return { width: d.width, height: d.height, data: out };
}

/** 0xRRGGBB of pixel (x, y) of a decoded image. */
export function pixelAt(img: RgbaImage, x: number, y: number): number {
  const o = (y * img.width + x) * 4;
  return (img.data[o] << 16) | (img.data[o + 1] << 8) | img.data[o + 2];
}
