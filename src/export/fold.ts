/**
 * Merging every re-parameterization into plain Llama weights (spec §3.4). With s the residual multiplier, α the
 * WeSaR gates, c = logit_scale_base/d the logit multiplier and f = attention scale · √head_dim the departure of
 * our attention scale from Llama's 1/√head_dim:
 *
 *   embed_tokens = scale_emb · E                     lm_head = α_lm · c · W_head   (W_head = E when tied)
 *   q_proj = f·α_q·(W_q, b_q)    k_proj = α_k·(W_k, b_k)    v_proj = α_v·(W_v, b_v)
 *   o_proj = s·α_o·W_o (+ a zero bias when q/k/v have biases: HF's attention_bias covers o_proj too)
 *   gate_proj, up_proj = α_gu·W_gate, α_gu·W_up        down_proj = s·α_down·W_down
 *   input_layernorm = α_in·g_in    post_attention_layernorm = α_post·g_post    norm = α_norm·g_final
 *
 * Every product is exact algebra on the forward pass: the plain model computes the same logits. QK-LayerNorm has
 * no place in a plain Llama (the gate before a LayerNorm does not fold through it), so such models are refused.
 */
import type { Buf } from "../kernels/types.js";
import type { ModelConfig } from "../model/config.js";
import { attentionScale, headDim, logitMultiplier } from "../model/config.js";
import { layerPrefix, type Layout } from "../model/layout.js";
import { gateValue } from "../model/params.js";

export interface PlainTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExportError";
  }
}

/** The folded weights in Hugging Face Llama order, as float32. */
export function foldToLlama(config: ModelConfig, layout: Layout, params: Buf): { tensors: PlainTensor[]; tied: boolean } {
  if (config.qk_layernorm) {
    throw new ExportError("this model uses QK-LayerNorm, which the plain Llama architecture has no place for; " +
      "it cannot be exported as Llama (train without qk_layernorm to export)");
  }
  const get = (name: string): Buf => {
    const t = layout.byName.get(name);
    if (!t) throw new ExportError(`internal: tensor ${name} is missing from the layout`);
    return params.subarray(t.offset, t.offset + t.size);
  };
  const gate = (name: string) => gateValue(params, layout.byName.get(name)?.offset ?? -1);
  const shapeOf = (name: string) => layout.byName.get(name)!.shape;
  const out: PlainTensor[] = [];
  const scaled = (name: string, source: string, factor: number) => {
    const src = get(source);
    const data = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) data[i] = factor * src[i];
    out.push({ name, shape: [...shapeOf(source)], data });
  };
  const s = config.residual_multiplier;
  const qFactor = attentionScale(config) * Math.sqrt(headDim(config));
  const lmFactor = gate("lm_head_alpha") * logitMultiplier(config);
  const headSource = config.tie_embeddings ? "model.embed_tokens.weight" : "lm_head.weight";
  // A tied export is possible only when both uses of E are scaled alike, and exactly (an import round trip).
  const tied = config.tie_embeddings && config.scale_emb === 1 && lmFactor === 1;

  scaled("model.embed_tokens.weight", "model.embed_tokens.weight", config.scale_emb);
  for (let i = 0; i < config.num_layers; i++) {
    const p = layerPrefix(i);
    scaled(`${p}.input_layernorm.weight`, `${p}.input_layernorm.weight`, gate(`${p}.input_layernorm_alpha`));
    const proj: [string, number][] = [
      ["q", qFactor * gate(`${p}.self_attn.q_proj_alpha`)],
      ["k", gate(`${p}.self_attn.k_proj_alpha`)],
      ["v", gate(`${p}.self_attn.v_proj_alpha`)],
    ];
    for (const [x, f] of proj) {
      scaled(`${p}.self_attn.${x}_proj.weight`, `${p}.self_attn.${x}_proj.weight`, f);
      if (config.qkv_bias) scaled(`${p}.self_attn.${x}_proj.bias`, `${p}.self_attn.${x}_proj.bias`, f);
    }
    scaled(`${p}.self_attn.o_proj.weight`, `${p}.self_attn.o_proj.weight`, s * gate(`${p}.self_attn.o_proj_alpha`));
    if (config.qkv_bias) out.push({ name: `${p}.self_attn.o_proj.bias`, shape: [config.d_model], data: new Float32Array(config.d_model) });
    scaled(`${p}.post_attention_layernorm.weight`, `${p}.post_attention_layernorm.weight`, gate(`${p}.post_attention_layernorm_alpha`));
    const gu = gate(`${p}.gate_up_proj_alpha`);
    scaled(`${p}.mlp.gate_proj.weight`, `${p}.mlp.gate_proj.weight`, gu);
    scaled(`${p}.mlp.up_proj.weight`, `${p}.mlp.up_proj.weight`, gu);
    scaled(`${p}.mlp.down_proj.weight`, `${p}.mlp.down_proj.weight`, s * gate(`${p}.down_proj_alpha`));
  }
  scaled("model.norm.weight", "model.norm.weight", gate("model.norm_alpha"));
  if (!tied) scaled("lm_head.weight", headSource, lmFactor);
  return { tensors: out, tied };
}

/** The plain-Llama model config an exported (or imported) model has in this toolkit's terms. */
export function plainLlamaConfig(c: ModelConfig, tied: boolean): ModelConfig {
  const hd = headDim(c);
  return {
    ...c,
    tie_embeddings: tied,
    qk_layernorm: false,
    scale_emb: 1,
    residual_multiplier: 1,
    dim_model_base: null,
    attention_scale_base: hd,
    logit_scale_base: c.d_model,
    wesar: false,
    wesar_init: { q: 1, k: 1, v: 1, o: 1, gate_up: 1, down: 1, input_norm: 1, post_norm: 1, final_norm: 1, lm_head: 1 },
  };
}
