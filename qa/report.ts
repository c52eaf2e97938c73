/**
 * The QA report's text: a summary (counts per table, per ring, chosen frames, comparison
 * groups) and the figures by section, as Markdown (figures linked as `*.svg` files) and as one
 * self-contained HTML page (the same SVGs inline; their images are `data:` URIs).
 *
 * @example
 * ```ts
 * import { formatQaMarkdown } from "./report.ts";
 * const md = formatQaMarkdown({
 *   title: "QA", zip: "s.MIDAS.zip", nFrames: 1, detector: { nY: 8, nZ: 8 },
 *   omega: { first: 0, last: 0 }, chosenFrames: [], saturatedFrames: 0,
 *   tables: [{ label: "srfac 1", nPeaks: 3, perFrame: [3], medianPerFrame: 3 }],
 * }, [], []);
 * md.includes("| peaks | 3 |"); // true
 * ```
 * @module
 */
import type { ChosenFrame } from "./stats.ts";
import type { Comparison } from "./compare.ts";

/** What `qa.json` holds. */
export interface QaSummary {
  title: string;
  zip: string;
  nFrames: number;
  detector: { nY: number; nZ: number };
  omega: { first: number; last: number };
  tables: {
    label: string;
    nPeaks: number;
    perFrame: number[];
    medianPerFrame: number;
  }[];
  rings?: { nr: number; radiusPx: number; peaks: number }[];
  offRingPeaks?: number;
  chosenFrames: ChosenFrame[];
  /** Frames (of those read) with at least one pixel ≥ UpperBoundThreshold. */
  saturatedFrames: number;
  /** Frames decoded for the intensity curve and the images. */
  framesRead?: number;
  comparison?: Omit<Comparison, "shiftY" | "shiftZ" | "groups"> & { medianShiftPx: number };
}

/** A rendered figure of a section. */
export interface QaFigure {
  section: string;
  file: string;
  caption: string;
  svg: string;
}

function summaryLines(s: QaSummary): string[] {
  const labels = s.tables.map((t) => t.label);
  const row = (name: string, f: (t: QaSummary["tables"][number]) => string | number) =>
    `| ${name} | ${s.tables.map((t) => String(f(t))).join(" | ")} |`;
  const out = [
    `Scan \`${s.zip}\`: ${s.nFrames} frames, ω ${s.omega.first.toFixed(3)}° … ` +
    `${s.omega.last.toFixed(3)}°, detector ${s.detector.nY} × ${s.detector.nZ} px (y × z).`,
    "",
    `| | ${labels.join(" | ")} |`,
    `|---|${labels.map(() => "---:|").join("")}`,
    row("peaks", (t) => t.nPeaks),
    row("peaks per frame, median", (t) => t.medianPerFrame),
    row(
      "peaks per frame, min – max",
      (t) => t.perFrame.length ? `${Math.min(...t.perFrame)} – ${Math.max(...t.perFrame)}` : "–",
    ),
    row("frames without peaks", (t) => t.perFrame.filter((c) => c === 0).length),
    "",
    `Frames with saturated pixels (≥ UpperBoundThreshold): ${s.saturatedFrames}` +
    (s.framesRead !== undefined && s.framesRead < s.nFrames
      ? ` of the ${s.framesRead} frames read.`
      : "."),
    `Frames shown: ${
      s.chosenFrames.map((c) => `${c.frame} (${c.label}, ${c.peaks} peaks)`).join(", ")
    }.`,
    "",
  ];
  if (s.rings) {
    out.push(
      `## Rings (${labels[0]})`,
      "",
      "| ring | radius (px) | peaks |",
      "|---:|---:|---:|",
      ...s.rings.map((r) => `| ${r.nr} | ${r.radiusPx.toFixed(1)} | ${r.peaks} |`),
      `| none | – | ${s.offRingPeaks} |`,
      "",
    );
  }
  const c = s.comparison;
  if (c) {
    const [a, b] = labels;
    out.push(
      `## Comparison: ${a} vs ${b}`,
      "",
      `Peaks of the two tables within ${c.linkPx} px in the same frame are linked; each linked`,
      "group is counted once by its make-up.",
      "",
      "| group | count |",
      "|---|---:|",
      `| matched (1 : 1) | ${c.matched} |`,
      `| only in ${a} | ${c.onlyA} |`,
      `| only in ${b} | ${c.onlyB} |`,
      `| ${b} splits a spot ${a} has as one (1 : ≥2) | ${c.splitInB} |`,
      `| ${a} splits a spot ${b} has as one (≥2 : 1) | ${c.splitInA} |`,
      `| complex (≥2 : ≥2) | ${c.complex} |`,
      `| median shift of matched peaks (px) | ${
        Number.isFinite(c.medianShiftPx) ? c.medianShiftPx.toFixed(3) : "–"
      } |`,
      "",
    );
  }
  return out;
}

function sections(figures: readonly QaFigure[]): Map<string, QaFigure[]> {
  const m = new Map<string, QaFigure[]>();
  for (const f of figures) (m.get(f.section) ?? m.set(f.section, []).get(f.section)!).push(f);
  return m;
}

/** The Markdown report (figures linked as files beside it). */
export function formatQaMarkdown(
  s: QaSummary,
  figures: readonly QaFigure[],
  notes: readonly string[],
): string {
  const lines = [`# ${s.title}`, "", ...summaryLines(s)];
  for (const [name, figs] of sections(figures)) {
    lines.push(`## ${name}`, "");
    for (const f of figs) lines.push(`![${f.caption}](${f.file})`, "", `*${f.caption}*`, "");
  }
  if (notes.length) lines.push("## Notes", "", ...notes.map((n) => `- ${n}`), "");
  return lines.join("\n");
}

const esc = (t: string) =>
  t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Minimal Markdown → HTML for the summary lines (tables, headings, paragraphs, code). */
function mdToHtml(lines: readonly string[]): string {
  const out: string[] = [];
  const inline = (t: string) => esc(t).replace(/`([^`]+)`/g, "<code>$1</code>");
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith("## ")) out.push(`<h2>${inline(l.slice(3))}</h2>`);
    else if (l.startsWith("|")) {
      const rows: string[][] = [];
      for (; i < lines.length && lines[i].startsWith("|"); i++) {
        if (!/^\|[-:| ]+\|$/.test(lines[i])) rows.push(lines[i].slice(1, -1).split("|"));
      }
      i--;
      out.push(
        "<table>" + rows.map((r, k) =>
          "<tr>" + r.map((c) =>
            k === 0 ? `<th>${inline(c.trim())}</th>` : `<td>${inline(c.trim())}</td>`
          )
            .join("") +
          "</tr>"
        ).join("") + "</table>",
      );
    } else if (l.trim() !== "") out.push(`<p>${inline(l)}</p>`);
  }
  return out.join("\n");
}

/** One self-contained HTML page: the summary, then every figure inline with its caption. */
export function formatQaHtml(
  s: QaSummary,
  figures: readonly QaFigure[],
  notes: readonly string[],
): string {
  const body = [`<h1>${esc(s.title)}</h1>`, mdToHtml(summaryLines(s))];
  for (const [name, figs] of sections(figures)) {
    body.push(`<h2>${esc(name)}</h2>`);
    for (const f of figs) {
      const svg = f.svg.replace(/^<\?xml[^>]*>\s*/, "");
      body.push(
        `<figure id="${esc(f.file)}">${svg}<figcaption>${esc(f.caption)}</figcaption></figure>`,
      );
    }
  }
  if (notes.length) {
    body.push("<h2>Notes</h2><ul>", ...notes.map((n) => `<li>${esc(n)}</li>`), "</ul>");
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(s.title)}</title>
<style>
body { font-family: sans-serif; max-width: 1200px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0; }
td, th { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
td:first-child, th:first-child { text-align: left; }
figure { margin: 1.5em 0; overflow-x: auto; }
figcaption { font-style: italic; color: #555; }
</style></head>
<body>
${body.join("\n")}
</body></html>
`;
}
