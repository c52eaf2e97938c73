/**
 * Crystal pieces for forward simulation, in MIDAS's conventions (midas-formats §4.2):
 * B matrix from the lattice (reciprocal vectors, no 2π), orientation matrices and MIDAS's
 * Euler round trip, Bragg angle, and the `hkls.csv` reflection list (parse, generate, format).
 *
 * Lattice strain enters through each grain's own lattice (a, b, c, α, β, γ), exactly as MIDAS
 * ForwardSim does with the per-grain columns of Grains.csv.
 *
 * @example
 * ```ts
 * import { bMatrix, braggThetaDeg, generateHkls } from "./crystal.ts";
 * const au = [4.08, 4.08, 4.08, 90, 90, 90] as const;
 * const hkls = generateHkls({ lattice: au, spaceGroup: 225, wavelengthA: 0.22291, lsdUm: 1e6, maxRadiusUm: 204800 });
 * hkls.length; // 58 reflections in rings 1–5
 * braggThetaDeg(hkls[0].dA, 0.22291); // 2.71197 (ring 1, 111)
 * bMatrix(au)[0]; // 1/4.08
 * ```
 * @module
 */

const DEG = Math.PI / 180;

/** Lattice parameters a, b, c (Å), α, β, γ (deg). */
export type Lattice = readonly [number, number, number, number, number, number];

/**
 * MIDAS B matrix (row-major 3×3): G_cart = B·hkl in Å⁻¹ without 2π. Rows
 * (a*, b*·cos γ*, c*·cos β*), (0, b*·sin γ*, −c*·sin β*·cos α), (0, 0, c*·sin β*·sin α).
 */
export function bMatrix(lat: Lattice): Float64Array {
  const [a, b, c, al, be, ga] = lat;
  const sA = Math.sin(al * DEG), sB = Math.sin(be * DEG), sG = Math.sin(ga * DEG);
  const cA = Math.cos(al * DEG), cB = Math.cos(be * DEG), cG = Math.cos(ga * DEG);
  const gammaPr = Math.acos((cA * cB - cG) / (sA * sB));
  const betaPr = Math.acos((cG * cA - cB) / (sG * sA));
  const sBetaPr = Math.sin(betaPr);
  const vol = a * b * c * sA * sBetaPr * sG;
  const aPr = (b * c * sA) / vol, bPr = (c * a * sB) / vol, cPr = (a * b * sG) / vol;
  return Float64Array.of(
    aPr,
    bPr * Math.cos(gammaPr),
    cPr * Math.cos(betaPr),
    0,
    bPr * Math.sin(gammaPr),
    -cPr * sBetaPr * cA,
    0,
    0,
    cPr * sBetaPr * sA,
  );
}

/** Bragg angle θ (deg) for d-spacing `dA` (Å) at `wavelengthA` (Å); NaN if unreachable. */
export function braggThetaDeg(dA: number, wavelengthA: number): number {
  return Math.asin(wavelengthA / (2 * dA)) / DEG;
}

/** Ring radius on a flat detector at distance Lsd: `Lsd·tan 2θ` (same unit as Lsd). */
export function ringRadius(lsd: number, thetaDeg: number): number {
  return lsd * Math.tan(2 * thetaDeg * DEG);
}

/** MIDAS `Euler2OrientMat` (Bunge-like ψ, φ, θ in radians) → row-major OM. */
export function orientationFromEuler(euler: readonly [number, number, number]): Float64Array {
  const [psi, phi, theta] = euler;
  const cps = Math.cos(psi), cph = Math.cos(phi), cth = Math.cos(theta);
  const sps = Math.sin(psi), sph = Math.sin(phi), sth = Math.sin(theta);
  return Float64Array.of(
    cth * cps - sth * cph * sps,
    -cth * cph * sps - sth * cps,
    sph * sps,
    cth * sps + sth * cph * cps,
    cth * cph * cps - sth * sps,
    -sph * cps,
    sth * sph,
    cth * sph,
    cph,
  );
}

/** MIDAS `OrientMat2Euler` (radians). */
export function eulerFromOrientation(m: ArrayLike<number>): [number, number, number] {
  const EPS = 1e-5;
  const angle = (s: number, c: number) => (s >= 0 ? Math.acos(c) : 2 * Math.PI - Math.acos(c));
  const phi = Math.abs(m[8] - 1) < EPS ? 0 : Math.acos(m[8]);
  const sph = Math.sin(phi);
  if (Math.abs(sph) < EPS) {
    const theta = Math.abs(m[8] - 1) < EPS ? angle(m[3], m[0]) : angle(-m[3], m[0]);
    return [0, phi, theta];
  }
  const psi = Math.abs(-m[5] / sph) <= 1 ? angle(m[2] / sph, -m[5] / sph) : angle(m[2] / sph, 1);
  const theta = Math.abs(m[7] / sph) <= 1 ? angle(m[6] / sph, m[7] / sph) : angle(m[6] / sph, 1);
  return [psi, phi, theta];
}

/**
 * MIDAS ForwardSim's OM → Euler → OM round trip. Grains.csv matrices are printed to 6 decimals
 * and slightly non-orthonormal; the round trip re-orthonormalises them, which moves ω by ~1e-4°
 * and decides the frame of spots that sit on a frame boundary.
 */
export function midasOrientationRoundTrip(om: ArrayLike<number>): Float64Array {
  return orientationFromEuler(eulerFromOrientation(om));
}

/** Unit quaternion (w, x, y, z) → row-major rotation matrix. */
export function orientationFromQuaternion(
  q: readonly [number, number, number, number],
): Float64Array {
  const n = Math.hypot(q[0], q[1], q[2], q[3]);
  const [w, x, y, z] = q.map((v) => v / n);
  return Float64Array.of(
    1 - 2 * (y * y + z * z),
    2 * (x * y - w * z),
    2 * (x * z + w * y),
    2 * (x * y + w * z),
    1 - 2 * (x * x + z * z),
    2 * (y * z - w * x),
    2 * (x * z - w * y),
    2 * (y * z + w * x),
    1 - 2 * (x * x + y * y),
  );
}

/** One reflection of `hkls.csv`. */
export interface Reflection {
  h: number;
  k: number;
  l: number;
  /** d-spacing, Å. */
  dA: number;
  ringNr: number;
  /** Reciprocal vector B·hkl (Å⁻¹, no 2π). */
  g: [number, number, number];
  thetaDeg: number;
  /** Ring radius, µm. */
  radiusUm: number;
}

/** Parses MIDAS `hkls.csv` (space-separated, header `h k l D-spacing RingNr g1 g2 g3 Theta 2Theta Radius`). */
export function parseHklsCsv(text: string, fileName = "hkls.csv"): Reflection[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length === 0 || !/^h\s+k\s+l/.test(lines[0].trim())) {
    throw new Error(`${fileName}: expected header "h k l D-spacing RingNr …" on line 1`);
  }
  return lines.slice(1).map((line, i) => {
    const v = line.trim().split(/\s+/).map(Number);
    if (v.length < 11 || v.some((x) => !Number.isFinite(x))) {
      throw new Error(`${fileName}: line ${i + 2}: expected 11 numeric columns, got "${line}"`);
    }
    return {
      h: v[0],
      k: v[1],
      l: v[2],
      dA: v[3],
      ringNr: v[4],
      g: [v[5], v[6], v[7]],
      thetaDeg: v[8],
      radiusUm: v[10],
    };
  });
}

/** Writes reflections in MIDAS `hkls.csv` layout (`%.17g`-like full precision). */
export function formatHklsCsv(refl: readonly Reflection[]): string {
  const rows = refl.map((r) =>
    [r.h, r.k, r.l, r.dA, r.ringNr, ...r.g, r.thetaDeg, 2 * r.thetaDeg, r.radiusUm]
      .map((x) => String(x)).join(" ")
  );
  return ["h k l D-spacing RingNr g1 g2 g3 Theta 2Theta Radius", ...rows, ""].join("\n");
}

/** Lattice-centring extinction for a space group number (P, F, I, A/B/C; diamond glide for 227). */
function allowed(spaceGroup: number, h: number, k: number, l: number): boolean {
  const F = [196, 202, 203, 209, 210, 216, 219, 225, 226, 227, 228];
  const I = [197, 199, 204, 206, 211, 214, 217, 220, 229, 230];
  if (F.includes(spaceGroup)) {
    const par = [h, k, l].map((x) => ((x % 2) + 2) % 2);
    if (!(par[0] === par[1] && par[1] === par[2])) return false;
    if (spaceGroup === 227 && par[0] === 0 && ((h + k + l) % 4 + 4) % 4 === 2) return false;
    return true;
  }
  if (I.includes(spaceGroup)) return ((h + k + l) % 2 + 2) % 2 === 0;
  if (spaceGroup >= 195 && spaceGroup <= 230) return true; // primitive cubic
  throw new Error(
    `generateHkls: space group ${spaceGroup} not supported (cubic 195–230 only); pass hkls.csv`,
  );
}

/** Options of {@link generateHkls}. */
export interface HklGenOptions {
  lattice: Lattice;
  spaceGroup: number;
  wavelengthA: number;
  lsdUm: number;
  /** Keep rings with radius ≤ this (MIDAS: MaxRingRad or RhoD), µm. */
  maxRadiusUm: number;
}

/**
 * All allowed reflections with ring radius ≤ maxRadius, sorted by decreasing d, RingNr
 * incremented at each new d (as MIDAS `GetHKLList`; row order inside a ring may differ).
 */
export function generateHkls(o: HklGenOptions): Reflection[] {
  const B = bMatrix(o.lattice);
  const maxTheta = Math.atan(o.maxRadiusUm / o.lsdUm) / 2;
  const dMin = o.wavelengthA / (2 * Math.sin(maxTheta));
  const hMax = Math.ceil(Math.max(o.lattice[0], o.lattice[1], o.lattice[2]) / dMin) + 1;
  const out: Reflection[] = [];
  for (let h = -hMax; h <= hMax; h++) {
    for (let k = -hMax; k <= hMax; k++) {
      for (let l = -hMax; l <= hMax; l++) {
        if ((h === 0 && k === 0 && l === 0) || !allowed(o.spaceGroup, h, k, l)) continue;
        const g: [number, number, number] = [
          B[0] * h + B[1] * k + B[2] * l,
          B[3] * h + B[4] * k + B[5] * l,
          B[6] * h + B[7] * k + B[8] * l,
        ];
        const dA = 1 / Math.hypot(g[0], g[1], g[2]);
        if (dA < dMin * (1 - 1e-12)) continue;
        const thetaDeg = braggThetaDeg(dA, o.wavelengthA);
        out.push({ h, k, l, dA, ringNr: 0, g, thetaDeg, radiusUm: ringRadius(o.lsdUm, thetaDeg) });
      }
    }
  }
  out.sort((a, b) => b.dA - a.dA || b.h - a.h || b.k - a.k || b.l - a.l);
  let ring = 0, lastD = Infinity;
  for (const r of out) {
    if (Math.abs(r.dA - lastD) > 1e-9 * r.dA) {
      ring++;
      lastD = r.dA;
    }
    r.ringNr = ring;
  }
  return out;
}
