/**
 * Running the real command line from tests: `srmidas` (cli.ts in a subprocess) and sr-midas's
 * command names as `npm install -g` installs them (links to bin/sr-midas, named in package.json).
 * @module
 */
import { join } from "node:path";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** sr-midas's command names, as package.json's `bin` installs them (`sr-midas-process`, …). */
export const SR_MIDAS_COMMANDS: string[] = Object.keys(
  JSON.parse(Deno.readTextFileSync(join(REPO, "package.json"))).bin,
).filter((n) => n.startsWith("sr-midas-"));

/** `srmidas ARGS…` in `cwd` as a command (stdout/stderr piped), for spawning and killing. */
export function srmidasCommand(cwd: string, args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  });
}

/** What a finished command printed. */
export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** Decodes a finished command's output. */
export function decoded(out: Deno.CommandOutput): CommandOutput {
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Runs `srmidas ARGS…` in `cwd` to its end. */
export async function srmidas(cwd: string, ...args: string[]): Promise<CommandOutput> {
  return decoded(await srmidasCommand(cwd, args).output());
}

/** A fresh `bin/` folder holding every sr-midas command name, linked as npm links them. */
export async function srMidasBin(): Promise<string> {
  const bin = await Deno.makeTempDir({ prefix: "srm_bin_" });
  for (const name of SR_MIDAS_COMMANDS) {
    await Deno.symlink(join(REPO, "bin", "sr-midas"), join(bin, name));
  }
  return bin;
}
