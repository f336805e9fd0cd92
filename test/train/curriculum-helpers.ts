/** Shared material for the curriculum training tests: a small two-domain shard corpus and a run configuration. */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { resolveRunConfig, type RunConfig } from "../../src/train/config.js";
import { domainIndex, INDEX_FORMAT, makeDomainDir, SplitWriter, writeIndex, type DomainIndex } from "../../src/data/tokens/shard-set.js";
import { saveTokenizer } from "../../src/tokenizer/bpe/io.js";
import { smallTokenizer } from "../tokenizer/helpers.js";

/** Two domains of real text, tokenized with the test tokenizer, EOS after each document. */
export async function corpus(dir: string): Promise<{ data: string; tok: string }> {
  const tokenizer = await smallTokenizer();
  const tokDir = join(dir, "tok");
  saveTokenizer(tokDir, tokenizer);
  const sha = createHash("sha256").update(readFileSync(join(tokDir, "tokenizer.json"))).digest("hex");
  const data = join(dir, "shards");
  const texts: Record<string, string[]> = {
    prose: Array.from({ length: 60 }, (_, i) => `The ${i}th package is installed with npm install, which reads package.json and writes the lock file.`),
    code: Array.from({ length: 60 }, (_, i) => `export function f${i}(x: number): number {\n  return x * ${i} + ${i % 7};\n}\n`),
  };
  const domains: Record<string, DomainIndex> = {};
  for (const [d, docs] of Object.entries(texts)) {
    const meta = { vocab_size: tokenizer.vocabSize, tokenizer_sha256: sha, domain: d };
    const ddir = makeDomainDir(data, d);
    const train = new SplitWriter(ddir, "train", meta, 2000);
    const valid = new SplitWriter(ddir, "valid", meta, 2000);
    docs.forEach((t, i) => (i % 10 === 9 ? valid : train).add([...tokenizer.encode(t), tokenizer.eosId!]));
    domains[d] = domainIndex(train.close(), valid.close());
  }
  writeIndex(data, { format: INDEX_FORMAT, version: 1, vocab_size: tokenizer.vocabSize, eos_id: tokenizer.eosId!, tokenizer_sha256: sha, domains });
  return { data, tok: tokDir };
}

/** A tiny model over the corpus with a stable phase (5 steps) and an annealing phase (3 steps, context extension). */
export function config(dir: string, name: string, paths: { data: string; tok: string }, extra: Record<string, unknown> = {}): RunConfig {
  return resolveRunConfig({
    seed: 7, out_dir: join(dir, name),
    model: { num_layers: 1, d_model: 32, ffn_size: 64, num_heads: 2, num_kv_heads: 1, vocab_size: 1024, max_seq_len: 32,
      dim_model_base: 16, init_std: 0.02, bos_token_id: 1, eos_token_id: 2 },
    optimizer: { lr: 1e-2 },
    schedule: { warmup_steps: 2 },
    data: { kind: "shards", dir: paths.data, tokenizer: paths.tok },
    train: { batch_size: 2, seq_len: 16, eval_every: 3, eval_batches: 1, checkpoint_every: 2, keep_last: 10 },
    curriculum: {
      phases: [
        { name: "stable", tokens: 2 * 16 * 5, mixture: { prose: 3, code: 1 } },
        { name: "anneal", tokens: 2 * 32 * 3, mixture: { prose: 1, code: 1 }, seq_len: 32, rope_theta: 40000,
          decay_starts: true, anneal: true, doc_mask: true },
      ],
    },
    ...extra,
  });
}

export const quiet = { log: () => {}, progress: null } as const;
