import { type Arch, archIO, paramSpecs, parseArch } from "./arch.ts";
import type { ConvAlgo } from "./hwnc.ts";
import { type LossKind, referenceLossAndGrads } from "./reference.ts";
import { nchwcBlockSize, OrtSession } from "./session.ts";
import { adamScalars, buildTrainModel, type DGrad, type WGrad } from "./train_graph.ts";
import { assert, assertClose, pythonWith, relL2, testData } from "./test_util.ts";

const CIN = 2, N = 2, H = 6, W = 5;

function setup(arch: Arch, seed: number) {
  const specs = paramSpecs(arch, CIN);
  const p64 = specs.map((s, i) => testData(s.dims.reduce((a, b) => a * b, 1), seed + i, -0.5, 0.5));
  const io = archIO(arch, CIN);
  const x = testData(N * CIN * H * W, seed + 100, 0, 1);
  const y = testData(N * io.outChannels * H * W * io.upscale ** 2, seed + 200, 0, 1);
  const feeds: Record<string, { data: Float32Array; dims: number[] }> = {
    X: { data: Float32Array.from(x), dims: [N, CIN, H, W] },
    Y: { data: Float32Array.from(y), dims: [N, io.outChannels, H * io.upscale, W * io.upscale] },
    lr_t: { data: new Float32Array([1e-3]), dims: [1] },
    eps_t: { data: new Float32Array([1e-8]), dims: [1] },
  };
  specs.forEach((s, i) => {
    feeds[s.name] = { data: Float32Array.from(p64[i]), dims: s.dims };
    feeds[`m_${s.name}`] = {
      data: Float32Array.from(testData(p64[i].length, seed + 300 + i, -0.1, 0.1)),
      dims: s.dims,
    };
    feeds[`v_${s.name}`] = {
      data: Float32Array.from(testData(p64[i].length, seed + 400 + i, 0, 0.01)),
      dims: s.dims,
    };
  });
  // The graph sees float32 values: give the reference the same rounded numbers.
  return {
    specs,
    feeds,
    p64: p64.map((p) => Float64Array.from(Float32Array.from(p))),
    x: Float64Array.from(feeds.X.data),
    y: feeds.Y.data,
  };
}

async function checkGrads(
  text: string,
  loss: LossKind,
  wgrad: WGrad,
  dgrad: DGrad,
  nchwcBlock = 0,
  convAlgos?: ConvAlgo[],
): Promise<void> {
  const arch = parseArch(text);
  const { specs, feeds, p64, x, y } = setup(arch, 21);
  const model = buildTrainModel(arch, CIN, {
    loss,
    wgrad,
    dgrad,
    nchwcBlock,
    outputGradients: true,
    outputPrediction: true,
    ...(convAlgos ? { fixedSize: { h: H, w: W }, convAlgos } : {}),
  });
  const s = await OrtSession.create(model, { threads: 1 });
  try {
    const out = await s.run(feeds);
    const ref = referenceLossAndGrads(arch, CIN, p64, x, y, N, H, W, loss);
    assertClose(out.loss.data[0], ref.loss, 1e-6 * Math.max(1, ref.loss), "loss");
    // Winograd's float32 error is ~1e-6 relative per layer (winograd_test.ts).
    const tol = convAlgos ? 3e-6 : 1e-6;
    const ep = relL2(out.pred.data, ref.output.data);
    assert(ep < tol, `pred: relative L2 ${ep}`);
    specs.forEach((sp, i) => {
      const e = relL2(out[`grad_${sp.name}`].data, ref.grads[i]);
      const what = `${text} ${loss} ${wgrad}/${dgrad} nchwc ${nchwcBlock} ${convAlgos ?? ""}`;
      assert(e < 10 * tol, `${what} grad_${sp.name}: relative L2 ${e}`);
    });
  } finally {
    await s.release();
  }
}

for (
  const [text, loss] of [
    ["3-3-r_4-3-lr_1-3-s", "mse"],
    ["4-3-t_2-1-n_1-3-s", "mae"],
    ["4-5-r_3-3-r_4-3-s_ps2", "mse"],
    ["8-3-r_ps2_1-3-t", "mae"],
  ] as const
) {
  Deno.test(`training graph gradients of ${text} (${loss}) match the float64 reference`, async () => {
    for (
      const wgrad of ["auto", "conv", "shiftA", "shiftDz", "shiftK", "unfoldA", "unfoldDz"] as const
    ) {
      for (const dgrad of ["flip", "convT"] as const) await checkGrads(text, loss, wgrad, dgrad);
    }
  });
}

for (
  const [text, loss] of [
    ["16-3-r_32-3-lr_16-3-t_1-3-s", "mse"],
    ["16-3-s_16-1-n_32-3-r_16-3-r_ps2_1-3-s", "mae"],
    ["8-3-r_16-3-r_1-3-s", "mse"],
  ] as const
) {
  Deno.test(`NCHWc training graph gradients of ${text} (${loss}) match the float64 reference`, async () => {
    const block = await nchwcBlockSize();
    if (!block) {
      console.log("  skipped: this onnxruntime has no com.microsoft.nchwc ops");
      return;
    }
    for (const dgrad of ["flip", "convT"] as const) {
      await checkGrads(text, loss, "auto", dgrad, block);
    }
  });
}

// Winograd (K = 3, 5 and 7, so F(4,3), F(4,5), F(2,7)) and unfold layers on HWNC, mixed with
// direct and NCHWc layers and a shuffle: every layout switch forward and backward, partial
// tiles (6×5 input), and an unfold layer that needs an input gradient. MSE only: MAE's
// sign(pred − y) flips on the ~1e-6 differences Winograd makes, which tests nothing.
for (
  const [text, loss, plans] of [
    ["4-3-r_4-5-lr_3-7-t_1-3-s", "mse", [
      ["unfold", "winograd", "winograd", "direct"],
      ["direct", "unfold", "winograd", "winograd"],
    ]],
    ["8-5-r_16-5-r_16-3-r_ps2_1-5-s", "mse", [
      ["unfold", "winograd", "direct", "direct", "winograd"],
      ["winograd", "direct", "winograd", "direct", "unfold"],
    ]],
  ] as const
) {
  Deno.test(`Winograd/HWNC training graph gradients of ${text} (${loss}) match the float64 reference`, async () => {
    const block = await nchwcBlockSize();
    for (const plan of plans) {
      await checkGrads(text, loss, "auto", "flip", 0, [...plan]);
      if (block) await checkGrads(text, loss, "auto", "flip", block, [...plan]);
    }
  });
}

Deno.test("training graph applies PyTorch's Adam update", async () => {
  const arch = parseArch("3-3-r_1-3-s");
  const { specs, feeds } = setup(arch, 5);
  const { lrT, epsT } = adamScalars(1e-3, 3);
  feeds.lr_t.data[0] = lrT;
  feeds.eps_t.data[0] = epsT;
  const s = await OrtSession.create(
    buildTrainModel(arch, CIN, { loss: "mse", outputGradients: true }),
  );
  try {
    const out = await s.run(feeds);
    let worst = 0;
    for (const sp of specs) {
      const g = out[`grad_${sp.name}`].data;
      for (let i = 0; i < g.length; i++) {
        const m = 0.9 * feeds[`m_${sp.name}`].data[i] + 0.1 * g[i];
        const v = 0.999 * feeds[`v_${sp.name}`].data[i] + 0.001 * g[i] * g[i];
        // PyTorch form: w − lr/(1−β1^t) · m / (√(v/(1−β2^t)) + eps)
        const w = feeds[sp.name].data[i] -
          (1e-3 / (1 - 0.9 ** 3)) * m / (Math.sqrt(v / (1 - 0.999 ** 3)) + 1e-8);
        worst = Math.max(worst, Math.abs(out[`${sp.name}_new`].data[i] - w));
        worst = Math.max(worst, Math.abs(out[`m_${sp.name}_new`].data[i] - m));
      }
    }
    assert(worst < 1e-7, `max abs error ${worst}`);
  } finally {
    await s.release();
  }
});

Deno.test("training graph passes python3-onnx's full checker (optional)", async () => {
  const py = await pythonWith("onnx");
  if (!py) {
    console.log("  skipped: /usr/bin/python3 has no onnx module");
    return;
  }
  const f = await Deno.makeTempFile({ suffix: ".onnx" });
  try {
    await Deno.writeFile(
      f,
      buildTrainModel(parseArch("8-5-r_4-5-r_4-5-s_ps2"), 1, {
        loss: "mse",
        outputPrediction: true,
      }),
    );
    const code =
      "import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True); print('ok')";
    const r = await new Deno.Command(py, { args: ["-c", code, f] }).output();
    assert(r.success, new TextDecoder().decode(r.stderr));
  } finally {
    await Deno.remove(f);
  }
});

Deno.test("three Adam steps match PyTorch's Conv2d + Adam (optional, needs torch)", async () => {
  const py = await pythonWith("torch", "numpy");
  if (!py) {
    console.log("  skipped: /usr/bin/python3 has no torch");
    return;
  }
  const arch = parseArch("4-5-r_3-3-lr_1-3-s");
  const cin = 1;
  const specs = paramSpecs(arch, cin);
  const p = specs.map((s, i) =>
    Float32Array.from(testData(s.dims.reduce((a, b) => a * b, 1), 50 + i, -0.4, 0.4))
  );
  const x = Float32Array.from(testData(3 * 64, 60, 0, 1)),
    y = Float32Array.from(testData(3 * 64, 61, 0, 1));
  const session = await OrtSession.create(buildTrainModel(arch, cin, { loss: "mse" }), {
    threads: 1,
  });
  const state: { w: Float32Array; m: Float32Array; v: Float32Array }[] = specs.map((_, i) => ({
    w: p[i],
    m: new Float32Array(p[i].length),
    v: new Float32Array(p[i].length),
  }));
  try {
    for (let t = 1; t <= 3; t++) {
      const { lrT, epsT } = adamScalars(1e-2, t);
      const feeds: Record<string, { data: Float32Array; dims: number[] }> = {
        X: { data: x, dims: [3, 1, 8, 8] },
        Y: { data: y, dims: [3, 1, 8, 8] },
        lr_t: { data: new Float32Array([lrT]), dims: [1] },
        eps_t: { data: new Float32Array([epsT]), dims: [1] },
      };
      specs.forEach((s, i) => {
        feeds[s.name] = { data: state[i].w, dims: s.dims };
        feeds[`m_${s.name}`] = { data: state[i].m, dims: s.dims };
        feeds[`v_${s.name}`] = { data: state[i].v, dims: s.dims };
      });
      const out = await session.run(feeds);
      specs.forEach((s, i) => {
        state[i] = {
          w: out[`${s.name}_new`].data,
          m: out[`m_${s.name}_new`].data,
          v: out[`v_${s.name}_new`].data,
        };
      });
    }
  } finally {
    await session.release();
  }
  const dir = await Deno.makeTempDir();
  try {
    const all = [...p, x, y];
    const flat = new Float32Array(all.reduce((a, b) => a + b.length, 0));
    let o = 0;
    for (const a of all) (flat.set(a, o), (o += a.length));
    await Deno.writeFile(`${dir}/in.bin`, new Uint8Array(flat.buffer));
    const code = `import sys, numpy as np, torch
torch.set_num_threads(1)
d = np.fromfile(sys.argv[1] + "/in.bin", dtype="<f4")
net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 5, padding=2), torch.nn.ReLU(), torch.nn.Conv2d(4, 3, 3, padding=1),
    torch.nn.LeakyReLU(0.01), torch.nn.Conv2d(3, 1, 3, padding=1), torch.nn.Sigmoid())
o = 0
params = [q for q in net.parameters()]
with torch.no_grad():
    for q in params:
        q.copy_(torch.from_numpy(d[o:o + q.numel()].copy()).view(q.shape)); o += q.numel()
x = torch.from_numpy(d[o:o + 192].copy()).view(3, 1, 8, 8); y = torch.from_numpy(d[o + 192:o + 384].copy()).view(3, 1, 8, 8)
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
for _ in range(3):
    opt.zero_grad(); torch.nn.functional.mse_loss(net(x), y).backward(); opt.step()
np.concatenate([q.detach().numpy().ravel() for q in params]).astype("<f4").tofile(sys.argv[1] + "/out.bin")`;
    const r = await new Deno.Command(py, { args: ["-c", code, dir] }).output();
    assert(r.success, new TextDecoder().decode(r.stderr));
    const torchW = new Float32Array((await Deno.readFile(`${dir}/out.bin`)).buffer);
    const ours = new Float32Array(torchW.length);
    o = 0;
    for (const s of state) (ours.set(s.w, o), (o += s.w.length));
    const e = relL2(ours, torchW);
    assert(e < 1e-5, `weights after 3 steps differ from torch: relative L2 ${e}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
