/**
 * The tokenizer a corpus is tokenized with, and its identity: the SHA-256 of its tokenizer.json bytes, which
 * goes into every shard and the index so that training can refuse shards made with another tokenizer.
 */
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadTokenizer, TOKENIZER_FILE } from "../../tokenizer/bpe/io.js";
import type { BpeTokenizer } from "../../tokenizer/bpe/tokenizer.js";
import { ConfigError } from "../../util/schema.js";

export interface LoadedTokenizer {
  tokenizer: BpeTokenizer;
  /** the tokenizer.json file read */
  file: string;
  sha256: string;
  eosId: number;
}

/** The SHA-256 (hex) of the tokenizer.json of a tokenizer folder (or of the file itself). */
export function tokenizerSha256(path: string): string {
  const file = statSync(path).isDirectory() ? join(path, TOKENIZER_FILE) : path;
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

/** Loads a tokenizer for tokenizing: it must have an end-of-text token, which ends every document. */
export function loadForTokenizing(path: string): LoadedTokenizer {
  const tokenizer = loadTokenizer(path); // names the problem when the folder or its tokenizer.json is missing or bad
  const file = statSync(path).isDirectory() ? join(path, TOKENIZER_FILE) : path;
  if (tokenizer.eosId === null) {
    throw new ConfigError(`${file}: the tokenizer has no end-of-text token (tokenizer_config.json "eos_token"), ` +
      "which ends every document in the shards; use a tokenizer made by `pretrain tokenizer train`, or set eos_token");
  }
  return { tokenizer, file, sha256: tokenizerSha256(path), eosId: tokenizer.eosId };
}
