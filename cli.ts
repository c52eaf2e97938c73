/**
 * `srmidas` entry point: `deno task srmidas <command> …` (see `--help`).
 * @module
 */
import { fileURLToPath } from "node:url";
import { main } from "./cli/main.ts";

if (import.meta.main) {
  // `deno task srmidas …` and `npm run` start in the repo root; relative paths the user typed
  // mean their own working directory, which both record in INIT_CWD.
  // Only when started in the repo root by those runners: a child process that inherited
  // INIT_CWD but was started elsewhere keeps its own working directory.
  const initCwd = Deno.env.get("INIT_CWD");
  const repoRoot = fileURLToPath(new URL(".", import.meta.url)).replace(/\/$/, "");
  if (initCwd && Deno.cwd() === repoRoot) Deno.chdir(initCwd);
  Deno.env.delete("INIT_CWD");
  await main(Deno.args);
}
