import { test } from "node:test";
import assert from "node:assert/strict";
import {
  native, ref, Rng, TOL, assertClose, assertNear, assertThreadIndependent, eachConfig, f32,
} from "./helpers.js";

const ROWS = [1, 7, 67, 301];
const DIMS = [1, 3, 33, 130];
// lengths around every vector width and past the reduction chunk (16384) and the parallel threshold
const LENGTHS = [1, 3, 15, 17, 33, 130, 1001, 16385, 70001];

test("addBias and sumRows match the reference", () => {
  const rng = new Rng(201);
  for (const rows of ROWS) {
    for (const cols of DIMS) {
      const y0 = rng.array(rows * cols), bias = rng.array(cols);
      const ey = Float64Array.from(y0);
      ref.addBias(ey, bias, rows, cols, -1.25);
      const out0 = rng.array(cols);
      const es = Float64Array.from(out0), ea = Float64Array.from(out0);
      ref.sumRows(es, y0, rows, cols, 0.5, false);
      ref.sumRows(ea, y0, rows, cols, 0.5, true);
      eachConfig((cfg) => {
        const y = f32(y0);
        native.addBias(y, f32(bias), rows, cols, -1.25);
        assertClose(y, ey, TOL.elementwise, `addBias ${rows}×${cols} [${cfg}]`);
        const s = f32(out0), a = f32(out0);
        native.sumRows(s, f32(y0), rows, cols, 0.5, false);
        native.sumRows(a, f32(y0), rows, cols, 0.5, true);
        assertClose(s, es, TOL.exactSum, `sumRows ${rows}×${cols} [${cfg}]`);
        assertClose(a, ea, TOL.exactSum, `sumRows accumulate ${rows}×${cols} [${cfg}]`);
      });
    }
  }
});

test("scale and axpy match the reference", () => {
  const rng = new Rng(202);
  for (const n of LENGTHS) {
    const x0 = rng.array(n), y0 = rng.array(n);
    const es = Float64Array.from(x0), ea = Float64Array.from(y0);
    ref.scale(es, n, 0.37);
    ref.axpy(ea, x0, n, -1.7);
    eachConfig((cfg) => {
      const x = f32(x0), y = f32(y0);
      native.scale(x, n, 0.37);
      native.axpy(y, f32(x0), n, -1.7);
      assertClose(x, es, TOL.elementwise, `scale n=${n} [${cfg}]`);
      assertClose(y, ea, TOL.elementwise, `axpy n=${n} [${cfg}]`);
    });
  }
});

test("kernels touch only the first n elements", () => {
  const x = new Float32Array([1, 2, 3, 4, 5]);
  native.scale(x, 3, 2);
  assert.deepEqual(Array.from(x), [2, 4, 6, 4, 5]);
  const y = new Float32Array([1, 1, 1, 1, 1]);
  native.axpy(y, x, 2, 1);
  assert.deepEqual(Array.from(y), [3, 5, 1, 1, 1]);
});

test("dot, sumSquares and maxAbs match the reference", () => {
  const rng = new Rng(203);
  for (const n of LENGTHS) {
    const a = rng.array(n), b = rng.array(n, 3);
    const ed = ref.dot(a, b, n), es = ref.sumSquares(b, n), em = ref.maxAbs(b, n);
    let absSum = 0;
    for (let i = 0; i < n; i++) absSum += Math.abs(a[i] * b[i]);
    eachConfig((cfg) => {
      // float products are exact in double and summed in double: only double roundings differ (≤ n·2⁻⁵³)
      assertNear(native.dot(f32(a), f32(b), n), ed, 1e-11, `dot n=${n} [${cfg}]`, absSum);
      assertNear(native.sumSquares(f32(b), n), es, 1e-11, `sumSquares n=${n} [${cfg}]`);
      assert.equal(native.maxAbs(f32(b), n), em, `maxAbs n=${n} [${cfg}]`);
    });
  }
});

test("reductions of n = 0 are 0", () => {
  const e = new Float32Array(0);
  assert.equal(native.dot(e, e, 0), 0);
  assert.equal(native.sumSquares(e, 0), 0);
  assert.equal(native.maxAbs(e, 0), 0);
});

test("dot, sumSquares and maxAbs propagate NaN and Inf", () => {
  const rng = new Rng(204);
  for (const n of [1, 7, 16, 37, 40000]) {
    // a NaN or Inf in the vector body, in the scalar tail, and in the last chunk
    for (const pos of new Set([0, n >> 1, n - 1])) {
      eachConfig((cfg) => {
        const x = f32(rng.array(n)), y = f32(rng.array(n));
        x[pos] = NaN;
        assert.ok(Number.isNaN(native.dot(x, y, n)), `dot NaN at ${pos}/${n} [${cfg}]`);
        assert.ok(Number.isNaN(native.dot(y, x, n)), `dot NaN at ${pos}/${n} [${cfg}]`);
        assert.ok(Number.isNaN(native.sumSquares(x, n)), `sumSquares NaN at ${pos}/${n} [${cfg}]`);
        assert.ok(Number.isNaN(native.maxAbs(x, n)), `maxAbs NaN at ${pos}/${n} [${cfg}]`);
        x[pos] = -Infinity;
        assert.equal(native.sumSquares(x, n), Infinity, `sumSquares -Inf at ${pos}/${n} [${cfg}]`);
        assert.equal(native.maxAbs(x, n), Infinity, `maxAbs -Inf at ${pos}/${n} [${cfg}]`);
        assert.ok(!Number.isFinite(native.dot(x, y, n)), `dot -Inf at ${pos}/${n} [${cfg}]`);
        x[pos] = 3.4e38; // finite in float32, its square is not: the double sum stays finite
        assert.ok(Number.isFinite(native.sumSquares(x, n)), `sumSquares 3.4e38 at ${pos}/${n} [${cfg}]`);
      });
    }
  }
});

test("reductions, sumRows and elementwise kernels do not depend on the thread count", () => {
  const rng = new Rng(205);
  const n = 300001;
  const a = f32(rng.array(n)), b = f32(rng.array(n));
  assertThreadIndependent(() => [
    new Float32Array([native.dot(a, b, n), native.sumSquares(a, n), native.maxAbs(b, n)]),
    // the double results themselves, bit for bit
    new Float32Array(new Float64Array([native.dot(a, b, n), native.sumSquares(a, n)]).buffer),
  ], "dot/sumSquares/maxAbs");
  const rows = 500, cols = 130;
  const x = f32(rng.array(rows * cols)), bias = f32(rng.array(cols));
  assertThreadIndependent(() => {
    const s = new Float32Array(cols);
    native.sumRows(s, x, rows, cols, 0.5, false);
    const y = x.slice();
    native.addBias(y, bias, rows, cols, 2);
    const z = a.slice();
    native.axpy(z, b, n, 0.5);
    native.scale(z, n, 1.5);
    return [s, y, z];
  }, "sumRows/addBias/axpy/scale");
});

test("elementwise kernels reject wrong types and short buffers", () => {
  const x = new Float32Array(4);
  assert.throws(() => native.scale(new Float64Array(4), 4, 1), /scale: x must be a Float32Array/);
  assert.throws(() => native.scale(x, 5, 1), /scale: x has 4 elements but the sizes given need 5/);
  assert.throws(() => native.axpy(x, new Float32Array(3), 4, 1), /axpy: x has 3/);
  assert.throws(() => native.dot(x, new Float32Array(3), 4), RangeError);
  assert.throws(() => native.sumSquares(x, 5), RangeError);
  assert.throws(() => native.maxAbs([1, 2] as unknown as Float32Array, 2), TypeError);
  assert.throws(() => native.addBias(x, new Float32Array(2), 2, 3, 1), /addBias: y has 4/);
  assert.throws(() => native.addBias(new Float32Array(6), new Float32Array(2), 2, 3, 1), /addBias: bias has 2/);
  assert.throws(() => native.sumRows(new Float32Array(2), x, 1, 4, 1, false), /sumRows: out has 2/);
  assert.throws(() => native.scale(x, -1, 1), RangeError);
  assert.throws(() => native.scale(x, 1.5, 1), RangeError);
});
