/**
 * A dependency-free PNG encoder: 8-bit RGBA raster → PNG bytes (zlib via `node:zlib`).
 *
 * Every scanline uses filter type 0 (none): plots are mostly flat colour, which deflate already
 * compresses well, and it keeps the encoder trivially checkable.
 *
 * @example
 * ```ts
 * import { encodePng } from "./png.ts";
 * const rgba = new Uint8Array(2 * 2 * 4).fill(255);
 * const png = encodePng({ width: 2, height: 2, data: rgba });
 * png[1] === 0x50; // "P" of the signature
 * ```
 * @module
 */
import { deflateSync } from "node:zlib";

/** An 8-bit RGBA image, rows top to bottom, `data.length === width·height·4`. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** The 8-byte PNG signature. */
export const PNG_SIGNATURE: Uint8Array = Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * CRC-32 (ISO-HDLC, as PNG and zip use) of `bytes`.
 *
 * @example
 * ```ts
 * import { crc32 } from "./png.ts";
 * crc32(new TextEncoder().encode("123456789")); // 0xcbf43926
 * ```
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

function chunk(type: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, payload.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(payload, 8);
  dv.setUint32(8 + payload.length, crc32(out.subarray(4, 8 + payload.length)));
  return out;
}

/** Encodes an RGBA image as PNG (colour type 6, bit depth 8, no interlace). */
export function encodePng(img: RgbaImage): Uint8Array {
  const { width, height, data } = img;
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new Error(
      `encodePng: width and height must be positive integers, got ${width}×${height}`,
    );
  }
  if (data.length !== width * height * 4) {
    throw new Error(
      `encodePng: data has ${data.length} bytes, expected width·height·4 = ${width * height * 4}`,
    );
  }
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr.set([8, 6, 0, 0, 0], 8); // depth 8, RGBA, deflate, filter method 0, no interlace
  const stride = width * 4;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter: none
    raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const idat = new Uint8Array(deflateSync(raw, { level: 9 }));
  const parts = [
    PNG_SIGNATURE,
    chunk("IHDR", ihdr),
    chunk("IDAT", idat),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
