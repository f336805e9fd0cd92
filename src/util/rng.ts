/**
 * A seeded, serializable pseudo-random generator for reproducible runs: xoshiro128** (Blackman & Vigna), whose
 * whole state is four 32-bit words, seeded through splitmix64 from a number or a string.
 *
 * Everything a draw depends on is in `state()`: there is no cached second Box–Muller value and no other hidden
 * field, so `Rng.fromState(rng.state())` continues exactly where `rng` is, which is what checkpoint resume needs.
 *
 * `fork(label)` derives an independent stream from the generator's *current* state and the label without
 * drawing from (advancing) the parent: the same parent state and label always give the same child, different
 * labels give unrelated children, and forking at a later point of the parent gives a different child. The usual
 * pattern is to fork named streams ("init", "data", "dropout") from a root generator right after seeding.
 */

const MASK64 = (1n << 64n) - 1n;
const GOLDEN = 0x9e3779b97f4a7c15n;
const TWO32 = 0x100000000;
const TWO53 = 2 ** 53;
// Domain tags keep seeds, string seeds and fork labels from ever sharing an input by construction.
const TAG_NUMBER = 0x6e756d62657200n; // "number"
const TAG_STRING = 0x737472696e6700n; // "string"
const TAG_FORK = 0x666f726b00n; // "fork"

/** splitmix64's output function (a 64-bit finalizer). */
function mix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/** One splitmix64 step applied to x: advance by the golden gamma, then finalize. */
function step(x: bigint): bigint {
  return mix64((x + GOLDEN) & MASK64);
}

/** The splitmix64 sequence from `seed`: `count` outputs. Exported for its test vector. */
export function splitmix64(seed: bigint, count: number): bigint[] {
  let s = seed & MASK64;
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) {
    s = (s + GOLDEN) & MASK64;
    out.push(mix64(s));
  }
  return out;
}

function hashString(s: string): bigint {
  const bytes = new TextEncoder().encode(s);
  let h = mix64(TAG_STRING);
  for (let i = 0; i < bytes.length; i += 8) {
    let chunk = 0n;
    for (let j = Math.min(i + 8, bytes.length) - 1; j >= i; j--) chunk = (chunk << 8n) | BigInt(bytes[j]);
    h = step(h ^ chunk);
  }
  // The length makes "a" and "a\0" differ.
  return step(h ^ BigInt(bytes.length));
}

function seedMaterial(seed: number | string, what: string): bigint {
  if (typeof seed === "string") return hashString(seed);
  if (typeof seed === "number" && Number.isSafeInteger(seed)) {
    return step(BigInt.asUintN(64, BigInt(seed)) ^ TAG_NUMBER);
  }
  throw new TypeError(`${what} must be a safe integer or a string, got ${String(seed)}`);
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export class Rng {
  // xoshiro128** state words, kept as int32 (the >>> 0 happens on output).
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  /** Seeds from a safe integer (negative allowed) or a string (hashed as UTF-8). */
  constructor(seed: number | string) {
    this.setFromMaterial(seedMaterial(seed, "Rng seed"));
  }

  private setFromMaterial(m: bigint): void {
    const [x, y] = splitmix64(m, 2);
    this.a = Number(x & 0xffffffffn) | 0;
    this.b = Number(x >> 32n) | 0;
    this.c = Number(y & 0xffffffffn) | 0;
    this.d = Number(y >> 32n) | 0;
    // xoshiro must never be all zero; two consecutive splitmix outputs both 0 cannot really happen, but be sure.
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** A uniformly random unsigned 32-bit integer. */
  u32(): number {
    const s0 = this.a, s1 = this.b, s2 = this.c, s3 = this.d;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    let c = s2 ^ s0;
    let d = s3 ^ s1;
    this.b = s1 ^ c;
    this.a = s0 ^ d;
    c ^= t;
    d = rotl(d, 11);
    this.c = c;
    this.d = d;
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits (every double k·2⁻⁵³ equally likely); uses two u32 draws. */
  float(): number {
    const hi = this.u32() >>> 5; // 27 bits
    const lo = this.u32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / TWO53;
  }

  /** Uniform in [0, 1) with 24 random bits (exactly representable as float32); one u32 draw. */
  float32(): number {
    return (this.u32() >>> 8) / 16777216;
  }

  /** A normal sample by Box–Muller (cosine branch only; the sine value is discarded so no state is hidden). */
  normal(mean = 0, std = 1): number {
    const u1 = 1 - this.float(); // (0, 1]: log stays finite
    const u2 = this.float();
    return mean + std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** A uniform integer in [0, n), without modulo bias; n is an integer in [1, 2⁵³]. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO53) {
      throw new RangeError(`Rng.int(n): n must be an integer in [1, 2^53], got ${n}`);
    }
    if (n <= TWO32) {
      // Reject the top partial block of 2³² so every residue is equally likely.
      const limit = TWO32 - (TWO32 % n);
      let x = this.u32();
      while (x >= limit) x = this.u32();
      return x % n;
    }
    const limit = TWO53 - (TWO53 % n);
    let x: number;
    do x = (this.u32() >>> 11) * TWO32 + this.u32();
    while (x >= limit);
    return x % n;
  }

  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<T extends { length: number; [i: number]: unknown }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }

  /**
   * An independent generator derived from this one's current state and `label`, leaving this one unchanged
   * (see the file comment).
   */
  fork(label: string | number): Rng {
    const labelHash = seedMaterial(label, "Rng.fork label");
    const lo = BigInt(this.a >>> 0) | (BigInt(this.b >>> 0) << 32n);
    const hi = BigInt(this.c >>> 0) | (BigInt(this.d >>> 0) << 32n);
    let h = step(TAG_FORK ^ lo);
    h = step(h ^ hi);
    h = step(h ^ labelHash);
    const child = Object.create(Rng.prototype) as Rng;
    child.setFromMaterial(h);
    return child;
  }

  /** A copy that continues identically. */
  clone(): Rng {
    return Rng.fromState(this.state());
  }

  /** The complete state: four unsigned 32-bit integers (JSON-friendly). */
  state(): number[] {
    return [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0];
  }

  /** Restores a generator from `state()`; throws on anything that is not four u32 words, not all zero. */
  static fromState(state: unknown): Rng {
    if (!Array.isArray(state) || state.length !== 4) {
      throw new TypeError(`Rng.fromState: expected an array of 4 unsigned 32-bit integers, got ${describe(state)}`);
    }
    for (let i = 0; i < 4; i++) {
      const w = state[i];
      if (typeof w !== "number" || !Number.isInteger(w) || w < 0 || w >= TWO32) {
        throw new TypeError(`Rng.fromState: word ${i} must be an integer in [0, 2^32), got ${describe(w)}`);
      }
    }
    if (state.every((w) => w === 0)) {
      throw new RangeError("Rng.fromState: the all-zero state is invalid for xoshiro128** (it only yields zeros)");
    }
    const r = Object.create(Rng.prototype) as Rng;
    r.a = state[0] | 0;
    r.b = state[1] | 0;
    r.c = state[2] | 0;
    r.d = state[3] | 0;
    return r;
  }
}

function describe(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(v);
  }
}
