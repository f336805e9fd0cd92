/**
 * Writing a Hugging Face Llama folder: config.json (LlamaForCausalLM), generation_config.json, the folded weights as
 * safetensors in float32, bfloat16 or float16 (sharded with an index above a size limit), and the tokenizer files
 * when the tokenizer has a Hugging Face form.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { ModelConfig } from "../model/config.js";
import { headDim } from "../model/config.js";
import { f32ToBf16, f32ToF16, writeSafetensors, type Dtype, type TensorToWrite } from "../util/safetensors.js";
import { writeFileAtomic } from "../util/atomic.js";
import type { PlainTensor } from "./fold.js";

export type ExportDtype = "float32" | "bfloat16" | "float16";

const DTYPES: Record<ExportDtype, { st: Dtype; bytes: number }> = {
  float32: { st: "F32", bytes: 4 },
  bfloat16: { st: "BF16", bytes: 2 },
  float16: { st: "F16", bytes: 2 },
};

/** config.json of a LlamaForCausalLM with these sizes (every field the Llama loaders read). */
export function llamaConfigJson(c: ModelConfig, tied: boolean, dtype: ExportDtype): Record<string, unknown> {
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    vocab_size: c.vocab_size,
    hidden_size: c.d_model,
    intermediate_size: c.ffn_size,
    num_hidden_layers: c.num_layers,
    num_attention_heads: c.num_heads,
    num_key_value_heads: c.num_kv_heads,
    head_dim: headDim(c),
    hidden_act: "silu",
    max_position_embeddings: c.max_seq_len,
    rms_norm_eps: c.norm_eps,
    rope_theta: c.rope_theta,
    rope_scaling: null,
    attention_bias: c.qkv_bias,
    attention_dropout: 0.0,
    mlp_bias: false,
    tie_word_embeddings: tied,
    bos_token_id: c.bos_token_id,
    eos_token_id: c.eos_token_id,
    initializer_range: c.init_std,
    pretraining_tp: 1,
    use_cache: true,
    torch_dtype: dtype,
  };
}

function encode(t: PlainTensor, dtype: ExportDtype): TensorToWrite {
  const data = dtype === "float32" ? t.data : dtype === "bfloat16" ? f32ToBf16(t.data) : f32ToF16(t.data);
  return { name: t.name, dtype: DTYPES[dtype].st, shape: t.shape, data };
}

export interface HfWriteOptions {
  dtype: ExportDtype;
  /** shard the weights when they exceed this many bytes (Hugging Face's default is 5 GB) */
  maxShardBytes: number;
  /** tokenizer.json (and tokenizer_config.json) contents, when the tokenizer has a Hugging Face form */
  tokenizerFiles?: Record<string, unknown> | null;
}

export function writeHfFolder(dir: string, c: ModelConfig, tensors: PlainTensor[], tied: boolean, o: HfWriteOptions): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const json = (name: string, value: unknown) => {
    writeFileAtomic(join(dir, name), JSON.stringify(value, null, 2) + "\n");
    written.push(name);
  };
  json("config.json", llamaConfigJson(c, tied, o.dtype));
  const gen: Record<string, unknown> = { _from_model_config: true };
  if (c.bos_token_id !== null) gen.bos_token_id = c.bos_token_id;
  if (c.eos_token_id !== null) gen.eos_token_id = c.eos_token_id;
  json("generation_config.json", gen);

  const bytes = DTYPES[o.dtype].bytes;
  const shards: PlainTensor[][] = [[]];
  let size = 0;
  let total = 0;
  for (const t of tensors) {
    const b = t.data.length * bytes;
    if (size > 0 && size + b > o.maxShardBytes) {
      shards.push([]);
      size = 0;
    }
    shards[shards.length - 1].push(t);
    size += b;
    total += b;
  }
  const meta = { format: "pt" };
  if (shards.length === 1) {
    writeSafetensors(join(dir, "model.safetensors"), shards[0].map((t) => encode(t, o.dtype)), meta);
    written.push("model.safetensors");
  } else {
    const n = String(shards.length).padStart(5, "0");
    const weightMap: Record<string, string> = {};
    shards.forEach((list, i) => {
      const file = `model-${String(i + 1).padStart(5, "0")}-of-${n}.safetensors`;
      writeSafetensors(join(dir, file), list.map((t) => encode(t, o.dtype)), meta);
      for (const t of list) weightMap[t.name] = file;
      written.push(file);
    });
    json("model.safetensors.index.json", { metadata: { total_size: total }, weight_map: weightMap });
  }
  for (const [name, value] of Object.entries(o.tokenizerFiles ?? {})) json(name, value);
  return written;
}
