/**
 * `srmidas` entry point: `deno task srmidas <command> …` (see `--help`).
 * @module
 */
import { main } from "./cli/main.ts";

if (import.meta.main) {
  // `deno task srmidas …` and `npm run` start in the repo root; relative paths the user typed
  // mean their own working directory, which both record in INIT_CWD.
  const initCwd = Deno.env.get("INIT_CWD");
  if (initCwd) Deno.chdir(initCwd);
  await main(Deno.args);
}
