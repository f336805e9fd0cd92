/**
 * Which parts of the shipped text are held out for the proxy tasks. The rules are fixed and content-addressed,
 * so the training side can exclude exactly the same text (exclude.jsonl lists it; these functions say why):
 *   Moby-Dick:              chapters whose number is a multiple of 10 (10, 20, …, 130: 13 of 135 chapters);
 *   State of the Union:     speeches of years ending in 5 (1795, 1805, …, 2015);
 *   WordNet 3.1 synsets:    those whose "<pos>:<offset>" hashes to 0 modulo 20 (about 5%);
 *   arithmetic problems:    generated, never part of any corpus (their texts are listed anyway);
 *   JavaScript problems:    evalsets/js-functions.jsonl, written for this project (listed too).
 */

/** FNV-1a over UTF-16 code units, finalized with murmur3's mixer: a stable 32-bit hash (unsigned). */
export function stableHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function isHeldOutChapter(chapter: number): boolean {
  return chapter % 10 === 0;
}

export function isHeldOutSpeech(year: number): boolean {
  return year % 10 === 5;
}

export function isHeldOutSynset(pos: string, offset: string): boolean {
  return stableHash(`${pos}:${offset}`) % 20 === 0;
}

export const HOLDOUT_RULES = {
  "moby-dick": "chapters whose number is a multiple of 10 (10, 20, ..., 130)",
  sotu: "speeches of years ending in 5 (1795, 1805, ..., 2015)",
  wordnet: "synsets whose \"<pos>:<offset>\" has stableHash % 20 == 0 (FNV-1a + murmur3 finalizer, src/eval/proxies/holdout.ts)",
  arithmetic: "procedurally generated test problems (seeds proxy-arith:test:<i>); listed in full",
  "js-functions": "evalsets/js-functions.jsonl, written for this project; listed in full",
} as const;
