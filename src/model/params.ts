/**
 * Named views into a parameter-shaped arena (parameters, gradients or Adam moments share one layout), grouped by
 * the role each tensor plays in the forward pass. Gates are scalars: they are held as arena offsets (−1 when
 * WeSaR is off, meaning the constant 1).
 */
import type { Buf } from "../kernels/types.js";
import type { ModelConfig } from "./config.js";
import { layerPrefix, type Layout } from "./layout.js";

export interface LayerTensors {
  inNorm: Buf;
  inNormGate: number;
  wq: Buf;
  wk: Buf;
  wv: Buf;
  bq: Buf | null;
  bk: Buf | null;
  bv: Buf | null;
  gq: number;
  gk: number;
  gv: number;
  qNorm: Buf | null;
  kNorm: Buf | null;
  wo: Buf;
  go: number;
  postNorm: Buf;
  postNormGate: number;
  wGate: Buf;
  wUp: Buf;
  wDown: Buf;
  gGateUp: number;
  gDown: number;
}

export interface ModelTensors {
  embed: Buf;
  layers: LayerTensors[];
  finalNorm: Buf;
  finalNormGate: number;
  /** The output head: a separate matrix, or the embedding itself when tied. */
  lmHead: Buf;
  lmHeadGate: number;
}

export function bindTensors(config: ModelConfig, layout: Layout, arena: Buf): ModelTensors {
  const view = (name: string): Buf => {
    const t = layout.byName.get(name);
    if (!t) throw new Error(`internal: no tensor ${name} in the layout`);
    return arena.subarray(t.offset, t.offset + t.size);
  };
  const maybe = (name: string): Buf | null => (layout.byName.has(name) ? view(name) : null);
  const gate = (name: string): number => layout.byName.get(name)?.offset ?? -1;
  const layers: LayerTensors[] = [];
  for (let i = 0; i < config.num_layers; i++) {
    const p = layerPrefix(i);
    layers.push({
      inNorm: view(`${p}.input_layernorm.weight`),
      inNormGate: gate(`${p}.input_layernorm_alpha`),
      wq: view(`${p}.self_attn.q_proj.weight`),
      wk: view(`${p}.self_attn.k_proj.weight`),
      wv: view(`${p}.self_attn.v_proj.weight`),
      bq: maybe(`${p}.self_attn.q_proj.bias`),
      bk: maybe(`${p}.self_attn.k_proj.bias`),
      bv: maybe(`${p}.self_attn.v_proj.bias`),
      gq: gate(`${p}.self_attn.q_proj_alpha`),
      gk: gate(`${p}.self_attn.k_proj_alpha`),
      gv: gate(`${p}.self_attn.v_proj_alpha`),
      qNorm: maybe(`${p}.self_attn.q_layernorm.weight`),
      kNorm: maybe(`${p}.self_attn.k_layernorm.weight`),
      wo: view(`${p}.self_attn.o_proj.weight`),
      go: gate(`${p}.self_attn.o_proj_alpha`),
      postNorm: view(`${p}.post_attention_layernorm.weight`),
      postNormGate: gate(`${p}.post_attention_layernorm_alpha`),
      wGate: view(`${p}.mlp.gate_proj.weight`),
      wUp: view(`${p}.mlp.up_proj.weight`),
      wDown: view(`${p}.mlp.down_proj.weight`),
      gGateUp: gate(`${p}.gate_up_proj_alpha`),
      gDown: gate(`${p}.down_proj_alpha`),
    });
  }
  const embed = view("model.embed_tokens.weight");
  return {
    embed,
    layers,
    finalNorm: view("model.norm.weight"),
    finalNormGate: gate("model.norm_alpha"),
    lmHead: config.tie_embeddings ? embed : view("lm_head.weight"),
    lmHeadGate: gate("lm_head_alpha"),
  };
}

/** The value of a gate (1 when the gate does not exist). */
export function gateValue(arena: Buf, offset: number): number {
  return offset < 0 ? 1 : arena[offset];
}

/** Adds to a gate's gradient (nothing when the gate does not exist). */
export function addGateGrad(grads: Buf, offset: number, value: number): void {
  if (offset >= 0) grads[offset] += value;
}
