/**
 * The worker inside an allocation job (engine/executors/allocation.ts): pulls task files from
 * `<queue>/todo/`, claims each by an atomic rename into `<queue>/running/`, runs it in its own
 * worker process (engine/worker_main.ts `--task`) with its log and exit file next to it, at most
 * `slots` at once. A `<name>.cancel` file stops that task; a `stop` file, or `idleSec` without
 * work, ends the worker. Usage: `alloc_worker.ts <queue> <slots> <idleSec>`.
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import { join } from "node:path";
import { defaultConfig, WORKER } from "../executor.ts";

const [queue, slotsArg, idleArg] = Deno.args;
const slots = Math.max(1, Number(slotsArg) || 1);
const idleMs = (Number(idleArg) || 60) * 1000;
const todo = join(queue, "todo"), running = join(queue, "running");
await Deno.mkdir(todo, { recursive: true });
await Deno.mkdir(running, { recursive: true });
const live = new Map<string, Deno.ChildProcess>();
let stopping = false;
for (const sig of ["SIGTERM", "SIGUSR1"] as const) {
  Deno.addSignalListener(sig, () => {
    stopping = true;
    for (const c of live.values()) c.kill("SIGTERM");
  });
}
const exists = (p: string) => Deno.stat(p).then(() => true, () => false);
let idleSince = Date.now();

async function start(name: string) {
  const base = join(running, name.replace(/\.task\.json$/, ""));
  try {
    await Deno.rename(join(todo, name), `${base}.task.json`);
  } catch {
    return; // another worker took it
  }
  const log = await Deno.open(`${base}.log`, { create: true, append: true });
  const cfg = defaultConfig();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      ...(cfg ? ["--config", cfg] : []),
      fromFileUrl(WORKER),
      "--task",
      `${base}.task.json`,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  live.set(base, child);
  const pipe = async (r: ReadableStream<Uint8Array>) => {
    for await (const chunk of r) await log.write(chunk);
  };
  (async () => {
    await Promise.all([pipe(child.stdout), pipe(child.stderr)]);
    const st = await child.status;
    log.close();
    live.delete(base);
    const interrupted = stopping || (await exists(`${base}.cancel`)) ? 1 : 0;
    await Deno.writeTextFile(`${base}.exit.tmp`, `${st.code} ${interrupted}\n`);
    await Deno.rename(`${base}.exit.tmp`, `${base}.exit`);
    idleSince = Date.now();
  })();
}

while (true) {
  if (await exists(join(queue, "stop"))) stopping = true;
  for (const [base, c] of live) if (await exists(`${base}.cancel`)) c.kill("SIGTERM");
  if (!stopping && live.size < slots) {
    const names: string[] = [];
    for await (const e of Deno.readDir(todo)) if (e.name.endsWith(".task.json")) names.push(e.name);
    for (const n of names.sort().slice(0, slots - live.size)) await start(n);
  }
  if (live.size > 0) idleSince = Date.now();
  if ((stopping || Date.now() - idleSince > idleMs) && live.size === 0) break;
  await new Promise((r) => setTimeout(r, 200));
}
console.error(`alloc worker: leaving (${stopping ? "stopped" : "idle"})`);
