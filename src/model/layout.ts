/**
 * Parameter layout: every tensor's Hugging Face Llama name (plus the WeSaR gate names of spec §1.3), shape,
 * optimizer group and offset in one arena. Parameters, gradients and both Adam moments use the same layout, so
 * a tensor is the same range in all four arenas. Tensors of one optimizer group are contiguous, so the AdamW
 * update runs once per group over one range.
 */
import type { ModelConfig } from "./config.js";
import { headDim } from "./config.js";

/** "hidden": the μP hidden matrices (lr·d₀/d); "base": everything else (spec §2.6). */
export type ParamGroup = "hidden" | "base";

export type ParamKind =
  | "embedding" | "lm_head" | "matrix_in" | "matrix_out" | "bias" | "norm" | "qk_norm" | "gate";

export interface TensorSpec {
  name: string;
  shape: number[];
  size: number;
  offset: number;
  group: ParamGroup;
  kind: ParamKind;
}

export interface Layout {
  tensors: TensorSpec[];
  byName: Map<string, TensorSpec>;
  size: number;
  /** [start, end) of each group in the arena. */
  groups: Record<ParamGroup, { start: number; end: number }>;
}

/** The optimizer group of a parameter, by the substring rules of spec §2.6 (first match wins). */
export function groupOf(name: string): ParamGroup {
  if (!name.endsWith(".weight")) return "base";
  for (const s of ["down_proj", "o_proj", "q_proj", "k_proj", "v_proj", "up_proj", "gate_proj", "lm_head"]) {
    if (name.includes(s)) return "hidden";
  }
  return "base";
}

export function layerPrefix(i: number): string {
  return `model.layers.${i}`;
}

/** The tensors of the model, in forward order. */
export function modelTensors(c: ModelConfig): { name: string; shape: number[]; kind: ParamKind }[] {
  const hd = headDim(c);
  const qDim = c.num_heads * hd;
  const kvDim = c.num_kv_heads * hd;
  const d = c.d_model;
  const out: { name: string; shape: number[]; kind: ParamKind }[] = [];
  const add = (name: string, shape: number[], kind: ParamKind) => out.push({ name, shape, kind });
  add("model.embed_tokens.weight", [c.vocab_size, d], "embedding");
  for (let i = 0; i < c.num_layers; i++) {
    const p = layerPrefix(i);
    add(`${p}.input_layernorm.weight`, [d], "norm");
    if (c.wesar) add(`${p}.input_layernorm_alpha`, [], "gate");
    for (const [proj, rows] of [["q", qDim], ["k", kvDim], ["v", kvDim]] as const) {
      add(`${p}.self_attn.${proj}_proj.weight`, [rows, d], "matrix_in");
      if (c.qkv_bias) add(`${p}.self_attn.${proj}_proj.bias`, [rows], "bias");
      if (c.wesar) add(`${p}.self_attn.${proj}_proj_alpha`, [1], "gate");
    }
    if (c.qk_layernorm) {
      add(`${p}.self_attn.q_layernorm.weight`, [qDim], "qk_norm");
      add(`${p}.self_attn.k_layernorm.weight`, [kvDim], "qk_norm");
    }
    add(`${p}.self_attn.o_proj.weight`, [d, qDim], "matrix_out");
    if (c.wesar) add(`${p}.self_attn.o_proj_alpha`, [1], "gate");
    add(`${p}.post_attention_layernorm.weight`, [d], "norm");
    if (c.wesar) add(`${p}.post_attention_layernorm_alpha`, [], "gate");
    add(`${p}.mlp.gate_proj.weight`, [c.ffn_size, d], "matrix_in");
    add(`${p}.mlp.up_proj.weight`, [c.ffn_size, d], "matrix_in");
    add(`${p}.mlp.down_proj.weight`, [d, c.ffn_size], "matrix_out");
    if (c.wesar) {
      add(`${p}.gate_up_proj_alpha`, [], "gate");
      add(`${p}.down_proj_alpha`, [], "gate");
    }
  }
  add("model.norm.weight", [d], "norm");
  if (c.wesar) add("model.norm_alpha", [], "gate");
  if (!c.tie_embeddings) add("lm_head.weight", [c.vocab_size, d], "lm_head");
  if (c.wesar) add("lm_head_alpha", [], "gate");
  return out;
}

export function buildLayout(c: ModelConfig): Layout {
  const list = modelTensors(c);
  const tensors: TensorSpec[] = [];
  const groups = { hidden: { start: 0, end: 0 }, base: { start: 0, end: 0 } };
  let offset = 0;
  for (const group of ["hidden", "base"] as const) {
    groups[group].start = offset;
    for (const t of list) {
      if (groupOf(t.name) !== group) continue;
      const size = t.shape.reduce((a, b) => a * b, 1);
      tensors.push({ ...t, size, offset, group });
      offset += size;
    }
    groups[group].end = offset;
  }
  return { tensors, byName: new Map(tensors.map((t) => [t.name, t])), size: offset, groups };
}

/** Total number of parameters (the tied embedding counted once). */
export function parameterCount(c: ModelConfig): number {
  return buildLayout(c).size;
}
