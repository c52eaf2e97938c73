import { hasPython, runPython } from "../../tests/python.ts";
import { assert, assertThrows } from "../test_util.ts";
import { Predictor } from "../session.ts";
import { readModelCard } from "../model_card.ts";
import { PyGlobal, PyTuple, unpickle } from "./pickle.ts";
import { importSrMidasCheckpoint, loadSrMidasCheckpoint, srMidasTrue } from "./pth.ts";
import { readZip } from "./zip.ts";
import { openModel } from "./load_model.ts";
import { deflateRawSync } from "node:zlib";

/** Runs a cross-check script in `cwd`; false (with a note) when Python or torch is missing. */
async function python(script: string, cwd: string): Promise<boolean> {
  if (!(await hasPython("torch"))) return false;
  await runPython(script, { cwd });
  return true;
}

Deno.test("unpickle: protocol 2 dict/list/tuple/ints/floats/globals with memo", () => {
  // A hand-assembled protocol-2 stream for
  // {"a": [1, -2, 300, 70000, 2**40, 1.5, None, True], "b": ("x", b"\x01"), "c": OrderedDict(a=<same list>)}
  const enc = new TextEncoder();
  const parts: number[] = [
    0x80,
    2,
    0x7d,
    0x71,
    0,
    0x28,
    0x58,
    1,
    0,
    0,
    0,
    ...enc.encode("a"),
    0x71,
    1,
    0x5d,
    0x71,
    2,
    0x28,
    0x4b,
    1,
    0x4a,
    0xfe,
    0xff,
    0xff,
    0xff,
    0x4d,
    0x2c,
    0x01,
    0x4a,
    0x70,
    0x11,
    0x01,
    0x00,
    0x8a,
    6,
    0,
    0,
    0,
    0,
    0,
    1,
    0x47,
    0x3f,
    0xf8,
    0,
    0,
    0,
    0,
    0,
    0,
    0x4e,
    0x88,
    0x65,
    0x58,
    1,
    0,
    0,
    0,
    ...enc.encode("b"),
    0x58,
    1,
    0,
    0,
    0,
    ...enc.encode("x"),
    0x43,
    1,
    1,
    0x86,
    0x58,
    1,
    0,
    0,
    0,
    ...enc.encode("c"),
    0x63,
    ...enc.encode("collections\nOrderedDict\n"),
    0x29,
    0x52,
    0x68,
    1,
    0x68,
    2,
    0x73, // OrderedDict(); od["a"] = memo 2 (the same list)
    0x75,
    0x2e,
  ];
  const v = unpickle(new Uint8Array(parts), {
    reduce: (fn) => (fn instanceof PyGlobal && fn.name === "OrderedDict" ? new Map() : undefined),
  }) as Map<string, unknown>;
  const a = v.get("a") as unknown[];
  assert(
    JSON.stringify(a) === JSON.stringify([1, -2, 300, 70000, 2 ** 40, 1.5, null, true]),
    `a=${a}`,
  );
  const b = v.get("b") as PyTuple;
  assert(b instanceof PyTuple && b.items[0] === "x" && (b.items[1] as Uint8Array)[0] === 1, "b");
  const c = v.get("c") as Map<string, unknown>;
  assert(c instanceof Map && c.get("a") === a, "memo BINGET shares the list");
  assertThrows(() => unpickle(new Uint8Array([0x80, 2, 0xff])), "unsupported pickle opcode 0xff");
  assertThrows(() => unpickle(new Uint8Array([0x80, 2, 0x58, 9, 0])), "truncated");
});

Deno.test("readZip: stored and deflated members", () => {
  const enc = new TextEncoder();
  const files = [
    { name: "a/x.txt", data: enc.encode("hello hello hello hello"), deflate: false },
    { name: "a/y.txt", data: enc.encode("deflated ".repeat(50)), deflate: true },
  ];
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let off = 0;
  for (const f of files) {
    const body = f.deflate ? new Uint8Array(deflateRawSync(f.data)) : f.data;
    const nm = enc.encode(f.name);
    const h = new Uint8Array(30 + nm.length);
    const dv = new DataView(h.buffer);
    dv.setUint32(0, 0x04034b50, true);
    dv.setUint16(8, f.deflate ? 8 : 0, true);
    dv.setUint32(18, body.length, true);
    dv.setUint32(22, f.data.length, true);
    dv.setUint16(26, nm.length, true);
    h.set(nm, 30);
    const c = new Uint8Array(46 + nm.length);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(10, f.deflate ? 8 : 0, true);
    cv.setUint32(20, body.length, true);
    cv.setUint32(24, f.data.length, true);
    cv.setUint16(28, nm.length, true);
    cv.setUint32(42, off, true);
    c.set(nm, 46);
    central.push(c);
    chunks.push(h, body);
    off += h.length + body.length;
  }
  const cdSize = central.reduce((s, c) => s + c.length, 0);
  const e = new Uint8Array(22);
  const ev = new DataView(e.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, files.length, true);
  ev.setUint16(10, files.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, off, true);
  const all = new Uint8Array(off + cdSize + 22);
  let p = 0;
  for (const c of [...chunks, ...central, e]) (all.set(c, p), p += c.length);
  const z = readZip(all, "t.zip");
  assert(z.names.join() === "a/x.txt,a/y.txt", z.names.join());
  const dec = new TextDecoder();
  assert(dec.decode(z.read("a/x.txt")) === "hello hello hello hello", "stored");
  assert(dec.decode(z.read("a/y.txt")) === "deflated ".repeat(50), "deflated");
  assertThrows(() => z.read("nope"), `t.zip: archive has no member "nope"`);
  assertThrows(() => readZip(new Uint8Array(40), "junk.pth"), "junk.pth: not a readable zip");
});

const TORCH_SCRIPT = `
import json, numpy as np, torch, torch.nn as nn
torch.manual_seed(0)
arch = "8-3-r_6-5-lr_4-3-t_3-3-x_1-3-s"
acts = {"r": nn.ReLU(), "s": nn.Sigmoid(), "lr": nn.LeakyReLU(0.01), "t": nn.Tanh()}
class CNNSR(nn.Module):
    def __init__(self, cin):
        super().__init__()
        layers, c = [], cin
        for tok in arch.split("_"):
            co, k, a = tok.split("-"); co, k = int(co), int(k)
            layers.append(nn.Conv2d(c, co, k, padding=k // 2)); c = co
            layers.append(acts.get(a, nn.Identity()))
        self.cnn_layers = nn.Sequential(*layers)
    def forward(self, x):
        return self.cnn_layers(x)
m = nn.DataParallel(CNNSR(3))
torch.save(m.state_dict(), "mod-it7.pth")
torch.save(m.state_dict(), "mod-it3.pth")
json.dump({"arch": arch, "useRch": "true", "useEtach": "Y", "inSRx": 1, "outSRx": 2, "lr": 1e-4}, open("_train_args.json", "w"))
x = torch.rand(5, 3, 16, 16)
with torch.no_grad():
    y = m(x)
x.numpy().astype("<f4").tofile("x.bin")
y.numpy().astype("<f4").tofile("y.bin")
`;

Deno.test("sr-midas .pth checkpoint → ONNX matches torch within 1e-5", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srm_pth_" });
  try {
    if (!(await python(TORCH_SCRIPT, dir))) return;
    const m = await loadSrMidasCheckpoint(dir);
    assert(m.itr === 7, `newest iteration chosen, got ${m.itr}`);
    assert(m.inChannels === 3 && m.channels.join() === "I,R,Eta", `channels ${m.channels}`);
    assert(m.arch.text === "8-3-r_6-5-lr_4-3-t_3-3-n_1-3-s", m.arch.text);
    assert(srMidasTrue("Y") && !srMidasTrue("false"), "truthy strings");
    const { cardPath, card } = await importSrMidasCheckpoint(dir, `${dir}/out`, { itr: 7 });
    assert(card.srfacOut === 2 && (card.source as { sha256: string }).sha256.length === 64, "card");
    const back = await readModelCard(cardPath);
    const pred = await Predictor.fromCard(cardPath, { threads: 1 });
    const x = new Float32Array((await Deno.readFile(`${dir}/x.bin`)).buffer);
    const want = new Float32Array((await Deno.readFile(`${dir}/y.bin`)).buffer);
    const got = await pred.predict(x, 5, 16, 16);
    await pred.release();
    let maxDiff = 0;
    for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
    console.log(
      `pth import: max |onnx − torch| = ${maxDiff.toExponential(2)} over ${want.length} px`,
    );
    assert(
      back.inChannels === 3 && got.length === want.length && maxDiff < 1e-5,
      `maxDiff ${maxDiff}`,
    );
    // Steps may be handed the sr-midas directory (or one .pth) directly.
    const direct = await openModel(`${dir}/mod-it3.pth`, { threads: 1 });
    const got2 = await direct.predictor.predict(x, 5, 16, 16);
    await direct.predictor.release();
    assert(direct.srfacOut === 2 && direct.channels.join() === "I,R,Eta", "openModel(.pth)");
    assert(got2.every((g, i) => Math.abs(g - want[i]) < 1e-5), "openModel(.pth) output");
    await Deno.writeTextFile(`${dir}/_train_args.json`, JSON.stringify({ arch: "8-3-r_1-3-s" }));
    let msg = "";
    await loadSrMidasCheckpoint(dir).catch((e) => (msg = e.message));
    assert(msg.includes('has 5 conv weights, arch "8-3-r_1-3-s" needs 2'), msg);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const THREE_CHECKPOINTS = `
import json, torch, torch.nn as nn
torch.manual_seed(1)
x = torch.rand(3, 1, 12, 12)
for itr in (1, 2, 3):
    m = nn.DataParallel(nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 1, 3, padding=1), nn.Sigmoid()))
    torch.save({k.replace("module.", "module.cnn_layers."): v for k, v in m.state_dict().items()}, f"mod-it{itr}.pth")
    with torch.no_grad():
        m(x).numpy().astype("<f4").tofile(f"y{itr}.bin")
x.numpy().astype("<f4").tofile("x.bin")
json.dump({"arch": "4-3-r_1-3-s", "inSRx": 1, "outSRx": 2}, open("_train_args.json", "w"))
`;

Deno.test("the named checkpoint of an sr-midas dir is loaded (-modItr / mod_itr), a missing one is an error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srm_pth_itr_" });
  try {
    if (!(await python(THREE_CHECKPOINTS, dir))) return;
    const x = new Float32Array((await Deno.readFile(`${dir}/x.bin`)).buffer);
    const torchOut = async (i: number) =>
      new Float32Array((await Deno.readFile(`${dir}/y${i}.bin`)).buffer);
    const maxDiff = (a: Float32Array, b: Float32Array) =>
      a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
    for (const itr of [1, undefined]) {
      const m = await openModel(dir, { threads: 1, itr });
      const y = await m.predictor.predict(x, 3, 12, 12);
      await m.predictor.release();
      const want = await torchOut(itr ?? 3);
      assert(maxDiff(y, want) < 1e-5, `itr ${itr}: equals torch on mod-it${itr ?? 3}`);
      assert(maxDiff(y, await torchOut(itr === 1 ? 3 : 1)) > 1e-3, "and not another checkpoint");
    }
    // Chosen by the level the checkpoint produces (sr-midas -x2ModItr for an x1→x2 model).
    const byLevel = await loadSrMidasCheckpoint(dir, { itr: (out) => (out === 2 ? 2 : 99) });
    assert(byLevel.itr === 2, `by level: ${byLevel.itr}`);
    let msg = "";
    await openModel(dir, { itr: 5 }).catch((e) => (msg = e.message));
    assert(
      msg.includes("no checkpoint mod-it5.pth (present: mod-it1.pth, mod-it2.pth, mod-it3.pth)"),
      msg,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
