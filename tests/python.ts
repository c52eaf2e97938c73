/**
 * Optional Python cross-checks (Debian's /usr/bin/python3 with python3-zarr, h5py, torch, …):
 * never a runtime dependency. A test asks {@link hasPython} first and skips its Python part,
 * with a logged note, when the modules are missing.
 *
 * @example
 * ```ts ignore
 * import { hasPython, runPython } from "./python.ts";
 * if (await hasPython("numpy")) console.log(await runPython("import numpy; print(numpy.pi)"));
 * ```
 * @module
 */

/** The interpreter with Debian's packages (the pyenv `python3` on PATH has none of them). */
export const PYTHON = "/usr/bin/python3";

const probes = new Map<string, Promise<boolean>>();

/** Whether every module imports; logs one skip note per missing set. Cached per process. */
export function hasPython(...modules: string[]): Promise<boolean> {
  const key = modules.join(",");
  let p = probes.get(key);
  if (!p) {
    p = new Deno.Command(PYTHON, {
      args: ["-c", `import ${modules.join(", ") || "sys"}`],
      stdout: "null",
      stderr: "null",
    })
      .output()
      .then((r) => r.success, () => false)
      .then((ok) => {
        if (!ok) {
          console.log(
            `note: ${PYTHON} cannot import ${key || "anything"}; skipping the Python cross-check`,
          );
        }
        return ok;
      });
    probes.set(key, p);
  }
  return p;
}

/** Options of {@link runPython}. */
export interface RunPythonOptions {
  args?: string[];
  stdin?: string;
  cwd?: string;
}

/** Runs a script; returns its stdout, or throws with its stderr when it fails. */
export async function runPython(script: string, opts: RunPythonOptions = {}): Promise<string> {
  const child = new Deno.Command(PYTHON, {
    args: ["-c", script, ...(opts.args ?? [])],
    cwd: opts.cwd,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const td = new TextDecoder();
  if (!out.success) throw new Error(`python cross-check failed: ${td.decode(out.stderr)}`);
  return td.decode(out.stdout);
}
