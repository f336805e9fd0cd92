/**
 * Statistics of the activations the forward pass keeps, for the stability monitor (spec §6.2):
 *
 * - per tensor [T, width]: the per-token RMS √(mean_j x_j²) and the per-token variance over the width
 *   (unbiased, as PyTorch's var(dim=-1)), each averaged over the tokens: the quantities YuLan-Mini's
 *   hidden-state logger records (the rowStats kernel);
 * - per layer, from the attention scores (the attentionStats kernel): the largest attention logit and the mean
 *   attention entropy;
 * - every step, for free: the per-token mean square of the residual stream before and after each sub-layer,
 *   read back from the reciprocal RMS the RMSNorms keep for the backward pass (ms = 1/rstd² − ε).
 */
import type { Buf, Kernels } from "../kernels/types.js";
import type { Activations } from "./activations.js";
import type { ModelConfig } from "./config.js";
import { attentionScale, dims } from "./config.js";
import type { ModelTensors } from "./params.js";
import { gateValue } from "./params.js";

export interface TensorStats {
  /** mean over tokens of the per-token RMS */
  rms: number;
  /** mean over tokens of the per-token variance over the width (unbiased) */
  var: number;
}

/** Scratch for rowStats: per-row RMS and variance of up to `rows` rows. */
export interface RowScratch {
  rms: Buf;
  variance: Buf;
}

export function allocRowScratch(k: Kernels, rows: number): RowScratch {
  return { rms: k.alloc(rows), variance: k.alloc(rows) };
}

/** Per-token RMS and variance of x [rows, width], averaged over the rows; ×scale (of the tensor). */
export function rowStatsOf(k: Kernels, x: Buf, rows: number, width: number, scratch: RowScratch, scale = 1): TensorStats {
  k.rowStats(scratch.rms, scratch.variance, x, rows, width);
  let rmsSum = 0;
  let varSum = 0;
  for (let r = 0; r < rows; r++) {
    rmsSum += scratch.rms[r];
    varSum += scratch.variance[r];
  }
  return { rms: (Math.abs(scale) * rmsSum) / rows, var: (scale * scale * varSum) / rows };
}

/** Per-layer series of one tensor's statistics. */
export interface LayerSeries {
  rms: number[];
  var: number[];
}

/** The hidden-state statistics of one forward pass (the names are those of the metrics file, docs/stability.md). */
export interface HiddenStats {
  /** x₀ = scale_emb·E[ids] */
  embed: TensorStats;
  /** the residual stream after the attention sub-layer, x' = x + s·α_o·(o·W_oᵀ) */
  resid_attn: LayerSeries;
  /** the residual stream after the MLP sub-layer (the layer's output) */
  resid_mlp: LayerSeries;
  /** the input RMSNorm's output a = α_in·RMSNorm(x) */
  norm_in: LayerSeries;
  /** the post-attention RMSNorm's output b = α_gu·α_post·RMSNorm(x') */
  norm_post: LayerSeries;
  /** the attention output o = softmax(·)·v, heads concatenated, before o_proj */
  attn_out: LayerSeries;
  /** what the attention sub-layer adds to the residual stream, s·α_o·(o·W_oᵀ) */
  attn_branch: LayerSeries;
  /** what the MLP sub-layer adds to the residual stream, s·α_down·(m·W_downᵀ) */
  mlp_branch: LayerSeries;
  /** h, the final RMSNorm's output as the head sees it (gates and logit multiplier included) */
  final_norm: TensorStats;
}

export interface AttentionStats {
  /** per layer: the largest scale·q·k over every visible (query, key) pair of the batch */
  logit_max: number[];
  /** per layer: the attention entropy in nats, averaged over batch rows, heads and queries */
  entropy: number[];
}

function series(): LayerSeries {
  return { rms: [], var: [] };
}

function push(s: LayerSeries, t: TensorStats): void {
  s.rms.push(t.rms);
  s.var.push(t.var);
}

/** Statistics of every monitored activation of the last forward pass over T = rows·seq tokens. */
export function hiddenStats(k: Kernels, c: ModelConfig, params: Buf, p: ModelTensors, acts: Activations, tokens: number,
  scratch: RowScratch): HiddenStats {
  const { d, qDim } = dims(c);
  const T = tokens;
  const L = c.num_layers;
  const s = c.residual_multiplier;
  const rowStats = (x: Buf, rows: number, width: number, scale = 1) => rowStatsOf(k, x, rows, width, scratch, scale);
  const out: HiddenStats = {
    embed: rowStats(L > 0 ? acts.layers[0].x : acts.xL, T, d),
    resid_attn: series(), resid_mlp: series(), norm_in: series(), norm_post: series(), attn_out: series(),
    attn_branch: series(), mlp_branch: series(),
    final_norm: rowStats(acts.h, T, d),
  };
  for (let l = 0; l < L; l++) {
    const a = acts.layers[l];
    const w = p.layers[l];
    push(out.resid_attn, rowStats(a.x2, T, d));
    push(out.resid_mlp, rowStats(l + 1 < L ? acts.layers[l + 1].x : acts.xL, T, d));
    push(out.norm_in, rowStats(a.a, T, d));
    push(out.norm_post, rowStats(a.b, T, d));
    push(out.attn_out, rowStats(a.o, T, qDim));
    push(out.attn_branch, rowStats(a.uo, T, d, s * gateValue(params, w.go)));
    push(out.mlp_branch, rowStats(a.ud, T, d, s * gateValue(params, w.gDown)));
  }
  return out;
}

/** Scratch for attentionStatsOf: two buffers of rows·heads·seq values. */
export interface AttentionScratch {
  max: Buf;
  entropy: Buf;
}

export function allocAttentionScratch(k: Kernels, c: ModelConfig, rows: number, seq: number): AttentionScratch {
  return { max: k.alloc(rows * c.num_heads * seq), entropy: k.alloc(rows * c.num_heads * seq) };
}

/** Max attention logit and mean entropy per layer, recomputed from the q, k and lse the forward pass kept. */
export function attentionStatsOf(k: Kernels, c: ModelConfig, acts: Activations, rows: number, seq: number,
  segStart: Int32Array | null, scratch: AttentionScratch): AttentionStats {
  const { hd, H, KV } = dims(c);
  const n = rows * H * seq;
  const out: AttentionStats = { logit_max: [], entropy: [] };
  for (const a of acts.layers) {
    k.attentionStats(scratch.max, scratch.entropy, a.q, a.k, a.lse, rows, seq, H, KV, hd, attentionScale(c), segStart);
    let mx = -Infinity;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const m = scratch.max[i];
      if (Number.isNaN(m)) mx = NaN;
      else if (m > mx) mx = m;
      sum += scratch.entropy[i];
    }
    out.logit_max.push(mx);
    out.entropy.push(sum / n);
  }
  return out;
}

/**
 * The per-token mean square of the residual stream at its 2L+1 positions — x₀, then after each layer's attention
 * and MLP sub-layers — averaged over the tokens, from the RMSNorms' saved 1/RMS (no pass over the activations).
 * Writes into out (length ≥ 2L+1) and returns it.
 */
export function residualMeanSquares(c: ModelConfig, acts: Activations, tokens: number, out: Float64Array): Float64Array {
  const eps = c.norm_eps;
  const ms = (rstd: Buf): number => {
    let s = 0;
    for (let i = 0; i < tokens; i++) {
      const r = rstd[i];
      s += 1 / (r * r) - eps;
    }
    return Math.max(0, s / tokens);
  };
  const L = c.num_layers;
  for (let l = 0; l < L; l++) {
    out[2 * l] = ms(acts.layers[l].rstd1);
    out[2 * l + 1] = ms(acts.layers[l].rstd2);
  }
  out[2 * L] = ms(acts.rstdF);
  return out;
}
