/**
 * Renders engine events for people: live bars on a terminal, plain throttled lines when piped.
 * @module
 */
import type { EngineEvent, EventSink } from "./events.ts";

/** Options for {@link progressRenderer}. */
export interface RenderOptions {
  /** Live redrawing bars (default: whether stderr is a terminal). */
  tty?: boolean;
  write?: (s: string) => void;
  /** Print step-log info lines (warnings are always printed). */
  verbose?: boolean;
}

const fmtMs = (ms: number) =>
  ms < 1000
    ? `${ms} ms`
    : ms < 120_000
    ? `${(ms / 1000).toFixed(1)} s`
    : `${(ms / 60000).toFixed(1)} min`;

/** An event sink that draws progress; call the returned `close()` at the end. */
export function progressRenderer(opts: RenderOptions = {}): EventSink & { close(): void } {
  const enc = new TextEncoder();
  const write = opts.write ?? ((s: string) => Deno.stderr.writeSync(enc.encode(s)));
  const tty = opts.tty ?? Deno.stderr.isTerminal();
  const live = new Map<string, { done: number; total: number; label?: string; start: number }>();
  const lastPlain = new Map<string, number>();
  let drawn = 0;
  let timer: ReturnType<typeof setInterval> | undefined;

  const bar = (id: string, p: { done: number; total: number; label?: string; start: number }) => {
    const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
    const w = 24;
    const fill = Math.round(frac * w);
    const el = Date.now() - p.start;
    const eta = frac > 0 && frac < 1 ? ` ETA ${fmtMs(Math.round(el / frac - el))}` : "";
    return `${id.padEnd(20)} [${"█".repeat(fill)}${"·".repeat(w - fill)}] ${p.done}/${p.total} ${
      p.label ?? ""
    }${eta}`;
  };
  const redraw = () => {
    if (!tty) return;
    let s = drawn ? `\x1b[${drawn}A` : "";
    const lines = [...live].map(([id, p]) => bar(id, p));
    for (const l of lines) s += `\x1b[2K${l}\n`;
    for (let i = lines.length; i < drawn; i++) s += "\x1b[2K\n";
    if (drawn > lines.length) s += `\x1b[${drawn - lines.length}A`;
    drawn = lines.length;
    write(s);
  };
  const say = (line: string) => {
    if (tty && drawn) {
      write(`\x1b[${drawn}A\x1b[0J`);
      drawn = 0;
    }
    write(line + "\n");
    redraw();
  };
  if (tty) timer = setInterval(redraw, 200);

  const sink = (e: EngineEvent) => {
    switch (e.type) {
      case "run-start":
        say(`▶ ${e.workflow}: ${e.steps} step(s), run ${e.runId}`);
        break;
      case "step-cached":
        say(`✓ ${e.stepId} (cached)`);
        break;
      case "step-start":
        live.set(e.stepId, { done: 0, total: 0, start: e.t });
        say(
          `… ${e.stepId} started${
            e.resumed ? " (resuming from checkpoint)" : ""
          } on ${e.threads} core(s)`,
        );
        break;
      case "step-progress": {
        const p = live.get(e.stepId) ?? { done: 0, total: 0, start: e.t };
        Object.assign(p, { done: e.done, total: e.total, label: e.label });
        live.set(e.stepId, p);
        if (!tty) {
          const last = lastPlain.get(e.stepId) ?? 0;
          if (e.t - last > 5000 || e.done === e.total) {
            lastPlain.set(e.stepId, e.t);
            say(bar(e.stepId, p));
          }
        }
        break;
      }
      case "step-log":
        if (e.level === "warn" || opts.verbose) {
          say(`  ${e.stepId}: ${e.level === "warn" ? "⚠ " : ""}${e.msg}`);
        }
        break;
      case "step-done":
        live.delete(e.stepId);
        say(`✓ ${e.stepId} done in ${fmtMs(e.durationMs)}`);
        break;
      case "step-failed":
        live.delete(e.stepId);
        say(`✗ ${e.stepId} failed: ${e.error}`);
        break;
      case "step-skipped":
        say(`- ${e.stepId} skipped: ${e.reason}`);
        break;
      case "step-published":
        say(
          `→ ${e.stepId} published to ${e.to}: ${e.copied} written, ${e.unchanged} unchanged`,
        );
        for (const [from, to] of e.movedAside) {
          say(`  ⚠ ${from} was not written by srmidas: kept as ${to}`);
        }
        break;
      case "run-done":
        say(
          `${
            e.ok ? "■ done" : "■ FAILED"
          }: ${e.ran} ran, ${e.cached} cached, ${e.failed} failed in ${fmtMs(e.durationMs)}`,
        );
        break;
    }
  };
  return Object.assign(sink, {
    close() {
      if (timer !== undefined) clearInterval(timer);
      redraw();
    },
  });
}
