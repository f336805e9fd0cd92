import { test } from "node:test";
import assert from "node:assert/strict";
import {
  native, ref, Rng, TOL, along, assertClose, assertNear, assertThreadIndependent, centralDiff, dot64, eachConfig, f32,
  maxAbsOf,
} from "./helpers.js";

const RMS_SHAPES: [number, number][] = [[1, 1], [1, 130], [7, 3], [67, 33], [5, 130], [3, 1031]];
const HEAD_SHAPES: [number, number, number][] = [[1, 1, 2], [7, 3, 3], [67, 2, 33], [5, 4, 64], [3, 1, 130]];
const EPS = 1e-5;

function norm2(x: ArrayLike<number>): number {
  return Math.sqrt(dot64(x, x));
}

test("rmsNorm and rmsNormBackward match the reference", () => {
  const rng = new Rng(301);
  for (const [rows, dim] of RMS_SHAPES) {
    const x = rng.array(rows * dim, 2), gain = rng.array(dim), dout = rng.array(rows * dim);
    const dx0 = rng.array(rows * dim), dgain0 = rng.array(dim);
    const scale = 1.3;
    const out = new Float64Array(rows * dim), rstd = new Float64Array(rows);
    ref.rmsNorm(out, rstd, x, gain, rows, dim, EPS, scale);
    const rstd32 = Float64Array.from(f32(rstd)); // the backward pass reads the float32 rstd the forward wrote
    const dx = new Float64Array(rows * dim), dxa = Float64Array.from(dx0), dgain = Float64Array.from(dgain0);
    const ds = ref.rmsNormBackward(dx, dgain, dout, x, gain, rstd32, rows, dim, scale, false);
    ref.rmsNormBackward(dxa, new Float64Array(dim), dout, x, gain, rstd32, rows, dim, scale, true);
    const dxScale = scale * maxAbsOf(rstd32) * maxAbsOf(dout) * maxAbsOf(gain);
    let dsAbs = 0;
    for (let r = 0; r < rows; r++) for (let j = 0; j < dim; j++) dsAbs += Math.abs(dout[r * dim + j] * x[r * dim + j] * gain[j] * rstd32[r]);
    eachConfig((cfg) => {
      const what = `${rows}×${dim} [${cfg}]`;
      const o = new Float32Array(rows * dim), rs = new Float32Array(rows);
      native.rmsNorm(o, rs, f32(x), f32(gain), rows, dim, EPS, scale);
      assertClose(o, out, TOL.rowReduction, `rmsNorm out ${what}`);
      assertClose(rs, rstd, TOL.rowReduction, `rmsNorm rstd ${what}`);
      const ndx = new Float32Array(rows * dim).fill(NaN), ndxa = f32(dx0), ndg = f32(dgain0);
      const nds = native.rmsNormBackward(ndx, ndg, f32(dout), f32(x), f32(gain), f32(rstd32), rows, dim, scale, false);
      native.rmsNormBackward(ndxa, new Float32Array(dim), f32(dout), f32(x), f32(gain), f32(rstd32), rows, dim, scale, true);
      // dx = scale·rstd·(dout ⊙ gain − x·c) nearly cancels for a dim of 1: its error scales with the terms
      assertClose(ndx, dx, TOL.rowReduction, `rmsNormBackward dx ${what}`, { floor: dxScale });
      assertClose(ndxa, dxa, TOL.rowReduction, `rmsNormBackward dx accumulate ${what}`, { floor: dxScale });
      assertClose(ndg, dgain, TOL.rowReduction, `rmsNormBackward dgain ${what}`);
      assertNear(nds, ds, TOL.rowReduction, `rmsNormBackward dscale ${what}`, dsAbs);
    });
  }
});

test("rmsNormBackward is the gradient of rmsNorm (finite differences, float64 reference)", () => {
  const rng = new Rng(302);
  for (const [rows, dim] of RMS_SHAPES.slice(0, 5)) {
    const x = rng.array(rows * dim, 2), gain = rng.array(dim), w = rng.array(rows * dim);
    const scale = 0.8;
    // L = Σ w ⊙ rmsNorm(x, gain, scale)
    const L = (xx: Float64Array, gg: Float64Array, s: number): number => {
      const out = new Float64Array(rows * dim), rstd = new Float64Array(rows);
      ref.rmsNorm(out, rstd, xx, gg, rows, dim, EPS, s);
      return dot64(w, out);
    };
    const out = new Float64Array(rows * dim), rstd = new Float64Array(rows);
    ref.rmsNorm(out, rstd, x, gain, rows, dim, EPS, scale);
    const dx = new Float64Array(rows * dim), dgain = new Float64Array(dim);
    const dscale = ref.rmsNormBackward(dx, dgain, w, x, gain, rstd, rows, dim, scale, false);
    // central differences carry about 2⁻⁵³·|L|/h of rounding: it dominates where the gradient nearly vanishes
    const fdNoise = 1e-4 * Math.abs(L(x, gain, scale));
    for (let t = 0; t < 3; t++) {
      const ux = rng.array(rows * dim), ug = rng.array(dim);
      const what = `${rows}×${dim} direction ${t}`;
      assertNear(centralDiff((h) => L(along(x, ux, h), gain, scale)), dot64(dx, ux), TOL.fd64, `dx ${what}`, norm2(dx) * norm2(ux) + fdNoise);
      assertNear(centralDiff((h) => L(x, along(gain, ug, h), scale)), dot64(dgain, ug), TOL.fd64, `dgain ${what}`, norm2(dgain) * norm2(ug) + fdNoise);
    }
    assertNear(centralDiff((h) => L(x, gain, scale + h)), dscale, TOL.fd64, `dscale ${rows}×${dim}`, Math.abs(dscale) + 1e-3);
  }
});

test("headLayerNorm and headLayerNormBackward match the reference", () => {
  const rng = new Rng(303);
  for (const [rows, heads, hd] of HEAD_SHAPES) {
    const n = rows * heads * hd;
    const x = rng.array(n, 3), gain = rng.array(heads * hd), dout = rng.array(n), dgain0 = rng.array(heads * hd);
    for (let i = 0; i < n; i++) x[i] = Math.fround(x[i] + 0.5); // a mean away from 0
    const out = new Float64Array(n), mean = new Float64Array(rows * heads), rstd = new Float64Array(rows * heads);
    ref.headLayerNorm(out, mean, rstd, x, gain, rows, heads, hd, EPS);
    const mean32 = Float64Array.from(f32(mean)), rstd32 = Float64Array.from(f32(rstd));
    const dx = new Float64Array(n), dgain = Float64Array.from(dgain0);
    ref.headLayerNormBackward(dx, dgain, dout, x, gain, mean32, rstd32, rows, heads, hd);
    const dxScale = maxAbsOf(rstd32) * maxAbsOf(dout) * maxAbsOf(gain);
    eachConfig((cfg) => {
      const what = `${rows}×${heads}×${hd} [${cfg}]`;
      const o = new Float32Array(n), mu = new Float32Array(rows * heads), rs = new Float32Array(rows * heads);
      native.headLayerNorm(o, mu, rs, f32(x), f32(gain), rows, heads, hd, EPS);
      assertClose(o, out, TOL.rowReduction, `headLayerNorm out ${what}`);
      assertClose(mu, mean, TOL.rowReduction, `headLayerNorm mean ${what}`);
      assertClose(rs, rstd, TOL.rowReduction, `headLayerNorm rstd ${what}`);
      const ndx = new Float32Array(n).fill(NaN), ndg = f32(dgain0);
      native.headLayerNormBackward(ndx, ndg, f32(dout), f32(x), f32(gain), f32(mean32), f32(rstd32), rows, heads, hd);
      // dx is a difference of nearly equal terms (for a head dim of 2 it almost cancels): its error scales
      // with rstd·|dout ⊙ gain|, not with |dx|
      assertClose(ndx, dx, TOL.rowReduction, `headLayerNormBackward dx ${what}`, { floor: dxScale });
      assertClose(ndg, dgain, TOL.rowReduction, `headLayerNormBackward dgain ${what}`);
    });
  }
});

test("headLayerNormBackward is the gradient of headLayerNorm (finite differences, float64 reference)", () => {
  const rng = new Rng(304);
  for (const [rows, heads, hd] of HEAD_SHAPES) {
    const n = rows * heads * hd;
    const x = rng.array(n, 2), gain = rng.array(heads * hd), w = rng.array(n);
    const L = (xx: Float64Array, gg: Float64Array): number => {
      const out = new Float64Array(n);
      ref.headLayerNorm(out, new Float64Array(rows * heads), new Float64Array(rows * heads), xx, gg, rows, heads, hd, EPS);
      return dot64(w, out);
    };
    const out = new Float64Array(n), mean = new Float64Array(rows * heads), rstd = new Float64Array(rows * heads);
    ref.headLayerNorm(out, mean, rstd, x, gain, rows, heads, hd, EPS);
    const dx = new Float64Array(n), dgain = new Float64Array(heads * hd);
    ref.headLayerNormBackward(dx, dgain, w, x, gain, mean, rstd, rows, heads, hd);
    // central differences carry about 2⁻⁵³·|L|/h of rounding: it dominates where the gradient nearly vanishes
    // (a head dim of 1 or 2)
    const fdNoise = 1e-4 * Math.abs(L(x, gain));
    for (let t = 0; t < 3; t++) {
      const ux = rng.array(n), ug = rng.array(heads * hd);
      const what = `${rows}×${heads}×${hd} direction ${t}`;
      assertNear(centralDiff((h) => L(along(x, ux, h), gain)), dot64(dx, ux), TOL.fd64, `dx ${what}`, norm2(dx) * norm2(ux) + fdNoise);
      assertNear(centralDiff((h) => L(x, along(gain, ug, h))), dot64(dgain, ug), TOL.fd64, `dgain ${what}`, norm2(dgain) * norm2(ug) + fdNoise);
    }
  }
});

test("norm kernels do not depend on the thread count", () => {
  const rng = new Rng(305);
  const rows = 300, dim = 257;
  const x = f32(rng.array(rows * dim)), gain = f32(rng.array(dim)), dout = f32(rng.array(rows * dim));
  assertThreadIndependent(() => {
    const out = new Float32Array(rows * dim), rstd = new Float32Array(rows);
    native.rmsNorm(out, rstd, x, gain, rows, dim, EPS, 1.1);
    const dx = new Float32Array(rows * dim), dgain = new Float32Array(dim).fill(0.25);
    const ds = native.rmsNormBackward(dx, dgain, dout, x, gain, rstd, rows, dim, 1.1, false);
    return [out, rstd, dx, dgain, new Float32Array(new Float64Array([ds]).buffer)];
  }, "rmsNorm/rmsNormBackward");
  const heads = 4, hd = 64, n = rows * heads * hd;
  const hx = f32(rng.array(n)), hg = f32(rng.array(heads * hd)), hdout = f32(rng.array(n));
  assertThreadIndependent(() => {
    const out = new Float32Array(n), mean = new Float32Array(rows * heads), rstd = new Float32Array(rows * heads);
    native.headLayerNorm(out, mean, rstd, hx, hg, rows, heads, hd, EPS);
    const dx = new Float32Array(n), dgain = new Float32Array(heads * hd);
    native.headLayerNormBackward(dx, dgain, hdout, hx, hg, mean, rstd, rows, heads, hd);
    return [out, mean, rstd, dx, dgain];
  }, "headLayerNorm/headLayerNormBackward");
});

test("norm kernels reject wrong types and short buffers", () => {
  const b = (n: number) => new Float32Array(n);
  assert.throws(() => native.rmsNorm(b(6), b(1), b(6), b(3), 2, 3, EPS, 1), /rmsNorm: rstd has 1 elements/);
  assert.throws(() => native.rmsNorm(b(6), b(2), b(6), b(2), 2, 3, EPS, 1), /rmsNorm: gain has 2/);
  assert.throws(() => native.rmsNorm(b(6), b(2), new Float64Array(6), b(3), 2, 3, EPS, 1), /rmsNorm: x must be a Float32Array/);
  assert.throws(() => native.rmsNormBackward(b(6), b(3), b(5), b(6), b(3), b(2), 2, 3, 1, false), /rmsNormBackward: dout has 5/);
  assert.throws(() => native.headLayerNorm(b(12), b(4), b(3), b(12), b(6), 2, 2, 3, EPS), /headLayerNorm: rstd has 3/);
  assert.throws(() => native.headLayerNormBackward(b(12), b(5), b(12), b(12), b(6), b(4), b(4), 2, 2, 3), /headLayerNormBackward: dgain has 5/);
});
