import { test } from "node:test";
import assert from "node:assert/strict";
import { native, ref, Rng, TOL, assertClose, assertNear, assertThreadIndependent, dot64, eachConfig, f32 } from "./helpers.js";

const MAX_POS = 300;

/** cos/sin tables [maxPos, headDim/2] of the rotate_half layout, θ = 10000 (float32 values). */
function tables(headDim: number): { cos: Float64Array; sin: Float64Array } {
  const half = headDim >> 1;
  const cos = new Float64Array(MAX_POS * half), sin = new Float64Array(MAX_POS * half);
  for (let p = 0; p < MAX_POS; p++) {
    for (let i = 0; i < half; i++) {
      const a = p * Math.pow(10000, (-2 * i) / headDim);
      cos[p * half + i] = Math.fround(Math.cos(a));
      sin[p * half + i] = Math.fround(Math.sin(a));
    }
  }
  return { cos, sin };
}

function positions(rng: Rng, rows: number): Int32Array {
  const p = new Int32Array(rows);
  for (let r = 0; r < rows; r++) p[r] = rng.int(MAX_POS);
  if (rows > 1) p[rows - 1] = MAX_POS - 1;
  return p;
}

const SHAPES: [number, number, number][] = [[1, 1, 2], [7, 3, 6], [67, 4, 32], [5, 2, 64], [3, 1, 130]];

test("rope and its inverse match the reference", () => {
  const rng = new Rng(401);
  for (const [rows, heads, hd] of SHAPES) {
    const { cos, sin } = tables(hd);
    const pos = positions(rng, rows);
    const x = rng.array(rows * heads * hd);
    for (const inverse of [false, true]) {
      const expect = Float64Array.from(x);
      ref.rope(expect, cos, sin, pos, rows, heads, hd, inverse);
      eachConfig((cfg) => {
        const y = f32(x);
        native.rope(y, f32(cos), f32(sin), pos, rows, heads, hd, inverse);
        assertClose(y, expect, TOL.elementwise, `rope ${rows}×${heads}×${hd} inverse=${inverse} [${cfg}]`);
      });
    }
  }
});

test("the inverse rotation undoes rope and is its transpose", () => {
  const rng = new Rng(402);
  for (const [rows, heads, hd] of SHAPES) {
    const { cos, sin } = tables(hd);
    const pos = positions(rng, rows);
    const n = rows * heads * hd;
    const x = rng.array(n), y = rng.array(n);
    // the float64 reference: ⟨R x, y⟩ = ⟨x, Rᵀ y⟩ with Rᵀ = inverse
    const rx = Float64Array.from(x), ry = Float64Array.from(y);
    ref.rope(rx, cos, sin, pos, rows, heads, hd, false);
    ref.rope(ry, cos, sin, pos, rows, heads, hd, true);
    assertNear(dot64(rx, y), dot64(x, ry), 1e-12, `reference transpose ${rows}×${heads}×${hd}`, n);
    eachConfig((cfg) => {
      const what = `${rows}×${heads}×${hd} [${cfg}]`;
      const a = f32(x), b = f32(y), c32 = f32(cos), s32 = f32(sin);
      native.rope(a, c32, s32, pos, rows, heads, hd, false);
      native.rope(b, c32, s32, pos, rows, heads, hd, true);
      assertNear(dot64(a, y), dot64(x, b), TOL.elementwise, `native transpose ${what}`, n);
      native.rope(a, c32, s32, pos, rows, heads, hd, true);
      // the float32 tables are only nearly orthogonal (cos² + sin² = 1 ± 1e-7)
      assertClose(a, x, TOL.elementwise, `inverse(rope(x)) = x ${what}`);
    });
  }
});

test("rope does not depend on the thread count", () => {
  const rng = new Rng(403);
  const rows = 300, heads = 4, hd = 64;
  const { cos, sin } = tables(hd);
  const pos = positions(rng, rows);
  const x = f32(rng.array(rows * heads * hd));
  assertThreadIndependent(() => {
    const y = x.slice();
    native.rope(y, f32(cos), f32(sin), pos, rows, heads, hd, false);
    return [y];
  }, "rope");
});

test("rope rejects positions outside the tables, wrong types and short buffers", () => {
  const { cos, sin } = tables(8);
  const c = f32(cos), s = f32(sin), x = new Float32Array(3 * 2 * 8);
  assert.throws(() => native.rope(x, c, s, new Int32Array([0, MAX_POS, 1]), 3, 2, 8, false),
    /rope: position 300 at row 1 is outside the tables \[0, 300\)/);
  assert.throws(() => native.rope(x, c, s, new Int32Array([0, 1, -1]), 3, 2, 8, false), /position -1 at row 2/);
  assert.throws(() => native.rope(x, c, s.subarray(0, 4 * 10), new Int32Array([0, 1, 10]), 3, 2, 8, false),
    /position 10 at row 2 is outside the tables \[0, 10\)/);
  assert.throws(() => native.rope(x, c, s, new Float32Array(3) as unknown as Int32Array, 3, 2, 8, false),
    /rope: positions must be an Int32Array/);
  assert.throws(() => native.rope(x, c, s, new Int32Array(2), 3, 2, 8, false), /rope: positions has 2/);
  assert.throws(() => native.rope(x.subarray(1), c, s, new Int32Array(3), 3, 2, 8, false), /rope: x has 47/);
});
