/**
 * A mutable RGBA raster with the few drawing primitives image figures need: rectangles,
 * lines, circles and crosses (markers drawn into patches). Colours are 0xRRGGBB numbers;
 * everything is opaque. Drawing outside the raster is clipped.
 *
 * @example
 * ```ts
 * import { Raster } from "./raster.ts";
 * const r = new Raster(40, 20, 0xffffff);
 * r.cross(10, 10, 3, 0xff0000);
 * r.pixel(0, 0); // 0xffffff
 * ```
 * @module
 */
import type { RgbaImage } from "./png.ts";

/** An opaque RGBA raster. */
export class Raster implements RgbaImage {
  readonly data: Uint8Array;

  constructor(readonly width: number, readonly height: number, background = 0xffffff) {
    if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
      throw new Error(`Raster: size must be positive integers, got ${width}×${height}`);
    }
    this.data = new Uint8Array(width * height * 4);
    this.fillRect(0, 0, width, height, background);
  }

  /** Colour at (x, y) as 0xRRGGBB. */
  pixel(x: number, y: number): number {
    const o = (y * this.width + x) * 4;
    return (this.data[o] << 16) | (this.data[o + 1] << 8) | this.data[o + 2];
  }

  /** Sets one pixel (clipped; coordinates are rounded). */
  set(x: number, y: number, color: number): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const o = (y * this.width + x) * 4;
    this.data[o] = (color >> 16) & 0xff;
    this.data[o + 1] = (color >> 8) & 0xff;
    this.data[o + 2] = color & 0xff;
    this.data[o + 3] = 255;
  }

  /** Fills the rectangle [x, x+w) × [y, y+h). */
  fillRect(x: number, y: number, w: number, h: number, color: number): void {
    const x0 = Math.max(0, Math.round(x)), y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w)),
      y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.set(xx, yy, color);
  }

  /** Straight line (Bresenham) of `thickness` px (square pen). */
  line(x0: number, y0: number, x1: number, y1: number, color: number, thickness = 1): void {
    x0 = Math.round(x0);
    y0 = Math.round(y0);
    x1 = Math.round(x1);
    y1 = Math.round(y1);
    const dx = Math.abs(x1 - x0), dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    const h = Math.floor((thickness - 1) / 2);
    let err = dx + dy;
    for (let guard = 0; guard < 1e6; guard++) {
      if (thickness <= 1) this.set(x0, y0, color);
      else this.fillRect(x0 - h, y0 - h, thickness, thickness, color);
      if (x0 === x1 && y0 === y1) break;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x0 += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y0 += sy;
      }
    }
  }

  /** Circle outline of radius r (px) centred at (cx, cy). */
  circle(cx: number, cy: number, r: number, color: number): void {
    const n = Math.max(16, Math.ceil(2 * Math.PI * r * 2));
    for (let i = 0; i < n; i++) {
      const a = (2 * Math.PI * i) / n;
      this.set(cx + r * Math.cos(a), cy + r * Math.sin(a), color);
    }
  }

  /** "×" marker of half-size s centred at (cx, cy). */
  cross(cx: number, cy: number, s: number, color: number): void {
    this.line(cx - s, cy - s, cx + s, cy + s, color);
    this.line(cx - s, cy + s, cx + s, cy - s, color);
  }
}
