/**
 * Samples where a script spends its CPU time: runs `TARGET.ts` (with the remaining arguments as
 * its `Deno.args`) under V8's sampling profiler, writes the profile for Chrome DevTools, and prints
 * the functions with the most self time. How the re-fit's hot spots were found (issue #12): a
 * `--v8-flags=--prof` log leaves most ticks unattributed under Deno.
 *
 * Run: `deno run -A bench/cpu_profile.ts TARGET.ts [args…]`; env `PROFILE_OUT` (default
 * `/tmp/srmidas.cpuprofile`), `PROFILE_TOP` (default 25), `PROFILE_US` (sampling interval, µs;
 * default 500). Only the main thread is sampled, not workers.
 * @module
 */
import { Session } from "node:inspector";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

const [target, ...rest] = Deno.args;
if (!target) throw new Error("usage: cpu_profile.ts TARGET.ts [args…]");
const out = Deno.env.get("PROFILE_OUT") ?? "/tmp/srmidas.cpuprofile";
const top = Number(Deno.env.get("PROFILE_TOP") ?? 25);
const session = new Session();
session.connect();
const post = <T>(method: string, params: object = {}) =>
  new Promise<T>((ok, fail) =>
    session.post(method, params, (e: Error | null, r?: object) => (e ? fail(e) : ok(r as T)))
  );
// The target reads its own arguments.
Deno.args.splice(0, Deno.args.length, ...rest);
await post("Profiler.enable");
await post("Profiler.setSamplingInterval", { interval: Number(Deno.env.get("PROFILE_US") ?? 500) });
await post("Profiler.start");
try {
  await import(pathToFileURL(resolve(target)).href);
} finally {
  const { profile } = await post<
    { profile: { nodes: ProfileNode[]; samples: number[] } }
  >("Profiler.stop");
  await Deno.writeTextFile(out, JSON.stringify(profile));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  for (const id of profile.samples) {
    const f = byId.get(id)!.callFrame;
    const name = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}:${f.lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + 1);
  }
  const n = profile.samples.length;
  console.log(`\nself time, ${n} samples (profile: ${out})`);
  for (const [name, c] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(100 * c / n).toFixed(1).padStart(5)} %  ${name}`);
  }
}
