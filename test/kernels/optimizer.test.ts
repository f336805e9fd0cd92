import { test } from "node:test";
import assert from "node:assert/strict";
import { native, ref, Rng, TOL, assertClose, assertThreadIndependent, eachConfig, f32 } from "./helpers.js";

// (lr, beta1, beta2, eps, weightDecay)
const SETTINGS: [number, number, number, number, number][] = [
  [1e-3, 0.9, 0.999, 1e-8, 0.1],
  [3e-2, 0.9, 0.95, 1e-15, 0],
  [1e-2, 0.8, 0.99, 1e-6, 0.5],
];

test("adamw matches the reference over several steps (state carried between steps)", () => {
  const rng = new Rng(901);
  for (const n of [1, 7, 33, 130, 70001]) {
    for (const [lr, b1, b2, eps, wd] of SETTINGS) {
      const p0 = rng.array(n), grads = [rng.array(n), rng.array(n, 1e-3), rng.array(n, 10)];
      const p = Float64Array.from(p0), m = new Float64Array(n), v = new Float64Array(n);
      const expected: Float64Array[][] = [];
      grads.forEach((g, i) => {
        ref.adamw(p, g, m, v, n, lr, b1, b2, eps, wd, i + 1);
        expected.push([Float64Array.from(p), Float64Array.from(m), Float64Array.from(v)]);
      });
      eachConfig((cfg) => {
        const np = f32(p0), nm = new Float32Array(n), nv = new Float32Array(n);
        grads.forEach((g, i) => {
          native.adamw(np, f32(g), nm, nv, n, lr, b1, b2, eps, wd, i + 1);
          const what = `n=${n} lr=${lr} β=${b1}/${b2} eps=${eps} wd=${wd} step ${i + 1} [${cfg}]`;
          assertClose(np, expected[i][0], TOL.adamw, `adamw param ${what}`);
          assertClose(nm, expected[i][1], TOL.adamw, `adamw m ${what}`);
          assertClose(nv, expected[i][2], TOL.adamw, `adamw v ${what}`);
        });
      });
    }
  }
});

test("adamw's first step moves every parameter by about lr against the gradient's sign", () => {
  const rng = new Rng(902);
  const n = 1000, lr = 1e-2;
  const p0 = f32(rng.array(n)), g = f32(rng.array(n));
  eachConfig((cfg) => {
    const p = p0.slice(), m = new Float32Array(n), v = new Float32Array(n);
    native.adamw(p, g, m, v, n, lr, 0.9, 0.999, 1e-8, 0, 1);
    for (let i = 0; i < n; i++) {
      assert.ok(Math.abs(p0[i] - p[i] - lr * Math.sign(g[i])) < 1e-6, `element ${i} [${cfg}]`);
    }
  });
});

test("adamw does not depend on the thread count", () => {
  const rng = new Rng(903);
  const n = 200001;
  const p0 = f32(rng.array(n)), g = f32(rng.array(n)), m0 = f32(rng.array(n, 0.1)), v0 = f32(rng.positive(n, 1e-4, 1e-2));
  assertThreadIndependent(() => {
    const p = p0.slice(), m = m0.slice(), v = v0.slice();
    native.adamw(p, g, m, v, n, 1e-3, 0.9, 0.95, 1e-8, 0.1, 7);
    return [p, m, v];
  }, "adamw");
});

test("adamw rejects wrong types, short buffers and step 0", () => {
  const b = (k: number) => new Float32Array(k);
  assert.throws(() => native.adamw(b(4), b(4), b(3), b(4), 4, 1e-3, 0.9, 0.999, 1e-8, 0, 1), /adamw: m has 3/);
  assert.throws(() => native.adamw(b(4), new Float64Array(4), b(4), b(4), 4, 1e-3, 0.9, 0.999, 1e-8, 0, 1),
    /adamw: grad must be a Float32Array/);
  assert.throws(() => native.adamw(b(4), b(4), b(4), b(4), 4, 1e-3, 0.9, 0.999, 1e-8, 0, 0), /adamw: step counts from 1/);
});
