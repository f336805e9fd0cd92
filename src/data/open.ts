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

export function openDataSource(cfg: RunConfig, label?: string): OpenedData {
  const val = cfg.data.val_fraction;
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
    case "text": {
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
