/**
 * Test helpers for plot/ users: the PNG images a rendered SVG embeds (as `data:` URIs), in
 * document order, decoded to RGBA.
 * @module
 */
import { decodePng, type RgbaImage } from "./png.ts";

/** Decodes every `data:image/png;base64,` image of an SVG document, in order. */
export function svgPngImages(svg: string): RgbaImage[] {
  const out: RgbaImage[] = [];
  for (const m of svg.matchAll(/href="data:image\/png;base64,([^"]+)"/g)) {
    out.push(decodePng(Uint8Array.from(atob(m[1]), (c) => c.charCodeAt(0))));
  }
  return out;
}
