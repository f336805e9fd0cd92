/**
 * Learning BPE merges from word counts (the second half of training; counting is in count.ts).
 *
 * Every distinct word is laid out once as a doubly linked list of symbols (initially its UTF-8 bytes) in flat
 * typed arrays; a word's frequency weights all its pairs. For every adjacent pair of symbols we keep its total
 * weighted count and a list of the positions where it starts. One merge of (a, b) → z visits only the positions
 * in that list, rewrites them, and adjusts the counts of the neighbouring pairs by ± the word frequency; new
 * pairs get their positions appended. A max-heap ordered by (count, then the pair's ids, lower first) picks the
 * next merge; its entries are updated lazily (an entry whose count is stale is re-queued when it reaches the
 * top), so each merge costs time proportional to the occurrences it rewrites, not to the corpus or the
 * vocabulary. Memory is proportional to the total length of the distinct words.
 *
 * Determinism: the result depends only on the multiset of (word, count); the tie-break is by ids, which depend
 * only on earlier merges. Merging within a word goes left to right, so "aaa" with (a, a) gives "(aa) a".
 *
 * When a merge produces a byte string that is already a token (e.g. "ab"+"c" after "a"+"bc"), the existing id is
 * reused and the vocabulary does not grow, as in Hugging Face's trainer; training stops when the vocabulary
 * reaches its size, when no pair is left, or when the best pair's count is below `minFrequency`.
 */
import { bytesToTokenString } from "./byte-unicode.js";

export interface MergeTrainingOptions {
  /** stop when this many tokens exist (counting the 256 byte tokens) */
  maxTokens: number;
  /** a pair must occur at least this often (weighted) to be merged */
  minFrequency: number;
  /** called every few merges with (new tokens so far, new tokens wanted) */
  onProgress?: (done: number, total: number) => void;
}

export interface MergeTrainingResult {
  /** byte strings: ids 0–255 are the bytes, then one per new token, in order of creation */
  tokens: Uint8Array[];
  /** merges in order, as pairs of the ids above */
  merges: [number, number][];
  /** why training stopped: "size" (vocabulary full), "no-pairs", or "min-frequency" */
  stop: "size" | "no-pairs" | "min-frequency";
  /** count of the last merge made */
  lastCount: number;
}

/** Growable typed arrays without per-element objects. */
class I32 {
  a: Int32Array;
  n = 0;
  constructor(cap: number) {
    this.a = new Int32Array(Math.max(16, cap));
  }
  push(v: number): number {
    if (this.n === this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n] = v;
    return this.n++;
  }
}

class F64 {
  a: Float64Array;
  n = 0;
  constructor(cap: number) {
    this.a = new Float64Array(Math.max(16, cap));
  }
  push(v: number): number {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n] = v;
    return this.n++;
  }
}

/** Max-heap of (count, key, pair index): higher count first, then lower key. */
class MaxHeap {
  private c = new Float64Array(1024);
  private k = new Float64Array(1024);
  private p = new Int32Array(1024);
  size = 0;

  private before(i: number, j: number): boolean {
    return this.c[i] > this.c[j] || (this.c[i] === this.c[j] && this.k[i] < this.k[j]);
  }
  private swap(i: number, j: number): void {
    const c = this.c[i]; this.c[i] = this.c[j]; this.c[j] = c;
    const k = this.k[i]; this.k[i] = this.k[j]; this.k[j] = k;
    const p = this.p[i]; this.p[i] = this.p[j]; this.p[j] = p;
  }
  push(count: number, key: number, pair: number): void {
    if (this.size === this.c.length) {
      const grow = <T extends Float64Array | Int32Array>(x: T, make: (n: number) => T): T => {
        const y = make(x.length * 2);
        y.set(x);
        return y;
      };
      this.c = grow(this.c, (n) => new Float64Array(n));
      this.k = grow(this.k, (n) => new Float64Array(n));
      this.p = grow(this.p, (n) => new Int32Array(n));
    }
    let i = this.size++;
    this.c[i] = count;
    this.k[i] = key;
    this.p[i] = pair;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!this.before(i, up)) break;
      this.swap(i, up);
      i = up;
    }
  }
  topCount(): number {
    return this.c[0];
  }
  topPair(): number {
    return this.p[0];
  }
  pop(): void {
    this.size--;
    if (this.size === 0) return;
    this.swap(0, this.size);
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const c = l + 1 < this.size && this.before(l + 1, l) ? l + 1 : l;
      if (!this.before(c, i)) break;
      this.swap(c, i);
      i = c;
    }
  }
}

/**
 * Learns merges from `words` (distinct strings) and their weighted `counts`. Words are converted to UTF-8
 * (lone surrogates as U+FFFD). The caller should give words in a fixed order (e.g. sorted); the result does not
 * depend on it when counts are integers.
 */
export function learnMerges(words: readonly string[], counts: ArrayLike<number>, opts: MergeTrainingOptions): MergeTrainingResult {
  if (!(opts.maxTokens >= 256)) throw new RangeError(`maxTokens must be at least 256, got ${opts.maxTokens}`);
  if (!(opts.minFrequency > 0)) throw new RangeError(`minFrequency must be positive, got ${opts.minFrequency}`);
  const K = opts.maxTokens; // pair key = a·K + b (ids are below K)
  const utf8 = new TextEncoder();

  // Symbols of every word of two or more bytes (single bytes have no pairs).
  let total = 0;
  for (let w = 0; w < words.length; w++) total += Buffer.byteLength(words[w], "utf8") + 1;
  let buf = new Uint8Array(1 << 16);
  const tokArr = new I32(total);
  const wordOfArr = new I32(total);
  const freqs: number[] = [];
  for (let w = 0; w < words.length; w++) {
    const s = words[w];
    if (buf.length < s.length * 3) buf = new Uint8Array(s.length * 3);
    const n = utf8.encodeInto(s, buf).written;
    if (n < 2 || !(counts[w] > 0)) continue;
    const wi = freqs.length;
    freqs.push(counts[w]);
    for (let i = 0; i < n; i++) {
      tokArr.push(buf[i]);
      wordOfArr.push(wi);
    }
    // -2 separates words in tok[] (never a token), so next/prev can be derived below.
    tokArr.push(-2);
    wordOfArr.push(wi);
  }
  const N = tokArr.n;
  const tok = tokArr.a;
  const wordOf = wordOfArr.a;
  const freq = Float64Array.from(freqs);
  const nxt = new Int32Array(N);
  const prv = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    nxt[i] = i + 1 < N && tok[i + 1] !== -2 && tok[i] !== -2 ? i + 1 : -1;
    prv[i] = i > 0 && tok[i - 1] !== -2 && tok[i] !== -2 ? i - 1 : -1;
  }

  // Pairs: key → index; per index its count, ids, and the head of its position list.
  const pairIndex = new Map<number, number>();
  const pCount = new F64(1 << 16);
  const pA = new I32(1 << 16);
  const pB = new I32(1 << 16);
  const pHead = new I32(1 << 16);
  const pStamp = new I32(1 << 16);
  const occPos = new I32(N);
  const occNext = new I32(N);
  let stamp = 1;
  const touched: number[] = [];

  const add = (a: number, b: number, delta: number, pos: number): void => {
    const key = a * K + b;
    let p = pairIndex.get(key);
    if (p === undefined) {
      // Only the pair being merged (a, a) can be decremented after its removal; it is gone anyway.
      if (delta < 0) return;
      p = pCount.push(0);
      pA.push(a);
      pB.push(b);
      pHead.push(-1);
      pStamp.push(0);
      pairIndex.set(key, p);
    }
    pCount.a[p] += delta;
    if (delta > 0) {
      const o = occPos.push(pos);
      occNext.push(pHead.a[p]);
      pHead.a[p] = o;
      if (pStamp.a[p] !== stamp) {
        pStamp.a[p] = stamp;
        touched.push(p);
      }
    }
  };

  for (let i = 0; i < N; i++) {
    const j = nxt[i];
    if (j >= 0) add(tok[i], tok[j], freq[wordOf[i]], i);
  }
  const heap = new MaxHeap();
  for (const p of touched) heap.push(pCount.a[p], pA.a[p] * K + pB.a[p], p);
  touched.length = 0;

  const tokens: Uint8Array[] = [];
  for (let b = 0; b < 256; b++) tokens.push(Uint8Array.of(b));
  const idOfString = new Map<string, number>(tokens.map((t, id) => [bytesToTokenString(t), id]));
  const strings = tokens.map((t) => bytesToTokenString(t));
  const merges: [number, number][] = [];
  const wanted = opts.maxTokens - 256;
  let positions = new Int32Array(1024);
  let stop: MergeTrainingResult["stop"] = "no-pairs";
  let lastCount = 0;

  while (tokens.length < opts.maxTokens) {
    // The best pair whose heap entry is current.
    let p = -1;
    while (heap.size > 0) {
      const c = heap.topCount();
      const q = heap.topPair();
      heap.pop();
      const actual = pCount.a[q];
      if (pairIndex.get(pA.a[q] * K + pB.a[q]) !== q) continue; // merged already
      if (actual === c) {
        p = q;
        break;
      }
      if (actual > 0) heap.push(actual, pA.a[q] * K + pB.a[q], q);
    }
    if (p < 0) {
      stop = "no-pairs";
      break;
    }
    const count = pCount.a[p];
    if (count < opts.minFrequency) {
      stop = "min-frequency";
      break;
    }
    const a = pA.a[p];
    const b = pB.a[p];
    const joined = strings[a] + strings[b];
    let z = idOfString.get(joined);
    if (z === undefined) {
      z = tokens.length;
      const t = new Uint8Array(tokens[a].length + tokens[b].length);
      t.set(tokens[a]);
      t.set(tokens[b], tokens[a].length);
      tokens.push(t);
      strings.push(joined);
      idOfString.set(joined, z);
    }
    merges.push([a, b]);
    lastCount = count;
    pairIndex.delete(a * K + b);

    // Positions of (a, b); only when a = b can two of them overlap, and then left to right matters.
    let m = 0;
    for (let o = pHead.a[p]; o >= 0; o = occNext.a[o]) {
      if (m === positions.length) {
        const grown = new Int32Array(positions.length * 2);
        grown.set(positions);
        positions = grown;
      }
      positions[m++] = occPos.a[o];
    }
    if (a === b) positions.subarray(0, m).sort();
    stamp++;
    for (let k = 0; k < m; k++) {
      const i = positions[k];
      if (tok[i] !== a) continue;
      const j = nxt[i];
      if (j < 0 || tok[j] !== b) continue;
      const f = freq[wordOf[i]];
      const before = prv[i];
      const after = nxt[j];
      if (before >= 0) {
        add(tok[before], a, -f, before);
        add(tok[before], z, f, before);
      }
      if (after >= 0) {
        add(b, tok[after], -f, i);
        add(z, tok[after], f, i);
      }
      tok[i] = z;
      tok[j] = -1;
      nxt[i] = after;
      if (after >= 0) prv[after] = i;
    }
    for (const q of touched) {
      if (pairIndex.get(pA.a[q] * K + pB.a[q]) === q && pCount.a[q] > 0) heap.push(pCount.a[q], pA.a[q] * K + pB.a[q], q);
    }
    touched.length = 0;
    if (opts.onProgress && (merges.length & 255) === 0) opts.onProgress(tokens.length - 256, wanted);
  }
  if (tokens.length >= opts.maxTokens) stop = "size";
  opts.onProgress?.(tokens.length - 256, wanted);
  return { tokens, merges, stop, lastCount };
}
