/**
 * Engine events: everything a run reports, in one shape, so the terminal renderer, the
 * JSON-lines log and tests all read the same stream.
 * @module
 */

/** One event of a run. `t` is milliseconds since the epoch. */
export type EngineEvent =
  | { type: "run-start"; t: number; runId: string; workflow: string; steps: number }
  | { type: "step-cached"; t: number; stepId: string; key: string }
  | {
    type: "step-start";
    t: number;
    stepId: string;
    key: string;
    threads: number;
    resumed: boolean;
  }
  | {
    type: "step-progress";
    t: number;
    stepId: string;
    done: number;
    total: number;
    label?: string;
  }
  | {
    type: "step-log";
    t: number;
    stepId: string;
    level: "info" | "warn";
    msg: string;
    data?: Record<string, unknown>;
  }
  | { type: "step-done"; t: number; stepId: string; key: string; durationMs: number }
  | { type: "step-failed"; t: number; stepId: string; key: string; error: string }
  | { type: "step-skipped"; t: number; stepId: string; reason: string }
  | {
    type: "step-published";
    t: number;
    stepId: string;
    to: string;
    copied: number;
    unchanged: number;
    /** Foreign files that were in the way: `[original, backup]`. */
    movedAside: [string, string][];
  }
  | {
    type: "run-done";
    t: number;
    runId: string;
    ok: boolean;
    ran: number;
    cached: number;
    failed: number;
    durationMs: number;
  };

/** A consumer of events. */
export type EventSink = (e: EngineEvent) => void;

/** Distributive Omit, so `emit({type: "step-log", …})` type-checks per variant. */
export type EventInit = EngineEvent extends infer E ? E extends EngineEvent ? Omit<E, "t"> : never
  : never;
