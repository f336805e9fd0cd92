/**
 * Results as Markdown tables: one run (task, metric, value ± stderr, throughput), the lengths × depths grid of a
 * retrieval task, the domains of a perplexity task, several checkpoints side by side, and the in-training
 * evaluation history of a run's metrics file.
 */
import type { EvalResults } from "./harness.js";
import type { TaskResult } from "./types.js";

export function fmt(x: number | undefined | null, digits = 3): string {
  if (x === undefined || x === null || Number.isNaN(x)) return "—";
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return x.toExponential(2);
  return x.toFixed(a >= 100 ? 1 : digits);
}

/** Metrics shown in the summary table (the per-length and per-domain ones have their own tables). */
function shownMetrics(r: TaskResult): string[] {
  return Object.keys(r.metrics).filter((m) => !m.includes("/") && m !== "chance" && m !== "chance_choice" && m !== "generated_tokens");
}

export function resultsTable(res: EvalResults): string {
  const lines = [
    `model: ${res.model.path} (${res.model.kind}${res.model.step !== null ? `, step ${res.model.step}` : ""}, ` +
      `${res.model.parameters.toLocaleString("en-US")} parameters, context ${res.model.context})`,
    "",
    "| task | imitates | n | shots | metric | value | ± | examples/s |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const r of Object.values(res.tasks)) {
    if (r.skipped) {
      lines.push(`| ${r.task} | ${r.proxy_of ?? "—"} | 0 | — | skipped | ${r.skipped} | | |`);
      continue;
    }
    shownMetrics(r).forEach((m, i) => {
      lines.push(`| ${i === 0 ? r.task : ""} | ${i === 0 ? r.proxy_of ?? "—" : ""} | ${i === 0 ? r.n : ""} | ${i === 0 ? r.shots : ""} | ` +
        `${m} | ${fmt(r.metrics[m])} | ${r.stderr[m] !== undefined ? fmt(r.stderr[m]) : ""} | ${i === 0 ? fmt(r.examples_per_s, 2) : ""} |`);
    });
  }
  for (const r of Object.values(res.tasks)) {
    if (r.kind === "retrieval" && r.details) lines.push("", ...retrievalTable(r));
    if (r.kind === "perplexity" && r.details) lines.push("", ...perplexityTable(r));
  }
  return lines.join("\n") + "\n";
}

export function retrievalTable(r: TaskResult): string[] {
  const d = r.details as { lengths: number[]; depths: number[]; acc_generate: number[][]; acc_choice: number[][]; skipped_lengths: number[]; context: number };
  const out: string[] = [];
  for (const [title, grid] of [["acc_generate (greedy string match)", d.acc_generate], ["acc_choice (value among 5 candidates)", d.acc_choice]] as const) {
    out.push(`${r.task}: ${title}, rows = haystack length in tokens, columns = needle depth`, "",
      `| length | ${d.depths.map((x) => `depth ${x}`).join(" | ")} |`, `|---|${d.depths.map(() => "---").join("|")}|`);
    d.lengths.forEach((L, i) => out.push(`| ${L} | ${grid[i].map((v) => fmt(v, 2)).join(" | ")} |`));
    for (const L of d.skipped_lengths) out.push(`| ${L} | ${d.depths.map(() => "n/a").join(" | ")} |`);
    out.push("");
  }
  if (d.skipped_lengths.length) {
    out.push(`(n/a: longer than the model's context of ${d.context} tokens, or too short to hold the needle and the question)`);
  }
  return out;
}

export function perplexityTable(r: TaskResult): string[] {
  const domains = (r.details as { domains: Record<string, { documents: number; tokens: number; bytes: number; bits_per_byte: number; token_ppl: number }> }).domains;
  const out = [`${r.task}: by domain`, "", "| domain | documents | bytes | tokens | bits/byte | token ppl |", "|---|---|---|---|---|---|"];
  for (const [name, d] of Object.entries(domains)) {
    out.push(`| ${name} | ${d.documents} | ${d.bytes} | ${d.tokens} | ${fmt(d.bits_per_byte)} | ${fmt(d.token_ppl)} |`);
  }
  return out;
}

export interface LabeledResults {
  label: string;
  results: EvalResults;
}

/** Rows: every (task, metric) any run has, per-length and per-domain metrics included; columns: the runs. */
export function compareTable(runs: readonly LabeledResults[]): string {
  const rows: [string, string][] = [];
  const seen = new Set<string>();
  for (const run of runs) {
    for (const r of Object.values(run.results.tasks)) {
      for (const m of Object.keys(r.metrics)) {
        if (m.startsWith("chance") || m === "generated_tokens" || m.startsWith("token_ppl")) continue;
        const k = `${r.task}\u0000${m}`;
        if (!seen.has(k)) {
          seen.add(k);
          rows.push([r.task, m]);
        }
      }
    }
  }
  const lines = [`| task | metric | ${runs.map((r) => r.label).join(" | ")} |`, `|---|---|${runs.map(() => "---").join("|")}|`];
  let last = "";
  for (const [task, m] of rows) {
    const cells = runs.map((run) => {
      const r = run.results.tasks[task];
      if (!r) return "";
      if (r.skipped) return "skipped";
      return fmt(r.metrics[m]);
    });
    lines.push(`| ${task === last ? "" : task} | ${m} | ${cells.join(" | ")} |`);
    last = task;
  }
  return lines.join("\n") + "\n";
}

/** The eval_task records of a metrics file as a table: rows (task, metric), columns the steps. */
export function historyTable(records: readonly Record<string, unknown>[]): string {
  const evals = records.filter((r) => r.type === "eval_task");
  const steps = [...new Set(evals.map((r) => r.step as number))].sort((a, b) => a - b);
  const skip = new Set(["type", "step", "task", "kind", "n", "shots", "seconds", "examples_per_s", "proxy_of", "tokens"]);
  const rows: [string, string][] = [];
  const seen = new Set<string>();
  const value = new Map<string, number>();
  for (const r of evals) {
    for (const [m, v] of Object.entries(r)) {
      if (skip.has(m) || typeof v !== "number" || m.startsWith("chance") || m.startsWith("token_ppl")) continue;
      const k = `${r.task}\u0000${m}`;
      if (!seen.has(k)) {
        seen.add(k);
        rows.push([r.task as string, m]);
      }
      value.set(`${k}\u0000${r.step}`, v);
    }
  }
  if (rows.length === 0) return "no eval_task records (in-training evaluation was not enabled)\n";
  const lines = [`| task | metric | ${steps.map((s) => `step ${s}`).join(" | ")} |`, `|---|---|${steps.map(() => "---").join("|")}|`];
  let last = "";
  for (const [task, m] of rows) {
    lines.push(`| ${task === last ? "" : task} | ${m} | ${steps.map((s) => fmt(value.get(`${task}\u0000${m}\u0000${s}`))).join(" | ")} |`);
    last = task;
  }
  return lines.join("\n") + "\n";
}
