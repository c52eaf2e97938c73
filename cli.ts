/**
 * `srmidas` entry point: `deno task srmidas <command> …` (see `--help`).
 * @module
 */
import { main } from "./cli/main.ts";

if (import.meta.main) await main(Deno.args);
