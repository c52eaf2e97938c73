import { assert, assertClose, assertEq } from "./_assert.ts";
import {
  distortionFactor,
  etaDegFromLab,
  exampleGeometry,
  idealREtaFromPixel,
  pixelFromIdealREta,
  rEtaFromYZ,
  tiltMatrix,
  yzFromREta,
} from "./detector.ts";

Deno.test("Eta sign: +90° at larger column index, 0° along +Z (rows), ±180 along −Z", () => {
  assertClose(rEtaFromYZ(1100, 1000, 1000, 1000).etaDeg, 90, 1e-12, "eta right");
  assertClose(rEtaFromYZ(900, 1000, 1000, 1000).etaDeg, -90, 1e-12, "eta left");
  assertClose(rEtaFromYZ(1000, 1100, 1000, 1000).etaDeg, 0, 1e-12, "eta up");
  assertClose(Math.abs(rEtaFromYZ(1000, 900, 1000, 1000).etaDeg), 180, 1e-12, "eta down");
  // MIDAS CalcEtaAngle(y_lab, z_lab) is negative where y_lab = Ybc − Y > 0.
  assert(etaDegFromLab(5, 1) < 0, "CalcEtaAngle sign");
  assertEq(etaDegFromLab(0, 0), 0, "eta at the centre is defined");
});

Deno.test("yzFromREta inverts rEtaFromYZ all around the ring", () => {
  for (let eta = -179; eta <= 180; eta += 7) {
    const p = yzFromREta(917.3, eta, 1022, 1022);
    const q = rEtaFromYZ(p.yPx, p.zPx, 1022, 1022);
    assertClose(q.rPx, 917.3, 1e-9, "R");
    assertClose(q.etaDeg, eta, 1e-9, `eta ${eta}`);
  }
});

Deno.test("tiltMatrix is Rx·Ry·Rz and orthonormal", () => {
  const m = tiltMatrix(0, 0, 90);
  // Rz(90) maps x → y: first column (0, 1, 0).
  assertClose(m[3], 1, 1e-12, "Rz(90)[1][0]");
  const t = tiltMatrix(1.2, -0.4, 0.9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += t[i * 3 + k] * t[j * 3 + k];
      assertClose(s, i === j ? 1 : 0, 1e-12, `MMᵀ[${i}][${j}]`);
    }
  }
  // Order matters: Rx(a)·Rz(b) ≠ Rz(b)·Rx(a); check against a hand product of Rx(90)·Rz(90).
  const xz = tiltMatrix(90, 0, 90);
  assertClose(xz[6], 1, 1e-12, "Rx(90)·Rz(90)[2][0]"); // Rz(90)·Rx(90) would have [2][1] = 1
  assertClose(xz[7], 0, 1e-12, "Rx(90)·Rz(90)[2][1]");
});

Deno.test("distortion: p2 is isotropic ρ², p0 has a cos 2θ harmonic with phase p6", () => {
  const p = new Array(15).fill(0);
  p[2] = 1e-3;
  assertClose(distortionFactor(0.5, 33, p), 1 + 1e-3 * 0.25, 1e-15, "p2");
  const q = new Array(15).fill(0);
  q[0] = 1e-3;
  // θ = 90 − η = 0 at η = 90 → cos 0 = 1; at η = 0 → cos 180 = −1.
  assertClose(distortionFactor(1, 90, q), 1.001, 1e-15, "p0 η=90");
  assertClose(distortionFactor(1, 0, q), 0.999, 1e-15, "p0 η=0");
  q[6] = 90;
  assertClose(distortionFactor(1, 90, q), 1, 1e-12, "p0 with phase 90");
});

Deno.test("pixelFromIdealREta inverts the tilted, distorted pixel map", () => {
  const p = new Array(15).fill(0);
  p[0] = 2e-4, p[1] = -1e-4, p[2] = 3e-4, p[3] = 10, p[6] = 20, p[9] = 1e-4, p[10] = 5;
  const g = { ...exampleGeometry(), tx: 0.3, ty: 0.5, tz: -0.8, p };
  for (const [r, eta] of [[474.7, 10], [917.3, -120], [959.2, 179.5], [548.8, -179.9]]) {
    const px = pixelFromIdealREta(g, r, eta);
    const back = idealREtaFromPixel(g, px.yPx, px.zPx);
    assertClose(back.rPx, r, 1e-7, "R round trip");
    const dEta = ((back.etaDeg - eta + 540) % 360) - 180;
    assertClose(dEta, 0, 1e-7, "Eta round trip");
    // A tilt of ~1° moves spots by pixels, not hundreds: sanity of the Newton result.
    const ideal = yzFromREta(r, eta, g.ybc, g.zbc);
    assert(Math.hypot(px.yPx - ideal.yPx, px.zPx - ideal.zPx) < 30, "displacement is moderate");
  }
});

Deno.test("ideal geometry: pixel map is the identity", () => {
  const g = exampleGeometry();
  const m = idealREtaFromPixel(g, 1403.5879, 1855.9043);
  const plain = rEtaFromYZ(1403.5879, 1855.9043, 1022, 1022);
  assertClose(m.rPx, plain.rPx, 1e-9, "R");
  assertClose(m.etaDeg, plain.etaDeg, 1e-9, "Eta");
});
