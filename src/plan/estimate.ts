/**
 * Compute and memory estimates for planning a run.
 *
 * FLOPs per token, two ways:
 * - `yulanFlopsPerToken`: the formula of YuLan-Mini's scripts/estimate_mfu.py (spec §13), per token of a sequence of
 *   length s: 24·l·h² + 18·l·h·f + 16·s·l·h + 6·h·V — the four attention projections counted full width (GQA
 *   ignored), the attention scores counted with flash-attention's recomputation, and the LM head. This is the
 *   number YuLan-Mini's 51% MFU is quoted against.
 * - `sixNFlopsPerToken`: 6·N + 6·l·s·d — forward 2 and backward 4 FLOPs per parameter, plus causal attention
 *   (QKᵀ and PV over s/2 keys on average). The benchmark quotes MFU with this one.
 */
import type { ModelConfig } from "../model/config.js";
import { dims } from "../model/config.js";
import { parameterCount } from "../model/layout.js";
import { lossChunkRows } from "../model/activations.js";

export function yulanFlopsPerToken(c: ModelConfig, seq: number): number {
  const l = c.num_layers;
  const h = c.d_model;
  const f = c.ffn_size;
  return 24 * l * h * h + 18 * l * h * f + 16 * seq * l * h + 6 * h * c.vocab_size;
}

export function sixNFlopsPerToken(c: ModelConfig, seq: number): number {
  return 6 * parameterCount(c) + 6 * c.num_layers * seq * c.d_model;
}

export interface MemoryEstimate {
  /** float32 parameters, gradients and both Adam moments: 16 bytes per parameter */
  weightsAndOptimizer: number;
  /** activations kept for the backward pass and the backward scratch, for one micro-batch */
  activations: number;
  total: number;
}

/**
 * Memory of this toolkit's float32 training for one micro-batch of rows × seq tokens, from the same buffer sizes
 * the model allocates (src/model/activations.ts).
 */
export function memoryEstimate(c: ModelConfig, rows: number, seq: number): MemoryEstimate {
  const T = rows * seq;
  const { d, qDim, kvDim, F, H, KV } = dims(c);
  const qk = c.qk_layernorm ? qDim + kvDim + 2 * (H + KV) : 0;
  const perLayer = T * (6 * d + 3 * qDim + 4 * kvDim + 3 * F + 2 + H + qk);
  const top = T * (2 * d + 3) + lossChunkRows(c.vocab_size, T) * c.vocab_size;
  const scratch = T * (6 * d + 2 * qDim + 2 * kvDim + 3 * F + (c.qk_layernorm ? qDim + kvDim : 0));
  const activations = 4 * (c.num_layers * perLayer + top + scratch);
  const weightsAndOptimizer = 16 * parameterCount(c);
  return { weightsAndOptimizer, activations, total: weightsAndOptimizer + activations };
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(n >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}
