/**
 * Activation buffers for a given number of tokens, allocated once and reused every step (no garbage in the hot
 * loop). Kernels take explicit sizes, so a batch smaller than the capacity uses the front of each buffer.
 */
import type { Buf, Kernels } from "../kernels/types.js";
import type { ModelConfig } from "./config.js";
import { dims } from "./config.js";

/** What the forward pass keeps of one layer for the backward pass (names follow spec §2.2). */
export interface LayerActivations {
  /** x_l, the layer input [T, d] */
  x: Buf;
  rstd1: Buf;
  /** a = α_in·RMSNorm(x_l) [T, d] */
  a: Buf;
  /** pre-gate projections u = a·Wᵀ + b */
  uq: Buf;
  uk: Buf;
  uv: Buf;
  /** QK-LayerNorm inputs and statistics (null when off) */
  qIn: Buf | null;
  kIn: Buf | null;
  qMean: Buf | null;
  qRstd: Buf | null;
  kMean: Buf | null;
  kRstd: Buf | null;
  /** attention inputs: q and k after RoPE, v = α_v·uv */
  q: Buf;
  k: Buf;
  v: Buf;
  /** attention output (heads concatenated) and its log-sum-exp [B, H, S] */
  o: Buf;
  lse: Buf;
  /** o·W_oᵀ */
  uo: Buf;
  /** x' = x_l + s·α_o·uo */
  x2: Buf;
  rstd2: Buf;
  /** b = α_gu·α_post·RMSNorm(x') */
  b: Buf;
  hg: Buf;
  hu: Buf;
  /** silu(hg) ⊙ hu */
  m: Buf;
  /** m·W_downᵀ */
  ud: Buf;
}

export interface Activations {
  tokens: number;
  layers: LayerActivations[];
  /** x_L, the last layer's output */
  xL: Buf;
  rstdF: Buf;
  /** h, the hidden state fed to the head (after the final norm, its gate, α_lm and the logit multiplier) */
  h: Buf;
  /** per-token negative log-likelihood and log-sum-exp of the logits */
  nll: Buf;
  lseLogits: Buf;
  /** one chunk of logits [chunkRows, V], overwritten by their gradient */
  logits: Buf;
  chunkRows: number;
}

/** Scratch for the backward pass, shared by all layers. */
export interface GradScratch {
  /** ∂L/∂x at a layer boundary, two buffers used in turn */
  dx: Buf;
  dxAlt: Buf;
  /** ∂L/∂x' inside a layer */
  dx2: Buf;
  da: Buf;
  db: Buf;
  dO: Buf;
  dq: Buf;
  dk: Buf;
  dv: Buf;
  dqIn: Buf | null;
  dkIn: Buf | null;
  dm: Buf;
  dhg: Buf;
  dhu: Buf;
  dh: Buf;
}

/** Rows of logits materialized at once: about 2^24 floats, at least 16 rows, at most all tokens. */
export function lossChunkRows(vocab: number, tokens: number): number {
  return Math.max(1, Math.min(tokens, Math.max(16, Math.floor((1 << 24) / vocab))));
}

/** The buffers of one layer for T tokens. */
export function allocLayerActivations(c: ModelConfig, k: Kernels, T: number, lseSize: number): LayerActivations {
  const { d, qDim, kvDim, F: f } = dims(c);
  const a = (n: number) => k.alloc(n);
  const qk = c.qk_layernorm;
  return {
    x: a(T * d), rstd1: a(T), a: a(T * d),
    uq: a(T * qDim), uk: a(T * kvDim), uv: a(T * kvDim),
    qIn: qk ? a(T * qDim) : null, kIn: qk ? a(T * kvDim) : null,
    qMean: qk ? a(T * c.num_heads) : null, qRstd: qk ? a(T * c.num_heads) : null,
    kMean: qk ? a(T * c.num_kv_heads) : null, kRstd: qk ? a(T * c.num_kv_heads) : null,
    q: a(T * qDim), k: a(T * kvDim), v: a(T * kvDim),
    o: a(T * qDim), lse: a(lseSize),
    uo: a(T * d), x2: a(T * d), rstd2: a(T), b: a(T * d),
    hg: a(T * f), hu: a(T * f), m: a(T * f), ud: a(T * d),
  };
}

export function allocActivations(c: ModelConfig, k: Kernels, tokens: number, maxRowsTimesHeads: number,
  chunkRowsOverride?: number): Activations {
  const d = c.d_model;
  const T = tokens;
  const a = (n: number) => k.alloc(n);
  const layers: LayerActivations[] = [];
  for (let l = 0; l < c.num_layers; l++) layers.push(allocLayerActivations(c, k, T, maxRowsTimesHeads));
  const chunkRows = chunkRowsOverride ? Math.min(chunkRowsOverride, T) : lossChunkRows(c.vocab_size, T);
  return {
    tokens: T, layers, xL: a(T * d), rstdF: a(T), h: a(T * d), nll: a(T), lseLogits: a(T),
    logits: a(chunkRows * c.vocab_size), chunkRows,
  };
}

export function allocGradScratch(c: ModelConfig, k: Kernels, tokens: number): GradScratch {
  const { d, qDim, kvDim } = dims(c);
  const T = tokens;
  const a = (n: number) => k.alloc(n);
  return {
    dx: a(T * d), dxAlt: a(T * d), dx2: a(T * d), da: a(T * d), db: a(T * d), dO: a(T * qDim),
    dq: a(T * qDim), dk: a(T * kvDim), dv: a(T * kvDim),
    dqIn: c.qk_layernorm ? a(T * qDim) : null, dkIn: c.qk_layernorm ? a(T * kvDim) : null,
    dm: a(T * c.ffn_size), dhg: a(T * c.ffn_size), dhu: a(T * c.ffn_size), dh: a(T * d),
  };
}
