/**
 * Where the tests' reference data lives: MIDAS's own 3-grain example, copied into the repository
 * (`tests/data/midas-example/`, see its README for source and licence) so that a fresh clone with
 * nothing beside it passes the tests.
 * @module
 */
import { fileURLToPath } from "node:url";

/** MIDAS's own 3-grain example and its stored peak-search output (trailing slash included). */
export const MIDAS_EXAMPLE_DIR = fileURLToPath(new URL("./data/midas-example/", import.meta.url));
