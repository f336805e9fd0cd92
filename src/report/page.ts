/** The frame of the self-contained HTML pages (run report, μP check): one file, inline CSS, no scripts, no fetches. */
import { escapeXml } from "./svg.js";

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 24px auto; max-width: 1360px;
  padding: 0 16px; background: #fafafa; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
p.sub, p.note { color: #555; margin: 4px 0 12px; }
.grid { display: flex; flex-wrap: wrap; gap: 12px; }
svg.chart { background: #fff; border: 1px solid #e2e2e2; border-radius: 4px; }
table { border-collapse: collapse; background: #fff; margin: 8px 0; }
th, td { border: 1px solid #e2e2e2; padding: 3px 8px; text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f2f2f2; } td.l, th.l { text-align: left; }
.warn { color: #b3261e; } .ok { color: #2e7d32; }
code { background: #f0f0f0; padding: 0 3px; border-radius: 3px; }
.legend span { display: inline-block; margin-right: 14px; }
.swatch { display: inline-block; width: 12px; height: 3px; vertical-align: middle; margin-right: 4px; }
`;

export function htmlPage(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

/** An HTML table; cells are escaped; the first column and those listed in `leftColumns` are left-aligned. */
export function htmlTable(head: string[], rows: (string | number)[][], leftColumns: number[] = []): string {
  const cell = (v: string | number, i: number, tag: string) =>
    `<${tag}${i === 0 || leftColumns.includes(i) ? ' class="l"' : ""}>${escapeXml(String(v))}</${tag}>`;
  return `<table><thead><tr>${head.map((h, i) => cell(h, i, "th")).join("")}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((v, i) => cell(v, i, "td")).join("")}</tr>`).join("") + "</tbody></table>";
}
