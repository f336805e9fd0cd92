/**
 * Shared pieces of the stability tests: a small word corpus, a tiny run configuration, a token source that
 * corrupts the batches at chosen data positions (a spike injected through the data, deterministic under resume
 * and rollback because it keys on the position, not on a call count), and readers of the metrics file.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { resolveRunConfig, type RunConfig } from "../../src/train/config.js";
import { readByteCorpus, TokenStreamSource, type TextSourceState } from "../../src/data/text-source.js";
import type { TokenSource } from "../../src/data/source.js";
import type { Batch } from "../../src/model/batch.js";
import { ByteTokenizer } from "../../src/tokenizer/bytes.js";
import { readMetrics, type MetricRecord } from "../../src/util/metrics.js";
import { seeded } from "../helpers/random.js";

export const tok = new ByteTokenizer();
export const quiet = { log: () => {}, progress: null } as const;

export function writeCorpus(dir: string, chars = 40000): string {
  const u = seeded(5);
  const words = ["the", "model", "learns", "data", "of", "a", "small", "lab", "and", "tokens", "schedule", "decay"];
  let text = "";
  while (text.length < chars) text += words[Math.floor(u() * words.length)] + (u() < 0.1 ? ".\n" : " ");
  const p = join(dir, "corpus.txt");
  writeFileSync(p, text);
  return p;
}

/** A deep-merged run configuration: a 2-layer, 16-wide model on the corpus, overridable section by section. */
export function tinyConfig(dir: string, outName: string, overrides: Record<string, Record<string, unknown> | number> = {}): RunConfig {
  const base: Record<string, Record<string, unknown> | number | string> = {
    seed: 3,
    out_dir: join(dir, outName),
    model: { num_layers: 2, d_model: 16, ffn_size: 24, num_heads: 2, num_kv_heads: 1, vocab_size: 259, max_seq_len: 32,
      dim_model_base: 8, init_std: 0.02 },
    optimizer: { lr: 1e-2 },
    schedule: { warmup_steps: 2 },
    data: { paths: [join(dir, "corpus.txt")], val_fraction: 0.1 },
    train: { steps: 12, batch_size: 2, seq_len: 16, checkpoint_every: 4, keep_last: 3 },
    monitor: { every: 5 },
  };
  for (const [key, v] of Object.entries(overrides)) {
    const cur = base[key];
    base[key] = typeof v === "object" && typeof cur === "object" ? { ...cur, ...v } : v;
  }
  return resolveRunConfig(base);
}

/**
 * The text source, except that batches starting at the given training-row positions (epoch 0) have every
 * target replaced by token 258, which never occurs in the text: a corrupted batch whose loss is far above the rest.
 */
export class CorruptingSource implements TokenSource {
  readonly inner: TokenStreamSource;
  readonly vocabSize: number;
  /** how many corrupted batches were handed out */
  corrupted = 0;

  constructor(cfg: RunConfig, private readonly atRows: Set<number>) {
    this.inner = new TokenStreamSource(readByteCorpus(cfg.data.paths, tok.eosId), tok.vocabSize, cfg.seed, cfg.data.val_fraction);
    this.vocabSize = this.inner.vocabSize;
  }

  next(rows: number, seq: number): Batch {
    const at = this.inner.state();
    const b = this.inner.next(rows, seq);
    if (at.epoch === 0 && this.atRows.has(at.index)) {
      b.targets.fill(258);
      this.corrupted++;
    }
    return b;
  }

  validation(rows: number, seq: number, maxBatches: number): Batch[] {
    return this.inner.validation(rows, seq, maxBatches);
  }

  state(): TextSourceState {
    return this.inner.state();
  }

  restore(state: unknown): void {
    this.inner.restore(state);
  }

  describe(): string {
    return `corrupting ${this.inner.describe()}`;
  }
}

export function plainSource(cfg: RunConfig): TokenStreamSource {
  return new TokenStreamSource(readByteCorpus(cfg.data.paths, tok.eosId), tok.vocabSize, cfg.seed, cfg.data.val_fraction);
}

export function records(outDir: string, type?: string): MetricRecord[] {
  const all = readMetrics(join(outDir, "metrics.jsonl"));
  return type ? all.filter((r) => r.type === type) : all;
}

/** Train records of the run's surviving history (not abandoned by a rollback). */
export function trainRecords(outDir: string): MetricRecord[] {
  return records(outDir, "train").filter((r) => r.abandoned === undefined);
}
