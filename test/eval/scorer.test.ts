/**
 * Batched log-likelihood equals one forward pass per request: packed rows (several sequences per row, masked),
 * shared contexts (KV cache), deduplication and truncation all give the numbers of the naive computation; the
 * greedy flag equals an argmax over the full logits; rolling scores equal `pretrain score`'s windows; generation
 * equals the foundation's greedy generation.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { nativeKernels } from "../../src/kernels/native.js";
import { headLogits } from "../../src/model/head.js";
import type { Model } from "../../src/model/model.js";
import { EvalForward } from "../../src/eval/lm/forward.js";
import { scoreTokenRequests, type ScorerStats, type TokenRequest } from "../../src/eval/lm/scorer.js";
import { ModelLM, cutAtStop, splitWhitespace } from "../../src/eval/lm/model-lm.js";
import { packRows, batchRows } from "../../src/eval/lm/pack.js";
import { scoreTokens } from "../../src/infer/score.js";
import { generate } from "../../src/infer/generate.js";
import { randomInts, seeded } from "../helpers/random.js";
import { tinyModel, tok } from "./helpers.js";

/** One model.loss pass per request, truncated the way the scorer truncates a lone request. */
function naive(model: Model, r: TokenRequest, ctxKeep: number): { logprob: number; greedy: boolean } {
  const ctx = r.context.subarray(r.context.length - ctxKeep);
  const ids = Int32Array.from([...ctx, ...r.continuation]);
  const n = ids.length - 1;
  const input = ids.subarray(0, n);
  const targets = new Int32Array(n).fill(-1);
  for (let j = 0; j < r.continuation.length; j++) targets[ctx.length - 1 + j] = r.continuation[j];
  model.loss({ rows: 1, seq: n, ids: input, targets });
  const nll = model.activations!.nll;
  const V = model.config.vocab_size;
  const logits = model.k.alloc(n * V);
  headLogits(model, model.activations!.h, n, logits);
  let logprob = 0;
  let greedy = true;
  for (let i = 0; i < n; i++) {
    if (targets[i] < 0) continue;
    logprob -= nll[i];
    let best = 0;
    for (let j = 1; j < V; j++) if (logits[i * V + j] > logits[i * V + best]) best = j;
    if (best !== targets[i]) greedy = false;
  }
  return { logprob, greedy };
}

function requests(vocab: number): TokenRequest[] {
  const u = seeded(11);
  const shared = randomInts(u, 20, vocab);
  const out: TokenRequest[] = [];
  for (let i = 0; i < 4; i++) out.push({ context: shared, continuation: randomInts(u, 1 + i, vocab) }); // one context, 4 options
  for (let i = 0; i < 6; i++) out.push({ context: randomInts(u, 1 + ((i * 7) % 25), vocab), continuation: randomInts(u, 1 + (i % 4), vocab) });
  out.push({ ...out[5] }); // a duplicate
  out.push({ context: randomInts(u, 70, vocab), continuation: randomInts(u, 5, vocab) }); // longer than the context: truncated
  return out;
}

for (const [label, share] of [["shared contexts", true], ["packed only", false]] as const) {
  test(`batched log-likelihood (${label}) equals one forward pass per request`, () => {
    const model = tinyModel();
    const reqs = requests(model.config.vocab_size);
    const stats: ScorerStats = { requests: 0, unique: 0, sharedGroups: 0, sharedRequests: 0, packedRows: 0, passes: 0 };
    const fwd = new EvalForward(model, 64);
    const got = scoreTokenRequests(fwd, reqs, { sharePrefixes: share, minSharedContext: 2 }, stats);
    const W = model.config.max_seq_len;
    reqs.forEach((r, i) => {
      const keep = Math.min(r.context.length, W + 1 - r.continuation.length);
      const want = naive(model, r, keep);
      assert.ok(Math.abs(got[i].logprob - want.logprob) < 1e-9, `request ${i}: ${got[i].logprob} vs ${want.logprob}`);
      assert.equal(got[i].greedy, want.greedy, `request ${i} greedy`);
      assert.equal(got[i].tokens, r.continuation.length);
    });
    assert.equal(stats.unique, reqs.length - 1, "the duplicate is scored once");
    assert.equal(stats.sharedGroups, share ? 1 : 0);
    assert.ok(stats.packedRows < reqs.length, `several requests per row (${stats.packedRows} rows)`);
  });
}

test("a token budget smaller than the context: long requests go through the cache in pieces, same numbers", () => {
  const model = tinyModel();
  const reqs = requests(model.config.vocab_size);
  const fwd = new EvalForward(model, 16);
  assert.equal(fwd.budget, 16);
  for (const share of [true, false]) {
    const got = scoreTokenRequests(fwd, reqs, { sharePrefixes: share, minSharedContext: 2 });
    reqs.forEach((r, i) => {
      const keep = Math.min(r.context.length, model.config.max_seq_len + 1 - r.continuation.length);
      const want = naive(model, r, keep);
      assert.ok(Math.abs(got[i].logprob - want.logprob) < 1e-9, `request ${i}: ${got[i].logprob} vs ${want.logprob}`);
      assert.equal(got[i].greedy, want.greedy);
    });
  }
  const lm = new ModelLM(model, tok, { budgetTokens: 16 });
  const full = new ModelLM(model, tok);
  const o = { stop: [], maxTokens: 6, samples: 1, temperature: 0, topK: 0, topP: 1, seed: 1 };
  const prompt = "a prompt longer than sixteen tokens";
  assert.deepEqual(lm.generate(prompt, o), full.generate(prompt, o));
});

test("batched log-likelihood with the native kernels agrees with the naive passes (float32)", () => {
  const model = tinyModel({}, nativeKernels());
  const reqs = requests(model.config.vocab_size);
  const got = scoreTokenRequests(new EvalForward(model, 96), reqs, { minSharedContext: 2 });
  reqs.forEach((r, i) => {
    const keep = Math.min(r.context.length, model.config.max_seq_len + 1 - r.continuation.length);
    const want = naive(model, r, keep);
    assert.ok(Math.abs(got[i].logprob - want.logprob) < 2e-4 * Math.max(1, Math.abs(want.logprob)), `request ${i}`);
  });
});

test("a greedy continuation is recognised as greedy", () => {
  const model = tinyModel();
  const ctx = Int32Array.from(tok.encode("the sea and the whale"));
  const g = generate(model, ctx, { maxTokens: 4, temperature: 0, topK: 0, topP: 1, seed: 0, stopId: null });
  const [r] = scoreTokenRequests(new EvalForward(model), [{ context: ctx, continuation: Int32Array.from(g.tokens) }]);
  assert.equal(r.greedy, true);
  const other = Int32Array.from(g.tokens);
  other[2] = (other[2] + 1) % 256;
  const [s] = scoreTokenRequests(new EvalForward(model), [{ context: ctx, continuation: other }]);
  assert.equal(s.greedy, false);
});

test("rolling log-likelihood equals the windows of `pretrain score`", () => {
  const model = tinyModel();
  const lm = new ModelLM(model, tok, { budgetTokens: 100 });
  const text = "Call me Ishmael. Some years ago, never mind how long precisely, having little money in my purse.";
  const [r] = lm.rolling([text]);
  const ref = scoreTokens(model, lm.encodeContext(text));
  assert.equal(r.tokens, ref.count);
  assert.ok(Math.abs(r.logprob - ref.sum) < 1e-9, `${r.logprob} vs ${ref.sum}`);
});

test("text requests: whitespace moves to the continuation, contexts start with the prefix token", () => {
  assert.deepEqual(splitWhitespace("Answer: ", "B"), ["Answer:", " B"]);
  assert.deepEqual(splitWhitespace("x", " y"), ["x", " y"]);
  const lm = new ModelLM(tinyModel(), tok);
  assert.equal(lm.prefix, tok.eosId);
  assert.deepEqual([...lm.encodeContext("ab")], [256, 97, 98]);
  const [a, b] = lm.loglikelihood([{ context: "Answer: ", continuation: "B" }, { context: "Answer:", continuation: " B" }]);
  assert.equal(a.logprob, b.logprob);
  assert.equal(new ModelLM(tinyModel(), tok, { prefixToken: "bos" }).prefix, tok.bosId);
});

test("generation: greedy equals the foundation's generate; stop strings cut; samples follow the seed", () => {
  const model = tinyModel();
  const lm = new ModelLM(model, tok);
  const prompt = "The whale";
  const [greedy] = lm.generate(prompt, { stop: [], maxTokens: 12, samples: 1, temperature: 0, topK: 0, topP: 1, seed: 1 });
  const ref = generate(model, lm.encodeContext(prompt), { maxTokens: 12, temperature: 0, topK: 0, topP: 1, seed: 0, stopId: tok.eosId });
  assert.equal(greedy, tok.decode(ref.tokens, { skipSpecial: true }));
  const cut = cutAtStop(greedy, [greedy.slice(3, 5)]);
  assert.equal(cut, greedy.slice(0, greedy.indexOf(greedy.slice(3, 5))));
  const o = { stop: [], maxTokens: 10, samples: 3, temperature: 1, topK: 0, topP: 1, seed: 7 };
  const a = lm.generate(prompt, o);
  const b = lm.generate(prompt, o);
  assert.deepEqual(a, b);
  assert.equal(new Set(a).size, 3, "different samples");
});

test("packing: first-fit decreasing, deterministic, every sequence placed once", () => {
  const lengths = [5, 9, 3, 7, 2, 8, 1];
  const rows = packRows(lengths, 10);
  const placed = rows.flatMap((r) => r.segments.map((s) => s.index)).sort();
  assert.deepEqual(placed, [0, 1, 2, 3, 4, 5, 6]);
  for (const r of rows) assert.ok(r.used <= 10);
  assert.equal(rows.length, 4); // 9+1, 8+2, 7+3, 5
  assert.deepEqual(packRows(lengths, 10), rows);
  assert.deepEqual(batchRows([1, 2, 3, 4, 5], 10, 25).map((b) => b.length), [2, 2, 1]);
  assert.throws(() => packRows([11], 10), /does not fit/);
});
