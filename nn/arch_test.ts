import { archCost, archIO, formatArch, paramSpecs, parseArch } from "./arch.ts";
import { assert, assertThrows } from "./test_util.ts";

Deno.test("parseArch reads sr-midas strings and round-trips", () => {
  const a = parseArch("64-5-r_32-5-r_1-5-s");
  assert(a.layers.length === 3);
  assert(a.layers[0].kind === "conv" && a.layers[0].outChannels === 64 && a.layers[0].kernel === 5);
  assert(a.layers[2].kind === "conv" && a.layers[2].act === "s");
  assert(formatArch(a) === "64-5-r_32-5-r_1-5-s");
  const b = parseArch("8-3-lr_4-3-t_4-3-n_ps2");
  assert(b.layers[3].kind === "shuffle" && b.layers[3].factor === 2);
  assert(b.text === "8-3-lr_4-3-t_4-3-n_ps2");
});

Deno.test("parseArch rejects bad tokens with clear messages", () => {
  assertThrows(() => parseArch("64-5"), 'layer 1 "64-5": expected "C-K-A"');
  assertThrows(() => parseArch("64-4-r"), "kernel size must be a positive odd integer");
  assertThrows(() => parseArch("x-5-r"), "channels must be a positive integer");
  assertThrows(() => parseArch("64-5-q"), 'unknown activation "q"');
  assertThrows(() => parseArch(""), "expected layers");
  assertThrows(() => parseArch("ps1"), "factor must be ≥ 2");
  const lenient = parseArch("4-3-q", { lenient: true });
  assert(lenient.layers[0].kind === "conv" && lenient.layers[0].act === "n");
  assertThrows(() => archIO(parseArch("6-3-r_ps2"), 1), "divisible by 4");
});

Deno.test("archCost matches sr-midas §6.2/§13 for the pretrained arch", () => {
  const a = parseArch("256-5-r_128-5-r_64-5-r_32-5-r_16-5-r_8-5-r_1-5-s");
  const c = archCost(a, 1, 40, 40);
  assert(c.params === 1098305, `params ${c.params}`);
  assert(c.macsPerPatch === 1097800 * 1600, `macs ${c.macsPerPatch}`);
  assert(c.peakActivationBytes === 256 * 1600 * 4);
  const small = archCost(parseArch("64-5-r_32-5-r_1-5-s"), 1, 40, 40);
  assert(small.macsPerPatch === 53600 * 1600);
});

Deno.test("pixel shuffle changes channels, resolution and MACs", () => {
  const a = parseArch("16-3-r_8-3-r_4-3-s_ps2");
  const io = archIO(a, 3);
  assert(io.outChannels === 1 && io.upscale === 2);
  const c = archCost(a, 3, 10, 10);
  assert(c.macsPerPatch === 100 * 9 * (3 * 16 + 16 * 8 + 8 * 4));
  const p = paramSpecs(a, 3);
  assert(p.length === 6 && p[0].dims.join() === "16,3,3,3" && p[0].fanIn === 27);
  const d = archCost(parseArch("4-3-r_ps2_2-3-s"), 1, 10, 10);
  assert(d.macsPerPatch === 100 * 9 * 4 + 400 * 9 * 2);
});
