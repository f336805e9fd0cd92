/** A tiny training run on book text, for the callback and command-line tests. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Kernels } from "../../src/kernels/types.js";
import { resolveRunConfig, type RunConfig } from "../../src/train/config.js";
import { readByteCorpus, TokenStreamSource } from "../../src/data/text-source.js";
import { train, type TrainerCallback, type TrainSummary } from "../../src/train/trainer.js";
import { mobyDickChapters } from "../../src/eval/proxies/sources.js";
import { isHeldOutChapter } from "../../src/eval/proxies/holdout.js";
import { tok } from "./helpers.js";

export function tinyRunConfig(dir: string, name: string, steps: number, overrides: Record<string, unknown> = {}): RunConfig {
  const corpus = join(dir, "corpus.txt");
  writeFileSync(corpus, mobyDickChapters().filter((c) => !isHeldOutChapter(c.number)).slice(0, 3).map((c) => c.text).join("\n\n"));
  return resolveRunConfig({
    seed: 5, out_dir: join(dir, name),
    model: { num_layers: 1, d_model: 16, ffn_size: 32, num_heads: 2, num_kv_heads: 1, vocab_size: 259, max_seq_len: 64, dim_model_base: 8, init_std: 0.02 },
    optimizer: { lr: 1e-2 },
    schedule: { warmup_steps: 1 },
    data: { paths: [corpus], val_fraction: 0.05 },
    train: { steps, batch_size: 2, seq_len: 32, eval_every: 0, checkpoint_every: 2, keep_last: 5 },
    ...overrides,
  });
}

export function runTiny(cfg: RunConfig, kernels: Kernels, callbacks: TrainerCallback[] = []): TrainSummary {
  const source = new TokenStreamSource(readByteCorpus(cfg.data.paths, tok.eosId), tok.vocabSize, cfg.seed, cfg.data.val_fraction);
  return train({ config: cfg, kernels, source, tokenizer: tok.toJSON(), callbacks, log: () => {}, progress: null });
}
