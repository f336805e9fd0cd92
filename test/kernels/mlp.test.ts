import { test } from "node:test";
import assert from "node:assert/strict";
import {
  native, ref, Rng, TOL, along, assertClose, assertNear, assertThreadIndependent, centralDiff, dot64, eachConfig, f32,
  maxAbsOf,
} from "./helpers.js";

const LENGTHS = [1, 3, 15, 17, 33, 130, 1001, 70001];

test("swiglu and swigluBackward match the reference", () => {
  const rng = new Rng(601);
  for (const n of LENGTHS) {
    const gate = rng.array(n, 8), up = rng.array(n), dout = rng.array(n);
    const out = new Float64Array(n), dg = new Float64Array(n), du = new Float64Array(n);
    ref.swiglu(out, gate, up, n);
    ref.swigluBackward(dg, du, dout, gate, up, n);
    eachConfig((cfg) => {
      const o = new Float32Array(n), ng = new Float32Array(n), nu = new Float32Array(n);
      native.swiglu(o, f32(gate), f32(up), n);
      native.swigluBackward(ng, nu, f32(dout), f32(gate), f32(up), n);
      assertClose(o, out, TOL.elementwise, `swiglu n=${n} [${cfg}]`);
      assertClose(ng, dg, TOL.elementwise, `swigluBackward dgate n=${n} [${cfg}]`);
      assertClose(nu, du, TOL.elementwise, `swigluBackward dup n=${n} [${cfg}]`);
    });
  }
});

test("swiglu at the edges of exp: large gates, NaN and Inf", () => {
  const gate = f32([-200, -100, -89, -88.5, -87, -20, -1e-30, 0, 1e-30, 20, 87, 88.5, 89, 100, 200]);
  const n = gate.length;
  const up = new Float32Array(n).fill(1.5), dout = new Float32Array(n).fill(-0.5);
  const out = new Float64Array(n), dg = new Float64Array(n), du = new Float64Array(n);
  ref.swiglu(out, gate, up, n);
  ref.swigluBackward(dg, du, dout, gate, up, n);
  eachConfig((cfg) => {
    const o = new Float32Array(n), ng = new Float32Array(n), nu = new Float32Array(n);
    native.swiglu(o, gate, up, n);
    native.swigluBackward(ng, nu, dout, gate, up, n);
    // compared element by element: each to its own magnitude, with a floor (1e-20) far below any value that matters
    for (let i = 0; i < n; i++) {
      assertNear(o[i], out[i], TOL.elementwise, `swiglu(${gate[i]}) [${cfg}]`, 1e-20);
      assertNear(ng[i], dg[i], TOL.elementwise, `dgate(${gate[i]}) [${cfg}]`, 1e-20);
      assertNear(nu[i], du[i], TOL.elementwise, `dup(${gate[i]}) [${cfg}]`, 1e-20);
    }
    const bad = f32([NaN, Infinity, -Infinity, 1]), u = f32([1, 1, 1, 1]), o4 = new Float32Array(4);
    native.swiglu(o4, bad, u, 4);
    assert.ok(Number.isNaN(o4[0]), `swiglu(NaN) [${cfg}]`);
    assert.equal(o4[1], Infinity, `swiglu(Inf) [${cfg}]`);
    assert.ok(Number.isNaN(o4[2]), `swiglu(-Inf) is NaN as in the reference [${cfg}]`);
    const g4 = new Float32Array(4), u4 = new Float32Array(4);
    native.swigluBackward(g4, u4, f32([1, 1, 1, 1]), bad, u, 4);
    assert.ok(Number.isNaN(g4[0]) && Number.isNaN(u4[0]), `swigluBackward(NaN) [${cfg}]`);
  });
});

test("swigluBackward is the gradient of swiglu (finite differences, float64 reference)", () => {
  const rng = new Rng(602);
  for (const n of [1, 7, 130]) {
    const gate = rng.array(n, 6), up = rng.array(n), w = rng.array(n);
    const L = (g: Float64Array, u: Float64Array) => {
      const out = new Float64Array(n);
      ref.swiglu(out, g, u, n);
      return dot64(w, out);
    };
    const dg = new Float64Array(n), du = new Float64Array(n);
    ref.swigluBackward(dg, du, w, gate, up, n);
    for (let t = 0; t < 3; t++) {
      const ug = rng.array(n), uu = rng.array(n);
      const floor = Math.sqrt(dot64(dg, dg) * dot64(ug, ug) + dot64(du, du) * dot64(uu, uu));
      assertNear(centralDiff((h) => L(along(gate, ug, h), up)), dot64(dg, ug), TOL.fd64, `dgate n=${n}`, floor);
      assertNear(centralDiff((h) => L(gate, along(up, uu, h))), dot64(du, uu), TOL.fd64, `dup n=${n}`, floor);
    }
  }
});

test("swiglu kernels do not depend on the thread count", () => {
  const rng = new Rng(603);
  const n = 100003;
  const gate = f32(rng.array(n, 8)), up = f32(rng.array(n)), dout = f32(rng.array(n));
  assertThreadIndependent(() => {
    const o = new Float32Array(n), dg = new Float32Array(n), du = new Float32Array(n);
    native.swiglu(o, gate, up, n);
    native.swigluBackward(dg, du, dout, gate, up, n);
    return [o, dg, du];
  }, "swiglu");
  assert.ok(maxAbsOf(gate) > 0);
});

test("swiglu kernels reject wrong types and short buffers", () => {
  const b = (n: number) => new Float32Array(n);
  assert.throws(() => native.swiglu(b(4), b(3), b(4), 4), /swiglu: gate has 3/);
  assert.throws(() => native.swiglu(b(4), b(4), new Float64Array(4), 4), /swiglu: up must be a Float32Array/);
  assert.throws(() => native.swigluBackward(b(4), b(4), b(4), b(4), b(3), 4), /swigluBackward: up has 3/);
  assert.throws(() => native.swigluBackward(b(4), b(2), b(4), b(4), b(4), 4), /swigluBackward: dup has 2/);
});
