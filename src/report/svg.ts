/**
 * Small, dependency-free SVG charts for the run report and the μP check: line charts on linear or logarithmic
 * axes (with nice ticks, a legend, vertical event marks and point markers) and horizontal stacked bars. Every
 * chart is one self-contained <svg> element; text is escaped; non-finite values break a line instead of
 * bending it.
 */

export interface Series {
  name: string;
  /** [x, y] pairs; non-finite or (on a log axis) non-positive values leave a gap */
  points: readonly (readonly [number, number])[];
  color?: string;
  /** stroke-dasharray, e.g. "4 3" */
  dash?: string;
  width?: number;
  opacity?: number;
  /** draw a dot at every point (for short series) */
  markers?: boolean;
  /** leave the series out of the legend */
  hideInLegend?: boolean;
}

export interface VerticalMark {
  x: number;
  color: string;
  /** shown as a tooltip */
  label: string;
  dash?: string;
}

export interface PointMark {
  x: number;
  y: number;
  color: string;
  label: string;
  shape?: "circle" | "triangle";
}

export interface ChartOptions {
  title: string;
  xLabel?: string;
  yLabel?: string;
  xLog?: boolean;
  yLog?: boolean;
  width?: number;
  height?: number;
  series: Series[];
  marks?: VerticalMark[];
  points?: PointMark[];
  /** horizontal reference lines */
  hLines?: { y: number; color: string; label: string }[];
  /** fix the y range (before padding) */
  yMin?: number;
  yMax?: number;
  /** a short note under the title */
  note?: string;
  /** x tick positions to use instead of automatic ones */
  xTicks?: number[];
  /** CSS class of the <svg> (the report styles .chart) */
  className?: string;
}

/** A qualitative palette (Tableau 10) for a few series. */
export const PALETTE = ["#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
  "#bab0ac"];

/** A sequential colour for item i of n (dark blue → yellow, viridis-like), for layers. */
export function rampColor(i: number, n: number): string {
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const t = n <= 1 ? 0 : i / (n - 1);
  const p = t * (stops.length - 1);
  const a = Math.min(stops.length - 2, Math.floor(p));
  const f = p - a;
  const c = stops[a].map((v, j) => Math.round(v + (stops[a + 1][j] - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A number for a tick label: short, no trailing zeros, exponent form for very large or small values. */
export function formatTick(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) {
    const e = Math.floor(Math.log10(a));
    const m = v / 10 ** e;
    const ms = Math.abs(m - Math.round(m)) < 1e-9 ? String(Math.round(m)) : m.toFixed(1);
    return ms === "1" ? `1e${e}` : `${ms}e${e}`;
  }
  return String(Number(v.toPrecision(6)));
}

/** "Nice" linear ticks covering [lo, hi]: steps of 1, 2 or 5 × 10^k, about `count` of them. */
export function linearTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let i = Math.ceil(lo / step); i * step <= hi + step * 1e-9; i++) out.push(i === 0 ? 0 : Number((i * step).toPrecision(12)));
  return out;
}

/** Decade ticks (and 2, 5 between them when the range is short) covering [lo, hi] (both > 0). */
export function logTicks(lo: number, hi: number): number[] {
  // less than a decade: plain "nice" steps read better than a single power of ten
  if (hi / lo < 8) return linearTicks(lo, hi, 4).filter((v) => v > 0);
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const out: number[] = [];
  const mult = b - a <= 2 ? [1, 2, 5] : [1];
  const every = Math.max(1, Math.ceil((b - a) / 8));
  for (let e = a; e <= b; e += every) for (const m of mult) {
    const v = m * 10 ** e;
    if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
  }
  return out;
}

interface Scale {
  map(v: number): number;
  ticks: number[];
  ok(v: number): boolean;
}

function scale(values: number[], log: boolean, a: number, b: number, fixedMin?: number, fixedMax?: number): Scale {
  const ok = (v: number) => Number.isFinite(v) && (!log || v > 0);
  const vs = values.filter(ok);
  let lo = fixedMin ?? (vs.length ? Math.min(...vs) : log ? 1 : 0);
  let hi = fixedMax ?? (vs.length ? Math.max(...vs) : log ? 10 : 1);
  if (log) {
    if (!(lo > 0)) lo = hi > 0 ? hi / 1000 : 1;
    if (hi <= lo) hi = lo * 10;
    const l0 = Math.log10(lo);
    const l1 = Math.log10(hi);
    const pad = (l1 - l0) * 0.04 || 0.5;
    const L0 = l0 - pad;
    const L1 = l1 + pad;
    return {
      map: (v) => a + ((Math.log10(v) - L0) / (L1 - L0)) * (b - a),
      ticks: logTicks(10 ** L0, 10 ** L1),
      ok,
    };
  }
  if (hi <= lo) {
    const d = Math.abs(lo) * 0.1 || 1;
    lo -= d;
    hi += d;
  }
  const pad = (hi - lo) * 0.04;
  const L0 = fixedMin ?? lo - pad;
  const L1 = fixedMax ?? hi + pad;
  return { map: (v) => a + ((v - L0) / (L1 - L0)) * (b - a), ticks: linearTicks(L0, L1), ok };
}

/** width of one legend entry: a 16-pixel line and up to 21 characters */
const LEGEND_W = 150;

const FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\"";

/** A line chart as one <svg> element. */
export function lineChart(o: ChartOptions): string {
  const W = o.width ?? 640;
  const H = o.height ?? 300;
  const legendItems = o.series.filter((s) => !s.hideInLegend);
  const legendRows = legendItems.length > 1 ? Math.ceil(legendItems.length / Math.max(1, Math.floor((W - 70) / LEGEND_W))) : 0;
  const top = 30 + (o.note ? 14 : 0);
  const bottom = (o.xLabel ? 40 : 26) + (legendRows ? 8 + legendRows * 16 : 0);
  const left = 64;
  const right = 16;
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of o.series) for (const [x, y] of s.points) {
    xs.push(x);
    ys.push(y);
  }
  for (const m of o.marks ?? []) xs.push(m.x);
  for (const p of o.points ?? []) {
    xs.push(p.x);
    ys.push(p.y);
  }
  for (const h of o.hLines ?? []) ys.push(h.y);
  const sx = scale(xs, !!o.xLog, left, W - right);
  if (o.xTicks) sx.ticks = o.xTicks;
  const sy = scale(ys, !!o.yLog, H - bottom, top, o.yMin, o.yMax);
  const parts: string[] = [];
  const cls = o.className ?? "chart";
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="${cls}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
    `role="img" aria-label="${escapeXml(o.title)}" ${FONT} font-size="11">`);
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${left}" y="18" font-size="13" font-weight="600" fill="#222">${escapeXml(o.title)}</text>`);
  if (o.note) parts.push(`<text x="${left}" y="32" fill="#666">${escapeXml(o.note)}</text>`);
  const x0 = left;
  const x1 = W - right;
  const y0 = H - bottom;
  const y1 = top;
  // grid and ticks
  for (const t of sy.ticks) {
    const y = sy.map(t);
    if (y < y1 - 0.5 || y > y0 + 0.5) continue;
    parts.push(`<line x1="${x0}" x2="${x1}" y1="${r(y)}" y2="${r(y)}" stroke="#e6e6e6"/>`);
    parts.push(`<text x="${x0 - 6}" y="${r(y + 3.5)}" text-anchor="end" fill="#555">${escapeXml(formatTick(t))}</text>`);
  }
  for (const t of sx.ticks) {
    const x = sx.map(t);
    if (x < x0 - 0.5 || x > x1 + 0.5) continue;
    parts.push(`<line x1="${r(x)}" x2="${r(x)}" y1="${y1}" y2="${y0}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${r(x)}" y="${y0 + 14}" text-anchor="middle" fill="#555">${escapeXml(formatTick(t))}</text>`);
  }
  parts.push(`<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#999"/>`);
  if (o.xLabel) parts.push(`<text x="${(x0 + x1) / 2}" y="${y0 + 30}" text-anchor="middle" fill="#333">${escapeXml(o.xLabel)}</text>`);
  if (o.yLabel) {
    parts.push(`<text transform="translate(14 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle" fill="#333">${escapeXml(o.yLabel)}</text>`);
  }
  parts.push(`<clipPath id="${clipId(o)}"><rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}"/></clipPath>`);
  parts.push(`<g clip-path="url(#${clipId(o)})">`);
  for (const m of o.marks ?? []) {
    if (!sx.ok(m.x)) continue;
    const x = r(sx.map(m.x));
    parts.push(`<line class="mark" x1="${x}" x2="${x}" y1="${y1}" y2="${y0}" stroke="${m.color}" stroke-width="1.2" ` +
      `stroke-dasharray="${m.dash ?? "3 3"}" opacity="0.8"><title>${escapeXml(m.label)}</title></line>`);
  }
  for (const h of o.hLines ?? []) {
    if (!sy.ok(h.y)) continue;
    const y = r(sy.map(h.y));
    parts.push(`<line x1="${x0}" x2="${x1}" y1="${y}" y2="${y}" stroke="${h.color}" stroke-dasharray="6 3"><title>${escapeXml(h.label)}</title></line>`);
  }
  o.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const segs: string[] = [];
    let cur: string[] = [];
    for (const [x, y] of s.points) {
      if (sx.ok(x) && sy.ok(y)) cur.push(`${r(sx.map(x))},${r(sy.map(y))}`);
      else if (cur.length) {
        segs.push(cur.join(" "));
        cur = [];
      }
    }
    if (cur.length) segs.push(cur.join(" "));
    for (const seg of segs) {
      if (seg.includes(" ")) {
        parts.push(`<polyline class="series" fill="none" stroke="${color}" stroke-width="${s.width ?? 1.5}"` +
          `${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}${s.opacity !== undefined ? ` opacity="${s.opacity}"` : ""} ` +
          `stroke-linejoin="round" points="${seg}"><title>${escapeXml(s.name)}</title></polyline>`);
      }
      if (s.markers || !seg.includes(" ")) {
        for (const pt of seg.split(" ")) {
          const [px, py] = pt.split(",");
          parts.push(`<circle cx="${px}" cy="${py}" r="2.6" fill="${color}"${s.opacity !== undefined ? ` opacity="${s.opacity}"` : ""}><title>${escapeXml(s.name)}</title></circle>`);
        }
      }
    }
  });
  for (const p of o.points ?? []) {
    if (!sx.ok(p.x) || !sy.ok(p.y)) continue;
    const x = sx.map(p.x);
    const y = sy.map(p.y);
    const shape = p.shape === "triangle"
      ? `<path class="point" d="M${r(x)},${r(y - 5)} L${r(x + 4.5)},${r(y + 3)} L${r(x - 4.5)},${r(y + 3)} Z" fill="${p.color}">`
      : `<circle class="point" cx="${r(x)}" cy="${r(y)}" r="3.5" fill="none" stroke="${p.color}" stroke-width="1.8">`;
    parts.push(`${shape}<title>${escapeXml(p.label)}</title>${p.shape === "triangle" ? "</path>" : "</circle>"}`);
  }
  parts.push("</g>");
  // legend
  if (legendRows) {
    const per = Math.max(1, Math.floor((W - 70) / LEGEND_W));
    legendItems.forEach((s, i) => {
      const idx = o.series.indexOf(s);
      const color = s.color ?? PALETTE[idx % PALETTE.length];
      const lx = left + (i % per) * LEGEND_W;
      const ly = H - bottom + (o.xLabel ? 40 : 26) + 14 + Math.floor(i / per) * 16;
      parts.push(`<line x1="${lx}" x2="${lx + 16}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2.5"` +
        `${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`);
      parts.push(`<text x="${lx + 20}" y="${ly}" fill="#333">${escapeXml(truncate(s.name, 21))}</text>`);
    });
  }
  parts.push("</svg>");
  return parts.join("\n");
}

/** One horizontal bar per row, split into shares that add up to 1 (e.g. the data mixture of each phase). */
export function stackedBars(o: { title: string; rows: { label: string; parts: { name: string; value: number }[] }[];
  width?: number; note?: string }): string {
  const names = [...new Set(o.rows.flatMap((row) => row.parts.map((p) => p.name)))];
  const color = new Map(names.map((n, i) => [n, PALETTE[i % PALETTE.length]]));
  const W = o.width ?? 640;
  const left = 120;
  const right = 16;
  const barH = 20;
  const top = 30 + (o.note ? 14 : 0);
  const per = Math.max(1, Math.floor((W - left) / 150));
  const legendRows = Math.ceil(names.length / per);
  const H = top + o.rows.length * (barH + 8) + 12 + legendRows * 16;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart bars" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" ` +
    `aria-label="${escapeXml(o.title)}" ${FONT} font-size="11">`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="8" y="18" font-size="13" font-weight="600" fill="#222">${escapeXml(o.title)}</text>`,
  ];
  if (o.note) parts.push(`<text x="8" y="32" fill="#666">${escapeXml(o.note)}</text>`);
  o.rows.forEach((row, i) => {
    const y = top + i * (barH + 8);
    parts.push(`<text x="${left - 6}" y="${y + barH / 2 + 4}" text-anchor="end" fill="#333">${escapeXml(truncate(row.label, 18))}</text>`);
    const total = row.parts.reduce((a, p) => a + Math.max(0, p.value), 0) || 1;
    let x = left;
    for (const p of row.parts) {
      const w = ((W - left - right) * Math.max(0, p.value)) / total;
      parts.push(`<rect class="bar" x="${r(x)}" y="${y}" width="${r(w)}" height="${barH}" fill="${color.get(p.name)}">` +
        `<title>${escapeXml(`${p.name}: ${(100 * p.value / total).toFixed(1)}%`)}</title></rect>`);
      if (w > 40) {
        parts.push(`<text x="${r(x + w / 2)}" y="${y + barH / 2 + 4}" text-anchor="middle" fill="#fff">${(100 * p.value / total).toFixed(0)}%</text>`);
      }
      x += w;
    }
  });
  names.forEach((n, i) => {
    const lx = left + (i % per) * 150;
    const ly = top + o.rows.length * (barH + 8) + 12 + Math.floor(i / per) * 16;
    parts.push(`<rect x="${lx}" y="${ly - 9}" width="12" height="10" fill="${color.get(n)}"/>`);
    parts.push(`<text x="${lx + 16}" y="${ly}" fill="#333">${escapeXml(truncate(n, 22))}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}

function r(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + "…" : s;
}

let clipCounter = 0;
const clipIds = new WeakMap<ChartOptions, string>();
function clipId(o: ChartOptions): string {
  let id = clipIds.get(o);
  if (!id) {
    id = `clip${++clipCounter}`;
    clipIds.set(o, id);
  }
  return id;
}
