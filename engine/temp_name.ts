/**
 * Names of the temporaries the engine writes beside a file and then renames over it (records,
 * link roots, publication records, the digest cache): `<file>.<pid>@<host>.tmp`. The writer's
 * pid and host in the name let `gc` tell what a killed run left (this host, a pid that is gone)
 * from a file another host sharing the store is writing right now.
 *
 * @example
 * ```ts
 * import { tempPathBeside, tempWriter } from "./temp_name.ts";
 * const tmp = tempPathBeside("/store/digests.json"); // "/store/digests.json.4242@node1.tmp"
 * tempWriter(tmp)?.pid === Deno.pid; // true
 * ```
 * @module
 */
import { hostname } from "node:os";

/** A temporary name beside `path` that names this process and host. */
export function tempPathBeside(path: string): string {
  return `${path}.${Deno.pid}@${hostname()}.tmp`;
}

/** The writer a {@link tempPathBeside} name records, or undefined for any other name. */
export function tempWriter(name: string): { pid: number; host: string } | undefined {
  const m = /\.(\d+)@([^/@]+)\.tmp$/.exec(name);
  return m ? { pid: Number(m[1]), host: m[2] } : undefined;
}
