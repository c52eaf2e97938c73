/**
 * MIDAS's `ImTransOpt` image transforms on row-major frames (midas-formats §0): 1 = flip columns
 * (left-right), 2 = flip rows (up-down), 3 = transpose; anything else (0, −1) is a no-op. The
 * sequence is applied in order, to frames and to dark, flood and mask alike.
 *
 * @example
 * ```ts
 * import { transformImage } from "./image_transform.ts";
 * const img = { data: new Float64Array([0, 1, 2, 3, 4, 5]), nZ: 2, nY: 3 };
 * transformImage(img, [1], (n) => new Float64Array(n)).data; // [2, 1, 0, 5, 4, 3]
 * ```
 * @module
 */

/** A row-major image and its shape. */
export interface Image<T> {
  data: T;
  nZ: number;
  nY: number;
}

/**
 * Applies one MIDAS image transform: 1 = flip columns (left-right), 2 = flip rows (up-down),
 * 3 = transpose; anything else (0, −1) is a no-op. Returns a new array (or `img` for a no-op).
 */
export function transformOnce<T extends ArrayLike<number>>(
  img: Image<T>,
  op: number,
  alloc: (n: number) => T & { [i: number]: number },
): Image<T> {
  const { data, nZ, nY } = img;
  if (op !== 1 && op !== 2 && op !== 3) return img;
  const out = alloc(data.length);
  if (op === 1) {
    for (let z = 0; z < nZ; z++) {
      const b = z * nY;
      for (let y = 0; y < nY; y++) out[b + y] = data[b + nY - 1 - y];
    }
    return { data: out, nZ, nY };
  }
  if (op === 2) {
    for (let z = 0; z < nZ; z++) {
      const b = z * nY, s = (nZ - 1 - z) * nY;
      for (let y = 0; y < nY; y++) out[b + y] = data[s + y];
    }
    return { data: out, nZ, nY };
  }
  // Transpose: new (row, col) = old (col, row); the new image has nY rows and nZ columns.
  for (let z = 0; z < nZ; z++) {
    for (let y = 0; y < nY; y++) out[y * nZ + z] = data[z * nY + y];
  }
  return { data: out, nZ: nY, nY: nZ };
}

/** Applies the `ImTransOpt` sequence in order. */
export function transformImage<T extends ArrayLike<number>>(
  img: Image<T>,
  ops: readonly number[],
  alloc: (n: number) => T & { [i: number]: number },
): Image<T> {
  let cur = img;
  for (const op of ops) cur = transformOnce(cur, op, alloc);
  return cur;
}
