import { test } from "node:test";
import assert from "node:assert/strict";
import { resolveModelConfig, YULAN_MINI_2B } from "../../src/model/config.js";
import { memoryEstimate, sixNFlopsPerToken, yulanFlopsPerToken } from "../../src/plan/estimate.js";
import { referenceKernels } from "../../src/kernels/reference.js";
import { Model } from "../../src/model/model.js";

test("FLOPs per token of YuLan-Mini 2.4B at 4096 tokens match spec §13 (2.243e10)", () => {
  const c = resolveModelConfig(YULAN_MINI_2B);
  const f = yulanFlopsPerToken(c, 4096);
  assert.ok(Math.abs(f / 2.243e10 - 1) < 5e-4, `${f}`);
  assert.ok(sixNFlopsPerToken(c, 4096) > 6 * 2.2e9);
});

test("the memory estimate counts exactly the buffers the model allocates", () => {
  const c = resolveModelConfig({ num_layers: 2, d_model: 16, ffn_size: 40, num_heads: 4, num_kv_heads: 2, vocab_size: 50,
    qk_layernorm: true });
  const m = new Model(c, referenceKernels("f32"));
  const b = { rows: 3, seq: 7, ids: new Int32Array(21), targets: new Int32Array(21) };
  m.lossAndGrad(b);
  const acts = m.activations!;
  let floats = 0;
  const count = (o: object) => {
    for (const v of Object.values(o)) if (v instanceof Float32Array) floats += v.length;
  };
  for (const l of acts.layers) count(l);
  count(acts);
  count((m as unknown as { scratch: object }).scratch);
  assert.equal(memoryEstimate(c, 3, 7).activations, 4 * floats);
  assert.equal(memoryEstimate(c, 3, 7).weightsAndOptimizer, 16 * m.layout.size);
});
