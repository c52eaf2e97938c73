/**
 * sr-midas's README train example, typed as its README shows it, through `sr-midas-train` (the
 * name package.json installs) in a subprocess: the outputs land in
 * `{trainOutDir}/{expName}-itrOut/` with sr-midas's structure, load in torch (when
 * python3-torch is present) and feed back through `-loadChkpt` (issue #17).
 */
import { join } from "node:path";
import { makeTinyPatchstore } from "../nn/io/testdata.ts";
import { readTorchStateDict } from "../nn/io/pth.ts";
import { Predictor } from "../nn/session.ts";
import { hasPython, runPython } from "./python.ts";
import { assert, assertEquals } from "./assert.ts";
import { srMidasBin } from "./cli.ts";

/** sr-midas's README, "Train a Model", flag for flag. */
const README = [
  "cnnsr",
  ...["-expName", "myexp"],
  ...["-pst", "out_patchstore/patchstore.h5"],
  ...["-inSRx", "1"],
  ...["-outSRx", "8"],
  ...["-arch", "64-5-r_32-5-r_1-5-s"],
  ...["-lr", "1e-4"],
  ...["-mbsz", "64"],
  ...["-maxItr", "1000"],
  ...["-ecVal", "0.01"],
  ...["-ecItr", "50"],
  ...["-trainOutDir", "out_models/"],
];

/** The README's command with some values changed (tiny epochs), flags and order kept. */
function readme(values: Record<string, string>): string[] {
  const args = [...README];
  for (const [flag, value] of Object.entries(values)) {
    const i = args.indexOf(flag);
    if (i < 0) args.push(flag, value);
    else args[i + 1] = value;
  }
  return args;
}

/** Runs `sr-midas-train …` in `cwd` through a link named as the installed command. */
async function srMidasTrain(cwd: string, args: string[]) {
  const bin = await srMidasBin();
  const out = await new Deno.Command(join(bin, "sr-midas-train"), {
    args,
    cwd,
    env: {
      NO_COLOR: "1",
      // The launcher runs the `deno` it finds on PATH: this one.
      PATH: `${join(Deno.execPath(), "..")}:${Deno.env.get("PATH") ?? ""}`,
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const SR_MIDAS_KEYS =
  "model,expName,pst,inSRx,outSRx,useRch,useEtach,arch,lr,lossF,mbsz,maxItr,trainFrac,nwork,ecVal,ecItr,inPstPath,outPstPath,loadChkpt,trainOutDir";

/** sr-midas's load_trained_CNNSR (load.py) + a forward pass on x.bin → y.bin. */
const TORCH_LOAD = `
import json, sys, numpy as np, torch, torch.nn as nn
mod_dir, itr, n, h, w = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
args = json.load(open(f"{mod_dir}/_train_args.json"))
truthy = ["True", "true", True, "Yes", "yes", "Y", "y"]
X_channels = [0] + ([1] if args["useRch"] in truthy else []) + ([2] if args["useEtach"] in truthy else [])
layers = [t.split("-") for t in args["arch"].split("_")]
class CNNSR(nn.Module):
    def __init__(self, cin):
        super().__init__()
        ops, c = [], cin
        for co, k, a in layers:
            co, k = int(co), int(k)
            ops.append(nn.Conv2d(c, co, k, padding=int(k / 2))); c = co
            if a == "r": ops.append(nn.ReLU())
            if a == "s": ops.append(nn.Sigmoid())
            if a == "lr": ops.append(nn.LeakyReLU())
            if a == "t": ops.append(nn.Tanh())
        self.cnn_layers = nn.Sequential(*ops)
    def forward(self, x):
        return self.cnn_layers(x)
mod = nn.DataParallel(CNNSR(len(X_channels)))
mod.load_state_dict(torch.load(f"{mod_dir}/mod-it{itr}.pth", map_location="cpu", weights_only=True))
x = torch.from_numpy(np.fromfile("x.bin", dtype="<f4").reshape(n, len(X_channels), h, w))
with torch.no_grad():
    mod(x).numpy().astype("<f4").tofile("y.bin")
print(sorted(mod.state_dict().keys()))
`;

Deno.test("sr-midas-train cnnsr, as sr-midas's README types it: {trainOutDir}/{expName}-itrOut/ with mod-it{N}.pth (torch-loadable), _train_args.json, _train_log.log; -loadChkpt resumes from it", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "srm_train_dropin_" });
  try {
    await Deno.mkdir(join(cwd, "out_patchstore"));
    // x1 → x8 as the README; 4×4 patches (32×32 at x8), enough for one mini-batch of 64.
    const n = await makeTinyPatchstore(join(cwd, "out_patchstore/patchstore.h5"), {
      nPatch: 100,
      lrsz: 4,
      factors: [1, 8],
    });
    assert(Math.floor(0.8 * n) >= 64, `${n} patches`);
    // Two epochs instead of 1000; every MSE of a sigmoid output is < 1, so ecVal 1 converges.
    const r = await srMidasTrain(cwd, readme({ "-maxItr": "2", "-ecVal": "1", "-ecItr": "1" }));
    assertEquals(r.code, 0, `exit code; stderr:\n${r.stderr}`);
    const out = join(cwd, "out_models", "myexp-itrOut");
    const names = [...Deno.readDirSync(out)].map((e) => e.name).filter((f) =>
      !f.startsWith(".srmidas")
    ).sort();
    assertEquals(names, [
      "_train_args.json",
      "_train_log.log",
      "mod-it0.pth",
      "mod-it1.pth",
      "model.json",
      "model.onnx",
      "train_log.json",
      "train_log.tsv",
    ]);
    const args = JSON.parse(await Deno.readTextFile(join(out, "_train_args.json")));
    assertEquals(Object.keys(args).join(), SR_MIDAS_KEYS);
    assertEquals(
      [args.model, args.expName, args.trainOutDir, args.arch, args.inSRx, args.outSRx, args.mbsz],
      ["cnnsr", "myexp", "out_models/", "64-5-r_32-5-r_1-5-s", 1, 8, 64],
    );
    assertEquals(args.pst, join(Deno.realPathSync(cwd), "out_patchstore/patchstore.h5"));
    const log = await Deno.readTextFile(join(out, "_train_log.log"));
    // sr-midas's err_from_log reads these lines for its learning curves.
    assertEquals(log.split("\n").filter((l) => l.startsWith("INFO:root:[Train] @ ")).length, 2);
    assertEquals(log.split("\n").filter((l) => l.startsWith("INFO:root:[Valid] @ ")).length, 2);
    const sd = readTorchStateDict(await Deno.readFile(join(out, "mod-it1.pth")));
    assertEquals([...sd.keys()], [
      "module.cnn_layers.0.weight",
      "module.cnn_layers.0.bias",
      "module.cnn_layers.2.weight",
      "module.cnn_layers.2.bias",
      "module.cnn_layers.4.weight",
      "module.cnn_layers.4.bias",
    ]);

    if (await hasPython("torch", "numpy")) {
      // torch on the exported epoch's mod-it{N}.pth = our model.onnx.
      const card = JSON.parse(await Deno.readTextFile(join(out, "model.json")));
      const best = card.metrics.epoch as number;
      const x = new Float32Array(3 * 32 * 32).map((_, i) => ((i * 7919) % 97) / 97);
      await Deno.writeFile(join(cwd, "x.bin"), new Uint8Array(x.buffer));
      const keys = await runPython(TORCH_LOAD, { cwd, args: [out, String(best), "3", "32", "32"] });
      assert(keys.includes("module.cnn_layers.4.bias"), keys);
      const want = new Float32Array((await Deno.readFile(join(cwd, "y.bin"))).buffer);
      const pred = await Predictor.fromCard(join(out, "model.json"), { threads: 1 });
      const got = await pred.predict(x, 3, 32, 32);
      await pred.release();
      const d = want.reduce((m, v, i) => Math.max(m, Math.abs(v - got[i])), 0);
      console.log(`torch(mod-it${best}.pth) vs model.onnx: max |diff| = ${d.toExponential(2)}`);
      assert(got.length === want.length && d <= 1e-5, `max diff ${d}`);
    }

    // -loadChkpt the published folder (its newest mod-it{N}.pth); lr ≈ 0 keeps those weights.
    const r2 = await srMidasTrain(
      cwd,
      readme({
        "-expName": "myexp2",
        "-maxItr": "1",
        "-ecVal": "1",
        "-ecItr": "1",
        "-lr": "1e-12",
        "-loadChkpt": "out_models/myexp-itrOut",
      }),
    );
    assertEquals(r2.code, 0, `resume exit code; stderr:\n${r2.stderr}`);
    const out2 = join(cwd, "out_models", "myexp2-itrOut");
    const after = readTorchStateDict(await Deno.readFile(join(out2, "mod-it0.pth")));
    for (const [k, t] of sd) {
      const d = t.data.reduce((m, v, i) => Math.max(m, Math.abs(v - after.get(k)!.data[i])), 0);
      assert(d < 1e-6, `${k}: resumed weights moved by ${d}`);
    }
    const args2 = JSON.parse(await Deno.readTextFile(join(out2, "_train_args.json")));
    assertEquals(args2.loadChkpt, join(Deno.realPathSync(cwd), "out_models/myexp-itrOut"));
    const log2 = await Deno.readTextFile(join(out2, "_train_log.log"));
    assert(log2.includes("INFO:root:Loaded pre-trained model: "), "log says it loaded");
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
