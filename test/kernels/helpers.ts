/**
 * Shared helpers of the kernel tests: a seeded PRNG, random inputs, float32 ⇄ float64 copies, tolerance checks
 * relative to the magnitude of the expected values, iteration over every SIMD level and thread count of the
 * native addon, and finite differences.
 *
 * How the native kernels are checked: random inputs are drawn as float32 values (so the native kernel and the
 * float64 reference see exactly the same numbers), the reference runs in float64, and the native float32
 * result must satisfy max|native − reference| ≤ tol · max|reference| over the whole output (TOL below).
 */
import assert from "node:assert/strict";
import { loadNative, nativeKernels } from "../../src/kernels/native.js";
import { referenceKernels } from "../../src/kernels/reference.js";
import type { Buf, Kernels } from "../../src/kernels/types.js";

export const ref: Kernels = referenceKernels("f64");
export const native: Kernels = nativeKernels();
export const addon = loadNative();

/**
 * Tolerances, relative to the largest magnitude of the expected output (float32 ε = 6e-8). Observed errors
 * are 5–20× below these.
 */
export const TOL = {
  /** a few float32 roundings per element (scale, axpy, addBias, embedding, rope, swiglu) */
  elementwise: 2e-6,
  /** sums formed in double (dot, sumSquares, sumRows): only the final rounding to float32 remains */
  exactSum: 1e-6,
  /** row reductions in float32 lanes (norms and their backward passes, cross-entropy) */
  rowReduction: 1e-5,
  /** gemm and attention: float32 products summed over up to a few hundred terms */
  matmul: 2e-5,
  /** backward of attention: three chained matmuls and the recomputed softmax */
  attentionBackward: 5e-5,
  /** AdamW: the update divides by √v + ε, which magnifies rounding of tiny v */
  adamw: 1e-5,
  /** a float64 reference backward against central differences of the float64 reference forward */
  fd64: 1e-6,
} as const;

/** mulberry32: small, fast, seeded. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** uniform in [0, 1) */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** float32-representable value with magnitude in [0.1·amp, amp] and a random sign: never zero */
  value(amp = 1): number {
    const m = amp * (0.1 + 0.9 * this.next());
    return Math.fround(this.next() < 0.5 ? -m : m);
  }
  /** n float32-representable values (see value), as float64 */
  array(n: number, amp = 1): Float64Array {
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = this.value(amp);
    return x;
  }
  /** n positive float32-representable values in [lo, hi] */
  positive(n: number, lo: number, hi: number): Float64Array {
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = Math.fround(lo + (hi - lo) * this.next());
    return x;
  }
}

export const f32 = (x: ArrayLike<number>): Float32Array => Float32Array.from(x);
export const f64 = (x: ArrayLike<number>): Float64Array => Float64Array.from(x);

export function maxAbsOf(x: ArrayLike<number>, n = x.length): number {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

// KERNEL_TEST_REPORT=1 prints the largest error seen against each tolerance when the process exits, to
// keep the tolerances honest.
const worstSeen = new Map<number, number>();
function observe(tol: number, err: number): void {
  if (!process.env.KERNEL_TEST_REPORT) return;
  if (worstSeen.size === 0) {
    process.on("exit", () => {
      for (const [t, e] of [...worstSeen].sort((a, b) => a[0] - b[0])) {
        console.log(`# tolerance ${t}: worst error ${e.toExponential(2)} (${(t / e).toFixed(1)}× margin)`);
      }
    });
  }
  worstSeen.set(tol, Math.max(worstSeen.get(tol) ?? 0, err));
}

/** max|actual − expected| / max(max|expected|, floor) (the plain maximum error when that is 0). */
export function relErr(actual: ArrayLike<number>, expected: ArrayLike<number>, n = expected.length, floor = 0): number {
  let e = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (Number.isNaN(d)) return Infinity;
    e = Math.max(e, d);
  }
  const m = Math.max(maxAbsOf(expected, n), floor);
  return m === 0 ? e : e / m;
}

/**
 * Asserts max|actual − expected| ≤ tol · max(max|expected|, floor) over the first n elements. `floor` is for
 * outputs that are differences of much larger terms (their error scales with the terms, not the result).
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string,
  opts: { n?: number; floor?: number } = {}): void {
  const n = opts.n ?? expected.length;
  assert.ok(actual.length >= n, `${what}: output has ${actual.length} elements, expected ${n}`);
  const e = relErr(actual, expected, n, opts.floor ?? 0);
  observe(tol, e);
  if (e <= tol) return;
  let worst = 0;
  for (let i = 1; i < n; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= Math.abs(actual[worst] - expected[worst]))) worst = i;
  }
  assert.fail(`${what}: relative error ${e.toExponential(2)} > ${tol} (worst at ${worst}: got ${actual[worst]}, ` +
    `expected ${expected[worst]}, max |expected| ${maxAbsOf(expected, n)})`);
}

/** Asserts |actual − expected| ≤ tol · max(|expected|, floor). */
export function assertNear(actual: number, expected: number, tol: number, what: string, floor = 0): void {
  const bound = tol * Math.max(Math.abs(expected), floor);
  observe(tol, Math.abs(actual - expected) / Math.max(Math.abs(expected), floor, Number.MIN_VALUE));
  if (process.env.KERNEL_TEST_TRACE && Math.abs(actual - expected) > Number(process.env.KERNEL_TEST_TRACE) * bound) console.log(`# near: ${what} ${Math.abs(actual - expected) / bound}`);
  assert.ok(Math.abs(actual - expected) <= bound,
    `${what}: got ${actual}, expected ${expected} (|diff| ${Math.abs(actual - expected).toExponential(2)} > ${bound.toExponential(2)})`);
}

export function assertBitEqual(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths differ`);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) assert.fail(`${what}: element ${i} differs (${a[i]} vs ${b[i]})`);
  }
}

/** The SIMD levels this CPU and build support. */
export const LEVELS = addon.simdLevels();
export const THREADS = [1, 2];

/**
 * Runs fn once per (SIMD level, thread count), with the addon switched to it; restores the previous level
 * and thread count afterwards, also when fn throws.
 */
export function eachConfig(fn: (label: string) => void): void {
  const level0 = addon.simdLevel();
  const threads0 = addon.getThreads();
  try {
    for (const level of LEVELS) {
      addon.setSimdLevel(level);
      for (const t of THREADS) {
        addon.setThreads(t);
        fn(`${level}, ${t} thread${t > 1 ? "s" : ""}`);
      }
    }
  } finally {
    addon.setSimdLevel(level0);
    addon.setThreads(threads0);
  }
}

/** Runs fn with every SIMD level, once with 1 thread and once with 2, and asserts bit-identical outputs. */
export function assertThreadIndependent(fn: () => Float32Array[], what: string): void {
  const level0 = addon.simdLevel();
  const threads0 = addon.getThreads();
  try {
    for (const level of LEVELS) {
      addon.setSimdLevel(level);
      addon.setThreads(1);
      const one = fn();
      addon.setThreads(2);
      const two = fn();
      one.forEach((x, i) => assertBitEqual(two[i], x, `${what} [${level}] output ${i}, 2 threads vs 1`));
    }
  } finally {
    addon.setSimdLevel(level0);
    addon.setThreads(threads0);
  }
}

/** x + t·u */
export function along(x: Float64Array, u: Float64Array, t: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i] + t * u[i];
  return y;
}

/** Central difference of f at 0: (f(h) − f(−h)) / 2h. */
export function centralDiff(f: (t: number) => number, h = 1e-5): number {
  return (f(h) - f(-h)) / (2 * h);
}

/** Σ a[i]·b[i] in double. */
export function dot64(a: ArrayLike<number>, b: ArrayLike<number>, n = Math.min(a.length, b.length)): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

/** Copies of `bufs` as float32 (for the native kernels). */
export function toF32(...bufs: Float64Array[]): Float32Array[] {
  return bufs.map((b) => f32(b));
}

export type { Buf };
