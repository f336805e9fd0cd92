/** The tokenizer interface the rest of the toolkit uses, and loading one from its saved JSON form. */
import { ByteTokenizer } from "./bytes.js";
import { tokenizerFromHuggingFace } from "./bpe/hf-json.js";

export interface Tokenizer {
  readonly vocabSize: number;
  readonly eosId: number | null;
  readonly bosId: number | null;
  encode(text: string, options?: { allowSpecial?: boolean }): Int32Array;
  decode(ids: ArrayLike<number>, options?: { skipSpecial?: boolean }): string;
  /** The saved form: {type: "bytes", …} for the byte-level tokenizer, a Hugging Face tokenizer.json for BPE. */
  toJSON(): unknown;
}

/**
 * Rebuilds a tokenizer from what `toJSON()` saved (as checkpoints store it in tokenizer.json): the byte-level
 * tokenizer's own description, or a Hugging Face tokenizer.json (any byte-level BPE; see bpe/hf-json.ts).
 */
export function tokenizerFromJSON(json: unknown): Tokenizer {
  const j = json as { type?: unknown; model?: { type?: unknown; vocab?: unknown } } | null;
  if (j?.type === "bytes") return ByteTokenizer.fromJSON(json);
  if (j && typeof j === "object" && j.model && typeof j.model === "object" && (j.model.type === "BPE" || j.model.vocab)) {
    return tokenizerFromHuggingFace(json);
  }
  throw new Error(`unknown tokenizer description (type ${JSON.stringify(j?.type)}, model ${JSON.stringify(j?.model?.type)}); ` +
    "this version reads the byte-level tokenizer ({type: \"bytes\"}) and Hugging Face byte-level BPE tokenizer.json");
}

export { BpeTokenizer } from "./bpe/tokenizer.js";
export { loadTokenizer, saveTokenizer } from "./bpe/io.js";
