/**
 * The model configuration: a Llama-style decoder with the YuLan-Mini options (spec §1–3): μP multipliers,
 * WeSaR gates, optional QK-LayerNorm, z-loss, GQA, tied embeddings, q/k/v biases.
 *
 * `ModelConfigInput` is what a user writes (most fields have defaults); `resolveModelConfig` validates it and
 * fills every derived value, giving the `ModelConfig` that checkpoints store.
 */
import { ConfigError, validate, type Schema } from "../util/schema.js";

/** Initial values of the WeSaR gates (spec §3.2). */
export interface WesarInit {
  q: number;
  k: number;
  v: number;
  o: number;
  gate_up: number;
  down: number;
  input_norm: number;
  post_norm: number;
  final_norm: number;
  lm_head: number;
}

export interface ModelConfig {
  num_layers: number;
  d_model: number;
  ffn_size: number;
  num_heads: number;
  num_kv_heads: number;
  vocab_size: number;
  max_seq_len: number;
  rope_theta: number;
  norm_eps: number;
  tie_embeddings: boolean;
  qkv_bias: boolean;
  qk_layernorm: boolean;
  /** x₀ = scale_emb · E[token]. */
  scale_emb: number;
  /** Multiplies each residual branch (attention and MLP outputs) before the add; default 1.4/√L. */
  residual_multiplier: number;
  /** μP base width d₀: m = d_model/d₀ drives the hidden-matrix learning rate and the init rule. null = no μP. */
  dim_model_base: number | null;
  /** μP init rule: "cerebras" (σ/√m for fan-in matrices, σ/√(2mL) for o and down) or "minicpm" (σ/√m for all). */
  mup_init_rule: "cerebras" | "minicpm";
  /** Attention scale = √attention_scale_base / head_dim; default head_dim (the usual 1/√head_dim). */
  attention_scale_base: number;
  /** Logits are divided by d_model / logit_scale_base; default d_model (no division). */
  logit_scale_base: number;
  /** WeSaR: a learnable scalar gate per matrix and norm (spec §3). */
  wesar: boolean;
  wesar_init: WesarInit;
  /** Raw init σ of every matrix, embedding included (spec §2.3). */
  init_std: number;
  z_loss: number;
  bos_token_id: number | null;
  eos_token_id: number | null;
}

export type ModelConfigInput = Partial<Omit<ModelConfig, "wesar_init">> & {
  wesar_init?: Partial<WesarInit>;
} & Pick<ModelConfig, "num_layers" | "d_model" | "ffn_size" | "num_heads" | "vocab_size">;

const positiveInt = (doc: string) => ({ kind: "number", integer: true, min: 1, doc }) as const;

const WESAR_INIT_SCHEMA: Schema = Object.fromEntries(
  ["q", "k", "v", "o", "gate_up", "down", "input_norm", "post_norm", "final_norm", "lm_head"].map((k) => [
    k,
    { kind: "number", nullable: true, default: null, doc: `initial value of the ${k} gate` },
  ]),
);

export const MODEL_SCHEMA: Schema = {
  num_layers: positiveInt("number of decoder layers L"),
  d_model: positiveInt("hidden size d"),
  ffn_size: positiveInt("SwiGLU inner size F"),
  num_heads: positiveInt("query heads"),
  num_kv_heads: { kind: "number", integer: true, min: 1, nullable: true, default: null,
    doc: "key/value heads (GQA); default num_heads" },
  vocab_size: positiveInt("vocabulary size"),
  max_seq_len: { kind: "number", integer: true, min: 1, default: 4096, doc: "longest sequence (RoPE table size)" },
  rope_theta: { kind: "number", min: 1, exclusiveMin: true, default: 10000, doc: "RoPE base θ" },
  norm_eps: { kind: "number", min: 0, exclusiveMin: true, default: 1e-6, doc: "RMSNorm ε" },
  tie_embeddings: { kind: "boolean", default: true, doc: "share the embedding with the output head" },
  qkv_bias: { kind: "boolean", default: true, doc: "biases on q, k, v projections" },
  qk_layernorm: { kind: "boolean", default: false, doc: "per-head LayerNorm on q and k before RoPE" },
  scale_emb: { kind: "number", min: 0, exclusiveMin: true, default: 10, doc: "embedding output multiplier" },
  residual_multiplier: { kind: "number", min: 0, exclusiveMin: true, nullable: true, default: null,
    doc: "residual branch multiplier; default 1.4/√num_layers" },
  dim_model_base: { kind: "number", integer: true, min: 1, nullable: true, default: null,
    doc: "μP base width (null turns μP off)" },
  mup_init_rule: { kind: "enum", values: ["cerebras", "minicpm"], default: "cerebras", doc: "μP init rule" },
  attention_scale_base: { kind: "number", min: 0, exclusiveMin: true, nullable: true, default: null,
    doc: "attention scale √base/head_dim; default head_dim" },
  logit_scale_base: { kind: "number", min: 0, exclusiveMin: true, nullable: true, default: null,
    doc: "logits divided by d_model/base; default d_model" },
  wesar: { kind: "boolean", default: true, doc: "WeSaR gates on every matrix and norm" },
  wesar_init: { kind: "object", fields: WESAR_INIT_SCHEMA, doc: "initial gate values (defaults from μP)" },
  init_std: { kind: "number", min: 0, exclusiveMin: true, default: 5e-5, doc: "raw init σ of every matrix" },
  z_loss: { kind: "number", min: 0, default: 1e-4, doc: "z-loss coefficient (z·logsumexp²)" },
  bos_token_id: { kind: "number", integer: true, min: 0, nullable: true, default: null, doc: "BOS token id" },
  eos_token_id: { kind: "number", integer: true, min: 0, nullable: true, default: null, doc: "EOS token id" },
};

type RawModel = Omit<ModelConfig, "num_kv_heads" | "residual_multiplier" | "attention_scale_base" |
  "logit_scale_base" | "wesar_init"> & {
  num_kv_heads: number | null;
  residual_multiplier: number | null;
  attention_scale_base: number | null;
  logit_scale_base: number | null;
  wesar_init: Record<keyof WesarInit, number | null>;
};

/** Validates a user model config and fills every derived value. */
export function resolveModelConfig(input: unknown, path = "model"): ModelConfig {
  const raw = validate<RawModel>(input, MODEL_SCHEMA, path);
  const numKv = raw.num_kv_heads ?? raw.num_heads;
  if (raw.d_model % raw.num_heads !== 0) {
    throw new ConfigError(`${path}.d_model (${raw.d_model}) must be a multiple of ${path}.num_heads (${raw.num_heads})`);
  }
  const headDim = raw.d_model / raw.num_heads;
  if (headDim % 2 !== 0) throw new ConfigError(`${path}: head_dim = d_model/num_heads = ${headDim} must be even for RoPE`);
  if (raw.num_heads % numKv !== 0) {
    throw new ConfigError(`${path}.num_heads (${raw.num_heads}) must be a multiple of ${path}.num_kv_heads (${numKv})`);
  }
  for (const k of ["bos_token_id", "eos_token_id"] as const) {
    const id = raw[k];
    if (id !== null && id >= raw.vocab_size) {
      throw new ConfigError(`${path}.${k} (${id}) must be below vocab_size (${raw.vocab_size})`);
    }
  }
  const resolvedBase = {
    ...raw,
    num_kv_heads: numKv,
    residual_multiplier: raw.residual_multiplier ?? 1.4 / Math.sqrt(raw.num_layers),
    attention_scale_base: raw.attention_scale_base ?? headDim,
    logit_scale_base: raw.logit_scale_base ?? raw.d_model,
  };
  const defaults = defaultGateInit(resolvedBase);
  const wesarInit = { ...defaults };
  for (const key of Object.keys(defaults) as (keyof WesarInit)[]) {
    const v = raw.wesar_init[key];
    if (v !== null) wesarInit[key] = v;
  }
  return { ...resolvedBase, wesar_init: wesarInit };
}

/** μP width multiplier m = d_model / dim_model_base (1 without μP). */
export function widthMultiplier(c: Pick<ModelConfig, "d_model" | "dim_model_base">): number {
  return c.dim_model_base === null ? 1 : c.d_model / c.dim_model_base;
}

/**
 * The μP init factors per matrix kind (spec §2.3): fan-in matrices 1/√m, residual-output matrices 1/√(2mL)
 * under the Cerebras rule (1/√m under MiniCPM's); all 1 without μP. With WeSaR they are the gates' initial
 * values; without it they multiply the init σ.
 */
export function mupInitFactors(c: Pick<ModelConfig, "d_model" | "dim_model_base" | "num_layers" | "mup_init_rule">): {
  fanIn: number;
  residualOut: number;
} {
  if (c.dim_model_base === null) return { fanIn: 1, residualOut: 1 };
  const m = widthMultiplier(c);
  return {
    fanIn: 1 / Math.sqrt(m),
    residualOut: c.mup_init_rule === "cerebras" ? 1 / Math.sqrt(2 * m * c.num_layers) : 1 / Math.sqrt(m),
  };
}

function defaultGateInit(c: Pick<ModelConfig, "d_model" | "dim_model_base" | "num_layers" | "mup_init_rule">): WesarInit {
  const f = mupInitFactors(c);
  return {
    q: f.fanIn, k: f.fanIn, v: f.fanIn, o: f.residualOut, gate_up: f.fanIn, down: f.residualOut,
    input_norm: 1, post_norm: 1, final_norm: 1, lm_head: 1,
  };
}

export function headDim(c: Pick<ModelConfig, "d_model" | "num_heads">): number {
  return c.d_model / c.num_heads;
}

/** The sizes the forward and backward passes use: widths of the residual stream, heads, q and k/v, and the MLP. */
export function dims(c: ModelConfig): { d: number; hd: number; H: number; KV: number; qDim: number; kvDim: number; F: number } {
  const hd = headDim(c);
  return { d: c.d_model, hd, H: c.num_heads, KV: c.num_kv_heads, qDim: c.num_heads * hd, kvDim: c.num_kv_heads * hd, F: c.ffn_size };
}

export function attentionScale(c: ModelConfig): number {
  return Math.sqrt(c.attention_scale_base) / headDim(c);
}

/** The factor the final hidden state is multiplied by before the head: 1 / (d_model / logit_scale_base). */
export function logitMultiplier(c: ModelConfig): number {
  return c.logit_scale_base / c.d_model;
}

/** The YuLan-Mini 2.4B architecture as trained (spec §1.1, §14). */
export const YULAN_MINI_2B: ModelConfigInput = {
  num_layers: 56, d_model: 1920, ffn_size: 4800, num_heads: 30, num_kv_heads: 6, vocab_size: 99000,
  max_seq_len: 4096, rope_theta: 10000, norm_eps: 1e-6, tie_embeddings: true, qkv_bias: true,
  qk_layernorm: false, scale_emb: 10, residual_multiplier: 1.4 / Math.sqrt(56), dim_model_base: 256,
  mup_init_rule: "cerebras", wesar: true, init_std: 5e-5, z_loss: 1e-4, bos_token_id: 1, eos_token_id: 2,
};
