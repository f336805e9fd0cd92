/**
 * The BPE model proper: a vocabulary of byte strings and a ranked list of merges, and the function that turns
 * the bytes of one pre-tokenized word into token ids.
 *
 * Merging follows Hugging Face `tokenizers` exactly: start from one symbol per byte, then repeatedly apply the
 * merge of lowest rank among all adjacent pairs, the leftmost occurrence first, until no adjacent pair has a
 * merge. With BPE-dropout (Provilkov et al., 2020) each candidate merge is skipped with probability p; skipped
 * candidates come back after the next merge that does happen, and the word is done when only skipped
 * candidates are left — the same procedure as `tokenizers`, so p = 0 gives the normal encoding exactly.
 */
import { bytesToTokenString } from "./byte-unicode.js";

/** Ids of one encoding, in a growable buffer reused between calls. */
export class IdBuffer {
  a: Int32Array;
  n = 0;
  constructor(capacity = 1024) {
    this.a = new Int32Array(capacity);
  }

  push(id: number): void {
    if (this.n === this.a.length) this.grow(1);
    this.a[this.n++] = id;
  }

  pushAll(ids: Int32Array): void {
    if (this.n + ids.length > this.a.length) this.grow(ids.length);
    this.a.set(ids, this.n);
    this.n += ids.length;
  }

  private grow(extra: number): void {
    const b = new Int32Array(Math.max(this.a.length * 2, this.n + extra));
    b.set(this.a.subarray(0, this.n));
    this.a = b;
  }

  /** A copy of the ids pushed so far. */
  take(): Int32Array {
    return this.a.slice(0, this.n);
  }
}

/** A source of uniform numbers in [0, 1) for BPE-dropout (e.g. `Rng.float32` bound to a seeded Rng). */
export type Uniform = () => number;

export interface BpeModelOptions {
  /** Byte strings of the ids (null where an id is not a BPE token, e.g. a special token). */
  tokens: (Uint8Array | null)[];
  /** Merges in rank order, as pairs of ids; the result is the token whose bytes are the concatenation. */
  merges: [number, number][];
  /** Id for bytes without a token (Hugging Face unk_token); null drops them, as `tokenizers` does. */
  unkId?: number | null;
  fuseUnk?: boolean;
  /** Llama 3's option: a word that is a token as a whole is emitted directly, without merging. */
  ignoreMerges?: boolean;
}

const NO_RANK = 0x7fffffff;

export class BpeModel {
  readonly vocabSize: number;
  /** id of each single-byte token, or -1 */
  readonly byteId = new Int32Array(256).fill(-1);
  private readonly rankOf = new Map<number, number>();
  private readonly mergeResult: Int32Array;
  readonly mergeCount: number;
  private readonly unkId: number | null;
  private readonly fuseUnk: boolean;
  private readonly wholeWord: Map<string, number> | null;
  // Scratch for merging one word (grown on demand).
  private sym = new Int32Array(64);
  private rank = new Int32Array(64);

  constructor(opts: BpeModelOptions) {
    const { tokens, merges } = opts;
    this.vocabSize = tokens.length;
    const byString = new Map<string, number>();
    for (let id = 0; id < tokens.length; id++) {
      const t = tokens[id];
      if (!t) continue;
      if (t.length === 1 && this.byteId[t[0]] < 0) this.byteId[t[0]] = id;
      const key = bytesToTokenString(t);
      if (!byString.has(key)) byString.set(key, id);
    }
    this.mergeResult = new Int32Array(merges.length);
    for (let r = 0; r < merges.length; r++) {
      const [a, b] = merges[r];
      const ta = tokens[a], tb = tokens[b];
      if (!ta || !tb) throw new Error(`merge ${r} (${a} ${b}) refers to an id that is not a BPE token`);
      const joined = bytesToTokenString(ta) + bytesToTokenString(tb);
      const z = byString.get(joined);
      if (z === undefined) throw new Error(`merge ${r} (${a} ${b}) gives ${JSON.stringify(joined)}, which is not in the vocabulary`);
      const key = a * this.vocabSize + b;
      // A pair listed twice keeps its first (lowest) rank, as in `tokenizers`.
      if (!this.rankOf.has(key)) this.rankOf.set(key, r);
      this.mergeResult[r] = z;
    }
    this.mergeCount = merges.length;
    this.unkId = opts.unkId ?? null;
    this.fuseUnk = opts.fuseUnk ?? false;
    this.wholeWord = opts.ignoreMerges ? byString : null;
  }

  /** Rank of the merge of ids a and b, or NO_RANK. */
  private pairRank(a: number, b: number): number {
    const r = this.rankOf.get(a * this.vocabSize + b);
    return r === undefined ? NO_RANK : r;
  }

  /**
   * Appends the ids of one word, given as UTF-8 bytes, to `out`. `dropout` > 0 needs `uniform`.
   */
  encodeWord(bytes: Uint8Array, len: number, out: IdBuffer, dropout = 0, uniform?: Uniform): void {
    if (this.wholeWord) {
      const id = this.wholeWord.get(bytesToTokenString(bytes.subarray(0, len)));
      if (id !== undefined) {
        out.push(id);
        return;
      }
    }
    if (this.sym.length < len) {
      this.sym = new Int32Array(len * 2);
      this.rank = new Int32Array(len * 2);
    }
    const sym = this.sym;
    let n = 0;
    let lastUnk = false;
    for (let i = 0; i < len; i++) {
      const id = this.byteId[bytes[i]];
      if (id >= 0) {
        sym[n++] = id;
        lastUnk = false;
      } else if (this.unkId !== null) {
        // Unknown bytes become unk (consecutive ones fused into one with fuse_unk); they never merge.
        if (!(this.fuseUnk && lastUnk)) sym[n++] = -1;
        lastUnk = true;
      }
    }
    if (dropout > 0 || n > 48) this.mergeHeap(sym, n, out, dropout, uniform);
    else this.mergeSmall(sym, n, out);
  }

  /** Short words: keep the rank of every adjacent pair in an array and scan it for the minimum. */
  private mergeSmall(sym: Int32Array, n: number, out: IdBuffer): void {
    const rank = this.rank;
    for (let i = 0; i + 1 < n; i++) rank[i] = sym[i] < 0 || sym[i + 1] < 0 ? NO_RANK : this.pairRank(sym[i], sym[i + 1]);
    while (n > 1) {
      let best = NO_RANK;
      let at = -1;
      for (let i = 0; i + 1 < n; i++) {
        if (rank[i] < best) {
          best = rank[i];
          at = i;
        }
      }
      if (at < 0) break;
      sym[at] = this.mergeResult[best];
      for (let i = at + 1; i + 1 < n; i++) {
        sym[i] = sym[i + 1];
        rank[i] = rank[i + 1];
      }
      n--;
      if (at > 0) rank[at - 1] = sym[at - 1] < 0 ? NO_RANK : this.pairRank(sym[at - 1], sym[at]);
      if (at + 1 < n) rank[at] = sym[at + 1] < 0 ? NO_RANK : this.pairRank(sym[at], sym[at + 1]);
    }
    for (let i = 0; i < n; i++) out.push(sym[i] < 0 ? this.unkId! : sym[i]);
  }

  /**
   * Long words and dropout: a heap of candidate merges keyed by (rank, position) over a linked list of symbols,
   * as `tokenizers` does; O(n log n).
   */
  private mergeHeap(sym: Int32Array, n: number, out: IdBuffer, dropout: number, uniform?: Uniform): void {
    if (dropout > 0 && !uniform) throw new Error("BPE-dropout needs a random source");
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const alive = new Uint8Array(n).fill(1);
    const heap = new PairHeap();
    for (let i = 0; i + 1 < n; i++) {
      if (sym[i] < 0 || sym[i + 1] < 0) continue;
      const r = this.pairRank(sym[i], sym[i + 1]);
      if (r !== NO_RANK) heap.push(r, i);
    }
    const skipped: number[] = [];
    while (heap.size > 0) {
      const r = heap.topRank();
      const pos = heap.topPos();
      heap.pop();
      const right = next[pos];
      // Stale entries: the symbol was merged away, or the pair at pos is no longer the one this entry ranked.
      if (!alive[pos] || right < 0 || sym[pos] < 0 || sym[right] < 0 || this.pairRank(sym[pos], sym[right]) !== r) continue;
      if (dropout > 0 && uniform!() < dropout) {
        skipped.push(r, pos);
        continue;
      }
      for (let k = 0; k < skipped.length; k += 2) heap.push(skipped[k], skipped[k + 1]);
      skipped.length = 0;
      sym[pos] = this.mergeResult[r];
      alive[right] = 0;
      const after = next[right];
      next[pos] = after;
      if (after >= 0) prev[after] = pos;
      const before = prev[pos];
      if (before >= 0 && sym[before] >= 0) {
        const rl = this.pairRank(sym[before], sym[pos]);
        if (rl !== NO_RANK) heap.push(rl, before);
      }
      if (after >= 0 && sym[after] >= 0) {
        const rr = this.pairRank(sym[pos], sym[after]);
        if (rr !== NO_RANK) heap.push(rr, pos);
      }
    }
    for (let i = n > 0 ? 0 : -1; i >= 0; i = next[i]) out.push(sym[i] < 0 ? this.unkId! : sym[i]);
  }
}

/** A binary min-heap of (rank, position), ordered by rank then position. */
class PairHeap {
  private r: number[] = [];
  private p: number[] = [];
  get size(): number {
    return this.r.length;
  }
  topRank(): number {
    return this.r[0];
  }
  topPos(): number {
    return this.p[0];
  }
  private less(i: number, j: number): boolean {
    return this.r[i] < this.r[j] || (this.r[i] === this.r[j] && this.p[i] < this.p[j]);
  }
  private swap(i: number, j: number): void {
    const tr = this.r[i]; this.r[i] = this.r[j]; this.r[j] = tr;
    const tp = this.p[i]; this.p[i] = this.p[j]; this.p[j] = tp;
  }
  push(rank: number, pos: number): void {
    this.r.push(rank);
    this.p.push(pos);
    let i = this.r.length - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!this.less(i, up)) break;
      this.swap(i, up);
      i = up;
    }
  }
  pop(): void {
    const last = this.r.length - 1;
    this.swap(0, last);
    this.r.pop();
    this.p.pop();
    let i = 0;
    const n = this.r.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const c = l + 1 < n && this.less(l + 1, l) ? l + 1 : l;
      if (!this.less(c, i)) break;
      this.swap(c, i);
      i = c;
    }
  }
}
