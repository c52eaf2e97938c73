/**
 * Worker half of {@link ./parallel.ts}: builds the synthesis plan once, then renders the patch
 * ranges it is sent and posts the results back (typed arrays transferred, not copied).
 *
 * Messages in: `{ type: "init", peakbank, cfg, source }`, then `{ type: "render", start, end }`.
 * Messages out: `{ type: "done", start, patches }` or `{ type: "error", message }`.
 * @module
 */
/// <reference lib="deno.worker" />
import type { Peakbank } from "./peakbank_csv.ts";
import {
  planSynthesis,
  type SynthesisConfig,
  type SynthesisPlan,
  synthesizePatch,
} from "./synthesis.ts";

let plan: SynthesisPlan | undefined;

self.onmessage = (ev: MessageEvent) => {
  const msg = ev.data;
  try {
    if (msg.type === "init") {
      plan = planSynthesis(msg.peakbank as Peakbank, msg.cfg as SynthesisConfig, msg.source);
      self.postMessage({ type: "ready" });
      return;
    }
    if (!plan) throw new Error("render_worker: render before init");
    const patches = [];
    const transfer: ArrayBuffer[] = [];
    for (let i = msg.start; i < msg.end; i++) {
      const p = synthesizePatch(plan, i);
      patches.push(p);
      if (p) {
        for (const a of [...p.levels, ...p.locY, ...p.locZ]) {
          transfer.push(a.buffer as ArrayBuffer);
        }
      }
    }
    self.postMessage({ type: "done", start: msg.start, patches }, { transfer });
  } catch (e) {
    self.postMessage({ type: "error", message: (e as Error).message });
  }
};
