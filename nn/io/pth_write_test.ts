import { hasPython, runPython } from "../../tests/python.ts";
import { assert, assertThrows } from "../test_util.ts";
import { paramSpecs, parseArch } from "../arch.ts";
import { initParams } from "../trainer.ts";
import { Rng } from "../rng.ts";
import { openModel } from "./load_model.ts";
import { loadSrMidasCheckpoint, readTorchStateDict } from "./pth.ts";
import { readZip } from "./zip.ts";
import {
  encodeTorchStateDict,
  srMidasStateDict,
  srMidasStateDictKeys,
  writeSrMidasCheckpoint,
} from "./pth_write.ts";

Deno.test("srMidasStateDictKeys: conv modules indexed as sr-midas's Sequential (activations only for r/s/lr/t)", () => {
  const keys = (a: string) =>
    srMidasStateDictKeys(parseArch(a)).filter((k) => k.endsWith("weight"));
  assert(
    keys("256-5-r_128-5-r_1-5-s").join() ===
      "module.cnn_layers.0.weight,module.cnn_layers.2.weight,module.cnn_layers.4.weight",
    keys("256-5-r_128-5-r_1-5-s").join(),
  );
  // "n" adds no module in sr-midas, so the next conv follows at once.
  assert(
    keys("4-3-n_4-3-lr_1-3-s").join() ===
      "module.cnn_layers.0.weight,module.cnn_layers.1.weight,module.cnn_layers.3.weight",
    keys("4-3-n_4-3-lr_1-3-s").join(),
  );
  assertThrows(
    () => srMidasStateDict("4-3-r_1-3-s", 1, [new Float32Array(36)]),
    'arch "4-3-r_1-3-s" has 4 tensors, got 1',
  );
});

Deno.test("encodeTorchStateDict: our reader reads it back exactly; members STORED, 64-byte aligned, CRC set", () => {
  const arch = parseArch("5-3-r_3-5-t_1-3-s");
  const w = initParams(arch, 2, new Rng(4));
  w[0][0] = -0; // signed zero and subnormals survive
  w[1][0] = 1e-40;
  const sd = srMidasStateDict(arch, 2, w);
  const bytes = encodeTorchStateDict(sd);
  const back = readTorchStateDict(bytes, "t.pth");
  assert([...back.keys()].join() === [...sd.keys()].join(), [...back.keys()].join());
  for (const [k, t] of sd) {
    const b = back.get(k)!;
    assert(b.dims.join() === t.dims.join(), `${k} dims ${b.dims}`);
    assert(
      b.data.every((x, i) => Object.is(x, t.data[i])),
      `${k} values differ after the round trip`,
    );
  }
  const zip = readZip(bytes, "t.pth");
  assert(
    zip.names.join() ===
      "archive/data.pkl,archive/byteorder,archive/data/0,archive/data/1,archive/data/2,archive/data/3,archive/data/4,archive/data/5,archive/version",
    zip.names.join(),
  );
  const dv = new DataView(bytes.buffer);
  for (const e of zip.entries.values()) {
    const h = e.localHeaderOffset;
    const start = h + 30 + dv.getUint16(h + 26, true) + dv.getUint16(h + 28, true);
    assert(e.method === 0 && start % 64 === 0, `${e.name}: method ${e.method}, data at ${start}`);
  }
  assert(new TextDecoder().decode(zip.read("archive/version")) === "3\n", "version record");
});

const TORCH_CHECK = `
import json, sys, numpy as np, torch, torch.nn as nn
args = json.load(open("_train_args.json"))
acts = {"r": nn.ReLU(), "s": nn.Sigmoid(), "lr": nn.LeakyReLU(), "t": nn.Tanh()}
# sr-midas's CNNSR (architecture.py): conv, then an activation module for r/s/lr/t only.
class CNNSR(nn.Module):
    def __init__(self, cin):
        super().__init__()
        ops, c = [], cin
        for tok in args["arch"].split("_"):
            co, k, a = tok.split("-"); co, k = int(co), int(k)
            ops.append(nn.Conv2d(c, co, k, padding=k // 2)); c = co
            if a in acts: ops.append(acts[a])
        self.cnn_layers = nn.Sequential(*ops)
    def forward(self, x):
        return self.cnn_layers(x)
m = nn.DataParallel(CNNSR(1))
m.load_state_dict(torch.load("mod-it3.pth", map_location="cpu", weights_only=True), strict=True)
x = torch.from_numpy(np.fromfile("x.bin", dtype="<f4").reshape(4, 1, 12, 12))
with torch.no_grad():
    m(x).numpy().astype("<f4").tofile("y.bin")
`;

Deno.test("a written mod-it{N}.pth loads in torch (weights_only, strict) and gives our ONNX model's outputs within 1e-5", async () => {
  const dir = await Deno.makeTempDir({ prefix: "srm_pthw_" });
  try {
    const arch = "6-3-r_4-5-lr_3-3-n_1-3-s";
    const a = parseArch(arch);
    const w = initParams(a, 1, new Rng(9));
    await writeSrMidasCheckpoint(`${dir}/mod-it3.pth`, a, 1, w);
    await Deno.writeTextFile(
      `${dir}/_train_args.json`,
      JSON.stringify({ arch, useRch: "false", useEtach: "false", inSRx: 1, outSRx: 2 }),
    );
    const m = await loadSrMidasCheckpoint(dir);
    assert(m.itr === 3 && m.weights.length === paramSpecs(a, 1).length, `itr ${m.itr}`);
    assert(m.weights.every((t, i) => t.every((x, j) => x === w[i][j])), "weights read back");
    const x = new Float32Array(4 * 144).map((_, i) => ((i * 7919) % 101) / 101);
    await Deno.writeFile(`${dir}/x.bin`, new Uint8Array(x.buffer));
    const model = await openModel(dir, { threads: 1 });
    const ours = await model.predictor.predict(x, 4, 12, 12);
    await model.predictor.release();
    if (!(await hasPython("torch", "numpy"))) return;
    await runPython(TORCH_CHECK, { cwd: dir });
    const want = new Float32Array((await Deno.readFile(`${dir}/y.bin`)).buffer);
    let d = 0;
    for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(want[i] - ours[i]));
    console.log(`pth write: max |torch − onnx| = ${d.toExponential(2)} over ${want.length} px`);
    assert(want.length === ours.length && d <= 1e-5, `max diff ${d}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
