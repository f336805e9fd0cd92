/**
 * The KV-cache path must give the same logits as a full forward pass over the whole sequence, however the
 * sequence is fed; sampling is reproducible from its seed and greedy equals top-k 1.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { referenceKernels } from "../../src/kernels/reference.js";
import { resolveModelConfig, type ModelConfigInput } from "../../src/model/config.js";
import { Model } from "../../src/model/model.js";
import { headLogits } from "../../src/model/head.js";
import { InferenceSession } from "../../src/infer/session.js";
import { generate } from "../../src/infer/generate.js";
import { scoreTokens } from "../../src/infer/score.js";
import { randomInts, seeded } from "../helpers/random.js";

const CONFIGS: Record<string, ModelConfigInput> = {
  yulan: { num_layers: 2, d_model: 16, ffn_size: 20, num_heads: 4, num_kv_heads: 2, vocab_size: 23, max_seq_len: 24,
    dim_model_base: 8, init_std: 0.3, scale_emb: 2 },
  qkln: { num_layers: 2, d_model: 12, ffn_size: 10, num_heads: 2, num_kv_heads: 1, vocab_size: 17, max_seq_len: 24,
    qk_layernorm: true, tie_embeddings: false, init_std: 0.3, scale_emb: 1 },
};

function fullLogits(model: Model, ids: Int32Array): Float64Array[] {
  const n = ids.length;
  model.loss({ rows: 1, seq: n, ids, targets: new Int32Array(n).fill(-1) });
  const V = model.config.vocab_size;
  const out = model.k.alloc(n * V);
  headLogits(model, model.activations!.h, n, out);
  return Array.from({ length: n }, (_, i) => Float64Array.from(out.subarray(i * V, (i + 1) * V)));
}

for (const [name, input] of Object.entries(CONFIGS)) {
  test(`KV-cache logits equal the full forward pass (${name}), fed in pieces of 5, 1, 3, 1…`, () => {
    const model = new Model(resolveModelConfig(input), referenceKernels("f64"), { training: false });
    model.init(9);
    const ids = randomInts(seeded(4), 14, model.config.vocab_size);
    const full = fullLogits(model, ids);
    const session = new InferenceSession(model);
    let at = 0;
    for (const piece of [5, 1, 3, 1, 1, 3]) {
      const logits = session.feed(ids.slice(at, at + piece));
      at += piece;
      const want = full[at - 1];
      for (let j = 0; j < want.length; j++) {
        assert.ok(Math.abs(logits[j] - want[j]) < 1e-10, `position ${at - 1}, logit ${j}: ${logits[j]} vs ${want[j]}`);
      }
    }
    assert.equal(session.length, 14);
    assert.throws(() => session.feed(new Int32Array(11)), /past the context of 24/);
  });
}

test("generation: greedy is deterministic, top-k 1 equals greedy, a seed reproduces sampling, the stop id stops", () => {
  const model = new Model(resolveModelConfig(CONFIGS.yulan), referenceKernels("f64"), { training: false });
  model.init(2);
  const prompt = Int32Array.from([1, 2, 3]);
  const base = { maxTokens: 8, seed: 1, stopId: null, topK: 0, topP: 1 };
  const greedy = generate(model, prompt, { ...base, temperature: 0 });
  assert.equal(greedy.tokens.length, 8);
  assert.deepEqual(generate(model, prompt, { ...base, temperature: 0 }).tokens, greedy.tokens);
  assert.deepEqual(generate(model, prompt, { ...base, temperature: 1.5, topK: 1 }).tokens, greedy.tokens);
  const s1 = generate(model, prompt, { ...base, temperature: 1, topP: 0.9, seed: 7 }).tokens;
  const s2 = generate(model, prompt, { ...base, temperature: 1, topP: 0.9, seed: 7 }).tokens;
  assert.deepEqual(s1, s2);
  const stop = generate(model, prompt, { ...base, temperature: 0, stopId: greedy.tokens[2] });
  assert.equal(stop.stoppedBy, "stop-token");
  assert.deepEqual(stop.tokens, greedy.tokens.slice(0, greedy.tokens.indexOf(greedy.tokens[2])));
  // Greedy decoding picks the argmax of the full forward pass at each step.
  const seq = Int32Array.from([...prompt, ...greedy.tokens]);
  const full = fullLogits(model, seq);
  for (let i = 0; i < greedy.tokens.length; i++) {
    const row = full[prompt.length - 1 + i];
    let best = 0;
    for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
    assert.equal(greedy.tokens[i], best);
  }
});

test("scoring: log-probabilities equal log-softmax of the full forward pass, also across context windows", () => {
  const model = new Model(resolveModelConfig({ ...CONFIGS.yulan, z_loss: 0 }), referenceKernels("f64"), { training: false });
  model.init(5);
  const ids = randomInts(seeded(8), 20, model.config.vocab_size);
  const r = scoreTokens(model, ids);
  assert.equal(r.count, 19);
  const full = fullLogits(model, ids);
  for (const t of r.tokens) {
    const row = full[t.position - 1];
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    assert.ok(Math.abs(t.logprob - (row[t.id] - lse)) < 1e-9);
  }
  // A context of 8 forces windows; every token is still scored once, with at least 4 tokens of history.
  const small = new Model(resolveModelConfig({ ...CONFIGS.yulan, max_seq_len: 8 }), referenceKernels("f64"), { training: false });
  small.params.set(model.params);
  const w = scoreTokens(small, ids);
  assert.deepEqual(w.tokens.map((t) => t.position), Array.from({ length: 19 }, (_, i) => i + 1));
});
