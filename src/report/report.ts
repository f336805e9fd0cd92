/**
 * The run report: one self-contained HTML page (inline SVG, no scripts, nothing fetched) built from a run folder's
 * config.json, metrics.jsonl and checkpoints, with the plots a pre-training team looks at:
 *
 *   loss (training, smoothed, held-out overall and per domain) with spikes, rollbacks and divergence warnings
 *   marked; learning rate; gradient norm with the clipping threshold; per-layer hidden-state variance over steps
 *   and across layers (YuLan-Mini's Figures 3, 4 and 7); the largest residual RMS of every step; attention max
 *   logit and entropy; per-group gradient norms and update-to-weight ratios; WeSaR gate values (from the monitor's
 *   records, or from the checkpoints when the monitor was off); the data mixture by phase; checkpoints and
 *   skipped batches.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { readMetrics, type MetricRecord } from "../util/metrics.js";
import { listCheckpoints, readCheckpointInfo, type SkippedBatches } from "../train/checkpoint.js";
import { openSafetensors } from "../util/safetensors.js";
import { htmlPage, htmlTable } from "./page.js";
import { PRIMARY_METRICS } from "../eval/harness.js";
import { escapeXml, lineChart, PALETTE, rampColor, stackedBars, type PointMark, type Series, type VerticalMark } from "./svg.js";

export class ReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReportError";
  }
}

interface RunData {
  dir: string;
  config: Record<string, any>;
  records: MetricRecord[];
}

function loadRun(dir: string): RunData {
  const metricsPath = join(dir, "metrics.jsonl");
  if (!existsSync(metricsPath)) throw new ReportError(`${dir}: no metrics.jsonl (is this a run folder?)`);
  const configPath = join(dir, "config.json");
  const config = existsSync(configPath) ? JSON.parse(readFileSync(configPath, "utf8")) : {};
  return { dir, config, records: readMetrics(metricsPath, { allowTornLastLine: true }) };
}

const num = (v: unknown): number => (typeof v === "number" ? v : NaN);
const W = 660;
const H = 300;

/** Exponential moving average, restarted at gaps. */
function ema(points: [number, number][], alpha: number): [number, number][] {
  const out: [number, number][] = [];
  let s = NaN;
  for (const [x, y] of points) {
    if (!Number.isFinite(y)) {
      out.push([x, NaN]);
      continue;
    }
    s = Number.isFinite(s) ? alpha * y + (1 - alpha) * s : y;
    out.push([x, s]);
  }
  return out;
}

/** Steps of the surviving history vs. those a rollback abandoned. */
function split(records: MetricRecord[], type: string): { live: MetricRecord[]; abandoned: MetricRecord[] } {
  const all = records.filter((r) => r.type === type && typeof r.step === "number");
  return { live: all.filter((r) => r.abandoned === undefined), abandoned: all.filter((r) => r.abandoned !== undefined) };
}

/** Held-out losses by series name: "all" for val_loss, a domain for val_loss_<d>, val_loss.<d> or a domains object. */
function evalSeries(evals: MetricRecord[]): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  const add = (name: string, step: number, v: unknown) => {
    if (typeof v !== "number") return;
    if (!out.has(name)) out.set(name, []);
    out.get(name)!.push([step, v]);
  };
  for (const e of evals) {
    const step = e.step as number;
    for (const [k, v] of Object.entries(e)) {
      if (k === "val_loss") add("held-out", step, v);
      else if (/^val_loss[._]/.test(k)) add(k.slice(9), step, v);
      else if (v && typeof v === "object" && !Array.isArray(v) && /domain|val/i.test(k)) {
        for (const [d, x] of Object.entries(v as Record<string, unknown>)) {
          add(d, step, typeof x === "number" ? x : (x as { loss?: number; val_loss?: number })?.val_loss ?? (x as { loss?: number })?.loss);
        }
      }
    }
  }
  return out;
}

function marksFor(records: MetricRecord[]): { marks: VerticalMark[]; spikeSteps: Map<number, string> } {
  const marks: VerticalMark[] = [];
  for (const r of records) {
    if (r.abandoned !== undefined) continue;
    if (r.type === "rollback") {
      marks.push({ x: num(r.from_step), color: "#7b1fa2", label: `rollback ${r.rollback}: step ${r.from_step} → ${r.step}`, dash: "6 2" });
    } else if (r.type === "divergence") {
      marks.push({ x: num(r.step), color: "#ef6c00", label: String(r.message) });
    } else if (r.type === "skip") {
      marks.push({ x: num(r.step), color: "#9e9e9e", label: `step ${r.step}: update skipped`, dash: "1 2" });
    }
  }
  const spikeSteps = new Map<number, string>();
  for (const r of records) {
    if (r.type !== "spike") continue;
    const prev = spikeSteps.get(r.step as number);
    const text = `${r.metric} spike at step ${r.step}: ${num(r.value).toPrecision(4)} (z ${num(r.z).toFixed(1)}, ${r.action})` +
      (r.abandoned !== undefined ? " [rolled back]" : "");
    spikeSteps.set(r.step as number, prev ? `${prev}; ${text}` : text);
  }
  return { marks, spikeSteps };
}

function lossChart(run: RunData, marks: VerticalMark[], spikeSteps: Map<number, string>): string {
  const { live, abandoned } = split(run.records, "train");
  const pts = live.map((r) => [r.step as number, num(r.loss)] as [number, number]);
  const series: Series[] = [
    { name: "training loss", points: pts, color: "#9ecae1", width: 1 },
    { name: "smoothed (EMA 0.1)", points: ema(pts, 0.1), color: PALETTE[0], width: 2 },
  ];
  if (abandoned.length) {
    series.push({ name: "rolled back", points: abandoned.map((r) => [r.step as number, num(r.loss)]), color: "#bdbdbd", dash: "2 2" });
  }
  let i = 1;
  for (const [name, p] of evalSeries(run.records.filter((r) => r.type === "eval" && r.abandoned === undefined))) {
    series.push({ name, points: p, color: PALETTE[i++ % PALETTE.length], markers: true, width: name === "held-out" ? 2 : 1.4 });
  }
  const points: PointMark[] = [];
  for (const [step, label] of spikeSteps) {
    const r = [...live, ...abandoned].find((x) => x.step === step);
    if (r && Number.isFinite(num(r.loss))) points.push({ x: step, y: num(r.loss), color: "#d32f2f", label, shape: "triangle" });
  }
  // keep a blow-up from flattening the curve: the axis stops at 1.5× the early loss (about log V) and at the
  // 98th percentile; anything above runs off the top of the chart
  const finite = pts.map((p) => p[1]).filter(Number.isFinite);
  const sorted = [...finite].sort((a, b) => a - b);
  const lo = sorted.length ? sorted[0] : 0;
  const early = Math.max(...finite.slice(0, 5), lo + 1e-6);
  const p98 = sorted.length ? sorted[Math.floor(0.98 * (sorted.length - 1))] : 1;
  const evalMax = Math.max(-Infinity, ...series.slice(2).flatMap((s) => s.points.map((q) => q[1])).filter(Number.isFinite));
  const hi = Math.min(1.5 * early, Math.max(p98, evalMax));
  return lineChart({
    title: "Loss", xLabel: "step", yLabel: "nats per token", width: W, height: H + 40, series, marks, points,
    yMin: lo - 0.05 * (hi - lo), yMax: hi + 0.1 * (hi - lo),
    note: "▲ spike · purple dashes: rollback · orange: divergence warning · grey dots: skipped update",
  });
}

function lrChart(run: RunData): string {
  const { live } = split(run.records, "train");
  return lineChart({
    title: "Learning rate", xLabel: "step", width: W, height: H - 40,
    series: [
      { name: "base (embedding, vectors, gates)", points: live.map((r) => [r.step as number, num(r.lr)]), color: PALETTE[0] },
      { name: "hidden matrices", points: live.map((r) => [r.step as number, num(r.lr_hidden)]), color: PALETTE[1], dash: "5 3" },
    ],
  });
}

function gradChart(run: RunData, marks: VerticalMark[], spikeSteps: Map<number, string>): string {
  const { live } = split(run.records, "train");
  const pts = live.map((r) => [r.step as number, num(r.grad_norm)] as [number, number]);
  const clip = num(run.config.optimizer?.clip);
  const points: PointMark[] = [];
  for (const [step, label] of spikeSteps) {
    const r = live.find((x) => x.step === step);
    if (r && num(r.grad_norm) > 0) points.push({ x: step, y: num(r.grad_norm), color: "#d32f2f", label, shape: "triangle" });
  }
  return lineChart({
    title: "Gradient norm (before clipping)", xLabel: "step", yLog: true, width: W, height: H, marks, points,
    series: [{ name: "global norm", points: pts, color: "#bcbddc", width: 1 }, { name: "smoothed", points: ema(pts, 0.1), color: "#6a51a3", width: 2 }],
    hLines: clip > 0 ? [{ y: clip, color: "#2e7d32", label: `clipping threshold ${clip}` }] : [],
  });
}

type Monitor = MetricRecord & {
  hidden?: Record<string, { rms: number | number[]; var: number | number[] }>;
  attention?: { logit_max: number[]; entropy: number[] };
  params?: Record<string, { grad_norm: number; weight_norm: number; update_ratio: number | null }>;
  gates?: Record<string, number>;
};

function perLayerChart(mons: Monitor[], title: string, pick: (m: Monitor) => number[] | undefined, yLog: boolean, yLabel: string,
  marks: VerticalMark[], note?: string): string | null {
  const L = Math.max(0, ...mons.map((m) => pick(m)?.length ?? 0));
  if (!L) return null;
  const series: Series[] = [];
  for (let l = 0; l < L; l++) {
    series.push({
      name: `layer ${l}`, color: rampColor(l, L), width: 1.6,
      points: mons.map((m) => [m.step as number, pick(m)?.[l] ?? NaN]),
      hideInLegend: L > 12 && l % Math.ceil(L / 12) !== 0 && l !== L - 1,
    });
  }
  return lineChart({ title, xLabel: "step", yLabel, yLog, width: W, height: H + 10, series, marks, note });
}

function acrossLayersChart(mons: Monitor[]): string | null {
  const withHidden = mons.filter((m) => m.hidden?.resid_mlp);
  if (withHidden.length === 0) return null;
  const pickSteps = (n: number) => {
    if (withHidden.length <= n) return withHidden;
    const out: Monitor[] = [];
    for (let i = 0; i < n; i++) out.push(withHidden[Math.round((i * (withHidden.length - 1)) / (n - 1))]);
    return out;
  };
  const chosen = pickSteps(6);
  const series: Series[] = chosen.map((m, i) => {
    const embed = num(m.hidden!.embed?.var);
    const layers = m.hidden!.resid_mlp.var as number[];
    return {
      name: `step ${m.step}`, color: rampColor(i, chosen.length), markers: true,
      points: [[0, embed] as [number, number], ...layers.map((v, l) => [l + 1, v] as [number, number])],
    };
  });
  return lineChart({
    title: "Hidden-state variance across layers", xLabel: "residual stream after l layers (0 = embedding output)",
    yLabel: "variance", yLog: true, width: W, height: H + 10, series,
    note: "exponential growth with depth is a straight rising line (the Figure 3 pattern)",
  });
}

function groupChart(mons: Monitor[], title: string, field: "grad_norm" | "update_ratio", marks: VerticalMark[]): string | null {
  const names = [...new Set(mons.flatMap((m) => Object.keys(m.params ?? {})))];
  if (!names.length) return null;
  const series: Series[] = names.map((n, i) => ({
    name: n, color: PALETTE[i % PALETTE.length], dash: i >= PALETTE.length ? "4 2" : undefined,
    points: mons.map((m) => [m.step as number, (m.params?.[n]?.[field] as number | null | undefined) ?? NaN]),
  }));
  return lineChart({ title, xLabel: "step", yLog: true, width: W, height: H + 30, series, marks });
}

const GATE_KINDS: [string, RegExp][] = [
  ["q_proj_alpha", /q_proj_alpha$/], ["k_proj_alpha", /k_proj_alpha$/], ["v_proj_alpha", /v_proj_alpha$/],
  ["o_proj_alpha", /o_proj_alpha$/], ["gate_up_proj_alpha", /gate_up_proj_alpha$/], ["down_proj_alpha", /down_proj_alpha$/],
  ["input_layernorm_alpha", /input_layernorm_alpha$/], ["post_attention_layernorm_alpha", /post_attention_layernorm_alpha$/],
  ["norm_alpha, lm_head_alpha", /^(model\.norm_alpha|lm_head_alpha)$/],
];

/** Gate values by step: from the monitor's records, or read from every checkpoint when there are none. */
function gateHistory(run: RunData, mons: Monitor[]): { steps: number[]; values: Record<string, number>[]; source: string } {
  const withGates = mons.filter((m) => m.gates && Object.keys(m.gates).length);
  if (withGates.length) return { steps: withGates.map((m) => m.step as number), values: withGates.map((m) => m.gates!), source: "monitor records" };
  const steps: number[] = [];
  const values: Record<string, number>[] = [];
  for (const e of listCheckpoints(run.dir).filter((c) => c.complete).reverse()) {
    const p = join(e.dir, "model.safetensors");
    if (!existsSync(p)) continue;
    const reader = openSafetensors(p);
    try {
      const v: Record<string, number> = {};
      for (const name of reader.names()) if (name.endsWith("_alpha")) v[name] = reader.readF32(name)[0];
      if (Object.keys(v).length) {
        steps.push(e.step);
        values.push(v);
      }
    } finally {
      reader.close();
    }
  }
  return { steps, values, source: "checkpoints" };
}

function gateCharts(run: RunData, mons: Monitor[]): { charts: string[]; source: string } {
  const h = gateHistory(run, mons);
  if (!h.steps.length) return { charts: [], source: h.source };
  const names = Object.keys(h.values[h.values.length - 1]);
  const charts: string[] = [];
  for (const [kind, re] of GATE_KINDS) {
    const members = names.filter((n) => re.test(n)).sort((a, b) => layerOf(a) - layerOf(b));
    if (!members.length) continue;
    const series: Series[] = members.map((n, i) => ({
      name: n.replace(/^model\.layers\.(\d+)\..*$/, "layer $1").replace(/^model\./, ""),
      color: members.length > 2 ? rampColor(i, members.length) : PALETTE[i], markers: h.steps.length < 30,
      points: h.steps.map((s, j) => [s, h.values[j][n] ?? NaN]),
      hideInLegend: members.length > 8 && i % Math.ceil(members.length / 8) !== 0 && i !== members.length - 1,
    }));
    charts.push(lineChart({ title: kind, xLabel: "step", width: 440, height: 260, series }));
  }
  return { charts, source: h.source };
}

/** The in-training evaluation (eval_task records): one chart per task, its primary metrics over steps. */
function taskCharts(run: RunData, marks: VerticalMark[]): string[] {
  const recs = run.records.filter((r) => r.type === "eval_task" && r.abandoned === undefined && !r.skipped);
  const byTask = new Map<string, MetricRecord[]>();
  for (const r of recs) {
    const t = String(r.task);
    if (!byTask.has(t)) byTask.set(t, []);
    byTask.get(t)!.push(r);
  }
  const charts: string[] = [];
  for (const [task, rs] of byTask) {
    const metrics = PRIMARY_METRICS.filter((m) => rs.some((r) => typeof r[m] === "number")).slice(0, 2);
    if (metrics.length === 0) continue;
    const proxyOf = rs[0].proxy_of ? `a proxy of ${String(rs[0].proxy_of)}; ` : "";
    charts.push(lineChart({
      title: task, xLabel: "step", yLabel: metrics.join(", "), width: 440, height: 260, marks,
      series: metrics.map((m, i) => ({ name: m, color: PALETTE[i % PALETTE.length],
        points: rs.filter((r) => typeof r[m] === "number").map((r) => [r.step as number, r[m] as number] as [number, number]) })),
      note: `${proxyOf}${rs[0].n} examples, ${rs[0].shots} shots`,
    }));
  }
  return charts;
}

function layerOf(name: string): number {
  const m = /^model\.layers\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : 1e9;
}

/** The data mixture by phase: curriculum phases when the config has them, else the training files by folder. */
function mixtureChart(run: RunData): string | null {
  const data = run.config.data ?? {};
  const phases = findPhases(data);
  if (phases) {
    return stackedBars({
      title: "Data mixture by phase", width: W,
      rows: phases.map((p) => ({ label: String(p.name ?? "phase"), parts: Object.entries(p.mixture).map(([name, value]) => ({ name, value })) })),
      note: phases.some((p) => typeof p.tokens === "number") ? `token budgets: ${phases.map((p) => `${p.name}: ${fmtCount(num(p.tokens))}`).join(", ")}` : undefined,
    });
  }
  const paths: string[] = Array.isArray(data.paths) ? data.paths : [];
  if (!paths.length) return null;
  const byFolder = new Map<string, number>();
  for (const p of paths) {
    let size = 1;
    try {
      size = statSync(p).size;
    } catch {
      // a file that moved since: count it once
    }
    const key = basename(dirname(p)) || "(root)";
    byFolder.set(key, (byFolder.get(key) ?? 0) + size);
  }
  return stackedBars({
    title: "Data mixture (one phase: the whole run)", width: W,
    rows: [{ label: `all steps (${data.kind ?? "data"})`, parts: [...byFolder].map(([name, value]) => ({ name, value })) }],
    note: `${paths.length} files, shares by bytes, grouped by folder; val_fraction ${data.val_fraction ?? "?"}`,
  });
}

function findPhases(node: any, depth = 0): { name?: string; tokens?: number; mixture: Record<string, number> }[] | null {
  if (!node || typeof node !== "object" || depth > 4) return null;
  if (Array.isArray(node)) {
    if (node.length && node.every((p) => p && typeof p === "object" && p.mixture && typeof p.mixture === "object")) return node;
    return null;
  }
  for (const v of Object.values(node)) {
    const found = findPhases(v, depth + 1);
    if (found) return found;
  }
  return null;
}

function fmtCount(x: number): string {
  if (!Number.isFinite(x)) return "?";
  for (const [d, s] of [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "k"]] as const) if (Math.abs(x) >= d) return `${(x / d).toPrecision(3)}${s}`;
  return String(x);
}

function fmt(x: unknown, d = 4): string {
  return typeof x === "number" && Number.isFinite(x) ? (Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : x.toFixed(d)) : "—";
}

function summary(run: RunData): { html: string; title: string } {
  const c = run.config;
  const m = c.model ?? {};
  const { live, abandoned } = split(run.records, "train");
  const last = live.at(-1);
  const evals = run.records.filter((r) => r.type === "eval" && r.abandoned === undefined);
  const spikes = run.records.filter((r) => r.type === "spike");
  const warnings = run.records.filter((r) => r.type === "divergence" && r.abandoned === undefined);
  const rollbacks = run.records.filter((r) => r.type === "rollback");
  const skips = run.records.filter((r) => r.type === "skip" && r.abandoned === undefined);
  const title = `Run report: ${basename(run.dir)}`;
  const rows: [string, string][] = [
    ["run folder", run.dir],
    ["model", `${m.num_layers} layers, d_model ${m.d_model}, FFN ${m.ffn_size}, heads ${m.num_heads}/${m.num_kv_heads}, vocabulary ${m.vocab_size}`],
    ["recipe switches", [
      m.dim_model_base ? `μP (base ${m.dim_model_base}, ${m.mup_init_rule})` : "standard parametrization",
      m.wesar ? "WeSaR gates" : "no WeSaR", m.qk_layernorm ? "QK-LayerNorm" : "no QK-LayerNorm",
      `residual ×${fmt(m.residual_multiplier, 3)}`, `embedding ×${m.scale_emb}`, `z-loss ${m.z_loss}`,
    ].join(" · ")],
    ["optimizer", `AdamW lr ${c.optimizer?.lr}, β ${c.optimizer?.beta1}/${c.optimizer?.beta2}, weight decay ${c.optimizer?.weight_decay}, clip ${c.optimizer?.clip}`],
    ["progress", `step ${last?.step ?? 0} of ${c.train?.steps ?? "?"}, ${fmtCount(num(last?.tokens))} tokens, ` +
      `${((num(last?.elapsed_seconds) || 0) / 60).toFixed(1)} min`],
    ["loss", `first ${fmt(live[0]?.loss)}, last ${fmt(last?.loss)}; held-out ${evals.length ? fmt(evals.at(-1)!.val_loss) : "—"}`],
    ["stability", `${spikes.filter((s) => s.abandoned === undefined).length} spikes, ${warnings.length} divergence warnings, ` +
      `${skips.length} skipped updates, ${rollbacks.length} rollbacks${abandoned.length ? ` (${abandoned.length} steps abandoned)` : ""}`],
  ];
  let html = `<h1>${escapeXml(title)}</h1>\n<table>${rows.map(([k, v]) => `<tr><th class="l">${escapeXml(k)}</th><td class="l">${escapeXml(v)}</td></tr>`).join("")}</table>`;
  const events = run.records.filter((r) => ["spike", "divergence", "rollback", "skip", "spike_reset"].includes(String(r.type)));
  if (events.length) {
    html += `<h2>Stability events</h2>` + htmlTable(["step", "event", "details"], events.slice(0, 60).map((e) => [
      String(e.step), String(e.type) + (e.abandoned !== undefined ? " (rolled back)" : ""),
      e.type === "spike" ? `${e.metric} ${fmt(e.value)} vs mean ${fmt(e.mean)} ± ${fmt(e.std)} (z ${fmt(e.z, 1)}), ${e.action}`
        : e.type === "divergence" ? String(e.message)
          : e.type === "rollback" ? `from step ${e.from_step} to ${e.step}, ${e.batches} batches skipped (${e.reason})`
            : e.type === "skip" ? `update skipped, ${e.batches} batch(es) at ${JSON.stringify(e.data)}`
              : `${e.consecutive} consecutive spikes: the new level is accepted`,
    ]), [1, 2]);
    if (events.length > 60) html += `<p class="note">… and ${events.length - 60} more in metrics.jsonl</p>`;
  }
  return { html, title };
}

function checkpointSection(run: RunData): string {
  const entries = listCheckpoints(run.dir);
  if (!entries.length) return "<p class=\"note\">No checkpoints.</p>";
  const rows = entries.map((e) => {
    let created = "";
    let skipped: SkippedBatches[] = [];
    if (e.complete) {
      try {
        const info = readCheckpointInfo(e.dir, false);
        created = info.state.created_at;
        skipped = info.state.skipped_batches ?? [];
      } catch {
        created = "unreadable";
      }
    }
    return [String(e.step), e.complete ? "complete" : "incomplete", e.keep ? "kept" : "", created,
      skipped.length ? `${skipped.reduce((a, s) => a + s.batches, 0)} batches (${skipped.length} events)` : "none"];
  });
  return htmlTable(["step", "state", "retention", "written", "skipped batches so far"], rows);
}

/** Builds the report page of a run folder. */
export function buildReport(dir: string): string {
  const run = loadRun(dir);
  const { marks, spikeSteps } = marksFor(run.records);
  const mons = run.records.filter((r) => r.type === "monitor" && r.abandoned === undefined) as Monitor[];
  const head = summary(run);
  const parts: string[] = [head.html];

  parts.push(`<h2>Training</h2><div class="grid">${lossChart(run, marks, spikeSteps)}${gradChart(run, marks, spikeSteps)}${lrChart(run)}`);
  const { live } = split(run.records, "train");
  if (live.some((r) => typeof r.hidden_rms === "number")) {
    parts.push(lineChart({
      title: "Largest residual-stream RMS, every step", xLabel: "step", yLog: true, width: W, height: H - 40, marks,
      series: [{ name: "max over layers", points: live.map((r) => [r.step as number, num(r.hidden_rms)]), color: "#00897b" }],
      note: "from the RMSNorms' own statistics; the divergence warning watches its growth",
    }));
  }
  parts.push("</div>");

  if (mons.length) {
    const hidden: string[] = [];
    const add = (c: string | null) => c && hidden.push(c);
    add(perLayerChart(mons, "Residual-stream variance after each layer (MLP sub-layer)", (m) => m.hidden?.resid_mlp?.var as number[], true, "variance", marks,
      "per-token variance over the width, mean over tokens"));
    add(acrossLayersChart(mons));
    add(perLayerChart(mons, "Residual-stream variance after the attention sub-layer", (m) => m.hidden?.resid_attn?.var as number[], true, "variance", marks));
    add(perLayerChart(mons, "Input RMSNorm output variance", (m) => m.hidden?.norm_in?.var as number[], true, "variance", marks));
    add(perLayerChart(mons, "Post-attention RMSNorm output variance", (m) => m.hidden?.norm_post?.var as number[], true, "variance", marks));
    add(perLayerChart(mons, "Attention output variance (before o_proj)", (m) => m.hidden?.attn_out?.var as number[], true, "variance", marks));
    add(perLayerChart(mons, "Attention branch RMS (added to the residual)", (m) => m.hidden?.attn_branch?.rms as number[], true, "RMS", marks));
    add(perLayerChart(mons, "MLP branch RMS (added to the residual)", (m) => m.hidden?.mlp_branch?.rms as number[], true, "RMS", marks));
    parts.push(`<h2>Hidden states (monitored every ${run.config.monitor?.every ?? "?"} steps)</h2><div class="grid">${hidden.join("\n")}</div>`);
    const att: string[] = [];
    const a1 = perLayerChart(mons, "Max attention logit", (m) => m.attention?.logit_max, false, "scale·q·k", marks);
    const a2 = perLayerChart(mons, "Attention entropy", (m) => m.attention?.entropy, false, "nats", marks);
    if (a1) att.push(a1);
    if (a2) att.push(a2);
    if (att.length) parts.push(`<h2>Attention</h2><div class="grid">${att.join("\n")}</div>`);
    const g1 = groupChart(mons, "Gradient norm by parameter group (before clipping)", "grad_norm", marks);
    const g2 = groupChart(mons, "Update-to-weight ratio ‖ΔW‖/‖W‖ by parameter group", "update_ratio", marks);
    if (g1 || g2) parts.push(`<h2>Parameter groups</h2><div class="grid">${g1 ?? ""}${g2 ?? ""}</div>`);
  } else {
    parts.push(`<h2>Hidden states</h2><p class="note">No monitor records in metrics.jsonl (monitor.every was 0).</p>`);
  }
  const gates = gateCharts(run, mons);
  if (gates.charts.length) parts.push(`<h2>WeSaR gates (from the ${gates.source})</h2><div class="grid">${gates.charts.join("\n")}</div>`);
  else parts.push(`<h2>WeSaR gates</h2><p class="note">This run has no WeSaR gates (model.wesar is false).</p>`);
  const evalCharts = taskCharts(run, marks);
  if (evalCharts.length) {
    parts.push(`<h2>Evaluation during training (evaluation.every = ${run.config.evaluation?.every ?? "?"})</h2>` +
      `<div class="grid">${evalCharts.join("\n")}</div>`);
  }
  const mix = mixtureChart(run);
  if (mix) parts.push(`<h2>Data</h2><div class="grid">${mix}</div>`);
  parts.push(`<h2>Checkpoints</h2>${checkpointSection(run)}`);
  parts.push(`<p class="note">Generated by pretrain report from ${escapeXml(join(dir, "metrics.jsonl"))} (${run.records.length} records). ` +
    "Metric names: docs/stability.md.</p>");
  return htmlPage(head.title, parts.join("\n"));
}
