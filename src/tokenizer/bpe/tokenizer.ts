/**
 * The byte-level BPE tokenizer: special (added) tokens, pre-tokenization, a word cache in front of the BPE
 * model, and decoding. It is built from a Hugging Face tokenizer.json object (see hf-json.ts), ours or one
 * written by another tool, and `toJSON()` gives that object back, so a checkpoint's tokenizer.json is a Hugging
 * Face tokenizer.json.
 *
 * Text policy:
 * - Every well-formed string round-trips: decode(encode(s)) === s (all 256 bytes are tokens, so nothing is
 *   unknown; the byte order mark is kept).
 * - A lone UTF-16 surrogate has no UTF-8 form; it is encoded as the bytes of U+FFFD, as TextEncoder (and
 *   String.prototype.toWellFormed) does, so decode(encode(s)) === s.toWellFormed().
 * - Decoding ids whose bytes are not valid UTF-8 (a model can emit any sequence) gives U+FFFD for each maximal
 *   invalid subsequence (the WHATWG rule, which Rust's from_utf8_lossy also follows); `decodeBytes` gives the
 *   raw bytes.
 * - Special tokens are matched in the text only with `allowSpecial: true`; otherwise "<|endoftext|>" in user
 *   text is ordinary text. (Hugging Face `tokenizers` always matches them, so compare with allowSpecial: true.)
 */
import type { Tokenizer } from "../index.js";
import { BpeModel, IdBuffer, type Uniform } from "./model.js";
import { Ends, type Splitter } from "./pretokenize.js";

export interface AddedToken {
  id: number;
  content: string;
  /** special tokens are matched only with allowSpecial; non-special added tokens always */
  special: boolean;
  /** absorb whitespace on the left / right of the match (Hugging Face lstrip / rstrip) */
  lstrip: boolean;
  rstrip: boolean;
}

export interface SpecialRoles {
  bos: number | null;
  eos: number | null;
  pad: number | null;
}

export interface BpeEncodeOptions {
  /** match special tokens in the text (default false: they are plain text) */
  allowSpecial?: boolean;
  /** BPE-dropout probability in [0, 1) (training-time only; default 0 = the normal encoding) */
  dropout?: number;
  /** the random source for dropout (e.g. `() => rng.float32()` for a seeded Rng) */
  uniform?: Uniform;
}

export interface BpeTokenizerParts {
  model: BpeModel;
  /** token string (Hugging Face form, e.g. "Ġthe") of every id; specials as their content */
  tokenStrings: string[];
  /** bytes of every model token (null for ids that are added tokens only) */
  tokenBytes: (Uint8Array | null)[];
  added: AddedToken[];
  splitter: Splitter;
  /** Hugging Face ByteLevel add_prefix_space: a space is put before each segment not starting with one */
  prefixSpace: boolean;
  normalize: ((s: string) => string) | null;
  roles: SpecialRoles;
  /** the tokenizer.json object */
  json: Record<string, unknown>;
  /** the tokenizer_config.json object */
  config: Record<string, unknown>;
}

const CACHE_LIMIT = 1 << 17;
const CACHE_MAX_WORD = 48;
const utf8 = new TextEncoder();

export class BpeTokenizer implements Tokenizer {
  readonly type = "bpe";
  readonly vocabSize: number;
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly padId: number | null;
  readonly model: BpeModel;
  readonly splitter: Splitter;
  readonly added: readonly AddedToken[];
  /** Hugging Face ByteLevel add_prefix_space (foreign tokenizers only) */
  readonly prefixSpace: boolean;
  private readonly parts: BpeTokenizerParts;
  private readonly addedById = new Map<number, AddedToken>();
  private readonly addedByContent = new Map<string, AddedToken>();
  private readonly tokenToIdMap = new Map<string, number>();
  private readonly specialRe: RegExp | null;
  private readonly plainAddedRe: RegExp | null;
  private readonly asciiId = new Int32Array(128).fill(-1);
  private cache = new Map<string, number | Int32Array>();
  private readonly ends = new Ends();
  private readonly out = new IdBuffer(4096);
  private readonly word = new IdBuffer(64);
  private scratch = new Uint8Array(256);
  private readonly pool: Uint8Array;
  private readonly poolAt: Int32Array;

  constructor(parts: BpeTokenizerParts) {
    this.parts = parts;
    this.model = parts.model;
    this.splitter = parts.splitter;
    this.added = parts.added;
    this.prefixSpace = parts.prefixSpace;
    this.vocabSize = parts.tokenStrings.length;
    this.bosId = parts.roles.bos;
    this.eosId = parts.roles.eos;
    this.padId = parts.roles.pad;
    for (const t of parts.added) {
      this.addedById.set(t.id, t);
      if (!this.addedByContent.has(t.content)) this.addedByContent.set(t.content, t);
    }
    parts.tokenStrings.forEach((s, id) => {
      if (!this.tokenToIdMap.has(s)) this.tokenToIdMap.set(s, id);
    });
    this.specialRe = alternation(parts.added);
    this.plainAddedRe = alternation(parts.added.filter((t) => !t.special));
    // A lone ASCII character is one byte, which no merge can change: its id is the byte's token.
    if (!parts.normalize && !parts.prefixSpace) for (let c = 0; c < 128; c++) this.asciiId[c] = this.model.byteId[c];
    // Decoding table: the bytes of every id in one pool (specials: their content in UTF-8).
    const chunks = parts.tokenStrings.map((s, id) => parts.tokenBytes[id] ?? utf8.encode(this.addedById.get(id)?.content ?? s));
    this.poolAt = new Int32Array(chunks.length + 1);
    let total = 0;
    chunks.forEach((c, i) => {
      this.poolAt[i] = total;
      total += c.length;
    });
    this.poolAt[chunks.length] = total;
    this.pool = new Uint8Array(total);
    chunks.forEach((c, i) => this.pool.set(c, this.poolAt[i]));
  }

  /** The tokenizer.json object (Hugging Face format). */
  toJSON(): Record<string, unknown> {
    return this.parts.json;
  }

  /** tokenizer.json and tokenizer_config.json, as the Hugging Face export writes them. */
  toHuggingFace(): { tokenizer: Record<string, unknown>; config: Record<string, unknown> } {
    return { tokenizer: this.parts.json, config: this.parts.config };
  }

  isSpecial(id: number): boolean {
    return this.addedById.get(id)?.special ?? false;
  }

  /** The token's string in Hugging Face form ("Ġthe"), or the special token's content. */
  idToToken(id: number): string {
    this.checkId(id, 0);
    return this.parts.tokenStrings[id];
  }

  tokenToId(token: string): number | undefined {
    return this.tokenToIdMap.get(token);
  }

  /** The bytes token `id` stands for. */
  tokenBytes(id: number): Uint8Array {
    this.checkId(id, 0);
    return this.pool.subarray(this.poolAt[id], this.poolAt[id + 1]);
  }

  encode(text: string, options: BpeEncodeOptions = {}): Int32Array {
    const out = this.out;
    out.n = 0;
    this.encodeInto(text, out, options);
    return out.take();
  }

  /** Appends the ids of `text` to `out` (for callers that collect many documents into one buffer). */
  encodeInto(text: string, out: IdBuffer, options: BpeEncodeOptions = {}): void {
    if (typeof text !== "string") throw new TypeError(`encode: expected a string, got ${typeof text}`);
    const dropout = options.dropout ?? 0;
    if (!(dropout >= 0 && dropout < 1)) throw new RangeError(`dropout must be in [0, 1), got ${dropout}`);
    if (dropout > 0 && !options.uniform) throw new Error("dropout > 0 needs options.uniform (a seeded random source)");
    const re = options.allowSpecial ? this.specialRe : this.plainAddedRe;
    if (!re) {
      this.encodeSegment(text, 0, text.length, out, dropout, options.uniform);
      return;
    }
    re.lastIndex = 0;
    let from = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const t = this.addedByContent.get(m[0])!;
      let start = m.index;
      let end = start + m[0].length;
      if (t.lstrip) while (start > from && isSpace(text.charCodeAt(start - 1))) start--;
      if (t.rstrip) while (end < text.length && isSpace(text.charCodeAt(end))) end++;
      this.encodeSegment(text, from, start, out, dropout, options.uniform);
      out.push(t.id);
      from = end;
      re.lastIndex = end;
    }
    this.encodeSegment(text, from, text.length, out, dropout, options.uniform);
  }

  /** Text between added tokens: normalize, pre-tokenize, then each word through the cache or the model. */
  private encodeSegment(text: string, start: number, end: number, out: IdBuffer, dropout: number, uniform?: Uniform): void {
    if (start >= end) return;
    const { normalize, prefixSpace } = this.parts;
    if (normalize || (prefixSpace && text.charCodeAt(start) !== 0x20)) {
      let s = text.slice(start, end);
      if (normalize) s = normalize(s);
      if (prefixSpace && s.charCodeAt(0) !== 0x20) s = " " + s;
      text = s;
      start = 0;
      end = s.length;
    }
    const ends = this.ends;
    ends.n = 0;
    this.splitter.split(text, start, end, ends);
    const a = ends.a;
    let from = start;
    for (let p = 0, n = ends.n; p < n; p++) {
      const e = a[p];
      this.encodeWord(text, from, e, out, dropout, uniform);
      from = e;
    }
  }

  private encodeWord(text: string, from: number, to: number, out: IdBuffer, dropout: number, uniform?: Uniform): void {
    const len = to - from;
    if (len === 1 && dropout === 0) {
      const c = text.charCodeAt(from);
      if (c < 128 && this.asciiId[c] >= 0) {
        out.push(this.asciiId[c]);
        return;
      }
    }
    if (dropout > 0) {
      const n = this.utf8Of(text.slice(from, to));
      this.model.encodeWord(this.scratch, n, out, dropout, uniform);
      return;
    }
    if (len > CACHE_MAX_WORD) {
      const n = this.utf8Of(text.slice(from, to));
      this.model.encodeWord(this.scratch, n, out);
      return;
    }
    const key = text.slice(from, to);
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      if (typeof hit === "number") out.push(hit);
      else out.pushAll(hit);
      return;
    }
    const w = this.word;
    w.n = 0;
    this.model.encodeWord(this.scratch, this.utf8Of(key), w);
    if (this.cache.size >= CACHE_LIMIT) this.cache = new Map();
    // Slices of 13+ characters share the text's memory; a copy keeps the cache from pinning whole documents.
    const own = len >= 13 ? (" " + key).slice(1) : key;
    if (w.n === 1) {
      this.cache.set(own, w.a[0]);
      out.push(w.a[0]);
    } else {
      const ids = w.a.slice(0, w.n);
      this.cache.set(own, ids);
      out.pushAll(ids);
    }
  }

  /** UTF-8 bytes of s into the scratch buffer (lone surrogates become EF BF BD); returns the length. */
  private utf8Of(s: string): number {
    if (this.scratch.length < s.length * 3) this.scratch = new Uint8Array(s.length * 3 + 16);
    return utf8.encodeInto(s, this.scratch).written;
  }

  /** The bytes of the ids, concatenated (special tokens: their content, or nothing with skipSpecial). */
  decodeBytes(ids: ArrayLike<number>, options: { skipSpecial?: boolean } = {}): Uint8Array {
    let total = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = this.checkId(ids[i], i);
      if (!(options.skipSpecial && this.isSpecial(id))) total += this.poolAt[id + 1] - this.poolAt[id];
    }
    const out = new Uint8Array(total);
    let o = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (options.skipSpecial && this.isSpecial(id)) continue;
      out.set(this.pool.subarray(this.poolAt[id], this.poolAt[id + 1]), o);
      o += this.poolAt[id + 1] - this.poolAt[id];
    }
    return out;
  }

  decode(ids: ArrayLike<number>, options: { skipSpecial?: boolean } = {}): string {
    return new TextDecoder("utf-8", { fatal: false, ignoreBOM: true }).decode(this.decodeBytes(ids, options));
  }

  /** Drops the word cache (memory; results never depend on it). */
  clearCache(): void {
    this.cache = new Map();
  }

  private checkId(id: number, i: number): number {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new RangeError(`token id ${id} at position ${i} is out of range [0, ${this.vocabSize})`);
    }
    return id;
  }
}

/** Unicode White_Space, for lstrip/rstrip (Rust's char::is_whitespace). */
function isSpace(c: number): boolean {
  return (c >= 9 && c <= 13) || c === 32 || c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/** One regex matching any of the tokens, longest first at a given position (Hugging Face's leftmost-longest). */
function alternation(tokens: readonly AddedToken[]): RegExp | null {
  const contents = [...new Set(tokens.map((t) => t.content).filter((c) => c.length > 0))];
  if (contents.length === 0) return null;
  contents.sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  // No "u" flag: the tokens are literal strings, matched code unit by code unit.
  return new RegExp(contents.map((c) => c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|"), "g");
}
