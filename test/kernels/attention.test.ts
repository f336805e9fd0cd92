import { test } from "node:test";
import assert from "node:assert/strict";
import {
  native, ref, Rng, TOL, along, assertClose, assertNear, assertThreadIndependent, centralDiff, dot64, eachConfig, f32,
} from "./helpers.js";

interface Case {
  batch: number;
  seqQ: number;
  seqKV: number;
  heads: number;
  kvHeads: number;
  hd: number;
  seg: boolean;
  /** extra KV rows per batch entry beyond seqKV (a KV cache with spare room) */
  spare: number;
}

const c = (batch: number, seqQ: number, seqKV: number, heads: number, kvHeads: number, hd: number, seg: boolean,
  spare = 0): Case => ({ batch, seqQ, seqKV, heads, kvHeads, hd, seg, spare });

// Training shapes (seqQ = seqKV): a single query, odd lengths, lengths past one and two query blocks (48),
// GQA 6/2 and 4/1 and plain multi-head, head dims 2 to 64, with and without document masks.
const TRAIN: Case[] = [
  c(1, 1, 1, 4, 1, 2, false),
  c(2, 5, 5, 6, 2, 6, true),
  c(2, 70, 70, 4, 4, 32, false),
  c(1, 129, 129, 6, 2, 64, true),
  c(2, 129, 129, 4, 1, 32, true),
  c(1, 100, 100, 3, 3, 40, false), // head dim off the 16/32-wide tiles
  c(1, 270, 270, 2, 1, 8, true), // rows of keys longer than one 256-deep micro-kernel call
];
// Decode and prefill against a longer KV cache, with a batch stride larger than the contiguous one.
const CACHE: Case[] = [
  c(2, 5, 70, 6, 2, 32, true, 3),
  c(3, 1, 129, 4, 1, 64, false, 7),
  c(1, 50, 129, 4, 2, 6, true, 0),
  c(2, 48, 100, 2, 2, 32, false, 1),
  c(1, 20, 300, 2, 1, 8, true, 2),
  c(2, 8, 40, 3, 1, 16, true, 0), // the largest query count of the decoding path
  c(2, 9, 40, 3, 1, 16, false, 0), // and the smallest of the blocked one
];

const label = (k: Case) =>
  `b${k.batch} q${k.seqQ} kv${k.seqKV} h${k.heads}/${k.kvHeads} d${k.hd}${k.seg ? " seg" : ""}${k.spare ? ` spare${k.spare}` : ""}`;

/** Document starts for packed rows: query i of batch entry b (position seqKV − seqQ + i) sees keys from segStart on. */
function segStarts(rng: Rng, k: Case): Int32Array {
  const seg = new Int32Array(k.batch * k.seqQ);
  for (let b = 0; b < k.batch; b++) {
    const starts = new Int32Array(k.seqKV);
    let s = 0;
    for (let p = 0; p < k.seqKV; p++) {
      if (p > 0 && rng.next() < 0.06) s = p;
      starts[p] = s;
    }
    for (let i = 0; i < k.seqQ; i++) seg[b * k.seqQ + i] = starts[k.seqKV - k.seqQ + i];
  }
  return seg;
}

interface Inputs {
  q: Float64Array;
  k: Float64Array;
  v: Float64Array;
  seg: Int32Array | null;
  stride: number;
  scale: number;
}

function inputs(rng: Rng, k: Case): Inputs {
  const kw = k.kvHeads * k.hd;
  const stride = (k.seqKV + k.spare) * kw;
  const kvLen = (k.batch - 1) * stride + k.seqKV * kw;
  return {
    q: rng.array(k.batch * k.seqQ * k.heads * k.hd, 2),
    k: rng.array(kvLen, 2),
    v: rng.array(kvLen),
    seg: k.seg ? segStarts(rng, k) : null,
    stride,
    scale: 1 / Math.sqrt(k.hd),
  };
}

function refForward(k: Case, x: Inputs): { out: Float64Array; lse: Float64Array } {
  const out = new Float64Array(k.batch * k.seqQ * k.heads * k.hd), lse = new Float64Array(k.batch * k.heads * k.seqQ);
  ref.attention(out, lse, x.q, x.k, x.v, k.batch, k.seqQ, k.seqKV, k.heads, k.kvHeads, k.hd, x.scale, x.seg, x.stride);
  return { out, lse };
}

test("attention matches the reference (training, decode and prefill shapes)", () => {
  const rng = new Rng(501);
  for (const k of [...TRAIN, ...CACHE]) {
    const x = inputs(rng, k);
    const e = refForward(k, x);
    const q = f32(x.q), kk = f32(x.k), v = f32(x.v);
    eachConfig((cfg) => {
      const out = new Float32Array(e.out.length).fill(NaN), lse = new Float32Array(e.lse.length).fill(NaN);
      native.attention(out, lse, q, kk, v, k.batch, k.seqQ, k.seqKV, k.heads, k.kvHeads, k.hd, x.scale, x.seg, x.stride);
      assertClose(out, e.out, TOL.matmul, `attention out ${label(k)} [${cfg}]`);
      assertClose(lse, e.lse, TOL.matmul, `attention lse ${label(k)} [${cfg}]`);
    });
  }
});

test("attention masks: a query sees exactly the keys of its document up to itself", () => {
  // Values chosen so that each key's value identifies it: out = Σ p_j·v_j with v_j = one-hot(j) gives the
  // probabilities themselves; keys outside [segStart, position] must get exactly 0.
  const batch = 1, seq = 60, heads = 1, hd = 64;
  const q = new Float32Array(seq * hd), k = new Float32Array(seq * hd), v = new Float32Array(seq * hd);
  for (let j = 0; j < seq; j++) v[j * hd + j] = 1;
  const seg = new Int32Array(seq);
  for (let i = 0; i < seq; i++) seg[i] = i < 17 ? 0 : i < 50 ? 17 : 50;
  eachConfig((cfg) => {
    const out = new Float32Array(seq * hd), lse = new Float32Array(seq);
    native.attention(out, lse, q, k, v, batch, seq, seq, heads, 1, hd, 1, seg, seq * hd);
    for (let i = 0; i < seq; i++) {
      const count = i - seg[i] + 1;
      for (let j = 0; j < seq; j++) {
        const p = out[i * hd + j], want = j >= seg[i] && j <= i ? 1 / count : 0;
        if (want === 0) assert.equal(p, 0, `query ${i} sees key ${j} [${cfg}]`);
        else assertNear(p, want, 1e-6, `query ${i}, key ${j} [${cfg}]`);
      }
      assertNear(lse[i], Math.log(count), 1e-6, `lse of query ${i} [${cfg}]`, 1);
    }
  });
});

test("attentionBackward matches the reference", () => {
  const rng = new Rng(502);
  for (const k of TRAIN) {
    const x = inputs(rng, k);
    const e = refForward(k, x);
    const dout = rng.array(e.out.length);
    // the reference backward reads the same float32 out and lse the native one does
    const out32 = f32(e.out), lse32 = f32(e.lse);
    const dq = new Float64Array(x.q.length), dk = new Float64Array(x.k.length), dv = new Float64Array(x.v.length);
    ref.attentionBackward(dq, dk, dv, dout, Float64Array.from(out32), Float64Array.from(lse32), x.q, x.k, x.v,
      k.batch, k.seqQ, k.heads, k.kvHeads, k.hd, x.scale, x.seg);
    const q = f32(x.q), kk = f32(x.k), v = f32(x.v), d32 = f32(dout);
    eachConfig((cfg) => {
      const what = `${label(k)} [${cfg}]`;
      const ndq = new Float32Array(dq.length).fill(NaN), ndk = new Float32Array(dk.length).fill(NaN);
      const ndv = new Float32Array(dv.length).fill(NaN);
      native.attentionBackward(ndq, ndk, ndv, d32, out32, lse32, q, kk, v, k.batch, k.seqQ, k.heads, k.kvHeads, k.hd,
        x.scale, x.seg);
      assertClose(ndq, dq, TOL.attentionBackward, `attentionBackward dq ${what}`);
      assertClose(ndk, dk, TOL.attentionBackward, `attentionBackward dk ${what}`);
      assertClose(ndv, dv, TOL.attentionBackward, `attentionBackward dv ${what}`);
      // and chained after the native forward pass
      const out = new Float32Array(out32.length), lse = new Float32Array(lse32.length);
      native.attention(out, lse, q, kk, v, k.batch, k.seqQ, k.seqKV, k.heads, k.kvHeads, k.hd, x.scale, x.seg, x.stride);
      native.attentionBackward(ndq, ndk, ndv, d32, out, lse, q, kk, v, k.batch, k.seqQ, k.heads, k.kvHeads, k.hd,
        x.scale, x.seg);
      assertClose(ndq, dq, TOL.attentionBackward, `attention → backward dq ${what}`);
      assertClose(ndk, dk, TOL.attentionBackward, `attention → backward dk ${what}`);
      assertClose(ndv, dv, TOL.attentionBackward, `attention → backward dv ${what}`);
    });
  }
});

test("attentionBackward is the gradient of attention w.r.t. q, k and v (finite differences, float64 reference)", () => {
  const rng = new Rng(503);
  for (const k of TRAIN) {
    const x = inputs(rng, k);
    const w = rng.array(k.batch * k.seqQ * k.heads * k.hd);
    const e = refForward(k, x);
    const dq = new Float64Array(x.q.length), dk = new Float64Array(x.k.length), dv = new Float64Array(x.v.length);
    ref.attentionBackward(dq, dk, dv, w, e.out, e.lse, x.q, x.k, x.v, k.batch, k.seqQ, k.heads, k.kvHeads, k.hd,
      x.scale, x.seg);
    // L = Σ w ⊙ attention(q, k, v)
    const L = (q: Float64Array, kk: Float64Array, v: Float64Array) => dot64(w, refForward(k, { ...x, q, k: kk, v }).out);
    const norm = (a: Float64Array) => Math.sqrt(dot64(a, a));
    const dirs = k.seqQ > 100 ? 1 : 2;
    for (let t = 0; t < dirs; t++) {
      const uq = rng.array(x.q.length), uk = rng.array(x.k.length), uv = rng.array(x.v.length);
      const what = `${label(k)} direction ${t}`;
      assertNear(centralDiff((h) => L(along(x.q, uq, h), x.k, x.v)), dot64(dq, uq), TOL.fd64, `dq ${what}`, norm(dq) * norm(uq));
      assertNear(centralDiff((h) => L(x.q, along(x.k, uk, h), x.v)), dot64(dk, uk), TOL.fd64, `dk ${what}`, norm(dk) * norm(uk) + 1e-9);
      assertNear(centralDiff((h) => L(x.q, x.k, along(x.v, uv, h))), dot64(dv, uv), TOL.fd64, `dv ${what}`, norm(dv) * norm(uv));
    }
  }
});

test("attention and attentionBackward do not depend on the thread count", () => {
  const rng = new Rng(504);
  for (const k of [c(2, 129, 129, 6, 2, 32, true), c(1, 100, 100, 4, 1, 64, false)]) {
    const x = inputs(rng, k);
    const q = f32(x.q), kk = f32(x.k), v = f32(x.v), dout = f32(rng.array(x.q.length));
    assertThreadIndependent(() => {
      const out = new Float32Array(q.length), lse = new Float32Array(k.batch * k.heads * k.seqQ);
      native.attention(out, lse, q, kk, v, k.batch, k.seqQ, k.seqKV, k.heads, k.kvHeads, k.hd, x.scale, x.seg, x.stride);
      const dq = new Float32Array(q.length), dk = new Float32Array(kk.length), dv = new Float32Array(v.length);
      native.attentionBackward(dq, dk, dv, dout, out, lse, q, kk, v, k.batch, k.seqQ, k.heads, k.kvHeads, k.hd,
        x.scale, x.seg);
      return [out, lse, dq, dk, dv];
    }, `attention ${label(k)}`);
  }
});

test("attention rejects bad segStart, bad sizes, wrong types and short buffers", () => {
  const b = (n: number) => new Float32Array(n);
  const [batch, seq, heads, kvHeads, hd] = [2, 4, 2, 1, 8];
  const qn = batch * seq * heads * hd, kn = batch * seq * kvHeads * hd;
  const run = (seg: Int32Array | null, seqQ = seq, seqKV = seq, kBuf = b(kn), stride = seq * kvHeads * hd) =>
    native.attention(b(batch * seqQ * heads * hd), b(batch * heads * seqQ), b(batch * seqQ * heads * hd), kBuf, b(kn),
      batch, seqQ, seqKV, heads, kvHeads, hd, 0.3, seg, stride);
  run(null);
  run(new Int32Array([0, 0, 2, 2, 0, 1, 1, 3]));
  assert.throws(() => run(new Int32Array([0, 0, 2, 2, 0, 1, 3, 3])), /attention: segStart\[6\] = 3 is outside \[0, 2\]/);
  assert.throws(() => run(new Int32Array([0, 0, 0, 0, 0, -1, 0, 0])), /segStart\[5\] = -1/);
  assert.throws(() => run(new Int32Array(7)), /attention: segStart has 7 elements/);
  assert.throws(() => run(new Float32Array(8) as unknown as Int32Array), /attention: segStart must be an Int32Array or null/);
  // decode: query 0 of 2 sits at position 2 of 4
  assert.throws(() => run(new Int32Array([3, 0, 0, 0]), 2, 4), /segStart\[0\] = 3 is outside \[0, 2\]/);
  assert.throws(() => run(null, 5, 4), /seqQ must not exceed seqKV/);
  assert.throws(() => run(null, seq, seq, b(kn), seq * kvHeads * hd + 1), /attention: k has 64 elements but the sizes given need 65/);
  assert.throws(() => native.attention(b(qn), b(batch * heads * seq), b(qn), b(kn), b(kn), batch, seq, seq, heads, 0, hd,
    0.3, null, 0), /kvHeads must be at least 1/);
  assert.throws(() => native.attention(b(qn), b(batch * heads * seq - 1), b(qn), b(kn), b(kn), batch, seq, seq, heads,
    kvHeads, hd, 0.3, null, seq * kvHeads * hd), /attention: lse has 15/);
  assert.throws(() => native.attentionBackward(b(qn), b(kn), b(kn - 1), b(qn), b(qn), b(batch * heads * seq), b(qn),
    b(kn), b(kn), batch, seq, heads, kvHeads, hd, 0.3, null), /attentionBackward: dv has 63/);
  assert.throws(() => native.attentionBackward(b(qn), b(kn), b(kn), b(qn), b(qn), b(batch * heads * seq), b(qn),
    b(kn), b(kn), batch, seq, heads, kvHeads, hd, 0.3, new Int32Array([0, 2, 0, 0, 0, 0, 0, 0])),
    /attentionBackward: segStart\[1\] = 2 is outside \[0, 1\]/);
  assert.throws(() => native.attentionBackward(b(qn), b(kn), b(kn), new Float64Array(qn), b(qn), b(batch * heads * seq),
    b(qn), b(kn), b(kn), batch, seq, heads, kvHeads, hd, 0.3, null), /attentionBackward: dout must be a Float32Array/);
});
