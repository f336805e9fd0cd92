/**
 * A tiny tokenized corpus (two domains of real text, `prose` and `code`, train and valid shards) with its
 * tokenizer, and a recipe over it whose curriculum has a stable phase on prose and an annealing phase that
 * switches to code, raises the sequence length and RoPE θ, and starts the 1−√ decay: the material of the
 * `pretrain anneal` tests. The two phases use disjoint domains, so an annealing run branched from the stable
 * phase's last checkpoint sees exactly the batches the full run's annealing phase saw.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { corpus } from "../train/curriculum-helpers.js";

export interface AnnealCorpus {
  data: string;
  tok: string;
}

/** The curriculum tests' two-domain corpus (test/train/curriculum-helpers.ts). */
export const annealCorpus = (dir: string): Promise<AnnealCorpus> => corpus(dir);

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
