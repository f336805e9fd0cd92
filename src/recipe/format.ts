/** The human-readable summary of `pretrain run` (summary.json holds the same, and more). */
import type { LabeledResults } from "../eval/table.js";
import { compareTable } from "../eval/table.js";
import type { RunSummary } from "./run.js";

const f3 = (x: number | null | undefined) => (x === null || x === undefined ? "—" : x.toFixed(3));

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => "  " + r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join("  ");
  return [line(head), ...rows.map(line)];
}

function duration(s: number): string {
  return s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${s.toFixed(1)} s`;
}

export function formatRunSummary(s: RunSummary): string {
  const out: string[] = ["", `== pretrain run: ${s.recipe} → ${s.out_dir} (${duration(s.seconds)}) ==`, "", "stages:"];
  for (const st of s.stages) out.push(`  ${st.stage.padEnd(10)} ${(st.reused ? "reused" : duration(st.seconds)).padStart(14)}   ${st.line}`);
  if (s.data?.tokens) {
    out.push("", "data (tokens per domain after cleaning):");
    const rows = Object.entries(s.data.tokens).map(([d, t]) => {
      const c = s.data?.clean?.domains[d];
      return [d, c ? `${c.docs_in} → ${c.docs_out}` : "—", t.train.toLocaleString("en-US"), t.valid.toLocaleString("en-US"), t.bytes_per_token.toFixed(2)];
    });
    out.push(...table(["domain", "documents kept", "train tokens", "valid tokens", "bytes/token"], rows));
  }
  if (s.train) {
    out.push("", `training: ${s.parameters.toLocaleString("en-US")} parameters, ${s.train.steps} steps, ` +
      `${s.train.tokens.toLocaleString("en-US")} tokens, loss ${f3(s.train.first_loss)} → ${f3(s.train.last_loss)} nats/token` +
      (s.train.median_tokens_per_s ? `, median ${Math.round(s.train.median_tokens_per_s).toLocaleString("en-US")} tokens/s` : ""));
    if (s.train.phases.length) {
      out.push(...table(["phase", "steps", "rows × seq", "RoPE θ", "loss at its end"], s.train.phases.map((p) => [
        p.name + (p.anneal && !/anneal/i.test(p.name) ? " (anneal)" : ""), `${p.first_step}–${p.last_step}`, `${p.rows} × ${p.seq}`,
        String(p.rope_theta), f3(p.final_loss),
      ])));
    }
  }
  const h = s.held_out;
  if (h && h.checkpoints.length) {
    const domains = Object.keys(h.checkpoints[0].domains);
    const bpb = (d: string, x: number | null) => (x === null || !h.bytes_per_token[d] ? "" : ` (${(x / Math.LN2 / h.bytes_per_token[d]).toFixed(2)} bpb)`);
    out.push("", `held-out loss per domain at ${h.base_seq} tokens, nats/token (bits per byte):`);
    out.push(...table(["domain", ...h.checkpoints.map((c) => c.label)],
      domains.map((d) => [d, ...h.checkpoints.map((c) => f3(c.domains[d]?.base) + bpb(d, c.domains[d]?.base ?? null))])));
    if (h.long_seq > h.base_seq) {
      out.push("", `context extension: held-out loss at ${h.long_seq} tokens on positions ${h.base_seq}–${h.long_seq - 1} only ` +
        `(RoPE θ ${h.checkpoints.map((c) => c.rope_theta).join(" → ")}):`);
      out.push(...table(["domain", ...h.checkpoints.map((c) => c.label)],
        domains.map((d) => [d, ...h.checkpoints.map((c) => f3(c.domains[d]?.tail))])));
    }
  }
  if (s.tasks) out.push("", "proxy tasks (offline stand-ins, not the benchmarks they imitate; docs/eval.md):", "", compareTable(s.tasks as LabeledResults[]));
  if (s.samples.length) {
    out.push("", "samples from the final model (temperature 0.7, seed 1):");
    for (const x of s.samples) out.push(`  [${x.label}] ${JSON.stringify(x.text)}`);
  }
  out.push("", `run folder: ${s.out_dir} (summary.json, metrics.jsonl, checkpoints/, config.json${s.report ? ", report.html" : ""})`);
  if (s.train?.checkpoint) {
    out.push(`next: pretrain generate --model ${s.out_dir} --prompt "..." · pretrain eval compare · pretrain export ${s.out_dir} --format gguf`);
  }
  return out.join("\n") + "\n";
}
