/**
 * fastText-style features: lower-cased word tokens, word n-grams up to `wordNgrams`, and character n-grams of
 * lengths minn..maxn of each word wrapped in "<" and ">", all hashed into `buckets` rows of the embedding
 * table (the hashing trick: no vocabulary to build or store).
 */
import { fmix32, hashCombine, hashString } from "../../hash.js";

export interface FeatureConfig {
  buckets: number;
  wordNgrams: number;
  minn: number;
  maxn: number;
  /** words read from the start of a document (long documents are judged by their head) */
  maxWords: number;
}

const TOKEN = /[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu;

export function tokens(text: string, maxWords: number): string[] {
  const out: string[] = [];
  // bound the work on huge documents: the head is enough to judge them
  const head = text.length > maxWords * 12 ? text.slice(0, maxWords * 12) : text;
  for (const m of head.toLowerCase().matchAll(TOKEN)) {
    out.push(m[0]);
    if (out.length >= maxWords) break;
  }
  return out;
}

/** Feature rows of a text (with repetition: a word twice is two features). */
export function featurize(text: string, c: FeatureConfig, out: number[] = []): number[] {
  out.length = 0;
  const words = tokens(text, c.maxWords);
  const wh = new Int32Array(words.length);
  const mod = c.buckets;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const h = hashString(w, 0x5eed);
    wh[i] = h;
    out.push((h >>> 0) % mod);
    if (c.maxn > 0 && w.length > 1) {
      const s = `<${w}>`;
      for (let n = c.minn; n <= c.maxn; n++) {
        if (n >= s.length) break;
        for (let j = 0; j + n <= s.length; j++) out.push((hashString(s, 0xc4a2, j, j + n) >>> 0) % mod);
      }
    }
  }
  for (let n = 2; n <= c.wordNgrams; n++) {
    for (let i = 0; i + n <= words.length; i++) {
      let h = n * 0x9e3779b1;
      for (let j = i; j < i + n; j++) h = hashCombine(h, wh[j]);
      out.push((fmix32(h) >>> 0) % mod);
    }
  }
  return out;
}
