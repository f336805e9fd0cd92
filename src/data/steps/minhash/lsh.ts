/**
 * MinHash signatures and LSH banding. A document becomes a set of shingles (word or character n-grams, hashed
 * to 32 bits); signature value i is the minimum over the shingles of permutation i, where permutation i is
 * x ↦ fmix32(x XOR seed_i), a bijection of the 32-bit integers (murmur3's finalizer), compared as signed
 * integers. Two documents agree on value i with probability equal to the Jaccard similarity of their shingle
 * sets. Bands of `rows` values are hashed to 64 bits; documents sharing a band hash are candidates.
 */
import { Rng } from "../../../util/rng.js";
import { fmix32, hashCombine, hashString } from "../../hash.js";
import { isWordUnit } from "../common.js";

export interface ShingleOptions {
  unit: "word" | "char";
  ngram: number;
  lowercase: boolean;
}

/** Sorted distinct values of the first `n` entries. */
function distinct(a: Int32Array, n: number): Int32Array {
  const v = a.subarray(0, n).sort();
  let w = 0;
  for (let i = 0; i < n; i++) if (i === 0 || v[i] !== v[i - 1]) v[w++] = v[i];
  return v.slice(0, w);
}

/** The distinct 32-bit shingle hashes of a text (sorted). */
export function shingles(text: string, o: ShingleOptions): Int32Array {
  const t = o.lowercase ? text.toLowerCase() : text;
  if (o.unit === "word") {
    let words = new Int32Array(Math.max(16, t.length >>> 3));
    let nw = 0;
    let h = 0;
    let inWord = false;
    for (let i = 0; i <= t.length; i++) {
      const c = i < t.length ? t.charCodeAt(i) : 32;
      if (isWordUnit(c)) {
        if (!inWord) {
          h = 0x811c9dc5 | 0;
          inWord = true;
        }
        h = Math.imul(h ^ c, 0x01000193);
      } else if (inWord) {
        inWord = false;
        if (nw === words.length) {
          const bigger = new Int32Array(words.length * 2);
          bigger.set(words);
          words = bigger;
        }
        words[nw++] = fmix32(h);
      }
    }
    if (nw === 0) return new Int32Array(0);
    const n = Math.min(o.ngram, nw);
    const out = new Int32Array(nw - n + 1);
    for (let i = 0; i + n <= nw; i++) {
      let x = n;
      for (let j = i; j < i + n; j++) x = hashCombine(x, words[j]);
      out[i] = fmix32(x);
    }
    return distinct(out, out.length);
  }
  const s = t.replace(/\s+/g, " ").trim();
  if (s.length === 0) return new Int32Array(0);
  const n = Math.min(o.ngram, s.length);
  const out = new Int32Array(s.length - n + 1);
  for (let i = 0; i + n <= s.length; i++) out[i] = hashString(s, 0x51ab, i, i + n);
  return distinct(out, out.length);
}

/** Exact Jaccard similarity of two shingle sets. */
export function jaccard(a: Int32Array, b: Int32Array): number {
  if (a.length === 0 && b.length === 0) return 1;
  const sa = new Set(a);
  let inter = 0;
  for (const x of b) if (sa.has(x)) inter++;
  return inter / (a.length + b.length - inter);
}

export function permutationSeeds(count: number, seed: number): Int32Array {
  const rng = new Rng(`minhash-${seed}`);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.u32() | 0;
  return out;
}

/** The MinHash signature of a shingle set (all values 0x7fffffff for an empty set). */
export function signature(sh: Int32Array, seeds: Int32Array, out: Int32Array = new Int32Array(seeds.length)): Int32Array {
  const k = seeds.length;
  out.fill(0x7fffffff);
  for (let s = 0; s < sh.length; s++) {
    const x = sh[s];
    for (let i = 0; i < k; i++) {
      let h = x ^ seeds[i];
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
      if (h < out[i]) out[i] = h;
    }
  }
  return out;
}

/** Share of equal values: the MinHash estimate of the Jaccard similarity. */
export function estimate(a: ArrayLike<number>, b: ArrayLike<number>, k = a.length): number {
  let eq = 0;
  for (let i = 0; i < k; i++) if (a[i] === b[i]) eq++;
  return eq / k;
}

/** The 64-bit hash of band `band` (rows values starting at band·rows) as two 32-bit words. */
export function bandHash(sig: Int32Array, band: number, rows: number, out: Uint32Array): void {
  let a = 0x3c6ef372 ^ band;
  let b = 0x6a09e667 ^ Math.imul(band, 0x9e3779b1);
  for (let i = band * rows; i < (band + 1) * rows; i++) {
    a = hashCombine(a, sig[i]);
    b = hashCombine(b, sig[i] ^ 0x27d4eb2f);
  }
  out[0] = fmix32(a) >>> 0;
  out[1] = fmix32(b ^ rows) >>> 0;
}

/** Probability that a pair of Jaccard similarity s becomes a candidate with b bands of r rows. */
export function candidateProbability(s: number, bands: number, rows: number): number {
  return 1 - Math.pow(1 - Math.pow(s, rows), bands);
}

/**
 * Bands and rows for a Jaccard threshold with at most `numPerm` permutations, minimizing the weighted areas of
 * false positives (below the threshold) and false negatives (above it) under the S-curve.
 */
export function optimalBands(threshold: number, numPerm: number, fpWeight = 0.5, fnWeight = 0.5): { bands: number; rows: number } {
  const area = (f: (s: number) => number, lo: number, hi: number) => {
    const steps = 200;
    const h = (hi - lo) / steps;
    let sum = 0;
    for (let i = 0; i < steps; i++) sum += f(lo + (i + 0.5) * h) * h;
    return sum;
  };
  let best = { bands: 1, rows: numPerm, err: Infinity };
  for (let b = 1; b <= numPerm; b++) {
    for (let r = 1; r * b <= numPerm; r++) {
      const fp = area((s) => candidateProbability(s, b, r), 0, threshold);
      const fn = area((s) => 1 - candidateProbability(s, b, r), threshold, 1);
      const err = fpWeight * fp + fnWeight * fn;
      if (err < best.err - 1e-12) best = { bands: b, rows: r, err };
    }
  }
  return { bands: best.bands, rows: best.rows };
}
