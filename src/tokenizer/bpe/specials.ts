/**
 * Special tokens of the tokenizers we train. They take the first ids, in this order:
 *
 *   0 pad "<|pad|>", 1 bos "<|begin_of_text|>", 2 eos "<|endoftext|>", then any extra specials given, then a block
 *   of reserved tokens "<|reserved_0|>", "<|reserved_1|>", … kept free for later instruction data (chat markers
 *   and the like) so adding them later does not change any id or the model's vocabulary size.
 *
 * bos = 1 and eos = 2 are the ids YuLan-Mini uses (spec §10). The eos is named "<|endoftext|>" because llama.cpp
 * recognizes that name as end-of-generation. The byte tokens follow the specials, then the merges.
 */
import { Ends, type Splitter } from "./pretokenize.js";

export interface SpecialTokenSettings {
  pad: string;
  bos: string;
  eos: string;
  /** more named specials, after eos (e.g. "<|im_start|>", "<|im_end|>") */
  extra: string[];
  /** how many "<|reserved_N|>" tokens to add after them */
  reserved: number;
}

export const DEFAULT_SPECIALS: SpecialTokenSettings = Object.freeze({
  pad: "<|pad|>",
  bos: "<|begin_of_text|>",
  eos: "<|endoftext|>",
  extra: [],
  reserved: 29,
}) as SpecialTokenSettings;

/** The special tokens' contents in id order (pad, bos, eos, extra…, reserved…). */
export function specialTokenList(s: SpecialTokenSettings): string[] {
  const list = [s.pad, s.bos, s.eos, ...s.extra];
  for (let i = 0; i < s.reserved; i++) list.push(`<|reserved_${i}|>`);
  return list;
}

/**
 * Checks the specials: non-empty, distinct, and each cut into at least two words by the pre-tokenizer. The last
 * rule guarantees that no BPE token can ever have the same text as a special token (BPE tokens never span two
 * words), so a special is never produced from ordinary text and the vocabulary has no duplicate strings.
 */
export function checkSpecials(list: string[], splitter: Splitter): void {
  const seen = new Set<string>();
  const ends = new Ends();
  for (const s of list) {
    if (typeof s !== "string" || s.length === 0) throw new Error("a special token is empty");
    if (seen.has(s)) throw new Error(`special token ${JSON.stringify(s)} is given twice`);
    seen.add(s);
    ends.n = 0;
    splitter.split(s, 0, s.length, ends);
    if (ends.n < 2) {
      throw new Error(`special token ${JSON.stringify(s)} is a single word for the pre-tokenizer, so a learned token ` +
        `could have the same text; write it with punctuation around it, e.g. "<|${s.replace(/[<>|]/g, "")}|>"`);
    }
  }
}
