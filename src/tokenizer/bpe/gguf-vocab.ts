/**
 * The vocabulary of a BPE tokenizer as GGUF metadata, the "tokenizer.ggml.*" keys llama.cpp reads:
 *   model "gpt2" (byte-level BPE) · pre (which hard-coded split regex to use) · tokens (every id's string in the
 *   byte-level alphabet, specials as written) · token_type (1 normal, 3 control = special, 4 user-defined = a
 *   non-special added token) · merges ("left right") · bos/eos/padding ids · add_bos/add_eos false.
 *
 * The pre-tokenizer name must select the regex our splitter implements: llama.cpp's "qwen2" is exactly our
 * Qwen2 pattern (verified by the llama.cpp tokenization test), "llama-bpe" the Llama 3 one and "gpt-2" GPT-2's.
 */
import type { GgufValue } from "../../export/gguf.js";
import { gguf } from "../../export/gguf.js";
import type { BpeTokenizer } from "./tokenizer.js";

const PRE_NAMES: Record<string, string> = { qwen2: "qwen2", llama3: "llama-bpe", gpt2: "gpt-2" };

export const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4 } as const;

/** The llama.cpp pre-tokenizer name for the tokenizer's split regex; an error when llama.cpp has none. */
export function ggufPreTokenizer(tokenizer: BpeTokenizer): string {
  const name = PRE_NAMES[tokenizer.splitter.name];
  if (!name) {
    throw new Error(`the pre-tokenizer "${tokenizer.splitter.name}" has no llama.cpp equivalent ` +
      "(llama.cpp hard-codes its split regexes; ours are qwen2, llama3 and gpt2)");
  }
  return name;
}

/** tokenizer.ggml.* entries, in the order llama.cpp's own converter writes them. */
export function ggufVocabMetadata(tokenizer: BpeTokenizer): [string, GgufValue][] {
  const json = tokenizer.toJSON() as { normalizer?: unknown; model?: { ignore_merges?: boolean; merges?: unknown } };
  if (json.normalizer) throw new Error("tokenizers with a normalizer cannot be expressed in GGUF's gpt2 vocabulary");
  if (tokenizer.prefixSpace) throw new Error("tokenizers that add a prefix space cannot be expressed in GGUF's gpt2 vocabulary");
  const V = tokenizer.vocabSize;
  const addedById = new Map(tokenizer.added.map((t) => [t.id, t]));
  const tokens: string[] = [];
  const types: number[] = [];
  for (let id = 0; id < V; id++) {
    tokens.push(tokenizer.idToToken(id));
    const added = addedById.get(id);
    types.push(added ? (added.special ? TOKEN_TYPE.CONTROL : TOKEN_TYPE.USER_DEFINED) : TOKEN_TYPE.NORMAL);
  }
  const merges = (json.model?.merges as unknown[] | undefined ?? []).map((m) => (typeof m === "string" ? m : (m as string[]).join(" ")));
  const out: [string, GgufValue][] = [
    ["tokenizer.ggml.model", gguf.str("gpt2")],
    ["tokenizer.ggml.pre", gguf.str(ggufPreTokenizer(tokenizer))],
    ["tokenizer.ggml.tokens", gguf.strings(tokens)],
    ["tokenizer.ggml.token_type", gguf.i32s(types)],
    ["tokenizer.ggml.merges", gguf.strings(merges)],
  ];
  if (tokenizer.bosId !== null) out.push(["tokenizer.ggml.bos_token_id", gguf.u32(tokenizer.bosId)]);
  if (tokenizer.eosId !== null) out.push(["tokenizer.ggml.eos_token_id", gguf.u32(tokenizer.eosId)]);
  if (tokenizer.padId !== null) out.push(["tokenizer.ggml.padding_token_id", gguf.u32(tokenizer.padId)]);
  out.push(["tokenizer.ggml.add_bos_token", gguf.bool(false)], ["tokenizer.ggml.add_eos_token", gguf.bool(false)]);
  return out;
}
