/**
 * The byte-level tokenizer in Hugging Face form: a byte-level BPE with no merges, whose ids 0–255 are the bytes
 * (in the GPT-2 byte alphabet) and 256–258 the specials. With no merges every text encodes to its UTF-8 bytes,
 * exactly as ByteTokenizer does, so a byte-level model exports with a tokenizer.json that the `tokenizers`
 * package and transformers load, and with a GGUF vocabulary llama.cpp reads.
 */
import { BYTE_TO_CHAR } from "./bpe/byte-unicode.js";
import { buildTokenizerConfig } from "./bpe/hf-json.js";
import { QWEN2_PATTERN } from "./bpe/pretokenize.js";
import type { ByteTokenizer } from "./bytes.js";

export function byteTokenizerHuggingFace(t: ByteTokenizer): { tokenizer: Record<string, unknown>; config: Record<string, unknown> } {
  const vocab: Record<string, number> = Object.create(null);
  for (let b = 0; b < 256; b++) vocab[BYTE_TO_CHAR[b]] = b;
  const added = t.specials.map((s) => ({ id: s.id, content: s.content, special: true, lstrip: false, rstrip: false }));
  for (const s of added) vocab[s.content] = s.id;
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false };
  const tokenizer = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: added.map((a) => ({ ...a, single_word: false, normalized: false })),
    normalizer: null,
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [{ type: "Split", pattern: { Regex: QWEN2_PATTERN }, behavior: "Isolated", invert: false }, { ...byteLevel }],
    },
    post_processor: { ...byteLevel },
    decoder: { ...byteLevel },
    model: {
      type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: [],
    },
  };
  const config = buildTokenizerConfig(added, { bos: t.bosId, eos: t.eosId, pad: t.padId });
  return { tokenizer, config };
}
