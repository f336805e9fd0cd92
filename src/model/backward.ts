/**
 * The backward pass, written by hand in the reverse order of forward.ts. Weight gradients accumulate (so
 * micro-batches of one optimizer step add up); activation gradients are written. Gate gradients are dot
 * products with the pre-gate values the forward pass kept: for y = α·u, ∂L/∂α = Σ ∂L/∂y ⊙ u.
 */
import type { Buf } from "../kernels/types.js";
import { attentionScale, dims, logitMultiplier } from "./config.js";
import type { Activations, GradScratch, LayerActivations } from "./activations.js";
import type { Geometry, ModelContext } from "./forward.js";
import { finalScale } from "./forward.js";
import type { LayerTensors, ModelTensors } from "./params.js";
import { addGateGrad, gateValue } from "./params.js";

/** Given dxOut = ∂L/∂x_{l+1}, accumulates the layer's parameter gradients and writes ∂L/∂x_l into dxIn. */
export function layerBackward(ctx: ModelContext, w: LayerTensors, gw: LayerTensors, grads: Buf, act: LayerActivations,
  gs: GradScratch, dxOut: Buf, dxIn: Buf, g: Geometry): void {
  const { config: c, k, params } = ctx;
  const T = g.rows * g.seq;
  const { d, F, hd, H, KV, qDim, kvDim } = dims(c);
  const s = c.residual_multiplier;
  const alpha = (off: number) => gateValue(params, off);
  const aDown = alpha(w.gDown);
  const aO = alpha(w.go);
  const aGU = alpha(w.gGateUp);
  const aPost = alpha(w.postNormGate);
  const aQ = alpha(w.gq);
  const aK = alpha(w.gk);
  const aV = alpha(w.gv);

  // ---- MLP branch: x_{l+1} = x' + s·α_down·ud, ud = m·W_downᵀ
  addGateGrad(grads, w.gDown, s * k.dot(dxOut, act.ud, T * d));
  k.gemm(true, false, d, F, T, s * aDown, dxOut, act.m, 1, gw.wDown);
  k.gemm(false, false, T, F, d, s * aDown, dxOut, w.wDown, 0, gs.dm);
  k.swigluBackward(gs.dhg, gs.dhu, gs.dm, act.hg, act.hu, T * F);
  k.gemm(true, false, F, d, T, 1, gs.dhg, act.b, 1, gw.wGate);
  k.gemm(true, false, F, d, T, 1, gs.dhu, act.b, 1, gw.wUp);
  k.gemm(false, false, T, d, F, 1, gs.dhg, w.wGate, 0, gs.db);
  k.gemm(false, false, T, d, F, 1, gs.dhu, w.wUp, 1, gs.db);
  // b = α_gu·α_post·RMSNorm(x'); the residual path carries dxOut straight to x'
  gs.dx2.set(dxOut.subarray(0, T * d));
  const dPostScale = k.rmsNormBackward(gs.dx2, gw.postNorm, gs.db, act.x2, w.postNorm, act.rstd2, T, d,
    aGU * aPost, true);
  addGateGrad(grads, w.gGateUp, dPostScale * aPost);
  addGateGrad(grads, w.postNormGate, dPostScale * aGU);

  // ---- attention branch: x' = x + s·α_o·uo, uo = o·W_oᵀ
  addGateGrad(grads, w.go, s * k.dot(gs.dx2, act.uo, T * d));
  k.gemm(true, false, d, qDim, T, s * aO, gs.dx2, act.o, 1, gw.wo);
  k.gemm(false, false, T, qDim, d, s * aO, gs.dx2, w.wo, 0, gs.dO);
  k.attentionBackward(gs.dq, gs.dk, gs.dv, gs.dO, act.o, act.lse, act.q, act.k, act.v, g.rows, g.seq, H, KV, hd,
    attentionScale(c), g.segStart);
  k.rope(gs.dq, ctx.rope.cos, ctx.rope.sin, g.positions, T, H, hd, true);
  k.rope(gs.dk, ctx.rope.cos, ctx.rope.sin, g.positions, T, KV, hd, true);
  let dqPre = gs.dq;
  let dkPre = gs.dk;
  if (c.qk_layernorm) {
    k.headLayerNormBackward(gs.dqIn!, gw.qNorm!, gs.dq, act.qIn!, w.qNorm!, act.qMean!, act.qRstd!, T, H, hd);
    k.headLayerNormBackward(gs.dkIn!, gw.kNorm!, gs.dk, act.kIn!, w.kNorm!, act.kMean!, act.kRstd!, T, KV, hd);
    dqPre = gs.dqIn!;
    dkPre = gs.dkIn!;
  }

  // q = α_q·u_q, u_q = a·W_qᵀ + b_q (and k, v alike)
  addGateGrad(grads, w.gq, k.dot(dqPre, act.uq, T * qDim));
  addGateGrad(grads, w.gk, k.dot(dkPre, act.uk, T * kvDim));
  addGateGrad(grads, w.gv, k.dot(gs.dv, act.uv, T * kvDim));
  k.gemm(true, false, qDim, d, T, aQ, dqPre, act.a, 1, gw.wq);
  k.gemm(true, false, kvDim, d, T, aK, dkPre, act.a, 1, gw.wk);
  k.gemm(true, false, kvDim, d, T, aV, gs.dv, act.a, 1, gw.wv);
  if (gw.bq) k.sumRows(gw.bq, dqPre, T, qDim, aQ, true);
  if (gw.bk) k.sumRows(gw.bk, dkPre, T, kvDim, aK, true);
  if (gw.bv) k.sumRows(gw.bv, gs.dv, T, kvDim, aV, true);
  k.gemm(false, false, T, d, qDim, aQ, dqPre, w.wq, 0, gs.da);
  k.gemm(false, false, T, d, kvDim, aK, dkPre, w.wk, 1, gs.da);
  k.gemm(false, false, T, d, kvDim, aV, gs.dv, w.wv, 1, gs.da);

  // a = α_in·RMSNorm(x); the residual path carries dx' straight to x
  dxIn.set(gs.dx2.subarray(0, T * d));
  const dInScale = k.rmsNormBackward(dxIn, gw.inNorm, gs.da, act.x, w.inNorm, act.rstd1, T, d, alpha(w.inNormGate),
    true);
  addGateGrad(grads, w.inNormGate, dInScale);
}

/**
 * Everything below the head: given ∂L/∂h in gs.dh, accumulates the gradients of the final norm, its gates, every
 * layer and the embedding.
 */
export function backwardHidden(ctx: ModelContext, gp: ModelTensors, grads: Buf, acts: Activations, gs: GradScratch,
  ids: Int32Array, g: Geometry): void {
  const { config: c, k, params, p } = ctx;
  const T = g.rows * g.seq;
  const d = c.d_model;
  let dx = gs.dx;
  let dxNext = gs.dxAlt;
  const dFinal = k.rmsNormBackward(dx, gp.finalNorm, gs.dh, acts.xL, p.finalNorm, acts.rstdF, T, d, finalScale(ctx),
    false);
  const lm = logitMultiplier(c);
  addGateGrad(grads, p.finalNormGate, dFinal * gateValue(params, p.lmHeadGate) * lm);
  addGateGrad(grads, p.lmHeadGate, dFinal * gateValue(params, p.finalNormGate) * lm);
  for (let l = c.num_layers - 1; l >= 0; l--) {
    layerBackward(ctx, p.layers[l], gp.layers[l], grads, acts.layers[l], gs, dx, dxNext, g);
    [dx, dxNext] = [dxNext, dx];
  }
  k.embeddingBackward(gp.embed, dx, ids, T, d, c.scale_emb);
}
