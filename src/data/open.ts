/** Opens the token source and tokenizer a run configuration names. */
import type { RunConfig } from "../train/config.js";
import { ByteTokenizer } from "../tokenizer/bytes.js";
import type { Tokenizer } from "../tokenizer/index.js";
import { readByteCorpus, TokenStreamSource } from "./text-source.js";
import type { TokenSource } from "./source.js";

export function openDataSource(cfg: RunConfig, label = "byte corpus"): { source: TokenSource; tokenizer: Tokenizer } {
  switch (cfg.data.kind) {
    case "bytes": {
      const tokenizer = new ByteTokenizer();
      const tokens = readByteCorpus(cfg.data.paths, tokenizer.eosId);
      return { tokenizer, source: new TokenStreamSource(tokens, tokenizer.vocabSize, cfg.seed, cfg.data.val_fraction, label) };
    }
  }
}
