import { test } from "node:test";
import assert from "node:assert/strict";
import { native, ref, Rng, TOL, assertClose, assertThreadIndependent, eachConfig, f32 } from "./helpers.js";

// [m, n, k]: unit sizes, vectors, k past the 256-deep packing block, and sizes off every tile (4×16, 6×16, 12×32);
// the last two are above the 128³ multiply-adds below which gemm stays on one thread, so the threaded split runs.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 19, 7],
  [23, 1, 9],
  [5, 7, 1],
  [13, 33, 300],
  [67, 130, 37],
  [50, 3, 260],
  [37, 45, 29],
  [131, 161, 173],
  [97, 129, 301],
];
const TRANS: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];
// (alpha, beta): alpha ≠ 1 with every beta, and alpha = 1.
const SCALARS: [number, number][] = [[-0.75, 0], [1.5, 1], [1, 0.5], [0.3, 1]];

test("gemm matches the float64 reference: all transposes, alpha/beta, awkward shapes", () => {
  const rng = new Rng(101);
  for (const [m, n, k] of SHAPES) {
    const a = rng.array(m * k), b = rng.array(k * n), c0 = rng.array(m * n);
    for (const [ta, tb] of TRANS) {
      for (const [alpha, beta] of SCALARS) {
        const expect = Float64Array.from(c0);
        ref.gemm(ta, tb, m, n, k, alpha, a, b, beta, expect);
        const a32 = f32(a), b32 = f32(b);
        eachConfig((cfg) => {
          const c = f32(c0);
          native.gemm(ta, tb, m, n, k, alpha, a32, b32, beta, c);
          assertClose(c, expect, TOL.matmul, `gemm ${m}×${n}×${k} tA=${ta} tB=${tb} α=${alpha} β=${beta} [${cfg}]`);
        });
      }
    }
  }
});

test("gemm with beta = 0 ignores NaN and Inf in c", () => {
  const rng = new Rng(102);
  for (const [m, n, k] of [[1, 1, 1], [13, 33, 300], [67, 130, 37], [150, 170, 90]] as [number, number, number][]) {
    const a = rng.array(m * k), b = rng.array(k * n);
    const expect = new Float64Array(m * n);
    ref.gemm(false, true, m, n, k, 2, a, b, 0, expect);
    eachConfig((cfg) => {
      const c = new Float32Array(m * n).fill(NaN);
      c[0] = Infinity;
      native.gemm(false, true, m, n, k, 2, f32(a), f32(b), 0, c);
      assert.ok(c.every(Number.isFinite), `NaN leaked through beta = 0 (${m}×${n}×${k}, ${cfg})`);
      assertClose(c, expect, TOL.matmul, `gemm beta=0 ${m}×${n}×${k} [${cfg}]`);
    });
  }
});

test("gemm on the threaded path matches the reference and does not depend on the thread count", () => {
  const rng = new Rng(103);
  const [m, n, k] = [150, 170, 300];
  const a = rng.array(m * k), b = rng.array(k * n), c0 = rng.array(m * n);
  for (const [ta, tb] of TRANS) {
    const expect = Float64Array.from(c0);
    ref.gemm(ta, tb, m, n, k, 0.5, a, b, 0.5, expect);
    eachConfig((cfg) => {
      const c = f32(c0);
      native.gemm(ta, tb, m, n, k, 0.5, f32(a), f32(b), 0.5, c);
      assertClose(c, expect, TOL.matmul, `gemm ${m}×${n}×${k} tA=${ta} tB=${tb} [${cfg}]`);
    });
    assertThreadIndependent(() => {
      const c = f32(c0);
      native.gemm(ta, tb, m, n, k, 0.5, f32(a), f32(b), 0.5, c);
      return [c];
    }, `gemm tA=${ta} tB=${tb}`);
  }
});

test("gemm with k = 0 scales c by beta", () => {
  const c = new Float32Array([1, 2, 3, 4]);
  native.gemm(false, false, 2, 2, 0, 1, new Float32Array(0), new Float32Array(0), 0.5, c);
  assert.deepEqual(Array.from(c), [0.5, 1, 1.5, 2]);
});

test("gemm rejects wrong buffer types and short buffers", () => {
  const a = new Float32Array(6), b = new Float32Array(6), c = new Float32Array(4);
  assert.throws(() => native.gemm(false, false, 2, 2, 3, 1, new Float64Array(6), b, 0, c), TypeError);
  assert.throws(() => native.gemm(false, false, 2, 2, 3, 1, a, b, 0, new Float32Array(3)), /gemm: c has 3 elements/);
  assert.throws(() => native.gemm(false, false, 2, 2, 3, 1, a, new Float32Array(5), 0, c), RangeError);
});
