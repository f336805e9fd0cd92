/**
 * The output head and the loss, computed in chunks of rows so that the full [tokens, vocab] logits never exist
 * at once. With gradients on, each chunk's logits are turned into their gradient in place and immediately
 * pushed back through the head (dh = dlogits·W, dW += dlogitsᵀ·h), as a fused linear cross-entropy does.
 *
 *   loss_t = lse_t − logit_t[y_t] + z·lse_t²,   loss = Σ_t loss_t / (number of targets ≠ −1)
 */
import type { Buf } from "../kernels/types.js";
import type { Activations } from "./activations.js";
import type { ModelContext } from "./forward.js";

export interface HeadGradients {
  /** gradient of the head matrix (the embedding's gradient when tied); accumulated */
  dW: Buf;
  /** ∂loss/∂h, written */
  dh: Buf;
  /** multiplies every gradient: 1/count for the mean, further divided under gradient accumulation */
  gradScale: number;
}

/** Number of positions that carry a loss. */
export function countTargets(targets: Int32Array, tokens: number): number {
  let n = 0;
  for (let i = 0; i < tokens; i++) if (targets[i] >= 0) n++;
  return n;
}

/**
 * Runs the head over acts.h for `tokens` rows. Fills acts.nll and acts.lseLogits; returns Σ loss_t (not yet
 * divided by the count). With `grads`, also writes dh and accumulates dW.
 */
export function headLoss(ctx: ModelContext, acts: Activations, targets: Int32Array, tokens: number,
  grads: HeadGradients | null): number {
  const { k, config: c } = ctx;
  const V = c.vocab_size;
  const d = c.d_model;
  const W = ctx.p.lmHead;
  let total = 0;
  for (let r0 = 0; r0 < tokens; r0 += acts.chunkRows) {
    const rows = Math.min(acts.chunkRows, tokens - r0);
    const h = acts.h.subarray(r0 * d);
    k.gemm(false, true, rows, V, d, 1, h, W, 0, acts.logits);
    total += k.crossEntropy(acts.logits, targets.subarray(r0), rows, V, c.z_loss, grads ? grads.gradScale : 0,
      acts.nll.subarray(r0), acts.lseLogits.subarray(r0));
    if (grads) {
      k.gemm(false, false, rows, d, V, 1, acts.logits, W, 0, grads.dh.subarray(r0 * d));
      k.gemm(true, false, V, d, rows, 1, acts.logits, h, 1, grads.dW);
    }
  }
  return total;
}

/** Logits of selected rows of acts.h (for generation): out [n, V]. */
export function headLogits(ctx: ModelContext, h: Buf, rows: number, out: Buf): void {
  ctx.k.gemm(false, true, rows, ctx.config.vocab_size, ctx.config.d_model, 1, h, ctx.p.lmHead, 0, out);
}
