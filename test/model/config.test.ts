import { test } from "node:test";
import assert from "node:assert/strict";
import { resolveModelConfig, YULAN_MINI_2B, attentionScale, logitMultiplier } from "../../src/model/config.js";
import { buildLayout, groupOf, parameterCount } from "../../src/model/layout.js";
import { ConfigError } from "../../src/util/schema.js";

const tiny = { num_layers: 2, d_model: 16, ffn_size: 24, num_heads: 4, vocab_size: 50 };

test("the YuLan-Mini 2.4B config resolves to the spec's constants (§1.1, §2.3, §14)", () => {
  const c = resolveModelConfig(YULAN_MINI_2B);
  assert.equal(c.residual_multiplier, 0.18708286933869706);
  assert.equal(c.wesar_init.q, 0.3651483716701107);
  assert.equal(c.wesar_init.gate_up, 0.3651483716701107);
  assert.equal(c.wesar_init.o, 0.03450327796711771);
  assert.equal(c.wesar_init.down, 0.03450327796711771);
  assert.equal(c.wesar_init.lm_head, 1);
  assert.equal(attentionScale(c), 1 / 8);
  assert.equal(logitMultiplier(c), 1);
  // 56 layers × 36,501,896 + tied embedding 99,000 × 1920 + final norm 1920 + norm_alpha + lm_head_alpha.
  assert.equal(parameterCount(c), 56 * 36_501_896 + 99_000 * 1920 + 1920 + 2);
  const layout = buildLayout(c);
  assert.equal(layout.tensors.filter((t) => t.kind === "gate").length, 56 * 8 + 2, "450 WeSaR scalars");
  assert.deepEqual(layout.byName.get("model.layers.3.self_attn.q_proj_alpha")!.shape, [1]);
  assert.deepEqual(layout.byName.get("model.layers.3.gate_up_proj_alpha")!.shape, []);
  assert.equal(layout.byName.has("lm_head.weight"), false, "tied: no separate head");
});

test("defaults: kv heads = heads, residual 1.4/√L, μP off gives gates of 1", () => {
  const c = resolveModelConfig(tiny);
  assert.equal(c.num_kv_heads, 4);
  assert.equal(c.residual_multiplier, 1.4 / Math.sqrt(2));
  assert.equal(c.dim_model_base, null);
  assert.equal(c.wesar_init.q, 1);
  assert.equal(c.wesar_init.o, 1);
  assert.equal(c.attention_scale_base, 4);
  assert.equal(c.logit_scale_base, 16);
  const m = resolveModelConfig({ ...tiny, dim_model_base: 4, mup_init_rule: "minicpm", wesar_init: { q: 0.7 } });
  assert.equal(m.wesar_init.q, 0.7);
  assert.equal(m.wesar_init.k, 0.5);
  assert.equal(m.wesar_init.o, 0.5, "minicpm rule: 1/√m for every hidden matrix");
});

test("bad configs are errors that name the key and what is allowed", () => {
  const bad = (input: unknown, pattern: RegExp) => assert.throws(() => resolveModelConfig(input), (e: unknown) =>
    e instanceof ConfigError && pattern.test(e.message));
  bad({ ...tiny, d_modle: 3 }, /unknown key "model\.d_modle"; allowed keys here: num_layers, d_model/);
  bad({ ...tiny, num_layers: 0 }, /"model\.num_layers": 0; expected an integer ≥ 1/);
  bad({ ...tiny, num_layers: 2.5 }, /model\.num_layers/);
  bad({ ...tiny, d_model: 18 }, /d_model \(18\) must be a multiple of model\.num_heads \(4\)/);
  bad({ ...tiny, num_kv_heads: 3 }, /num_heads \(4\) must be a multiple of model\.num_kv_heads \(3\)/);
  bad({ ...tiny, mup_init_rule: "cerebrus" }, /one of "cerebras", "minicpm"/);
  bad({ ...tiny, wesar: "yes" }, /"model\.wesar": "yes"; expected true or false/);
  bad({ ...tiny, wesar_init: { qq: 1 } }, /unknown key "model\.wesar_init\.qq"/);
  bad({ ...tiny, eos_token_id: 50 }, /eos_token_id \(50\) must be below vocab_size \(50\)/);
  bad({ num_layers: 2 }, /missing key "model\.d_model"/);
  bad({ ...tiny, d_model: 12, num_heads: 4 }, /head_dim = d_model\/num_heads = 3 must be even/);
});

test("optimizer groups follow spec §2.6: hidden matrices vs everything else", () => {
  for (const name of ["model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.o_proj.weight",
    "model.layers.0.mlp.down_proj.weight", "model.layers.0.mlp.gate_proj.weight", "lm_head.weight"]) {
    assert.equal(groupOf(name), "hidden", name);
  }
  for (const name of ["model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.bias",
    "model.layers.0.self_attn.q_proj_alpha", "model.layers.0.down_proj_alpha", "model.layers.0.input_layernorm.weight",
    "model.norm.weight", "lm_head_alpha", "model.layers.0.self_attn.q_layernorm.weight"]) {
    assert.equal(groupOf(name), "base", name);
  }
  const layout = buildLayout(resolveModelConfig({ ...tiny, tie_embeddings: false, qk_layernorm: true }));
  const { hidden, base } = layout.groups;
  assert.equal(hidden.start, 0);
  assert.equal(hidden.end, base.start);
  assert.equal(base.end, layout.size);
  for (const t of layout.tensors) {
    const g = layout.groups[t.group];
    assert.ok(t.offset >= g.start && t.offset + t.size <= g.end, `${t.name} lies inside its group`);
  }
});
