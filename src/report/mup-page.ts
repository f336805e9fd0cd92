/** The μP coordinate check as a page: one log-log chart per activation, RMS against width, μP and SP, every step. */
import { MUP_ACTIVATIONS, type MupActivation, type MupCheckResult } from "../train/mup-check.js";
import { htmlPage, htmlTable } from "./page.js";
import { escapeXml, lineChart, type Series } from "./svg.js";

const TITLES: Record<MupActivation, string> = {
  embed: "embedding output x₀",
  attn_branch: "attention branch s·α_o·(o·W_oᵀ)",
  mlp_branch: "MLP branch s·α_down·(m·W_downᵀ)",
  residual: "residual stream x_L",
  logits: "output logits",
};

const COLORS = { mup: "#4e79a7", sp: "#e15759" } as const;

/** The table printed by `pretrain mup-check`: RMS after the last step by width, and the log-log slope. */
export function mupCheckTable(r: MupCheckResult): { head: string[]; rows: string[][] } {
  const o = r.options;
  const head = ["activation", ...o.widths.flatMap((w) => [`μP d=${w}`]), "μP slope", ...o.widths.map((w) => `SP d=${w}`), "SP slope"];
  const rows = MUP_ACTIVATIONS.map((a) => {
    const at = (p: "mup" | "sp", w: number) => r.rows.find((x) => x.parametrization === p && x.width === w && x.step === o.steps)!.rms[a];
    return [a, ...o.widths.map((w) => at("mup", w).toExponential(2)), r.slopes.mup[a].toFixed(2),
      ...o.widths.map((w) => at("sp", w).toExponential(2)), r.slopes.sp[a].toFixed(2)];
  });
  return { head, rows };
}

export function mupCheckPage(r: MupCheckResult): string {
  const o = r.options;
  const charts = MUP_ACTIVATIONS.map((a) => {
    const series: Series[] = [];
    for (const p of ["mup", "sp"] as const) {
      for (let s = 0; s <= o.steps; s++) {
        const pts = o.widths.map((w) => [w, r.rows.find((x) => x.parametrization === p && x.width === w && x.step === s)!.rms[a]] as const);
        series.push({
          name: `${p === "mup" ? "μP" : "SP"} step ${s}`, points: pts, color: COLORS[p], markers: s === o.steps,
          width: s === o.steps ? 2.2 : 1, opacity: s === o.steps ? 1 : 0.25 + (0.5 * s) / o.steps,
          dash: s === 0 ? "3 3" : undefined, hideInLegend: s !== o.steps && s !== 0,
        });
      }
    }
    return lineChart({
      title: TITLES[a], xLabel: "width d_model", yLabel: "coordinate RMS", xLog: true, yLog: true, width: 440, height: 300,
      series, xTicks: o.widths, note: `slope after step ${o.steps}: μP ${r.slopes.mup[a].toFixed(2)}, SP ${r.slopes.sp[a].toFixed(2)}`,
    });
  });
  const t = mupCheckTable(r);
  const body = `<h1>μP coordinate check</h1>
<p class="sub">${o.layers} layers, head_dim ${o.headDim}, ${o.rows}×${o.seq} tokens a step, vocabulary ${o.vocab}, Adam lr ${o.lr}
(no clipping, no weight decay, no warmup), init σ ${o.initStd}; ${o.steps} steps at widths ${o.widths.join(", ")}.
μP: dim_model_base ${Math.min(...o.widths)} (hidden lr ÷ m, init σ/√m and σ/√(2mL), logits ÷ m); SP: none of it.
Dashed: at initialization; faint: after each step; solid: after step ${o.steps}.
Under μP the lines stay flat as the width grows; under SP they climb.</p>
<div class="grid">${charts.join("\n")}</div>
<h2>RMS after step ${o.steps}, and the slope of log RMS against log width</h2>
${htmlTable(t.head, t.rows)}
<p class="note">${escapeXml("A slope of 0 means the coordinates do not change size with width; 1 means they grow in proportion to it.")}</p>`;
  return htmlPage("μP coordinate check", body);
}
