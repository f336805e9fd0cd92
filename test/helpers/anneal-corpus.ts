/**
 * A tiny tokenized corpus (two domains of real text, `prose` and `code`, train and valid shards) with its
 * tokenizer, and a recipe over it whose curriculum has a stable phase on prose and an annealing phase that
 * switches to code, raises the sequence length and RoPE θ, and starts the 1−√ decay: the material of the
 * `pretrain anneal` tests. The two phases use disjoint domains, so an annealing run branched from the stable
 * phase's last checkpoint sees exactly the batches the full run's annealing phase saw.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { domainIndex, INDEX_FORMAT, makeDomainDir, SplitWriter, writeIndex, type DomainIndex } from "../../src/data/tokens/shard-set.js";
import { saveTokenizer } from "../../src/tokenizer/bpe/io.js";
import { smallTokenizer } from "../tokenizer/helpers.js";

export interface AnnealCorpus {
  data: string;
  tok: string;
}

export async function annealCorpus(dir: string): Promise<AnnealCorpus> {
  const tokenizer = await smallTokenizer();
  const tok = join(dir, "tok");
  saveTokenizer(tok, tokenizer);
  const sha = createHash("sha256").update(readFileSync(join(tok, "tokenizer.json"))).digest("hex");
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
  return { data, tok };
}

/**
 * The recipe as a plain object: 5 stable steps (2 rows × 16 tokens, θ 10000, prose) then 3 annealing steps
 * (2 rows × 32 tokens, θ 40000, code), the decay from step 5 to the end, 1−√ down to end_lambda 0.1.
 */
export function annealRecipe(dir: string, corpus: AnnealCorpus, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    seed: 7, out_dir: join(dir, "stable"),
    model: { num_layers: 1, d_model: 32, ffn_size: 64, num_heads: 2, num_kv_heads: 1, vocab_size: 1024, max_seq_len: 32,
      dim_model_base: 16, init_std: 0.02, bos_token_id: 1, eos_token_id: 2 },
    optimizer: { lr: 1e-2 },
    schedule: { warmup_steps: 2, decay_shape: "1-sqrt", end_lambda: 0.1 },
    data: { kind: "shards", dir: corpus.data, tokenizer: corpus.tok },
    train: { batch_size: 2, seq_len: 16, eval_every: 0, eval_batches: 1, checkpoint_every: 0, keep_last: 2 },
    curriculum: {
      phases: [
        { name: "stable", tokens: 2 * 16 * 5, mixture: { prose: 1 } },
        { name: "anneal", tokens: 2 * 32 * 3, mixture: { code: 1 }, seq_len: 32, rope_theta: 40000,
          decay_starts: true, anneal: true },
      ],
    },
    ...extra,
  };
}

/** Writes the recipe as JSON and returns its path. */
export function writeRecipe(path: string, recipe: Record<string, unknown>): string {
  writeFileSync(path, JSON.stringify(recipe, null, 2) + "\n");
  return path;
}
