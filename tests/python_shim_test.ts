/**
 * The sr-midas Python shim (`python/`): MIDAS's patched `ff_MIDAS.py` calls
 * `run_sr_process(...)` from `sr_midas.pipeline.sr_process`; with the shim that call runs
 * `srmidas process` and the peak files land in `<dir>/Temp`. Debian's python3, no packages.
 */
import { join } from "node:path";
import { simulateScan } from "../process/_test_util.ts";
import { readAllPeaksPS } from "../midas/peak_table.ts";
import { hasPython, PYTHON, runPython } from "./python.ts";
import { SR_MIDAS_COMMANDS } from "./cli.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";

const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const env = { SRMIDAS: join(REPO, "bin", "srmidas"), NO_COLOR: "1" };

/** The call MIDAS users patched into ff_MIDAS.py (save flags 0, SRconfig_path "auto"). */
const FF_MIDAS_CALL = `
import sys
sys.path.insert(0, sys.argv[1])
from sr_midas.pipeline.sr_process import run_sr_process
try:
    run_sr_process(midasZarrDir=sys.argv[2], srfac=int(sys.argv[3]), SRconfig_path="auto",
                   saveSRpatches=0, saveFrameGoodCoords=0)
    print("ok")
except RuntimeError as e:
    print("raised:", e)
`;

async function py(script: string, args: string[], cwd: string) {
  const out = await new Deno.Command(PYTHON, {
    args: ["-c", script, ...args],
    cwd,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("python shim: ff_MIDAS.py's run_sr_process call runs srmidas and leaves peaks in DIR/Temp", async () => {
  if (!(await hasPython())) return;
  const { scan } = await simulateScan();
  const cwd = await Deno.makeTempDir({ prefix: "srm_shim_" });
  for (const srfac of ["1", "8"]) {
    const r = await py(FF_MIDAS_CALL, [join(REPO, "python"), scan, srfac], cwd);
    assertEquals(r.stdout.trim().split("\n").at(-1), "ok", r.stderr);
    const ps = await readAllPeaksPS(join(scan, "Temp", "AllPeaks_PS.bin"));
    const peaks = ps.reduce((n, f) => n + f.length / 29, 0);
    assert(peaks >= 30, `srfac ${srfac}: ${peaks} peaks in DIR/Temp/AllPeaks_PS.bin`);
  }
  // A failure raises with srmidas's own error text.
  const bad = await py(FF_MIDAS_CALL, [join(REPO, "python"), join(cwd, "nowhere"), "1"], cwd);
  assertMatch(bad.stdout, /raised: .*nowhere/);
});

Deno.test("python shim: pip-installs from its folder; sr-midas-process takes sr-midas's flags", async () => {
  if (!(await hasPython("setuptools", "wheel"))) return;
  const tmp = await Deno.makeTempDir({ prefix: "srm_shim_pip_" });
  // Build from a copy: pip leaves build/ and *.egg-info beside the sources.
  await new Deno.Command("cp", { args: ["-r", join(REPO, "python"), join(tmp, "src")] }).output();
  await runPython(
    "import subprocess, sys; subprocess.check_call([sys.executable, '-m', 'pip', 'install', '-q', " +
      "'--no-build-isolation', '--no-deps', '--no-index', '--target', sys.argv[1], sys.argv[2]])",
    { args: [join(tmp, "site"), join(tmp, "src")] },
  );
  // The shim installs every command name package.json installs.
  for (const name of SR_MIDAS_COMMANDS) await Deno.stat(join(tmp, "site", "bin", name));
  const { scan } = await simulateScan();
  const out = await new Deno.Command(join(tmp, "site", "bin", "sr-midas-process"), {
    args: ["-midasZarrDir", scan, "-srfac", "1", "-saveSRpatches", "0"],
    cwd: tmp,
    env: { ...env, PYTHONPATH: join(tmp, "site") },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  await Deno.stat(join(scan, "Temp", "AllPeaks_PX.bin"));
});
