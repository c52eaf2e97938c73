/**
 * Worker side of {@link ./frame_stream.ts}: opens the zip once and decodes frames on request,
 * transferring each decoded buffer back (no copy).
 *
 * Protocol: `{type:"open", path}` → `{type:"opened", nFrames, nZ, nY, dtype}`;
 * `{type:"read", id, index}` → `{type:"frame", id, buffer}`; any failure → `{type:"error", id?, message}`.
 * @module
 */
/// <reference lib="deno.worker" />
import { type MidasZip, openMidasZip } from "./zip_reader.ts";

let zip: MidasZip | undefined;

self.onmessage = async (ev: MessageEvent) => {
  const msg = ev.data as { type: "open"; path: string } | {
    type: "read";
    id: number;
    index: number;
  } | {
    type: "close";
  };
  try {
    if (msg.type === "open") {
      zip = await openMidasZip(msg.path);
      self.postMessage({
        type: "opened",
        nFrames: zip.nFrames,
        nZ: zip.nZ,
        nY: zip.nY,
        dtype: zip.dtype,
      });
    } else if (msg.type === "read") {
      if (!zip) throw new Error("frame_stream_worker: read before open");
      const f = await zip.readFrame(msg.index);
      // Transfer only a buffer the frame owns entirely; otherwise copy out the view.
      const own = f.byteOffset === 0 && f.byteLength === f.buffer.byteLength ? f : f.slice();
      self.postMessage({ type: "frame", id: msg.id, buffer: own.buffer }, [
        own.buffer as ArrayBuffer,
      ]);
    } else if (msg.type === "close") {
      zip?.close();
      zip = undefined;
      self.close();
    }
  } catch (e) {
    const id = msg.type === "read" ? msg.id : undefined;
    self.postMessage({ type: "error", id, message: (e as Error).message });
  }
};
