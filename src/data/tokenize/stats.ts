/**
 * Statistics of a tokenize run: documents, tokens and bytes per domain and split, printed as a table, written to
 * `<out>/tokenize-stats.json` and printed as JSON with --json.
 *
 * `tokens` counts what is in the shards (end-of-text tokens included), so it matches the index; bytes per token
 * is UTF-8 bytes of text ÷ tokens of text (end-of-text tokens excluded), the compression `pretrain tokenizer
 * stats` reports.
 */
import { formatCount } from "../../util/progress.js";
import type { Split } from "../tokens/shard-set.js";

export interface SplitStats {
  documents: number;
  tokens: number;
  /** UTF-8 bytes of the documents' text */
  bytes: number;
  bytes_per_token: number;
  shards: number;
}

export interface DomainStats {
  inputs: string[];
  files: number;
  train: SplitStats;
  valid: SplitStats;
  rejected: number;
}

export interface TokenizeStats {
  out: string;
  tokenizer: string;
  tokenizer_sha256: string;
  vocab_size: number;
  eos_id: number;
  dtype: string;
  valid_fraction: number;
  seed: number;
  shard_tokens: number;
  text_field: string;
  threads: number;
  files: number;
  documents: number;
  tokens: number;
  bytes: number;
  bytes_per_token: number;
  rejected: number;
  rejected_by_reason: Record<string, number>;
  seconds: number;
  /** input text (UTF-8 bytes) tokenized per second, wall time */
  bytes_per_second: number;
  tokens_per_second: number;
  domains: Record<string, DomainStats>;
}

export function emptySplit(): SplitStats {
  return { documents: 0, tokens: 0, bytes: 0, bytes_per_token: 0, shards: 0 };
}

/** bytes ÷ text tokens (the end-of-text token of each document left out); 0 when there is no text. */
export function bytesPerToken(s: Pick<SplitStats, "documents" | "tokens" | "bytes">): number {
  const text = s.tokens - s.documents;
  return text > 0 ? s.bytes / text : 0;
}

export function sumSplits(parts: SplitStats[]): SplitStats {
  const s = emptySplit();
  for (const p of parts) {
    s.documents += p.documents;
    s.tokens += p.tokens;
    s.bytes += p.bytes;
    s.shards += p.shards;
  }
  s.bytes_per_token = bytesPerToken(s);
  return s;
}

const num = (n: number) => n.toLocaleString("en-US");

/** The table printed at the end of a run. */
export function formatStats(s: TokenizeStats): string {
  const rows: string[][] = [["domain", "split", "documents", "tokens", "MB", "bytes/token", "shards"]];
  const row = (domain: string, split: string, x: SplitStats) => rows.push([
    domain, split, num(x.documents), num(x.tokens), (x.bytes / 1e6).toFixed(2), x.bytes_per_token.toFixed(3), String(x.shards),
  ]);
  for (const [name, d] of Object.entries(s.domains)) {
    for (const split of ["train", "valid"] as Split[]) row(name, split, d[split]);
  }
  const all = (split: Split) => sumSplits(Object.values(s.domains).map((d) => d[split]));
  row("total", "train", all("train"));
  row("total", "valid", all("valid"));
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const text = rows.map((r) => r.map((v, c) => (c < 2 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join("  ").trimEnd());
  const reasons = Object.entries(s.rejected_by_reason).map(([k, v]) => `${k}: ${v}`).join(", ");
  return [
    `tokenized ${num(s.files)} files into ${s.out} in ${s.seconds.toFixed(1)} s with ${s.threads} thread${s.threads === 1 ? "" : "s"}: ` +
      `${num(s.documents)} documents, ${num(s.tokens)} tokens (${s.dtype}), ` +
      `${(s.bytes_per_second / 1e6).toFixed(2)} MB/s, ${formatCount(s.tokens_per_second)} tokens/s`,
    `tokenizer ${s.tokenizer} (vocabulary ${num(s.vocab_size)}, end-of-text ${s.eos_id}, sha256 ${s.tokenizer_sha256.slice(0, 16)}…)`,
    "",
    ...text,
    "",
    s.rejected === 0 ? "rejected 0 records" : `rejected ${num(s.rejected)} record${s.rejected === 1 ? "" : "s"} (${reasons}): see ${s.out}/rejected.jsonl`,
    "",
  ].join("\n");
}
