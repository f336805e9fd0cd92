/** Keys every step accepts, and helpers shared by the step factories. */
import { fmix32 } from "../hash.js";
import type { FieldSpec, Schema } from "../../util/schema.js";

export const COMMON_FIELDS: Schema = {
  type: { kind: "string", doc: "the step type" },
  name: { kind: "string", nullable: true, default: null as unknown as string, doc: "unique name (default: the type)" },
  domains: { kind: "any", default: null, doc: "domains the step applies to (null: all)" },
};

export interface CommonOptions {
  type: string;
  name: string | null;
  domains: string[] | null;
}

/** A nullable number field: null turns the rule off. */
export function threshold(def: number | null, doc: string, min = 0, max?: number): FieldSpec {
  return { kind: "number", min, max, nullable: true, default: def, doc: `${doc} (null: rule off)` };
}

export function flag(def: boolean, doc: string): FieldSpec {
  return { kind: "boolean", default: def, doc };
}

/** Words of a text: maximal runs of non-space characters. */
export function whitespaceWords(text: string): string[] {
  return text.split(/\s+/).filter((w) => w.length > 0);
}

const HAS_ALNUM = /[\p{L}\p{N}]/u;
const HAS_ALPHA = /\p{L}/u;

export function hasAlnum(w: string): boolean {
  return HAS_ALNUM.test(w);
}

export function hasAlpha(w: string): boolean {
  return HAS_ALPHA.test(w);
}

/** Words with leading and trailing punctuation stripped; tokens that were only punctuation are dropped. */
export function contentWords(text: string): string[] {
  const out: string[] = [];
  for (const w of whitespaceWords(text)) {
    const s = w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "");
    if (s.length > 0) out.push(s);
  }
  return out;
}

/** Counts of repeated elements: (elements that repeat an earlier one, their total characters). */
export function duplicates(items: readonly string[]): { count: number; chars: number } {
  const seen = new Set<string>();
  let count = 0;
  let chars = 0;
  for (const x of items) {
    if (seen.has(x)) {
      count++;
      chars += x.length;
    } else seen.add(x);
  }
  return { count, chars };
}

/**
 * Whether a UTF-16 code unit belongs to a word: ASCII letters and digits, and everything from U+00C0 up except
 * the general-punctuation, CJK-punctuation and symbol blocks (good enough for shingling and repetition
 * statistics, and much faster than a Unicode-property regex).
 */
export function isWordUnit(c: number): boolean {
  if (c < 128) return (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
  if (c < 0xc0) return c === 0xaa || c === 0xb5 || c === 0xba;
  if (c === 0xd7 || c === 0xf7) return false;
  if (c >= 0x2000 && c <= 0x2bff) return false; // punctuation, symbols, arrows, math operators, box drawing
  if (c >= 0x3000 && c <= 0x303f) return false; // CJK punctuation
  if (c >= 0xfe30 && c <= 0xfe4f) return false;
  if (c >= 0xff00 && c <= 0xff0f) return false;
  return true;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13 || c === 12 || c === 11 || c === 0xa0 || (c >= 0x2000 && c <= 0x200a) || c === 0x3000;
}

/**
 * Whitespace-separated tokens with leading and trailing punctuation stripped (tokens of only punctuation
 * dropped), as 32-bit hashes (FNV-1a of the code units, finalized) and lengths: `contentWords` without strings.
 */
export function wordHashes(text: string): { hashes: Int32Array; lengths: Int32Array; count: number } {
  let hashes = new Int32Array(Math.max(16, text.length >>> 3));
  let lengths = new Int32Array(hashes.length);
  let n = 0;
  let i = 0;
  const L = text.length;
  while (i < L) {
    while (i < L && isSpace(text.charCodeAt(i))) i++;
    let start = i;
    while (i < L && !isSpace(text.charCodeAt(i))) i++;
    let end = i;
    while (start < end && !isWordUnit(text.charCodeAt(start))) start++;
    while (end > start && !isWordUnit(text.charCodeAt(end - 1))) end--;
    if (end <= start) continue;
    let h = 0x811c9dc5 | 0;
    for (let j = start; j < end; j++) h = Math.imul(h ^ text.charCodeAt(j), 0x01000193);
    if (n === hashes.length) {
      const hb = new Int32Array(n * 2);
      hb.set(hashes);
      hashes = hb;
      const lb = new Int32Array(n * 2);
      lb.set(lengths);
      lengths = lb;
    }
    hashes[n] = fmix32(h ^ (end - start));
    lengths[n++] = end - start;
  }
  return { hashes, lengths, count: n };
}

/** An open-addressing table from 32-bit keys to 32-bit values, reusable across documents. */
export class IntTable {
  private keys = new Int32Array(1024);
  private vals = new Int32Array(1024);
  private used = new Uint8Array(1024);
  private mask = 1023;

  /** Empties the table, sized for about `n` keys. */
  reset(n: number): void {
    let size = 1024;
    while (size < n * 2) size <<= 1;
    if (size > this.keys.length) {
      this.keys = new Int32Array(size);
      this.vals = new Int32Array(size);
      this.used = new Uint8Array(size);
    } else {
      this.used.fill(0, 0, size);
    }
    this.mask = size - 1;
  }

  /** The slot of a key (existing or free). */
  slot(key: number): number {
    let i = fmix32(key) & this.mask;
    while (this.used[i] && this.keys[i] !== key) i = (i + 1) & this.mask;
    return i;
  }

  has(slot: number): boolean {
    return this.used[slot] === 1;
  }

  get(slot: number): number {
    return this.vals[slot];
  }

  set(slot: number, key: number, value: number): void {
    this.used[slot] = 1;
    this.keys[slot] = key;
    this.vals[slot] = value;
  }
}
