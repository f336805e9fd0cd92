/**
 * The forward pass, line by line as spec §2.2 (T = rows·seq tokens, s = residual multiplier):
 *
 *   x₀  = scale_emb · E[ids]
 *   a   = α_in · RMSNorm(x_l; g_in)
 *   q   = α_q·(a·W_qᵀ + b_q),  k = α_k·(a·W_kᵀ + b_k),  v = α_v·(a·W_vᵀ + b_v)
 *   q,k = LN_head(q), LN_head(k)                         (only with QK-LayerNorm)
 *   q,k = RoPE(q), RoPE(k)
 *   o   = softmax(scale · q·kᵀ + causal/document mask) · v    (GQA)
 *   x'  = x_l + s·α_o·(o·W_oᵀ)
 *   b   = α_gu·α_post · RMSNorm(x'; g_post)
 *   x_{l+1} = x' + s·α_down·((silu(b·W_gateᵀ) ⊙ b·W_upᵀ)·W_downᵀ)
 *   h   = α_norm·α_lm·(logit_scale_base/d) · RMSNorm(x_L; g_final)
 *   logits = h·W_headᵀ                                    (chunked, see head.ts)
 */
import type { Buf, Kernels } from "../kernels/types.js";
import type { ModelConfig } from "./config.js";
import { attentionScale, dims, logitMultiplier } from "./config.js";
import type { Activations, LayerActivations } from "./activations.js";
import type { LayerTensors, ModelTensors } from "./params.js";
import { gateValue } from "./params.js";
import type { RopeTables } from "./rope.js";

export interface ModelContext {
  config: ModelConfig;
  k: Kernels;
  params: Buf;
  p: ModelTensors;
  rope: RopeTables;
}

/** Token geometry of one forward pass. */
export interface Geometry {
  rows: number;
  seq: number;
  positions: Int32Array;
  segStart: Int32Array | null;
  /**
   * Inference only: attention reads keys and values from this cache ([rows, capacity, kvDim] each, `length`
   * positions filled, this pass's included); the layer's k and v buffers are then views into it at the write
   * position.
   */
  cache?: { k: Buf; v: Buf; length: number; batchStride: number } | null;
}

/** out = x·Wᵀ (+ bias): the linear layer of PyTorch, W stored [out, in]. */
export function linear(k: Kernels, out: Buf, x: Buf, w: Buf, bias: Buf | null, rows: number, outDim: number,
  inDim: number): void {
  k.gemm(false, true, rows, outDim, inDim, 1, x, w, 0, out);
  if (bias) k.addBias(out, bias, rows, outDim, 1);
}

/** dst[0:n] = s · src[0:n] */
export function scaledCopy(k: Kernels, dst: Buf, src: Buf, n: number, s: number): void {
  dst.set(src.subarray(0, n));
  if (s !== 1) k.scale(dst, n, s);
}

export function embed(ctx: ModelContext, x0: Buf, ids: Int32Array, tokens: number): void {
  ctx.k.embedding(x0, ctx.p.embed, ids, tokens, ctx.config.d_model, ctx.config.scale_emb);
}

/** One decoder layer: reads act.x, fills the rest of act, writes x_{l+1} into xOut. */
export function layerForward(ctx: ModelContext, w: LayerTensors, act: LayerActivations, xOut: Buf, g: Geometry): void {
  const { config: c, k, params } = ctx;
  const T = g.rows * g.seq;
  const { d, hd, H, KV, qDim, kvDim } = dims(c);
  const s = c.residual_multiplier;
  const alpha = (off: number) => gateValue(params, off);

  // a = α_in · RMSNorm(x; g_in)
  k.rmsNorm(act.a, act.rstd1, act.x, w.inNorm, T, d, c.norm_eps, alpha(w.inNormGate));

  // u = a·Wᵀ + b, then the gated projections
  linear(k, act.uq, act.a, w.wq, w.bq, T, qDim, d);
  linear(k, act.uk, act.a, w.wk, w.bk, T, kvDim, d);
  linear(k, act.uv, act.a, w.wv, w.bv, T, kvDim, d);
  scaledCopy(k, act.v, act.uv, T * kvDim, alpha(w.gv));
  if (c.qk_layernorm) {
    scaledCopy(k, act.qIn!, act.uq, T * qDim, alpha(w.gq));
    scaledCopy(k, act.kIn!, act.uk, T * kvDim, alpha(w.gk));
    k.headLayerNorm(act.q, act.qMean!, act.qRstd!, act.qIn!, w.qNorm!, T, H, hd, c.norm_eps);
    k.headLayerNorm(act.k, act.kMean!, act.kRstd!, act.kIn!, w.kNorm!, T, KV, hd, c.norm_eps);
  } else {
    scaledCopy(k, act.q, act.uq, T * qDim, alpha(w.gq));
    scaledCopy(k, act.k, act.uk, T * kvDim, alpha(w.gk));
  }
  k.rope(act.q, ctx.rope.cos, ctx.rope.sin, g.positions, T, H, hd, false);
  k.rope(act.k, ctx.rope.cos, ctx.rope.sin, g.positions, T, KV, hd, false);

  // o = softmax(scale·q·kᵀ)·v
  if (g.cache) {
    k.attention(act.o, act.lse, act.q, g.cache.k, g.cache.v, g.rows, g.seq, g.cache.length, H, KV, hd,
      attentionScale(c), g.segStart, g.cache.batchStride);
  } else {
    k.attention(act.o, act.lse, act.q, act.k, act.v, g.rows, g.seq, g.seq, H, KV, hd, attentionScale(c), g.segStart,
      g.seq * kvDim);
  }

  // x' = x + s·α_o·(o·W_oᵀ)
  linear(k, act.uo, act.o, w.wo, null, T, d, qDim);
  act.x2.set(act.x.subarray(0, T * d));
  k.axpy(act.x2, act.uo, T * d, s * alpha(w.go));

  // b = α_gu·α_post·RMSNorm(x'; g_post)
  k.rmsNorm(act.b, act.rstd2, act.x2, w.postNorm, T, d, c.norm_eps, alpha(w.gGateUp) * alpha(w.postNormGate));

  // x_{l+1} = x' + s·α_down·((silu(b·W_gateᵀ) ⊙ b·W_upᵀ)·W_downᵀ)
  linear(k, act.hg, act.b, w.wGate, null, T, c.ffn_size, d);
  linear(k, act.hu, act.b, w.wUp, null, T, c.ffn_size, d);
  k.swiglu(act.m, act.hg, act.hu, T * c.ffn_size);
  linear(k, act.ud, act.m, w.wDown, null, T, d, c.ffn_size);
  xOut.set(act.x2.subarray(0, T * d));
  k.axpy(xOut, act.ud, T * d, s * alpha(w.gDown));
}

/** The scale applied after the final RMSNorm: α_norm · α_lm · logit multiplier. */
export function finalScale(ctx: ModelContext): number {
  return gateValue(ctx.params, ctx.p.finalNormGate) * gateValue(ctx.params, ctx.p.lmHeadGate) *
    logitMultiplier(ctx.config);
}

/** Runs the embedding and every layer, leaving h (the head input) in acts.h. */
export function forwardHidden(ctx: ModelContext, acts: Activations, ids: Int32Array, g: Geometry): void {
  const T = g.rows * g.seq;
  const L = ctx.config.num_layers;
  embed(ctx, acts.layers.length ? acts.layers[0].x : acts.xL, ids, T);
  for (let l = 0; l < L; l++) {
    const out = l + 1 < L ? acts.layers[l + 1].x : acts.xL;
    layerForward(ctx, ctx.p.layers[l], acts.layers[l], out, g);
  }
  ctx.k.rmsNorm(acts.h, acts.rstdF, acts.xL, ctx.p.finalNorm, T, ctx.config.d_model, ctx.config.norm_eps,
    finalScale(ctx));
}
