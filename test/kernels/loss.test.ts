import { test } from "node:test";
import assert from "node:assert/strict";
import {
  native, ref, Rng, TOL, along, assertBitEqual, assertClose, assertNear, assertThreadIndependent, centralDiff, dot64,
  eachConfig, f32,
} from "./helpers.js";

const ROWS = [1, 7, 67];
// vocabularies around the vector widths and past the 2048-value pieces whose sums are added in double
const VOCABS = [1, 3, 33, 130, 5003];

function targets(rng: Rng, rows: number, vocab: number, ignore: boolean): Int32Array {
  const t = new Int32Array(rows);
  for (let r = 0; r < rows; r++) t[r] = ignore && r % 3 === 1 ? -1 : rng.int(vocab);
  if (rows > 2) t[rows - 1] = vocab - 1;
  return t;
}

test("crossEntropy matches the reference: loss, nll, lse and gradient, z-loss, ignored rows", () => {
  const rng = new Rng(801);
  for (const rows of ROWS) {
    for (const vocab of VOCABS) {
      const logits = rng.array(rows * vocab, 6);
      const tgt = targets(rng, rows, vocab, rows > 1);
      for (const [zLoss, gradScale] of [[0, 0], [1e-2, 0], [0, 1], [1e-2, 0.7 / rows]]) {
        const g = Float64Array.from(logits), nll = new Float64Array(rows), lse = new Float64Array(rows);
        const total = ref.crossEntropy(g, tgt, rows, vocab, zLoss, gradScale, nll, lse);
        let absTotal = 0;
        for (let r = 0; r < rows; r++) absTotal += Math.abs(nll[r]) + zLoss * lse[r] * lse[r];
        eachConfig((cfg) => {
          const what = `${rows}×${vocab} z=${zLoss} gs=${gradScale} [${cfg}]`;
          const x = f32(logits), n = new Float32Array(rows).fill(NaN), l = new Float32Array(rows).fill(NaN);
          const t = native.crossEntropy(x, tgt, rows, vocab, zLoss, gradScale, n, l);
          assertNear(t, total, TOL.rowReduction, `crossEntropy total ${what}`, absTotal);
          assertClose(n, nll, TOL.rowReduction, `crossEntropy nll ${what}`, { floor: 1 });
          assertClose(l, lse, TOL.rowReduction, `crossEntropy lse ${what}`, { floor: 1 });
          if (gradScale === 0) assertBitEqual(x, f32(logits), `logits left as they were ${what}`);
          else assertClose(x, g, TOL.rowReduction, `crossEntropy gradient ${what}`);
          for (let r = 0; r < rows; r++) {
            if (tgt[r] >= 0) continue;
            assert.ok(n[r] === 0 && l[r] === 0, `ignored row ${r}: nll and lse 0 ${what}`);
            if (gradScale !== 0) assert.ok(x.subarray(r * vocab, (r + 1) * vocab).every((v) => v === 0), `ignored row ${r}: gradient 0 ${what}`);
          }
        });
      }
    }
  }
});

test("crossEntropy's gradient is the derivative of its loss, with z-loss and ignored rows (finite differences)", () => {
  const rng = new Rng(802);
  for (const [rows, vocab] of [[1, 1], [1, 5], [7, 33], [9, 130]]) {
    const logits = rng.array(rows * vocab, 4);
    const tgt = targets(rng, rows, vocab, rows > 1);
    const zLoss = 0.05;
    const loss = (x: Float64Array) =>
      ref.crossEntropy(Float64Array.from(x), tgt, rows, vocab, zLoss, 0, new Float64Array(rows), new Float64Array(rows));
    const grad = Float64Array.from(logits);
    ref.crossEntropy(grad, tgt, rows, vocab, zLoss, 1, new Float64Array(rows), new Float64Array(rows));
    const ng = f32(logits);
    native.crossEntropy(ng, tgt, rows, vocab, zLoss, 1, new Float32Array(rows), new Float32Array(rows));
    for (let t = 0; t < 3; t++) {
      const u = rng.array(rows * vocab);
      const fd = centralDiff((h) => loss(along(logits, u, h)));
      const floor = Math.sqrt(dot64(grad, grad) * dot64(u, u));
      assertNear(fd, dot64(grad, u), TOL.fd64, `reference gradient ${rows}×${vocab} direction ${t}`, floor);
      assertNear(fd, dot64(ng, u), TOL.rowReduction, `native gradient ${rows}×${vocab} direction ${t}`, floor);
    }
  }
});

test("crossEntropy propagates NaN and handles extreme logits", () => {
  eachConfig((cfg) => {
    const vocab = 40;
    const x = new Float32Array(2 * vocab).fill(1);
    x[vocab + 17] = NaN;
    const nll = new Float32Array(2), lse = new Float32Array(2);
    const total = native.crossEntropy(x, new Int32Array([3, 3]), 2, vocab, 0, 1, nll, lse);
    assert.ok(Number.isNaN(total) && Number.isNaN(nll[1]) && Number.isNaN(lse[1]), `NaN row [${cfg}]`);
    assertNear(nll[0], Math.log(vocab), 1e-6, `uniform row [${cfg}]`);
    // a dominant logit and -Inf logits: finite loss, probabilities 0 for -Inf
    const y = new Float32Array(vocab).fill(-Infinity);
    y[5] = 1000;
    y[6] = 990;
    const t = native.crossEntropy(y, new Int32Array([6]), 1, vocab, 0, 1, nll, lse);
    assertNear(t, 10 + Math.log1p(Math.exp(-10)), 1e-6, `dominant logit [${cfg}]`);
    assert.equal(y[0], 0, `-Inf logit has gradient 0 [${cfg}]`);
    assertNear(y[6], 1 / (1 + Math.exp(10)) - 1, 1e-6, `target gradient [${cfg}]`);
  });
});

test("crossEntropy does not depend on the thread count", () => {
  const rng = new Rng(803);
  const rows = 67, vocab = 5003;
  const logits = f32(rng.array(rows * vocab, 6)), tgt = targets(rng, rows, vocab, true);
  assertThreadIndependent(() => {
    const x = logits.slice(), nll = new Float32Array(rows), lse = new Float32Array(rows);
    const t = native.crossEntropy(x, tgt, rows, vocab, 1e-4, 1 / rows, nll, lse);
    return [x, nll, lse, new Float32Array(new Float64Array([t]).buffer)];
  }, "crossEntropy");
});

test("crossEntropy rejects targets outside the vocabulary (naming the row), wrong types and short buffers", () => {
  const vocab = 10, rows = 3;
  const x = new Float32Array(rows * vocab).fill(0.5);
  const nll = new Float32Array(rows), lse = new Float32Array(rows);
  assert.throws(() => native.crossEntropy(x, new Int32Array([1, -1, 10]), rows, vocab, 0, 1, nll, lse),
    /crossEntropy: target 10 at row 2 is outside \[0, 10\)/);
  assert.ok(x.every((v) => v === 0.5), "a bad target leaves the logits untouched");
  assert.throws(() => native.crossEntropy(x, new Float32Array(3) as unknown as Int32Array, rows, vocab, 0, 1, nll, lse),
    /crossEntropy: targets must be an Int32Array/);
  assert.throws(() => native.crossEntropy(x, new Int32Array(2), rows, vocab, 0, 1, nll, lse), /crossEntropy: targets has 2/);
  assert.throws(() => native.crossEntropy(x, new Int32Array(3), rows, vocab, 0, 1, new Float32Array(2), lse),
    /crossEntropy: nll has 2/);
  assert.throws(() => native.crossEntropy(x.subarray(1), new Int32Array(3), rows, vocab, 0, 1, nll, lse),
    /crossEntropy: logits has 29/);
});
