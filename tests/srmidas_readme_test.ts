/**
 * sr-midas's README commands, typed as its README shows them (paths aside, tiny sizes), through
 * the `sr-midas-*` command names (bin/sr-midas aliases) in a subprocess: each output must land at
 * sr-midas's path with sr-midas's structure (issue #17).
 */
import { join } from "node:path";
import { simulateScan, tinyModels } from "../process/_test_util.ts";
import { readNpy } from "../nn/io/npy.ts";
import { PatchstoreReader } from "../patchstore/h5.ts";
import { hasPython, runPython } from "./python.ts";
import { srMidasBin } from "./cli.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";

const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** A work dir and a bin dir with every `sr-midas-*` name, as `npm install -g` links them. */
async function setup() {
  const work = await Deno.makeTempDir({ prefix: "srm_readme_" });
  return { bin: await srMidasBin(), work };
}

async function srMidas(bin: string, cwd: string, command: string, ...args: string[]) {
  const out = await new Deno.Command(join(bin, command), {
    args,
    cwd,
    env: { NO_COLOR: "1", PATH: `${join(REPO, "node_modules", ".bin")}:${Deno.env.get("PATH")}` },
  }).output();
  const dec = new TextDecoder();
  const r = { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  assertEquals(r.code, 0, `${command} ${args.join(" ")}\n${r.stderr}\n${r.stdout}`);
  return r;
}

Deno.test("sr-midas README: create-peakbank -config, create-patchstore with -srfac_list 1 2 4 8, hp-optimize cnnsr, predict cnnsr, create-pred-pst", async () => {
  const { bin, work } = await setup();
  // A MIDAS analysis directory with MIDAS-style peak tables in Temp/ (srfac 1 = MIDAS's search).
  const { scan } = await simulateScan({ nFrames: 8 });
  await srMidas(bin, work, "sr-midas-process", "-midasZarrDir", scan, "-srfac", "1");

  // 1. Create Peakbank: the README's JSON config, verbatim but for the directory.
  await Deno.writeTextFile(
    join(work, "in_create_peakbank.json"),
    JSON.stringify(
      {
        midas_dir: [scan],
        peakbank_savedir: "out_peakbank/",
        peakbank_savename: "df_peakbank.csv",
        cvsz: 20,
        srfac: 1,
        I_thresh: 99.0,
        peak_recon_err_threshold: 0.5,
        save_exp_patches: "False",
        dir_ignore: [".DS_Store"],
        save_frame_gen: "False",
      },
      null,
      4,
    ),
  );
  await srMidas(bin, work, "sr-midas-create-peakbank", "-config", "in_create_peakbank.json");
  const csv = await Deno.readTextFile(join(work, "out_peakbank", "df_peakbank.csv"));
  assertMatch(csv.split("\n")[0], /^,SpotID,error_reconstruction,frame_id,IntegratedIntensity/);
  assert(csv.trim().split("\n").length > 5, `peakbank rows: ${csv.trim().split("\n").length - 1}`);

  // 2. Create Patchstore (README flags; -n_patches 60000 → 24).
  await srMidas(
    bin,
    work,
    "sr-midas-create-patchstore",
    ...`-peakbankPath out_peakbank/df_peakbank.csv -savedir out_patchstore/ -savename patchstore.h5 -cvsz 20 -srfac_list 1 2 4 8 -n_patches 24 -patch_size 20 -I_thresh 99.0`
      .split(" "),
  );
  const pstPath = join(work, "out_patchstore", "patchstore.h5");
  const pst = await PatchstoreReader.open(pstPath);
  assertEquals([pst.count, pst.lrsz, pst.factors.join()], [24, 20, "1,2,4,8"]);
  pst.close();
  if (await hasPython("h5py")) {
    const shapes = await runPython(
      "import h5py, sys; f = h5py.File(sys.argv[1]); print(' '.join(str(f['patchArr'][k].shape) for k in ['SRx1', 'SRx8']), 'pstCreationArgs' in f)",
      { args: [pstPath] },
    );
    assertEquals(shapes.trim(), "(24, 3, 20, 20) (24, 3, 160, 160) True");
  }

  // 4. Hyperparameter optimization (-n_trials 50 -n_itrs 20 → 2 and 1).
  await srMidas(
    bin,
    work,
    "sr-midas-hp-optimize",
    ..."cnnsr -pst out_patchstore/patchstore.h5 -inSRx 1 -outSRx 2 -n_trials 2 -n_itrs 1 -output_base_dir optuna_results/"
      .split(" "),
  );
  const study = [...Deno.readDirSync(join(work, "optuna_results"))].map((e) => e.name);
  assert(study.includes("best_model") && study.length > 1, `optuna_results: ${study}`);

  // 5. Predict, single model and cascade (tiny exported models standing in for trained ones; an
  //    exported model has one set of weights, so -modItr only selects among sr-midas checkpoints).
  const models = join(work, "out_models");
  await tinyModels(models, [["x1_x8", 1, 8], ["x1_x2", 1, 2], ["x2_x4", 2, 4], ["x4_x8", 4, 8]]);
  await srMidas(
    bin,
    work,
    "sr-midas-predict",
    ..."cnnsr -pstPath out_patchstore/patchstore.h5 -inSRx 1 -outSRx 8 -modDir out_models/x1_x8 -modItr 999 -saveDir out_predictions/"
      .split(" "),
  );
  const single = await readNpy(join(work, "out_predictions", "predictions.npy"));
  assertEquals(single.shape, [24, 1, 160, 160]);
  await srMidas(
    bin,
    work,
    "sr-midas-predict",
    ..."cnnsr -pstPath out_patchstore/patchstore.h5 -inSRx 1 -outSRx 8 -cascade -x2ModDir out_models/x1_x2 -x2ModItr 4975 -x4ModDir out_models/x2_x4 -x4ModItr 999 -x8ModDir out_models/x4_x8 -x8ModItr 999 -saveDir out_predictions/"
      .split(" "),
  );
  for (const [f, n] of [[2, 40], [4, 80], [8, 160]]) {
    const a = await readNpy(join(work, "out_predictions", `predictions_SRx${f}.npy`));
    assertEquals(a.shape, [24, 1, n, n]);
  }
  if (await hasPython("numpy")) {
    const shapes = await runPython(
      "import numpy, sys; print(*[numpy.load(p).shape for p in sys.argv[1:]], numpy.load(sys.argv[1]).dtype)",
      {
        args: ["predictions.npy", "predictions_SRx8.npy"].map((n) =>
          join(work, "out_predictions", n)
        ),
      },
    );
    assertEquals(shapes.trim(), "(24, 1, 160, 160) (24, 1, 160, 160) float32");
  }

  // 6. Create Predicted Patchstore.
  await srMidas(
    bin,
    work,
    "sr-midas-create-pred-pst",
    ..."-pstPath out_patchstore/patchstore.h5 -saveDir out_pred_patchstore/ -saveName pred_pst_x2.h5 -trainedModDir out_models/x1_x2 -trainedModItr 4975 -srfacIn 1 -srfacOut 2 -bsz 500"
      .split(" "),
  );
  const pred = await PatchstoreReader.open(join(work, "out_pred_patchstore", "pred_pst_x2.h5"));
  assertEquals([pred.count, pred.factors.join()], [24, "2"]);
  pred.close();
});
