/** The tokenizer interface the rest of the toolkit uses, and loading one from its saved JSON form. */
import { ByteTokenizer } from "./bytes.js";

export interface Tokenizer {
  readonly vocabSize: number;
  readonly eosId: number | null;
  readonly bosId: number | null;
  encode(text: string, options?: { allowSpecial?: boolean }): Int32Array;
  decode(ids: ArrayLike<number>, options?: { skipSpecial?: boolean }): string;
  toJSON(): unknown;
}

/** Rebuilds a tokenizer from what `toJSON()` saved (as checkpoints store it in tokenizer.json). */
export function tokenizerFromJSON(json: unknown): Tokenizer {
  const type = (json as { type?: unknown } | null)?.type;
  if (type === "bytes") return ByteTokenizer.fromJSON(json);
  throw new Error(`unknown tokenizer type ${JSON.stringify(type)} (this version knows: bytes)`);
}
