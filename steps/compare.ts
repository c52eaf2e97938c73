/**
 * Step `compare` (issue #7): one table over several `evaluate` reports — e.g. the branches of a
 * campaign's architecture matrix against the same native baseline. Each report contributes its
 * runs, labelled `<report title>: <run label>`; a run whose label and numbers repeat one already
 * in the table (the shared baseline) is listed once. Output `report/`: `report.md` and
 * `metrics.json` in evaluate's format, so a comparison can itself be bundled or compared.
 *
 * @example
 * ```ts
 * import { compareStep } from "./compare.ts";
 * compareStep.inputs.reports.many; // true
 * ```
 * @module
 */
import * as v from "valibot";
import { defineStep } from "../engine/step.ts";
import {
  formatReport,
  readReportMetrics,
  type ReportRun,
  writeReportMetrics,
} from "../evaluation/report.ts";

export const compareParams = v.object({
  title: v.optional(v.string(), "Comparison"),
});

export const compareStep = defineStep({
  name: "compare",
  version: "1",
  description: "Puts several evaluate reports into one comparison table.",
  params: compareParams,
  inputs: {
    reports: { kind: "report", many: true, description: "evaluate report folders" },
  },
  outputs: {
    report: { kind: "report", path: "report", description: "report.md, metrics.json" },
  },
  module: import.meta.url,
  async run(ctx) {
    const runs: ReportRun[] = [];
    const seen = new Set<string>();
    for (const dir of ctx.inputs.reports) {
      const { title, runs: reportRuns } = await readReportMetrics(dir);
      for (const r of reportRuns) {
        const same = `${r.label}\u0000${JSON.stringify(r.metrics)}`;
        if (seen.has(same)) continue;
        seen.add(same);
        runs.push({ label: `${title}: ${r.label}`, metrics: r.metrics });
      }
    }
    const out = ctx.output("report");
    await Deno.mkdir(out, { recursive: true });
    await Deno.writeTextFile(
      `${out}/report.md`,
      formatReport({ title: ctx.params.title, runs, figures: [] }),
    );
    await writeReportMetrics(out, { title: ctx.params.title, runs });
  },
});
