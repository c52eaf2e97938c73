/**
 * Where the project's shared reference data lives: `../shared/` beside the repository (as in
 * every checkout and CI clone), or `$SRMIDAS_SHARED` when set.
 * @module
 */
import { fileURLToPath } from "node:url";

const root = Deno.env.get("SRMIDAS_SHARED") ??
  fileURLToPath(new URL("../../shared/", import.meta.url));

/** MIDAS's own 3-grain example and its stored peak-search output (trailing slash included). */
export const MIDAS_EXAMPLE_DIR = `${root.replace(/\/$/, "")}/data/midas-example/`;
