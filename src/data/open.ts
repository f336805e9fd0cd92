/** Opens the token source and tokenizer a run configuration names. */
import type { RunConfig } from "../train/config.js";
import { ByteTokenizer } from "../tokenizer/bytes.js";
import type { Tokenizer } from "../tokenizer/index.js";
import { loadTokenizer } from "../tokenizer/bpe/io.js";
import { encodeCorpus, type EncodedCorpus } from "../tokenizer/bpe/stream.js";
import { CorpusError } from "../tokenizer/bpe/corpus.js";
import type { BpeTokenizer } from "../tokenizer/bpe/tokenizer.js";
import { ConfigError } from "../util/schema.js";
import { readByteCorpus, TokenStreamSource } from "./text-source.js";
import type { TokenSource } from "./source.js";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runPlan } from "../train/config.js";
import { ShardSet } from "./tokens/shard-set.js";
import { ShardError } from "./tokens/shard.js";
import { CurriculumSource } from "./curriculum/source.js";
import { CurriculumTokenSource } from "./curriculum/token-source.js";
import { planCurriculum } from "./curriculum/plan.js";
import { resolvePhases } from "./curriculum/phases.js";

export interface OpenedData {
  source: TokenSource;
  tokenizer: Tokenizer;
  /**
   * UTF-8 bytes per token of the held-out tail (special tokens count as tokens without bytes), to turn a loss
   * in nats per token into bits per byte — the unit that compares runs with different tokenizers.
   */
  heldOutBytesPerToken: number;
}

/** Bytes of text per token over ids (specials contribute no bytes). */
function bytesPerToken(ids: Int32Array, bytesOf: (ids: Int32Array) => number): number {
  return ids.length ? bytesOf(ids) / ids.length : 1;
}

/** The run's BPE tokenizer, checked against the model's vocabulary and special ids. */
function runTokenizer(cfg: RunConfig): BpeTokenizer {
  let tokenizer: BpeTokenizer;
  try {
    tokenizer = loadTokenizer(cfg.data.tokenizer!);
  } catch (e) {
    throw new ConfigError(`data.tokenizer: ${(e as Error).message}`);
  }
  if (cfg.model.vocab_size < tokenizer.vocabSize) {
    throw new ConfigError(`model.vocab_size ${cfg.model.vocab_size} is below the tokenizer's ${tokenizer.vocabSize} tokens ` +
      `(${cfg.data.tokenizer}); set it to at least ${tokenizer.vocabSize}, e.g. ${Math.ceil(tokenizer.vocabSize / 64) * 64} (a multiple of 64)`);
  }
  for (const [k, id] of [["bos_token_id", tokenizer.bosId], ["eos_token_id", tokenizer.eosId]] as const) {
    const set = cfg.model[k];
    if (set !== null && id !== null && set !== id) {
      throw new ConfigError(`model.${k} is ${set} but the tokenizer's is ${id} (${cfg.data.tokenizer}); make them agree`);
    }
  }
  return tokenizer;
}

/**
 * A tokenized corpus (`pretrain data tokenize`) read through the curriculum. Without a curriculum section the
 * run is one phase over every domain in proportion to its training tokens.
 */
function openShards(cfg: RunConfig): OpenedData {
  const tokenizer = runTokenizer(cfg);
  let set: ShardSet;
  try {
    set = new ShardSet(cfg.data.dir!);
  } catch (e) {
    if (e instanceof ShardError) throw new ConfigError(`data.dir: ${e.message}`);
    throw e;
  }
  const tokSha = createHash("sha256").update(readFileSync(join(cfg.data.tokenizer!, "tokenizer.json"))).digest("hex");
  if (set.index.tokenizer_sha256 !== tokSha) {
    throw new ConfigError(`data.dir ${cfg.data.dir} was tokenized with another tokenizer than data.tokenizer ${cfg.data.tokenizer} ` +
      "(their SHA-256 differ); tokenize again or point data.tokenizer at the one used");
  }
  if (set.index.eos_id !== tokenizer.eosId) {
    throw new ConfigError(`data.dir's end-of-text id ${set.index.eos_id} differs from the tokenizer's ${tokenizer.eosId}`);
  }
  const phases = cfg.curriculum?.phases ?? resolvePhases([{
    name: "all", tokens: cfg.train.steps * cfg.train.batch_size * cfg.train.seq_len * cfg.train.grad_accum,
    mixture: Object.fromEntries(set.domains().map((d) => [d, set.domain(d).tokens.train])),
  }], "data");
  const plan = runPlan(cfg) ?? planCurriculum(phases, {
    seq_len: cfg.train.seq_len, batch_size: cfg.train.batch_size, grad_accum: cfg.train.grad_accum, rope_theta: cfg.model.rope_theta,
  });
  const curriculum = new CurriculumSource(set, plan, phases, cfg.seed, cfg.curriculum?.max_epochs ?? {},
    cfg.curriculum?.auto_mixture ?? null);
  const domains = [...new Set(phases.flatMap((p) => Object.keys(p.mixture)))].sort();
  let validTokens = 0;
  let validBytes = 0;
  for (const d of domains) {
    // Bytes per token from (up to 64k tokens of) each domain's first held-out shard.
    if (set.domain(d).valid.length === 0) continue;
    const shard = set.shard(d, "valid", 0);
    const ids = new Int32Array(Math.min(shard.tokens, 1 << 16));
    shard.read(0, ids.length, ids);
    validTokens += ids.length;
    validBytes += tokenizer.decodeBytes(ids, { skipSpecial: true }).length;
  }
  const label = `${cfg.data.dir}: ${domains.length} domains, ${plan.phases.length} phase${plan.phases.length === 1 ? "" : "s"}, ` +
    `${plan.totalSteps} steps, ${(plan.totalTokens / 1e6).toFixed(2)}M tokens`;
  return {
    tokenizer, source: new CurriculumTokenSource(curriculum, label, domains),
    heldOutBytesPerToken: validTokens ? validBytes / validTokens : 1,
  };
}

export function openDataSource(cfg: RunConfig, label?: string): OpenedData {
  const val = cfg.data.val_fraction;
  if (cfg.data.kind !== "shards" && cfg.data.paths.length === 0) {
    throw new ConfigError(`data.paths must list at least one file or folder with data.kind "${cfg.data.kind}"`);
  }
  switch (cfg.data.kind) {
    case "bytes": {
      const tokenizer = new ByteTokenizer();
      const tokens = readByteCorpus(cfg.data.paths, tokenizer.eosId);
      const held = tokens.subarray(Math.floor(tokens.length * (1 - val)));
      return {
        tokenizer, source: new TokenStreamSource(tokens, tokenizer.vocabSize, cfg.seed, val, label ?? "byte corpus"),
        heldOutBytesPerToken: bytesPerToken(held, (ids) => ids.filter((id) => id < 256).length),
      };
    }
    case "shards":
      return openShards(cfg);
    case "text": {
      const tokenizer = runTokenizer(cfg);
      if (tokenizer.eosId === null) throw new ConfigError(`the tokenizer ${cfg.data.tokenizer} has no end-of-text token to separate documents`);
      let corpus: EncodedCorpus;
      try {
        corpus = encodeCorpus(tokenizer, cfg.data.paths, tokenizer.eosId, { textField: cfg.data.text_field });
      } catch (e) {
        if (e instanceof CorpusError) throw new ConfigError(`data.paths: ${e.message}`);
        throw e;
      }
      if (corpus.ids.length === 0) throw new ConfigError(`data.paths hold no text (${corpus.files} files)`);
      const held = corpus.ids.subarray(Math.floor(corpus.ids.length * (1 - val)));
      const name = label ?? `${corpus.files} files`;
      return {
        tokenizer,
        source: new TokenStreamSource(corpus.ids, tokenizer.vocabSize, cfg.seed, val,
          `${name} (${(corpus.bytes / 1e6).toFixed(2)} MB → ${corpus.ids.length} tokens, ${(corpus.bytes / corpus.ids.length).toFixed(2)} bytes/token` +
          `${corpus.invalidUtf8Replaced ? `, ${corpus.invalidUtf8Replaced} invalid UTF-8 sequences replaced` : ""})`),
        heldOutBytesPerToken: bytesPerToken(held, (ids) => tokenizer.decodeBytes(ids, { skipSpecial: true }).length),
      };
    }
  }
}
