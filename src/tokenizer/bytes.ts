/**
 * A byte-level tokenizer, used until the BPE tokenizer exists and as a baseline for its compression metrics.
 * Ids 0..255 are the UTF-8 bytes of the text; three special tokens follow:
 *   256 "<|endoftext|>" (end of sequence), 257 "<|bos|>", 258 "<|pad|>"  → vocabSize 259.
 *
 * Encoding goes through TextEncoder, so a lone UTF-16 surrogate (which has no UTF-8 form) is encoded as the
 * bytes of U+FFFD (EF BF BD), exactly as TextEncoder does; such a string does not round-trip, every
 * well-formed string does. Decoding uses TextDecoder's replacement mode: an invalid byte sequence becomes
 * U+FFFD instead of an error, since a model can emit any byte sequence.
 */

import { byteTokenizerHuggingFace } from "./bytes-hf.js";

export interface EncodeOptions {
  /**
   * When true, the special token strings ("<|endoftext|>", ...) in the text become their ids. When false (the
   * default) they are plain text and encoded byte by byte, so untrusted text cannot inject control tokens.
   */
  allowSpecial?: boolean;
}

export interface DecodeOptions {
  /** Drop special tokens instead of rendering their names. */
  skipSpecial?: boolean;
}

export interface SpecialToken {
  id: number;
  content: string;
  role: "eos" | "bos" | "pad";
}

export interface ByteTokenizerJSON {
  type: "bytes";
  version: 1;
  vocab_size: number;
  specials: SpecialToken[];
}

const SPECIALS: readonly SpecialToken[] = Object.freeze([
  Object.freeze({ id: 256, content: "<|endoftext|>", role: "eos" as const }),
  Object.freeze({ id: 257, content: "<|bos|>", role: "bos" as const }),
  Object.freeze({ id: 258, content: "<|pad|>", role: "pad" as const }),
]);

const encoder = new TextEncoder();

export class ByteTokenizer {
  readonly vocabSize = 259;
  readonly eosId = 256;
  readonly bosId = 257;
  readonly padId = 258;
  readonly specials: readonly SpecialToken[] = SPECIALS;

  isSpecial(id: number): boolean {
    return id >= 256 && id < this.vocabSize;
  }

  encode(text: string, options: EncodeOptions = {}): Int32Array {
    if (typeof text !== "string") throw new TypeError(`encode: expected a string, got ${typeof text}`);
    if (!options.allowSpecial) return Int32Array.from(encoder.encode(text));
    const ids: number[] = [];
    let from = 0;
    // Next occurrence of each special at or after `from`, refreshed only once passed, so the scan stays linear.
    const next = SPECIALS.map((s) => text.indexOf(s.content));
    while (from <= text.length) {
      // The earliest special string at or after `from` (none is a prefix of another, so ties cannot happen).
      let at = -1;
      let which: SpecialToken | null = null;
      for (let k = 0; k < SPECIALS.length; k++) {
        if (next[k] >= 0 && next[k] < from) next[k] = text.indexOf(SPECIALS[k].content, from);
        const i = next[k];
        if (i >= 0 && (at < 0 || i < at)) {
          at = i;
          which = SPECIALS[k];
        }
      }
      const end = at < 0 ? text.length : at;
      for (const b of encoder.encode(text.slice(from, end))) ids.push(b);
      if (which === null) break;
      ids.push(which.id);
      from = at + which.content.length;
    }
    return Int32Array.from(ids);
  }

  /**
   * The bytes the ids stand for; special tokens contribute the UTF-8 bytes of their names (or nothing with
   * `skipSpecial`). Useful for streaming output, where a character may be split across calls.
   */
  decodeBytes(ids: ArrayLike<number>, options: DecodeOptions = {}): Uint8Array {
    const out: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = this.checkId(ids, i);
      if (id < 256) out.push(id);
      else if (!options.skipSpecial) for (const b of encoder.encode(SPECIALS[id - 256].content)) out.push(b);
    }
    return Uint8Array.from(out);
  }

  /**
   * Text for the ids. Bytes are decoded as UTF-8 run by run between special tokens (an invalid or cut
   * sequence becomes U+FFFD); special ids are rendered as their names unless `skipSpecial`.
   */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
    let text = "";
    let run: number[] = [];
    const flush = () => {
      if (run.length) text += decoder.decode(Uint8Array.from(run));
      run = [];
    };
    for (let i = 0; i < ids.length; i++) {
      const id = this.checkId(ids, i);
      if (id < 256) {
        run.push(id);
      } else {
        flush();
        if (!options.skipSpecial) text += SPECIALS[id - 256].content;
      }
    }
    flush();
    return text;
  }

  /** The token's text: a special name, or for a byte its character when printable ASCII, else "<0xHH>". */
  idToToken(id: number): string {
    this.checkId([id], 0);
    if (id >= 256) return SPECIALS[id - 256].content;
    return id >= 0x20 && id < 0x7f ? String.fromCharCode(id) : `<0x${id.toString(16).toUpperCase().padStart(2, "0")}>`;
  }

  /** The Hugging Face form (tokenizer.json, tokenizer_config.json): a byte-level BPE without merges. */
  toHuggingFace(): { tokenizer: Record<string, unknown>; config: Record<string, unknown> } {
    return byteTokenizerHuggingFace(this);
  }

  toJSON(): ByteTokenizerJSON {
    return { type: "bytes", version: 1, vocab_size: this.vocabSize, specials: SPECIALS.map((s) => ({ ...s })) };
  }

  /** Rebuilds the tokenizer from `toJSON()` output, refusing descriptions of a different tokenizer. */
  static fromJSON(json: unknown): ByteTokenizer {
    if (json === null || typeof json !== "object") {
      throw new TypeError(`ByteTokenizer.fromJSON: expected an object, got ${JSON.stringify(json)}`);
    }
    const j = json as Partial<ByteTokenizerJSON>;
    if (j.type !== "bytes") {
      throw new TypeError(`ByteTokenizer.fromJSON: type is ${JSON.stringify(j.type)}, expected "bytes"`);
    }
    if (j.version !== 1) {
      throw new TypeError(`ByteTokenizer.fromJSON: unsupported version ${JSON.stringify(j.version)} (this code reads 1)`);
    }
    const t = new ByteTokenizer();
    const specials = j.specials;
    const same = j.vocab_size === t.vocabSize && Array.isArray(specials) && specials.length === SPECIALS.length &&
      specials.every((s, i) => s && s.id === SPECIALS[i].id && s.content === SPECIALS[i].content &&
        s.role === SPECIALS[i].role);
    if (!same) {
      throw new TypeError("ByteTokenizer.fromJSON: vocab_size or special tokens differ from this tokenizer's " +
        `(${SPECIALS.map((s) => `${s.id} ${s.content}`).join(", ")}); the description is of another tokenizer`);
    }
    return t;
  }

  private checkId(ids: ArrayLike<number>, i: number): number {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new RangeError(`token id ${id} at position ${i} is out of range [0, ${this.vocabSize})`);
    }
    return id;
  }
}
