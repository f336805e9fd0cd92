import { test } from "node:test";
import assert from "node:assert/strict";
import { referenceKernels } from "../../src/kernels/reference.js";
import { resolveModelConfig } from "../../src/model/config.js";
import { Model } from "../../src/model/model.js";
import { AdamW, clipGradients, groupSettings, resolveOptimizer } from "../../src/train/optimizer.js";
import { randomInts, seeded } from "../helpers/random.js";

const k = referenceKernels("f64");
const config = resolveModelConfig({ num_layers: 1, d_model: 8, ffn_size: 12, num_heads: 2, vocab_size: 13, max_seq_len: 8,
  dim_model_base: 2, init_std: 0.3, scale_emb: 2 });

test("group settings: μP hidden lr = lr·d₀/d, base lr = lr, weight decay everywhere unless overridden", () => {
  const o = resolveOptimizer({ lr: 0.01, weight_decay: 0.1 });
  assert.deepEqual(groupSettings(o, config), { hidden: { lr: 0.01 / 4, wd: 0.1 }, base: { lr: 0.01, wd: 0.1 } });
  const custom = resolveOptimizer({ lr: 0.01, groups: { base: { weight_decay: 0 }, hidden: { lr_scale: 0.5 } } });
  assert.deepEqual(groupSettings(custom, config), { hidden: { lr: 0.005, wd: 0.1 }, base: { lr: 0.01, wd: 0 } });
  assert.throws(() => resolveOptimizer({ lr: 0.01, betas: [0.9, 0.95] }), /unknown key "optimizer\.betas"/);
  assert.throws(() => resolveOptimizer({ lr: -1 }), /"optimizer\.lr": -1/);
});

test("the update applies each group's lr: a hidden matrix moves lr·d₀/d, a gate moves lr (first Adam step)", () => {
  const model = new Model(config, k);
  model.init(1);
  const before = Float64Array.from(model.params);
  model.grads!.fill(0.5);
  const opt = new AdamW(k, resolveOptimizer({ lr: 0.01, weight_decay: 0 }), config, model.layout, model.params, model.grads!);
  opt.update(1);
  // The first Adam step moves every element by lr·m̂/(√v̂+ε) = lr for a constant gradient.
  const moved = (name: string) => before[model.layout.byName.get(name)!.offset] - model.tensor(name)[0];
  assert.ok(Math.abs(moved("model.layers.0.self_attn.q_proj.weight") - 0.0025) < 1e-12);
  assert.ok(Math.abs(moved("model.layers.0.self_attn.q_proj_alpha") - 0.01) < 1e-12);
  assert.ok(Math.abs(moved("model.embed_tokens.weight") - 0.01) < 1e-12);
  assert.equal(opt.step, 1);
});

test("clipping follows torch.nn.utils.clip_grad_norm_", () => {
  const g = new Float64Array([3, 4]);
  const r = clipGradients(k, g, 1);
  assert.equal(r.norm, 5);
  assert.ok(Math.abs(r.factor - 1 / (5 + 1e-6)) < 1e-15);
  assert.ok(Math.abs(g[0] - 3 / (5 + 1e-6)) < 1e-15);
  const small = new Float64Array([0.3, 0.4]);
  assert.deepEqual(clipGradients(k, small, 1), { norm: 0.5, factor: 1 });
  assert.deepEqual(Array.from(small), [0.3, 0.4]);
  const off = new Float64Array([30, 40]);
  assert.equal(clipGradients(k, off, 0).factor, 1);
  assert.ok(Number.isNaN(clipGradients(k, new Float64Array([NaN, 1]), 1).norm));
});

test("gradient accumulation: two half-weighted micro-batches give the gradient of the mean of their losses", () => {
  const model = new Model(config, k);
  model.init(4);
  const u = seeded(9);
  const b1 = { rows: 1, seq: 6, ids: randomInts(u, 6, 13), targets: randomInts(u, 6, 13) };
  const b2 = { rows: 1, seq: 6, ids: randomInts(u, 6, 13), targets: randomInts(u, 6, 13) };
  model.zeroGrads();
  model.lossAndGrad(b1, 0.5);
  model.lossAndGrad(b2, 0.5);
  const accumulated = Float64Array.from(model.grads!);
  model.zeroGrads();
  model.lossAndGrad(b1, 1);
  const g1 = Float64Array.from(model.grads!);
  model.zeroGrads();
  model.lossAndGrad(b2, 1);
  const g2 = model.grads!;
  for (let i = 0; i < g1.length; i++) {
    assert.ok(Math.abs(accumulated[i] - 0.5 * (g1[i] + g2[i])) < 1e-12, `element ${i}`);
  }
});
