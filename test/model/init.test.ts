import { test } from "node:test";
import assert from "node:assert/strict";
import { referenceKernels } from "../../src/kernels/reference.js";
import { resolveModelConfig } from "../../src/model/config.js";
import { Model } from "../../src/model/model.js";

function stats(v: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  let ss = 0;
  for (let i = 0; i < v.length; i++) {
    s += v[i];
    ss += v[i] * v[i];
  }
  const mean = s / v.length;
  return { mean, std: Math.sqrt(ss / v.length - mean * mean) };
}

test("initialization follows spec §2.3: raw σ everywhere, μP factors in the gates, gains 1, biases 0", () => {
  const c = resolveModelConfig({ num_layers: 4, d_model: 128, ffn_size: 256, num_heads: 4, num_kv_heads: 2, vocab_size: 300,
    dim_model_base: 32, init_std: 5e-5, tie_embeddings: false });
  const m = new Model(c, referenceKernels("f32"), { training: false });
  m.init(1);
  for (const t of m.layout.tensors) {
    const v = m.tensor(t.name);
    if (t.kind === "norm") assert.ok(v.every((x) => x === 1), t.name);
    else if (t.kind === "bias") assert.ok(v.every((x) => x === 0), t.name);
    else if (t.kind === "gate") {
      const want = t.name.endsWith("o_proj_alpha") || t.name.endsWith("down_proj_alpha") ? 1 / Math.sqrt(2 * 4 * 4)
        : /(q|k|v)_proj_alpha$|gate_up_proj_alpha$/.test(t.name) ? 0.5 : 1;
      assert.equal(v[0], Math.fround(want), t.name);
    } else {
      const s = stats(v);
      assert.ok(Math.abs(s.std / 5e-5 - 1) < 0.05, `${t.name}: std ${s.std}`);
      assert.ok(Math.abs(s.mean) < 5e-5 * 0.05, `${t.name}: mean ${s.mean}`);
    }
  }
  // Same seed, same weights; another seed, other weights.
  const again = new Model(c, referenceKernels("f32"), { training: false });
  again.init(1);
  assert.deepEqual(again.params, m.params);
  again.init(2);
  assert.notDeepEqual(again.params, m.params);
});

test("without WeSaR the μP factors multiply the init σ instead (Cerebras rule)", () => {
  const c = resolveModelConfig({ num_layers: 2, d_model: 128, ffn_size: 256, num_heads: 4, vocab_size: 300,
    dim_model_base: 32, init_std: 0.02, wesar: false });
  const m = new Model(c, referenceKernels("f32"), { training: false });
  m.init(3);
  assert.equal(m.layout.tensors.filter((t) => t.kind === "gate").length, 0);
  const q = stats(m.tensor("model.layers.0.self_attn.q_proj.weight")).std;
  const o = stats(m.tensor("model.layers.1.self_attn.o_proj.weight")).std;
  const e = stats(m.tensor("model.embed_tokens.weight")).std;
  assert.ok(Math.abs(q / (0.02 / 2) - 1) < 0.05, `q std ${q}`);
  assert.ok(Math.abs(o / (0.02 / Math.sqrt(2 * 4 * 2)) - 1) < 0.05, `o std ${o}`);
  assert.ok(Math.abs(e / 0.02 - 1) < 0.05, `embedding std ${e}`);
});
