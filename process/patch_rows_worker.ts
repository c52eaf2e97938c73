/**
 * Worker of {@link PatchRowsPool}: answers each message (a chunk of {@link PatchTask}s) with
 * their results in order, or with the first error's message.
 * @module
 */
/// <reference lib="deno.worker" />
import { type PatchResult, patchRows, type PatchTask } from "./patch_rows.ts";

self.onmessage = (ev: MessageEvent<PatchTask[]>) => {
  let results: PatchResult[];
  try {
    results = ev.data.map(patchRows);
  } catch (e) {
    self.postMessage({ error: e instanceof Error ? e.stack ?? e.message : String(e) });
    return;
  }
  self.postMessage({ results });
};
