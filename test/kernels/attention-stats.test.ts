/**
 * attentionStats (the monitor's max attention logit and attention entropy): the float64 reference against the
 * definition computed from scratch, the native kernel against the reference at every SIMD level and thread
 * count, thread-count independence, masks, and argument checks.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { native, ref, Rng, TOL, assertClose, assertNear, assertThreadIndependent, eachConfig, f32 } from "./helpers.js";

interface Case {
  batch: number;
  seq: number;
  heads: number;
  kvHeads: number;
  hd: number;
  seg: boolean;
}
const c = (batch: number, seq: number, heads: number, kvHeads: number, hd: number, seg: boolean): Case =>
  ({ batch, seq, heads, kvHeads, hd, seg });

// Single query, odd lengths, rows longer than four vector blocks of every level (64 keys), GQA and plain heads,
// head dims off the vector width, document masks.
const CASES: Case[] = [
  c(1, 1, 2, 1, 2, false),
  c(2, 5, 6, 2, 6, true),
  c(2, 70, 4, 4, 32, false),
  c(1, 129, 6, 2, 64, true),
  c(2, 100, 3, 3, 40, false),
  c(1, 270, 2, 1, 8, true),
];
const label = (k: Case) => `b${k.batch} s${k.seq} h${k.heads}/${k.kvHeads} d${k.hd}${k.seg ? " seg" : ""}`;

function segStarts(rng: Rng, k: Case): Int32Array {
  const seg = new Int32Array(k.batch * k.seq);
  for (let b = 0; b < k.batch; b++) {
    let s = 0;
    for (let i = 0; i < k.seq; i++) {
      if (i > 0 && rng.next() < 0.06) s = i;
      seg[b * k.seq + i] = s;
    }
  }
  return seg;
}

interface Inputs {
  q: Float64Array;
  k: Float64Array;
  v: Float64Array;
  seg: Int32Array | null;
  scale: number;
  lse: Float64Array;
}

function inputs(rng: Rng, k: Case, amp = 2): Inputs {
  const q = rng.array(k.batch * k.seq * k.heads * k.hd, amp);
  const kk = rng.array(k.batch * k.seq * k.kvHeads * k.hd, amp);
  const v = rng.array(kk.length);
  const seg = k.seg ? segStarts(rng, k) : null;
  const scale = 1 / Math.sqrt(k.hd);
  const out = new Float64Array(q.length);
  const lse = new Float64Array(k.batch * k.heads * k.seq);
  ref.attention(out, lse, q, kk, v, k.batch, k.seq, k.seq, k.heads, k.kvHeads, k.hd, scale, seg, k.seq * k.kvHeads * k.hd);
  return { q, k: kk, v, seg, scale, lse };
}

test("attentionStats reference: max logit and entropy from the definition", () => {
  const rng = new Rng(601);
  const k = c(2, 9, 4, 2, 6, true);
  const x = inputs(rng, k);
  const n = k.batch * k.heads * k.seq;
  const mx = new Float64Array(n), ent = new Float64Array(n);
  // a deliberately wrong shift (lse + 3): the result must not depend on it
  const shifted = x.lse.map((l) => l + 3);
  ref.attentionStats(mx, ent, x.q, x.k, shifted, k.batch, k.seq, k.heads, k.kvHeads, k.hd, x.scale, x.seg);
  for (let b = 0; b < k.batch; b++) {
    for (let h = 0; h < k.heads; h++) {
      const kh = Math.floor((h * k.kvHeads) / k.heads);
      for (let i = 0; i < k.seq; i++) {
        const first = x.seg![b * k.seq + i];
        const s: number[] = [];
        for (let j = first; j <= i; j++) {
          let d = 0;
          for (let t = 0; t < k.hd; t++) {
            d += x.q[(b * k.seq + i) * k.heads * k.hd + h * k.hd + t] * x.k[(b * k.seq + j) * k.kvHeads * k.hd + kh * k.hd + t];
          }
          s.push(d * x.scale);
        }
        const m = Math.max(...s);
        const z = s.reduce((a, v) => a + Math.exp(v - m), 0);
        const p = s.map((v) => Math.exp(v - m) / z);
        const h0 = -p.reduce((a, v) => a + (v > 0 ? v * Math.log(v) : 0), 0);
        const o = (b * k.heads + h) * k.seq + i;
        assertNear(mx[o], m, 1e-12, `max b${b} h${h} i${i}`, 1);
        assertNear(ent[o], h0, 1e-10, `entropy b${b} h${h} i${i}`, 1);
        if (i === first) assert.ok(Math.abs(ent[o]) < 1e-12, "a query that sees only itself has entropy 0");
      }
    }
  }
});

test("attentionStats: uniform scores give log(count) and the mask decides the count", () => {
  const batch = 1, seq = 40, heads = 2, hd = 8;
  const q = new Float32Array(seq * heads * hd), k = new Float32Array(seq * hd);
  const seg = new Int32Array(seq);
  for (let i = 0; i < seq; i++) seg[i] = i < 13 ? 0 : 13;
  const lse = new Float32Array(heads * seq);
  for (let h = 0; h < heads; h++) for (let i = 0; i < seq; i++) lse[h * seq + i] = Math.log(i - seg[i] + 1);
  eachConfig((cfg) => {
    const mx = new Float32Array(heads * seq).fill(NaN), ent = new Float32Array(heads * seq).fill(NaN);
    native.attentionStats(mx, ent, q, k, lse, batch, seq, heads, 1, hd, 0.5, seg);
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < seq; i++) {
        assert.equal(mx[h * seq + i], 0, `max h${h} i${i} [${cfg}]`);
        assertNear(ent[h * seq + i], Math.log(i - seg[i] + 1), 1e-6, `entropy h${h} i${i} [${cfg}]`, 1);
      }
    }
  });
});

test("attentionStats matches the reference at every SIMD level and thread count", () => {
  const rng = new Rng(602);
  for (const k of CASES) {
    // amplitude 4 makes peaked distributions (large logits), 0.5 near-uniform ones
    for (const amp of [0.5, 4]) {
      const x = inputs(rng, k, amp);
      const n = k.batch * k.heads * k.seq;
      const emx = new Float64Array(n), eent = new Float64Array(n);
      const lse32 = f32(x.lse);
      ref.attentionStats(emx, eent, x.q, x.k, Float64Array.from(lse32), k.batch, k.seq, k.heads, k.kvHeads, k.hd, x.scale, x.seg);
      const q = f32(x.q), kk = f32(x.k);
      eachConfig((cfg) => {
        const mx = new Float32Array(n).fill(NaN), ent = new Float32Array(n).fill(NaN);
        native.attentionStats(mx, ent, q, kk, lse32, k.batch, k.seq, k.heads, k.kvHeads, k.hd, x.scale, x.seg);
        assertClose(mx, emx, TOL.matmul, `max ${label(k)} amp ${amp} [${cfg}]`);
        // the entropy is lse + log S0 − S1/S0, a difference of terms as large as the logits
        assertClose(ent, eent, TOL.matmul, `entropy ${label(k)} amp ${amp} [${cfg}]`, { floor: Math.max(1, emx.reduce((a, v) => Math.max(a, Math.abs(v)), 0)) });
      });
    }
  }
});

test("attentionStats does not depend on the thread count", () => {
  const rng = new Rng(603);
  for (const k of [c(2, 129, 6, 2, 32, true), c(4, 100, 4, 1, 64, false)]) {
    const x = inputs(rng, k);
    const q = f32(x.q), kk = f32(x.k), lse = f32(x.lse);
    assertThreadIndependent(() => {
      const n = k.batch * k.heads * k.seq;
      const mx = new Float32Array(n), ent = new Float32Array(n);
      native.attentionStats(mx, ent, q, kk, lse, k.batch, k.seq, k.heads, k.kvHeads, k.hd, x.scale, x.seg);
      return [mx, ent];
    }, `attentionStats ${label(k)}`);
  }
});

test("attentionStats rejects bad segStart, short buffers and wrong types", () => {
  const b = (n: number) => new Float32Array(n);
  const [batch, seq, heads, kvHeads, hd] = [2, 4, 2, 1, 8];
  const qn = batch * seq * heads * hd, kn = batch * seq * kvHeads * hd, sn = batch * heads * seq;
  const run = (seg: Int32Array | null, mx: Float32Array = b(sn), kBuf: Float32Array = b(kn)) =>
    native.attentionStats(mx, b(sn), b(qn), kBuf, b(sn), batch, seq, heads, kvHeads, hd, 0.3, seg);
  run(null);
  run(new Int32Array([0, 0, 2, 2, 0, 1, 1, 3]));
  assert.throws(() => run(new Int32Array([0, 0, 2, 4, 0, 0, 0, 0])), /attentionStats: segStart\[3\] = 4 is outside \[0, 3\]/);
  assert.throws(() => run(null, b(sn - 1)), /attentionStats: maxScore has 15 elements/);
  assert.throws(() => run(null, b(sn), b(kn - 1)), /attentionStats: k has 63 elements/);
  assert.throws(() => run(null, new Float64Array(sn) as unknown as Float32Array), /attentionStats: maxScore must be a Float32Array/);
  assert.throws(() => native.attentionStats(b(sn), b(sn), b(qn), b(kn), b(sn), batch, seq, heads, 0, hd, 0.3, null),
    /kvHeads must be at least 1/);
});

test("rowStats matches the reference (RMS and unbiased variance per row) at every level and thread count", () => {
  const rng = new Rng(604);
  for (const [rows, dim, offset] of [[1, 1, 0], [3, 7, 0], [17, 33, 5], [300, 256, 0.5], [64, 1000, -3]] as const) {
    // an offset makes the mean large against the spread: the variance must not come from E[x²] − E[x]²
    const x = rng.array(rows * dim).map((v) => Math.fround(v + offset));
    const erms = new Float64Array(rows), evar = new Float64Array(rows);
    ref.rowStats(erms, evar, x, rows, dim);
    for (let r = 0; r < Math.min(rows, 3); r++) {
      const row = Array.from(x.subarray(r * dim, (r + 1) * dim));
      const mean = row.reduce((a, v) => a + v, 0) / dim;
      assertNear(erms[r], Math.sqrt(row.reduce((a, v) => a + v * v, 0) / dim), 1e-12, "reference rms");
      assertNear(evar[r], dim > 1 ? row.reduce((a, v) => a + (v - mean) ** 2, 0) / (dim - 1) : 0, 1e-12, "reference var", 1e-300);
    }
    const x32 = f32(x);
    eachConfig((cfg) => {
      const rms = new Float32Array(rows).fill(NaN), v = new Float32Array(rows).fill(NaN);
      native.rowStats(rms, v, x32, rows, dim);
      assertClose(rms, erms, TOL.rowReduction, `rowStats rms ${rows}×${dim} [${cfg}]`);
      assertClose(v, evar, TOL.rowReduction, `rowStats variance ${rows}×${dim} [${cfg}]`);
    });
  }
  const x = f32(rng.array(400 * 300));
  assertThreadIndependent(() => {
    const rms = new Float32Array(400), v = new Float32Array(400);
    native.rowStats(rms, v, x, 400, 300);
    return [rms, v];
  }, "rowStats");
  assert.throws(() => native.rowStats(new Float32Array(3), new Float32Array(4), new Float32Array(16), 4, 4),
    /rowStats: rms has 3 elements/);
});
