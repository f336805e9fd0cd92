/**
 * A checkpoint as a GGUF file for llama.cpp: the folded plain-Llama weights (fold.ts) under llama.cpp's tensor
 * names, the "llama" architecture's hyper-parameters, and the tokenizer as a GGUF vocabulary.
 *
 * Two layout facts matter:
 * - GGUF lists dimensions innermost first, so a PyTorch weight of shape [out, in] is written with dims [in, out];
 *   the row-major bytes are the same.
 * - Hugging Face Llama applies RoPE in the rotate-half layout (dimension i pairs with i + head_dim/2), llama.cpp's
 *   llama architecture to adjacent pairs (2i, 2i+1). Permuting the rows of q_proj and k_proj (and their biases)
 *   head by head, new row 2i = old row i and new row 2i+1 = old row i + head_dim/2, makes llama.cpp compute the
 *   same attention scores (the scores are dot products, indifferent to the order of the dimensions).
 * 1-D tensors (norms, biases) stay F32 in every file type, as llama.cpp's own converter writes them.
 */
import type { Buf } from "../kernels/types.js";
import { headDim, type ModelConfig } from "../model/config.js";
import type { Layout } from "../model/layout.js";
import type { Tokenizer } from "../tokenizer/index.js";
import { BpeTokenizer } from "../tokenizer/bpe/tokenizer.js";
import { tokenizerFromHuggingFace } from "../tokenizer/bpe/hf-json.js";
import { ggufVocabMetadata } from "../tokenizer/bpe/gguf-vocab.js";
import { ExportError, foldToLlama, type PlainTensor } from "./fold.js";
import { gguf, GgmlType, Q8_0_BLOCK, writeGguf, type GgufTensor, type GgufValue } from "./gguf.js";

export type GgufFileType = "f32" | "f16" | "q8_0";

/** general.file_type values (llama.cpp's LLAMA_FTYPE_*) */
const FILE_TYPE: Record<GgufFileType, number> = { f32: 0, f16: 1, q8_0: 7 };
const MATRIX_TYPE: Record<GgufFileType, GgmlType> = { f32: GgmlType.F32, f16: GgmlType.F16, q8_0: GgmlType.Q8_0 };
const UNUSED_TOKEN = 5;

/** Rows of a [heads·hd, …] tensor reordered from the rotate-half to the adjacent-pair RoPE layout. */
export function permuteForLlamaCpp(data: Float32Array, heads: number, hd: number): Float32Array {
  const rows = heads * hd;
  const width = data.length / rows;
  if (!Number.isInteger(width) || hd % 2 !== 0) throw new ExportError(`cannot permute ${data.length} values as ${heads} heads of ${hd}`);
  const out = new Float32Array(data.length);
  const half = hd / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      out.set(data.subarray((h * hd + i) * width, (h * hd + i + 1) * width), (h * hd + 2 * i) * width);
      out.set(data.subarray((h * hd + half + i) * width, (h * hd + half + i + 1) * width), (h * hd + 2 * i + 1) * width);
    }
  }
  return out;
}

const LAYER_NAMES: Record<string, string> = {
  "input_layernorm.weight": "attn_norm.weight",
  "self_attn.q_proj.weight": "attn_q.weight",
  "self_attn.q_proj.bias": "attn_q.bias",
  "self_attn.k_proj.weight": "attn_k.weight",
  "self_attn.k_proj.bias": "attn_k.bias",
  "self_attn.v_proj.weight": "attn_v.weight",
  "self_attn.v_proj.bias": "attn_v.bias",
  "self_attn.o_proj.weight": "attn_output.weight",
  "self_attn.o_proj.bias": "attn_output.bias",
  "post_attention_layernorm.weight": "ffn_norm.weight",
  "mlp.gate_proj.weight": "ffn_gate.weight",
  "mlp.up_proj.weight": "ffn_up.weight",
  "mlp.down_proj.weight": "ffn_down.weight",
};

/** The llama.cpp name of a Hugging Face Llama tensor name. */
export function llamaCppName(hfName: string): string {
  if (hfName === "model.embed_tokens.weight") return "token_embd.weight";
  if (hfName === "model.norm.weight") return "output_norm.weight";
  if (hfName === "lm_head.weight") return "output.weight";
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hfName);
  const rest = m ? LAYER_NAMES[m[2]] : undefined;
  if (!m || !rest) throw new ExportError(`internal: no llama.cpp name for tensor ${hfName}`);
  return `blk.${m[1]}.${rest}`;
}

/** The tokenizer as a BPE tokenizer (the byte-level one through its Hugging Face form). */
function asBpe(tokenizer: Tokenizer): BpeTokenizer {
  if (tokenizer instanceof BpeTokenizer) return tokenizer;
  const t = tokenizer as Tokenizer & { toHuggingFace?: () => { tokenizer: unknown; config: unknown } };
  if (!t.toHuggingFace) throw new ExportError("the checkpoint's tokenizer has no form llama.cpp can read");
  const hf = t.toHuggingFace();
  return tokenizerFromHuggingFace(hf.tokenizer, hf.config);
}

/** tokenizer.ggml.* metadata for a model whose embedding may have more rows than the tokenizer has tokens. */
function vocabMetadata(tokenizer: Tokenizer, vocabSize: number): [string, GgufValue][] {
  const bpe = asBpe(tokenizer);
  if (bpe.vocabSize > vocabSize) {
    throw new ExportError(`the tokenizer has ${bpe.vocabSize} tokens but the model only ${vocabSize} embedding rows`);
  }
  const meta = ggufVocabMetadata(bpe);
  if (bpe.vocabSize === vocabSize) return meta;
  // llama.cpp wants one token per embedding row: the rows no token uses get unique placeholder tokens, marked unused.
  return meta.map(([k, v]): [string, GgufValue] => {
    if (k === "tokenizer.ggml.tokens" && v.type === 9) {
      const extra = Array.from({ length: vocabSize - bpe.vocabSize }, (_, i) => `<|unused_${bpe.vocabSize + i}|>`);
      return [k, gguf.strings([...(v.values as string[]), ...extra])];
    }
    if (k === "tokenizer.ggml.token_type" && v.type === 9) {
      return [k, gguf.i32s([...(v.values as number[]), ...new Array<number>(vocabSize - bpe.vocabSize).fill(UNUSED_TOKEN)])];
    }
    return [k, v];
  });
}

export interface GgufExport {
  metadata: [string, GgufValue][];
  tensors: GgufTensor[];
  tied: boolean;
}

/** Metadata and tensors of the GGUF file for a model in training form. */
export function ggufModel(config: ModelConfig, layout: Layout, params: Buf, tokenizer: Tokenizer,
  o: { fileType: GgufFileType; name?: string }): GgufExport {
  const { tensors: plain, tied } = foldToLlama(config, layout, params);
  const hd = headDim(config);
  const metadata: [string, GgufValue][] = [
    ["general.architecture", gguf.str("llama")],
    ["general.name", gguf.str(o.name ?? "pretrain-ts model")],
    ["general.file_type", gguf.u32(FILE_TYPE[o.fileType])],
    ["llama.vocab_size", gguf.u32(config.vocab_size)],
    ["llama.context_length", gguf.u32(config.max_seq_len)],
    ["llama.embedding_length", gguf.u32(config.d_model)],
    ["llama.block_count", gguf.u32(config.num_layers)],
    ["llama.feed_forward_length", gguf.u32(config.ffn_size)],
    ["llama.attention.head_count", gguf.u32(config.num_heads)],
    ["llama.attention.head_count_kv", gguf.u32(config.num_kv_heads)],
    ["llama.attention.key_length", gguf.u32(hd)],
    ["llama.attention.value_length", gguf.u32(hd)],
    ["llama.rope.dimension_count", gguf.u32(hd)],
    ["llama.rope.freq_base", gguf.f32(config.rope_theta)],
    ["llama.attention.layer_norm_rms_epsilon", gguf.f32(config.norm_eps)],
    ...vocabMetadata(tokenizer, config.vocab_size),
  ];
  const tensors: GgufTensor[] = [];
  for (const t of plain) tensors.push(toGguf(t, config, hd, o.fileType));
  return { metadata, tensors, tied };
}

function toGguf(t: PlainTensor, config: ModelConfig, hd: number, fileType: GgufFileType): GgufTensor {
  const name = llamaCppName(t.name);
  let data = t.data;
  if (/\.q_proj\./.test(t.name)) data = permuteForLlamaCpp(data, config.num_heads, hd);
  else if (/\.k_proj\./.test(t.name)) data = permuteForLlamaCpp(data, config.num_kv_heads, hd);
  const dims = [...t.shape].reverse();
  let type = dims.length === 1 ? GgmlType.F32 : MATRIX_TYPE[fileType];
  // Q8_0 quantizes rows in blocks of 32; a row of another length stays F16.
  if (type === GgmlType.Q8_0 && dims[0] % Q8_0_BLOCK !== 0) type = GgmlType.F16;
  return { name, dims, type, data };
}

/** Writes the GGUF file atomically; returns what was written. */
export function writeGgufModel(path: string, config: ModelConfig, layout: Layout, params: Buf, tokenizer: Tokenizer,
  o: { fileType: GgufFileType; name?: string }): GgufExport {
  const e = ggufModel(config, layout, params, tokenizer, o);
  writeGguf(path, e.metadata, e.tensors);
  return e;
}
