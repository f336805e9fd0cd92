/**
 * The kernel interface: every numeric hot loop the model and optimizer need.
 *
 * Two implementations stand behind it: `reference.ts` (plain TypeScript, float32 or float64, the oracle of
 * the tests) and `native.ts` (the C addon, float32 only, SIMD and multi-threaded). Every kernel works on
 * row-major, contiguous buffers and takes its sizes explicitly; a sub-tensor is passed as a `subarray` view.
 *
 * Conventions shared by all kernels:
 * - "rows" is the number of tokens (batch × sequence), "dim" the width of one row.
 * - A backward kernel that says "accumulates" adds into its gradient outputs; one that says "writes"
 *   overwrites them.
 * - Integer inputs (token ids, positions, targets, document starts) are `Int32Array`s.
 * - Reductions that return a number are computed in double precision, in an order that does not depend on
 *   the thread count, so results are bit-identical for any number of threads.
 * - The native kernels share one thread pool and its scratch buffers: call them from one JavaScript thread only.
 */
export type Buf = Float32Array | Float64Array;

export interface Kernels {
  /** "reference-f32", "reference-f64" or "native-<simd>". */
  readonly name: string;
  /** Allocates a zero-filled buffer of this backend's float type. */
  alloc(n: number): Buf;

  // ------------------------------------------------------------------ linear algebra
  /**
   * c = alpha · op(a) · op(b) + beta · c, with op(a) m×k and op(b) k×n.
   * a is stored m×k, or k×m when transA; b is stored k×n, or n×k when transB; c is m×n.
   * beta = 0 ignores the old content of c (NaN in c does not leak through).
   */
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, a: Buf, b: Buf,
    beta: number, c: Buf): void;
  /** y[r, c] += scale · bias[c] for r < rows, c < cols. */
  addBias(y: Buf, bias: Buf, rows: number, cols: number, scale: number): void;
  /** out[c] = (accumulate ? out[c] : 0) + scale · Σ_r x[r, c]  (the bias gradient). */
  sumRows(out: Buf, x: Buf, rows: number, cols: number, scale: number, accumulate: boolean): void;

  // ------------------------------------------------------------------ elementwise and reductions
  /** x[i] *= s for i < n. */
  scale(x: Buf, n: number, s: number): void;
  /** y[i] += a · x[i] for i < n. */
  axpy(y: Buf, x: Buf, n: number, a: number): void;
  /** Σ a[i]·b[i] for i < n. */
  dot(a: Buf, b: Buf, n: number): number;
  /** Σ x[i]² for i < n. NaN or Inf anywhere makes the result non-finite. */
  sumSquares(x: Buf, n: number): number;
  /** max |x[i]| for i < n; NaN if any element is NaN. 0 when n = 0. */
  maxAbs(x: Buf, n: number): number;
  /**
   * Per-row statistics of x [rows, dim] (for monitoring): rms[r] = √(Σ_j x[r,j]²/dim) and
   * variance[r] = Σ_j (x[r,j] − mean_r)²/(dim − 1), the unbiased variance over the row (0 when dim = 1).
   */
  rowStats(rms: Buf, variance: Buf, x: Buf, rows: number, dim: number): void;

  // ------------------------------------------------------------------ normalization
  /**
   * RMSNorm: out[r] = scale · x[r] · rstd[r] ⊙ gain, rstd[r] = 1/√(mean_j x[r,j]² + eps).
   * Writes out and rstd (rstd has `rows` entries, kept for the backward pass).
   */
  rmsNorm(out: Buf, rstd: Buf, x: Buf, gain: Buf, rows: number, dim: number, eps: number, scale: number): void;
  /**
   * Backward of rmsNorm given dout = ∂L/∂out.
   * dx: writes (or accumulates when accumulateDx) ∂L/∂x. dgain: accumulates ∂L/∂gain.
   * Returns ∂L/∂scale = Σ dout ⊙ (x · rstd ⊙ gain).
   */
  rmsNormBackward(dx: Buf, dgain: Buf, dout: Buf, x: Buf, gain: Buf, rstd: Buf, rows: number, dim: number,
    scale: number, accumulateDx: boolean): number;
  /**
   * LayerNorm without bias over each head of each row (QK-LayerNorm): for every row r and head h,
   * with v = x[r, h·headDim : (h+1)·headDim]: out = (v − mean(v)) · rstd ⊙ gain[h·headDim : ...],
   * rstd = 1/√(var(v) + eps) (biased variance). Writes out, mean and rstd (rows·heads entries each).
   */
  headLayerNorm(out: Buf, mean: Buf, rstd: Buf, x: Buf, gain: Buf, rows: number, heads: number,
    headDim: number, eps: number): void;
  /** Backward of headLayerNorm: writes dx, accumulates dgain. */
  headLayerNormBackward(dx: Buf, dgain: Buf, dout: Buf, x: Buf, gain: Buf, mean: Buf, rstd: Buf, rows: number,
    heads: number, headDim: number): void;

  // ------------------------------------------------------------------ rotary position embedding
  /**
   * Rotates x in place with the Hugging Face Llama "rotate_half" layout: within each head,
   * element i < headDim/2 pairs with element i + headDim/2:
   *   x1' = x1·cos − x2·sin,  x2' = x2·cos + x1·sin,  angle = positions[r] · invFreq[i].
   * cos and sin are tables [maxPos, headDim/2] (see ropeTables). `inverse` rotates by −angle, which is
   * the backward pass (the rotation is orthogonal). x is [rows, heads·headDim].
   */
  rope(x: Buf, cos: Buf, sin: Buf, positions: Int32Array, rows: number, heads: number, headDim: number,
    inverse: boolean): void;

  // ------------------------------------------------------------------ attention
  /**
   * Causal softmax attention with grouped-query heads; query head h reads KV head ⌊h·kvHeads/heads⌋.
   * q, out: [batch, seqQ, heads·headDim]; k, v: [batch, ·, kvHeads·headDim] with batch stride
   * kvBatchStride elements (seqKV·kvHeads·headDim for contiguous tensors, larger for a KV cache).
   * Query i of a row sits at absolute position seqKV − seqQ + i and sees keys j with
   * segStart[b·seqQ + i] ≤ j ≤ seqKV − seqQ + i (segStart null: 0 ≤ j), the per-document mask of packed rows.
   * scores = scale · q·k; softmax in float32 (float64 in the f64 reference).
   * Writes out and lse [batch, heads, seqQ] = log Σ_j exp(score_j), which the backward pass needs.
   */
  attention(out: Buf, lse: Buf, q: Buf, k: Buf, v: Buf, batch: number, seqQ: number, seqKV: number,
    heads: number, kvHeads: number, headDim: number, scale: number, segStart: Int32Array | null,
    kvBatchStride: number): void;
  /**
   * Backward of attention for seqQ = seqKV = seq (training), contiguous k and v.
   * Writes dq, dk, dv (same shapes as q, k, v). Recomputes the probabilities from lse.
   */
  attentionBackward(dq: Buf, dk: Buf, dv: Buf, dout: Buf, out: Buf, lse: Buf, q: Buf, k: Buf, v: Buf,
    batch: number, seq: number, heads: number, kvHeads: number, headDim: number, scale: number,
    segStart: Int32Array | null): void;
  /**
   * Statistics of the attention probabilities, for monitoring (training shapes: seqQ = seqKV = seq, contiguous
   * k; lse from the forward pass over the same q and k). For every batch entry b, head h and query i, over the
   * keys j the query sees (as in attention), with scores s_j = scale · q·k_j and p = softmax(s):
   *   maxScore[(b·heads + h)·seq + i] = max_j s_j   (the largest attention logit)
   *   entropy[(b·heads + h)·seq + i]  = −Σ_j p_j log p_j   (nats; 0 for a query that sees one key)
   * lse only shifts the exponentials: entropy = lse + log Σ_j e^{s_j − lse} − Σ_j e^{s_j − lse}·s_j / Σ_j e^{s_j − lse}.
   */
  attentionStats(maxScore: Buf, entropy: Buf, q: Buf, k: Buf, lse: Buf, batch: number, seq: number, heads: number,
    kvHeads: number, headDim: number, scale: number, segStart: Int32Array | null): void;

  // ------------------------------------------------------------------ MLP
  /** out[i] = silu(gate[i]) · up[i], silu(x) = x / (1 + e^−x). */
  swiglu(out: Buf, gate: Buf, up: Buf, n: number): void;
  /** Backward of swiglu: writes dgate and dup. */
  swigluBackward(dgate: Buf, dup: Buf, dout: Buf, gate: Buf, up: Buf, n: number): void;

  // ------------------------------------------------------------------ embedding
  /** out[r] = scale · table[ids[r]]; ids outside [0, vocab) throw. table is [vocab, dim] (vocab = length/dim). */
  embedding(out: Buf, table: Buf, ids: Int32Array, rows: number, dim: number, scale: number): void;
  /** dtable[ids[r]] += scale · dout[r] (scatter-add; deterministic). */
  embeddingBackward(dtable: Buf, dout: Buf, ids: Int32Array, rows: number, dim: number, scale: number): void;

  // ------------------------------------------------------------------ loss
  /**
   * Softmax cross-entropy with z-loss over `rows` rows of `vocab` logits.
   * Per row with target y ≥ 0: lse = log Σ exp(logits), nll = lse − logits[y],
   * loss = nll + zLoss · lse². Rows with a negative target (−1 by convention) are ignored (loss 0, gradient 0,
   * nll and lse 0).
   * Writes nll[r] and lse[r]; returns Σ loss over the rows (double).
   * When gradScale ≠ 0, overwrites logits with gradScale · ∂loss/∂logits
   *   = gradScale · (softmax · (1 + 2·zLoss·lse) − onehot(y)); when gradScale = 0 the logits are left as they are.
   */
  crossEntropy(logits: Buf, targets: Int32Array, rows: number, vocab: number, zLoss: number, gradScale: number,
    nll: Buf, lse: Buf): number;

  // ------------------------------------------------------------------ optimizer
  /**
   * One AdamW step over n elements with PyTorch AdamW's formula (decoupled weight decay, bias correction; equal to
   * rounding, not bit for bit: PyTorch forms m with a lerp):
   *   p ← p·(1 − lr·weightDecay);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
   *   p ← p − (lr / (1−β1^step)) · m / (√v / √(1−β2^step) + eps).   step counts from 1.
   */
  adamw(param: Buf, grad: Buf, m: Buf, v: Buf, n: number, lr: number, beta1: number, beta2: number, eps: number,
    weightDecay: number, step: number): void;
}
