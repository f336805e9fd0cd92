/**
 * Reading a Hugging Face Llama folder (config.json + model.safetensors, or shards with an index; float32, bfloat16
 * or float16) into this toolkit's model: a plain configuration whose gates (when WeSaR is on) and multipliers are 1,
 * so that the weights are used as they are and an export folds back to the same files.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Kernels } from "../kernels/types.js";
import { resolveModelConfig, type ModelConfig } from "../model/config.js";
import { Model } from "../model/model.js";
import { openSafetensors, type SafetensorsReader } from "../util/safetensors.js";
import { ExportError } from "./fold.js";

interface HfConfig {
  architectures?: string[];
  model_type?: string;
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads?: number;
  head_dim?: number;
  hidden_act?: string;
  max_position_embeddings?: number;
  rms_norm_eps?: number;
  rope_theta?: number;
  rope_scaling?: unknown;
  attention_bias?: boolean;
  mlp_bias?: boolean;
  tie_word_embeddings?: boolean;
  bos_token_id?: number | number[] | null;
  eos_token_id?: number | number[] | null;
  initializer_range?: number;
}

export function isHfFolder(dir: string): boolean {
  return existsSync(join(dir, "config.json")) &&
    (existsSync(join(dir, "model.safetensors")) || existsSync(join(dir, "model.safetensors.index.json")));
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ExportError(`${path}: ${(e as Error).message}`);
  }
}

function firstId(v: number | number[] | null | undefined): number | null {
  if (Array.isArray(v)) return v.length ? v[0] : null;
  return typeof v === "number" ? v : null;
}

/** Our model config for a Hugging Face Llama config.json. */
export function configFromHf(path: string, hf: HfConfig, wesar: boolean): ModelConfig {
  const arch = hf.architectures ?? [];
  if (!(arch.includes("LlamaForCausalLM") || hf.model_type === "llama")) {
    throw new ExportError(`${path}: not a Llama model (architectures ${JSON.stringify(arch)}, model_type ${JSON.stringify(hf.model_type)})`);
  }
  if (hf.rope_scaling) throw new ExportError(`${path}: rope_scaling ${JSON.stringify(hf.rope_scaling)} is not supported (plain RoPE only)`);
  if (hf.mlp_bias) throw new ExportError(`${path}: mlp_bias is not supported`);
  if (hf.hidden_act && hf.hidden_act !== "silu") throw new ExportError(`${path}: hidden_act ${hf.hidden_act} is not supported (silu only)`);
  const hd = hf.hidden_size / hf.num_attention_heads;
  if (hf.head_dim !== undefined && hf.head_dim !== hd) {
    throw new ExportError(`${path}: head_dim ${hf.head_dim} differs from hidden_size/num_attention_heads = ${hd}; not supported`);
  }
  const one = { q: 1, k: 1, v: 1, o: 1, gate_up: 1, down: 1, input_norm: 1, post_norm: 1, final_norm: 1, lm_head: 1 };
  return resolveModelConfig({
    num_layers: hf.num_hidden_layers, d_model: hf.hidden_size, ffn_size: hf.intermediate_size,
    num_heads: hf.num_attention_heads, num_kv_heads: hf.num_key_value_heads ?? hf.num_attention_heads,
    vocab_size: hf.vocab_size, max_seq_len: hf.max_position_embeddings ?? 2048, rope_theta: hf.rope_theta ?? 10000,
    norm_eps: hf.rms_norm_eps ?? 1e-6, tie_embeddings: hf.tie_word_embeddings ?? false, qkv_bias: hf.attention_bias ?? false,
    qk_layernorm: false, scale_emb: 1, residual_multiplier: 1, dim_model_base: null, attention_scale_base: hd,
    logit_scale_base: hf.hidden_size, wesar, wesar_init: one, init_std: hf.initializer_range ?? 0.02, z_loss: 0,
    bos_token_id: firstId(hf.bos_token_id), eos_token_id: firstId(hf.eos_token_id),
  }, path);
}

/** Opens every safetensors file of the folder; maps tensor name → reader. */
function openWeights(dir: string): { readers: SafetensorsReader[]; where: Map<string, SafetensorsReader> } {
  const readers: SafetensorsReader[] = [];
  const where = new Map<string, SafetensorsReader>();
  const single = join(dir, "model.safetensors");
  let files: string[];
  if (existsSync(single)) files = [single];
  else {
    const indexPath = join(dir, "model.safetensors.index.json");
    const index = readJson(indexPath) as { weight_map?: Record<string, string> };
    if (!index.weight_map) throw new ExportError(`${indexPath}: no weight_map`);
    files = [...new Set(Object.values(index.weight_map))].map((f) => join(dir, f));
  }
  try {
    for (const f of files) {
      if (!existsSync(f)) throw new ExportError(`${f}: missing (listed in the index)`);
      const r = openSafetensors(f);
      readers.push(r);
      for (const n of r.names()) {
        if (where.has(n)) throw new ExportError(`${f}: tensor ${n} also appears in ${where.get(n)!.path}`);
        where.set(n, r);
      }
    }
  } catch (e) {
    for (const r of readers) r.close();
    throw e;
  }
  return { readers, where };
}

/** Loads a Hugging Face Llama folder as a model (WeSaR gates, when on, at 1). */
export function loadHfFolder(dir: string, kernels: Kernels, options: { wesar?: boolean; training?: boolean } = {}): Model {
  const cfgPath = join(dir, "config.json");
  const config = configFromHf(cfgPath, readJson(cfgPath) as HfConfig, options.wesar ?? false);
  const model = new Model(config, kernels, { training: options.training ?? false });
  const { readers, where } = openWeights(dir);
  try {
    const used = new Set<string>();
    for (const t of model.layout.tensors) {
      const view = model.params.subarray(t.offset, t.offset + t.size);
      if (t.kind === "gate") {
        view.fill(1);
        continue;
      }
      const name = t.name;
      const r = where.get(name);
      if (!r) throw new ExportError(`${dir}: tensor ${name} is missing`);
      const info = r.info(name);
      if (info.shape.length !== t.shape.length || info.shape.some((d, i) => d !== t.shape[i])) {
        throw new ExportError(`${r.path}: tensor ${name} has shape [${info.shape}], config.json implies [${t.shape}]`);
      }
      if (view instanceof Float32Array) r.readF32(name, view);
      else view.set(r.readF32(name));
      used.add(name);
    }
    for (const [name, r] of where) {
      if (used.has(name)) continue;
      if (/\.self_attn\.o_proj\.bias$/.test(name)) {
        const b = r.readF32(name);
        if (b.some((x) => x !== 0)) throw new ExportError(`${r.path}: ${name} is not zero; an o_proj bias is not supported`);
        continue;
      }
      if (/rotary_emb\.inv_freq$/.test(name)) continue;
      if (name === "lm_head.weight" && config.tie_embeddings) continue;
      throw new ExportError(`${r.path}: unexpected tensor ${name} for a Llama model`);
    }
  } finally {
    for (const r of readers) r.close();
  }
  return model;
}
