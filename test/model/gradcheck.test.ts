/**
 * Finite-difference check of the hand-written backward pass: the whole model in float64 (reference kernels),
 * every parameter kind (gates, biases, norms, QK-LayerNorm, embedding, untied head), against central differences
 * of the mean loss.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { referenceKernels } from "../../src/kernels/reference.js";
import { resolveModelConfig, type ModelConfigInput } from "../../src/model/config.js";
import { Model } from "../../src/model/model.js";
import type { Batch } from "../../src/model/batch.js";
import { gaussian, randomInts, seeded } from "../helpers/random.js";

/** Moves every norm gain, bias and gate off its initial value so that each path carries a distinct signal. */
function perturb(model: Model, seed: number): void {
  const u = seeded(seed);
  for (const t of model.layout.tensors) {
    const v = model.params.subarray(t.offset, t.offset + t.size);
    for (let i = 0; i < t.size; i++) {
      if (t.kind === "norm" || t.kind === "qk_norm") v[i] += 0.2 * gaussian(u);
      else if (t.kind === "bias") v[i] = 0.1 * gaussian(u);
      else if (t.kind === "gate") v[i] *= 1 + 0.2 * gaussian(u);
    }
  }
}

function checkGradients(name: string, input: ModelConfigInput, batch: Batch): void {
  const config = resolveModelConfig(input);
  const model = new Model(config, referenceKernels("f64"));
  model.init(7);
  perturb(model, 11);
  model.zeroGrads();
  model.lossAndGrad(batch);
  const grads = Float64Array.from(model.grads!);
  const u = seeded(3);
  const h = 1e-5;
  let checked = 0;
  let worst = 0;
  for (const t of model.layout.tensors) {
    const picks = t.size <= 3 ? [...Array(t.size).keys()] : [0, t.size - 1, Math.floor(u() * t.size)];
    for (const i of picks) {
      const at = t.offset + i;
      const saved = model.params[at];
      model.params[at] = saved + h;
      const up = model.loss(batch).mean;
      model.params[at] = saved - h;
      const down = model.loss(batch).mean;
      model.params[at] = saved;
      const numeric = (up - down) / (2 * h);
      const analytic = grads[at];
      // Central differences in float64 carry ~1e-11 of round-off at h = 1e-5 (measured); hence the absolute floor.
      const diff = Math.abs(numeric - analytic);
      worst = Math.max(worst, diff / (Math.abs(numeric) + Math.abs(analytic) + 1e-9));
      assert.ok(diff <= 1e-5 * (Math.abs(numeric) + Math.abs(analytic)) + 1e-9,
        `${name}: ${t.name}[${i}] analytic ${analytic} vs numeric ${numeric} (difference ${diff})`);
      checked++;
    }
  }
  assert.ok(checked > 20, `${name}: checked ${checked} entries`);
}

function batchOf(rows: number, seq: number, vocab: number, seed: number): Batch {
  const u = seeded(seed);
  return { rows, seq, ids: randomInts(u, rows * seq, vocab), targets: randomInts(u, rows * seq, vocab) };
}

test("gradients match finite differences: YuLan-Mini style (WeSaR, μP, tied, q/k/v bias, GQA, z-loss)", () => {
  checkGradients("yulan", {
    num_layers: 2, d_model: 8, ffn_size: 12, num_heads: 2, num_kv_heads: 1, vocab_size: 11, max_seq_len: 8,
    tie_embeddings: true, qkv_bias: true, wesar: true, dim_model_base: 4, scale_emb: 3, z_loss: 1e-2, init_std: 0.4,
  }, batchOf(2, 5, 11, 1));
});

test("gradients match finite differences: QK-LayerNorm, untied head, logit and attention scale bases, document mask", () => {
  const b = batchOf(2, 6, 13, 2);
  b.positions = Int32Array.from([0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 4, 5]);
  b.segStart = Int32Array.from([0, 0, 0, 3, 3, 3, 0, 0, 0, 0, 0, 0]);
  b.targets[4] = -1;
  b.targets[9] = -1;
  checkGradients("variants", {
    num_layers: 2, d_model: 8, ffn_size: 6, num_heads: 2, num_kv_heads: 2, vocab_size: 13, max_seq_len: 8,
    tie_embeddings: false, qkv_bias: true, qk_layernorm: true, wesar: true, dim_model_base: 4,
    mup_init_rule: "minicpm", logit_scale_base: 4, attention_scale_base: 1, scale_emb: 2, residual_multiplier: 0.7,
    z_loss: 1e-3, init_std: 0.4,
  }, b);
});

test("gradients match finite differences: plain Llama (no gates, no bias, untied, no z-loss)", () => {
  checkGradients("llama", {
    num_layers: 1, d_model: 8, ffn_size: 10, num_heads: 4, num_kv_heads: 2, vocab_size: 9, max_seq_len: 8,
    tie_embeddings: false, qkv_bias: false, wesar: false, dim_model_base: null, scale_emb: 1, residual_multiplier: 1,
    z_loss: 0, init_std: 0.5,
  }, batchOf(1, 7, 9, 3));
});

test("the chunked loss (a few rows of logits at a time) equals the loss over all rows at once, with its gradient", () => {
  const config = resolveModelConfig({ num_layers: 1, d_model: 8, ffn_size: 12, num_heads: 2, num_kv_heads: 1, vocab_size: 11,
    max_seq_len: 8, tie_embeddings: true, dim_model_base: 4, z_loss: 1e-2, init_std: 0.4, scale_emb: 2 });
  const b = batchOf(3, 7, 11, 4);
  b.targets[5] = -1;
  const results = [21, 5, 1].map((chunk) => {
    const m = new Model(config, referenceKernels("f64"), { lossChunkRows: chunk });
    m.init(2);
    m.zeroGrads();
    const loss = m.lossAndGrad(b).mean;
    return { loss, grads: Float64Array.from(m.grads!), nll: Float64Array.from(m.activations!.nll.subarray(0, 21)) };
  });
  for (const r of results.slice(1)) {
    assert.ok(Math.abs(r.loss - results[0].loss) < 1e-13);
    for (let i = 0; i < r.grads.length; i++) assert.ok(Math.abs(r.grads[i] - results[0].grads[i]) < 1e-13);
    for (let i = 0; i < 21; i++) assert.ok(Math.abs(r.nll[i] - results[0].nll[i]) < 1e-13);
  }
});
