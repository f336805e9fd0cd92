import { test } from "node:test";
import assert from "node:assert/strict";
import { native, ref, Rng, TOL, assertClose, assertThreadIndependent, eachConfig, f32 } from "./helpers.js";

const SHAPES: [number, number, number][] = [[1, 1, 1], [7, 3, 5], [67, 33, 11], [301, 130, 97], [40, 1000, 3]];

function ids(rng: Rng, rows: number, vocab: number): Int32Array {
  const x = new Int32Array(rows);
  for (let r = 0; r < rows; r++) x[r] = rng.int(vocab);
  if (rows > 2) {
    x[rows - 1] = vocab - 1;
    x[1] = x[0]; // a repeated id
  }
  return x;
}

test("embedding and embeddingBackward match the reference (repeated ids accumulate)", () => {
  const rng = new Rng(701);
  for (const [rows, dim, vocab] of SHAPES) {
    const table = rng.array(vocab * dim), dout = rng.array(rows * dim), dtable0 = rng.array(vocab * dim);
    const id = ids(rng, rows, vocab);
    const out = new Float64Array(rows * dim), dtable = Float64Array.from(dtable0);
    ref.embedding(out, table, id, rows, dim, 1.7);
    ref.embeddingBackward(dtable, dout, id, rows, dim, 0.6);
    eachConfig((cfg) => {
      const o = new Float32Array(rows * dim), dt = f32(dtable0);
      native.embedding(o, f32(table), id, rows, dim, 1.7);
      native.embeddingBackward(dt, f32(dout), id, rows, dim, 0.6);
      assertClose(o, out, TOL.elementwise, `embedding ${rows}×${dim} vocab ${vocab} [${cfg}]`);
      // a row of dtable sums as many terms as its id repeats (a handful here)
      assertClose(dt, dtable, TOL.elementwise * 4, `embeddingBackward ${rows}×${dim} vocab ${vocab} [${cfg}]`);
    });
  }
});

test("embeddingBackward is deterministic with many repeated ids", () => {
  const rng = new Rng(702);
  const rows = 2000, dim = 384, vocab = 7;
  const id = ids(rng, rows, vocab), dout = f32(rng.array(rows * dim)), table = f32(rng.array(vocab * dim));
  assertThreadIndependent(() => {
    const dt = new Float32Array(vocab * dim).fill(0.5);
    native.embeddingBackward(dt, dout, id, rows, dim, 0.3);
    const o = new Float32Array(rows * dim);
    native.embedding(o, table, id, rows, dim, 2);
    return [dt, o];
  }, "embedding/embeddingBackward");
});

test("embedding rejects ids outside the vocabulary, naming the position and the id", () => {
  const dim = 4, vocab = 5;
  const table = new Float32Array(vocab * dim), out = new Float32Array(3 * dim);
  assert.throws(() => native.embedding(out, table, new Int32Array([0, 5, 1]), 3, dim, 1),
    /embedding: token id 5 at position 1 is outside the vocabulary \[0, 5\)/);
  assert.throws(() => native.embedding(out, table, new Int32Array([0, 1, -1]), 3, dim, 1),
    /token id -1 at position 2/);
  assert.throws(() => native.embeddingBackward(table, out, new Int32Array([7, 1, 1]), 3, dim, 1),
    /embeddingBackward: token id 7 at position 0 is outside the vocabulary \[0, 5\)/);
  // the vocabulary is the number of whole rows of the table
  assert.throws(() => native.embedding(out, table.subarray(0, 4 * dim + 3), new Int32Array([4, 0, 0]), 3, dim, 1),
    /token id 4 at position 0 is outside the vocabulary \[0, 4\)/);
  // a bad id leaves the gradient table untouched
  const dt = new Float32Array(vocab * dim).fill(1);
  assert.throws(() => native.embeddingBackward(dt, new Float32Array(3 * dim).fill(1), new Int32Array([0, 1, 9]), 3, dim, 1));
  assert.ok(dt.every((x) => x === 1));
});

test("embedding kernels reject wrong types and short buffers", () => {
  const table = new Float32Array(20);
  assert.throws(() => native.embedding(new Float32Array(7), table, new Int32Array(2), 2, 4, 1), /embedding: out has 7/);
  assert.throws(() => native.embedding(new Float32Array(8), table, new Int32Array(1), 2, 4, 1), /embedding: ids has 1/);
  assert.throws(() => native.embedding(new Float32Array(8), table, new Float32Array(2) as unknown as Int32Array, 2, 4, 1),
    /embedding: ids must be an Int32Array/);
  assert.throws(() => native.embeddingBackward(table, new Float32Array(7), new Int32Array(2), 2, 4, 1),
    /embeddingBackward: dout has 7/);
  assert.throws(() => native.embeddingBackward(new Float64Array(20), new Float32Array(8), new Int32Array(2), 2, 4, 1),
    /embeddingBackward: dtable must be a Float32Array/);
});
