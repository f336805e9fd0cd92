/**
 * Word n-grams for decontamination: the n-grams of held-out text, and whether a piece of training text shares
 * one. Words are lower-cased runs of letters and digits, so punctuation and line wrapping do not hide a copy.
 * 13 words is the usual threshold (GPT-3's decontamination): long enough that only copied text matches.
 *
 * Words are 32-bit hashes and an n-gram a 52-bit rolling hash of them, so a query allocates no strings, and a
 * window with a word the held-out text never uses is skipped at once. A collision (odds around 1e-4 over the
 * whole corpus) could only drop one more sentence, never keep a copied one.
 */
export const DEFAULT_N = 13;

export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

const WORD_CHAR = /[\p{L}\p{N}]/u;

/**
 * The 32-bit FNV-1a hashes of the words of `text` (as `words` splits it), computed from the char codes
 * without making a string per word: on 10 MB of speeches this is several times faster than `words`.
 */
export function wordHashes(text: string): Uint32Array {
  return scanWords(text, null).hashes;
}

interface Scanned {
  hashes: Uint32Array;
  /** char offsets where each word starts and ends (only when asked for) */
  starts: number[];
  ends: number[];
}

function scanWords(text: string, positions: { starts: number[]; ends: number[] } | null): Scanned {
  const out: number[] = [];
  let start = 0;
  let h = 0x811c9dc5;
  let inWord = false;
  for (let i = 0; i <= text.length; i++) {
    let c = i < text.length ? text.charCodeAt(i) : 32;
    let isWord: boolean;
    if (c < 0x80) {
      const l = c | 32;
      isWord = (l >= 97 && l <= 122) || (c >= 48 && c <= 57);
      if (isWord && c >= 65 && c <= 90) c = l;
    } else {
      // Rare outside ASCII: a code point at a time, lower-cased as toLowerCase does.
      const cp = text.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      isWord = WORD_CHAR.test(ch);
      if (isWord) {
        for (const lc of ch.toLowerCase()) {
          h = Math.imul(h ^ lc.codePointAt(0)!, 0x01000193);
        }
        if (!inWord) start = i;
        inWord = true;
        if (cp > 0xffff) i++;
        continue;
      }
    }
    if (isWord) {
      h = Math.imul(h ^ c, 0x01000193);
      if (!inWord) start = i;
      inWord = true;
    } else if (inWord) {
      out.push(h >>> 0);
      if (positions) {
        positions.starts.push(start);
        positions.ends.push(i);
      }
      h = 0x811c9dc5;
      inWord = false;
    }
  }
  return { hashes: Uint32Array.from(out), starts: positions?.starts ?? [], ends: positions?.ends ?? [] };
}

// Two polynomial rolling hashes modulo primes below 2^26: every product stays below 2^53, exact in a double.
const P1 = 67108859;
const P2 = 67108837;
const B1 = 1000003;
const B2 = 999983;

function pow(b: number, e: number, p: number): number {
  let r = 1;
  for (let i = 0; i < e; i++) r = (r * b) % p;
  return r;
}

/**
 * A set of (h1, h2) pairs, both in [0, 2^26), in typed arrays with linear probing: a JavaScript Set of 52-bit
 * numbers would box every key (they are not small integers) and is several times slower.
 */
class PairSet {
  private a = new Int32Array(1 << 12).fill(-1);
  private b = new Int32Array(1 << 12);
  size = 0;

  private slot(h1: number, h2: number): number {
    const mask = this.a.length - 1;
    let i = (Math.imul(h1, 0x9e3779b1) ^ h2) & mask;
    while (this.a[i] !== -1 && (this.a[i] !== h1 || this.b[i] !== h2)) i = (i + 1) & mask;
    return i;
  }

  add(h1: number, h2: number): void {
    const i = this.slot(h1, h2);
    if (this.a[i] !== -1) return;
    this.a[i] = h1;
    this.b[i] = h2;
    if (++this.size * 2 > this.a.length) this.grow();
  }

  has(h1: number, h2: number): boolean {
    return this.a[this.slot(h1, h2)] !== -1;
  }

  private grow(): void {
    const [a, b] = [this.a, this.b];
    this.a = new Int32Array(a.length * 2).fill(-1);
    this.b = new Int32Array(a.length * 2);
    this.size = 0;
    for (let i = 0; i < a.length; i++) if (a[i] !== -1) this.add(a[i], b[i]);
  }
}

export class NgramSet {
  /**
   * The words of the held-out text, as a 2^24-bit filter on their hashes: a word not in it cannot be part of an
   * added n-gram, so its windows are skipped (a false "maybe" only costs one look-up in `grams`).
   */
  private readonly vocab = new Int32Array(1 << 19);
  private readonly grams = new PairSet();
  private readonly top1: number;
  private readonly top2: number;

  constructor(readonly n = DEFAULT_N) {
    if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`NgramSet: n must be a whole number ≥ 1, got ${n}`);
    this.top1 = pow(B1, n - 1, P1);
    this.top2 = pow(B2, n - 1, P2);
  }

  /**
   * Calls `found(h1, h2, last)` for each n-gram of known words (`last`: the index of its last word) until it
   * returns true; `known(i)` false breaks the run. (h1, h2) are the two rolling hashes, 26 bits each.
   */
  private scan(ids: Uint32Array, known: (i: number) => boolean, found: (h1: number, h2: number, last: number) => boolean): boolean {
    let h1 = 0;
    let h2 = 0;
    let run = 0;
    for (let i = 0; i < ids.length; i++) {
      if (!known(i)) {
        h1 = h2 = run = 0;
        continue;
      }
      if (run === this.n) {
        // Drop the word leaving the window.
        const old = ids[i - this.n];
        h1 = (h1 - (((old % P1) * this.top1) % P1) + P1) % P1;
        h2 = (h2 - (((old % P2) * this.top2) % P2) + P2) % P2;
        run--;
      }
      h1 = (h1 * B1 + (ids[i] % P1)) % P1;
      h2 = (h2 * B2 + (ids[i] % P2)) % P2;
      run++;
      if (run === this.n && found(h1, h2, i)) return true;
    }
    return false;
  }

  add(text: string): void {
    const ids = wordHashes(text);
    for (const id of ids) this.vocab[id >>> 13] |= 1 << ((id >>> 8) & 31);
    this.scan(ids, () => true, (h1, h2) => {
      this.grams.add(h1, h2);
      return false;
    });
  }

  private known(id: number): boolean {
    return (this.vocab[id >>> 13] & (1 << ((id >>> 8) & 31))) !== 0;
  }

  /** True when the text contains one of the n-grams added. */
  overlaps(text: string): boolean {
    const ids = wordHashes(text);
    if (ids.length < this.n) return false;
    return this.scan(ids, (i) => this.known(ids[i]), (h1, h2) => this.grams.has(h1, h2));
  }

  /** The char ranges [start, end) of every n-gram of `text` that was added (overlapping ranges not merged). */
  matches(text: string): { start: number; end: number }[] {
    const w = scanWords(text, { starts: [], ends: [] });
    const out: { start: number; end: number }[] = [];
    this.scan(w.hashes, (i) => this.known(w.hashes[i]), (h1, h2, last) => {
      if (this.grams.has(h1, h2)) out.push({ start: w.starts[last - this.n + 1], end: w.ends[last] });
      return false;
    });
    return out;
  }

  get size(): number {
    return this.grams.size;
  }
}
