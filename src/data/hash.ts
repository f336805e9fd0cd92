/**
 * Fast non-cryptographic 32-bit hashing used by dedup, decontamination and the classifier's feature hashing.
 * Everything here is deterministic across platforms and runs (no random seeds from the environment).
 */

/** murmur3's 32-bit finalizer: a bijection on 32-bit integers with full avalanche. Returns an int32. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** FNV-1a over the UTF-16 code units of s[start, end), finalized with fmix32. Returns an int32. */
export function hashString(s: string, seed = 0, start = 0, end = s.length): number {
  let h = (0x811c9dc5 ^ seed) | 0;
  for (let i = start; i < end; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h ^ (end - start));
}

/** Combines a running hash with one more 32-bit value (order-dependent). Returns an int32. */
export function hashCombine(h: number, v: number): number {
  v = Math.imul(v, 0xcc9e2d51);
  v = (v << 15) | (v >>> 17);
  v = Math.imul(v, 0x1b873593);
  h ^= v;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/**
 * A 52-bit hash of a sequence of 32-bit values as a JavaScript number (exact, usable as a Set/Map key): two
 * independently seeded 32-bit hashes, 20 bits of one and 32 of the other.
 */
export function hash52(values: ArrayLike<number>, start: number, end: number): number {
  let a = 0x9747b28c | 0;
  let b = 0x2545f491 | 0;
  for (let i = start; i < end; i++) {
    a = hashCombine(a, values[i]);
    b = hashCombine(b, values[i] ^ 0x5bd1e995);
  }
  a = fmix32(a ^ (end - start));
  b = fmix32(b ^ ((end - start) * 31));
  return (a >>> 12) * 4294967296 + (b >>> 0);
}
