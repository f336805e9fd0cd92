/**
 * Forward passes for scoring, memory-light: one set of layer buffers reused by every layer (nothing is kept for a
 * backward pass), and the vocabulary head run only on the positions that carry a target, so a long context costs
 * the layers but not its [tokens × vocab] logits.
 *
 * Two shapes of pass:
 *  - packed: several rows at once, each row holding several independent sequences (RoPE positions restart and
 *    attention is masked at each sequence start, so a packed sequence sees exactly what it would see alone);
 *  - cached: one sequence continued from a KV cache (a shared context computed once, then each continuation fed
 *    from the cache position where the context ends).
 * The layer code is the model's own (layerForward); only the buffers and the head are arranged differently.
 */
import type { Buf } from "../../kernels/types.js";
import { dims } from "../../model/config.js";
import type { Model } from "../../model/model.js";
import { allocLayerActivations, lossChunkRows, type LayerActivations } from "../../model/activations.js";
import { embed, finalScale, layerForward } from "../../model/forward.js";
import { headLogits } from "../../model/head.js";

/** Per-position results of the head: log p(target) and whether the target is the argmax. */
export interface HeadScores {
  logprob: Float64Array;
  greedy: Uint8Array;
}

export class EvalForward {
  /** tokens one packed pass may hold (rows × seq) */
  readonly budget: number;
  /** KV-cache positions (the model's context) */
  readonly cacheCapacity: number;
  /** tokens run through the layers so far (for throughput accounting) */
  tokensForwarded = 0;
  /** positions run through the head so far */
  positionsScored = 0;
  private readonly act: LayerActivations;
  private readonly x: Buf;
  private readonly xNext: Buf;
  private readonly h: Buf;
  private readonly rstd: Buf;
  private readonly kvDim: number;
  private kCache: Buf[] | null = null;
  private vCache: Buf[] | null = null;
  private readonly chunkRows: number;
  private readonly logits: Buf;
  private readonly hSel: Buf;
  private readonly nll: Buf;
  private readonly lse: Buf;
  private readonly tgt: Int32Array;

  constructor(readonly model: Model, budgetTokens = 2048) {
    const c = model.config;
    const { d } = dims(c);
    this.cacheCapacity = c.max_seq_len;
    this.budget = Math.max(16, Math.floor(budgetTokens));
    const T = this.budget;
    this.act = allocLayerActivations(c, model.k, T, T * c.num_heads);
    this.x = model.k.alloc(T * d);
    this.xNext = model.k.alloc(T * d);
    this.h = model.k.alloc(T * d);
    this.rstd = model.k.alloc(T);
    this.kvDim = dims(c).kvDim;
    this.chunkRows = lossChunkRows(c.vocab_size, T);
    this.logits = model.k.alloc(this.chunkRows * c.vocab_size);
    this.hSel = model.k.alloc(this.chunkRows * d);
    this.nll = model.k.alloc(this.chunkRows);
    this.lse = model.k.alloc(this.chunkRows);
    this.tgt = new Int32Array(this.chunkRows);
  }

  /**
   * Runs rows × seq tokens (positions and segStart as in a training batch) and returns the final hidden states
   * h [rows·seq, d] (a view, valid until the next pass).
   */
  packed(ids: Int32Array, rows: number, seq: number, positions: Int32Array, segStart: Int32Array): Buf {
    const T = rows * seq;
    if (T > this.budget) throw new RangeError(`packed pass of ${T} tokens exceeds the budget of ${this.budget}`);
    const m = this.model;
    let x = this.x;
    let xNext = this.xNext;
    embed(m, x, ids, T);
    for (let l = 0; l < m.config.num_layers; l++) {
      layerForward(m, m.p.layers[l], { ...this.act, x }, xNext, { rows, seq, positions, segStart });
      [x, xNext] = [xNext, x];
    }
    m.k.rmsNorm(this.h, this.rstd, x, m.p.finalNorm, T, m.config.d_model, m.config.norm_eps, finalScale(m));
    this.tokensForwarded += T;
    return this.h;
  }

  /**
   * Feeds `ids` at positions start..start+n−1 of the cached sequence (positions before `start` must have been
   * fed already; anything cached after `start` is overwritten). Returns h for the n new positions.
   */
  cached(ids: Int32Array, start: number): Buf {
    const n = ids.length;
    const m = this.model;
    const c = m.config;
    if (n === 0) throw new RangeError("cached pass: no tokens");
    if (start + n > this.cacheCapacity) {
      throw new RangeError(`cached pass would reach ${start + n} tokens, past the context of ${this.cacheCapacity}`);
    }
    if (n > this.budget) throw new RangeError(`cached pass of ${n} tokens exceeds the budget of ${this.budget}`);
    if (!this.kCache || !this.vCache) {
      this.kCache = Array.from({ length: c.num_layers }, () => m.k.alloc(this.cacheCapacity * this.kvDim));
      this.vCache = Array.from({ length: c.num_layers }, () => m.k.alloc(this.cacheCapacity * this.kvDim));
    }
    const positions = new Int32Array(n);
    for (let i = 0; i < n; i++) positions[i] = start + i;
    let x = this.x;
    let xNext = this.xNext;
    embed(m, x, ids, n);
    for (let l = 0; l < c.num_layers; l++) {
      const layerAct: LayerActivations = {
        ...this.act, x, k: this.kCache[l].subarray(start * this.kvDim), v: this.vCache[l].subarray(start * this.kvDim),
      };
      layerForward(m, m.p.layers[l], layerAct, xNext, {
        rows: 1, seq: n, positions, segStart: null,
        cache: { k: this.kCache[l], v: this.vCache[l], length: start + n, batchStride: this.cacheCapacity * this.kvDim },
      });
      [x, xNext] = [xNext, x];
    }
    m.k.rmsNorm(this.h, this.rstd, x, m.p.finalNorm, n, c.d_model, c.norm_eps, finalScale(m));
    this.tokensForwarded += n;
    return this.h;
  }

  /**
   * Feeds `ids` at positions start.. of the cached sequence in pieces of at most `budget` tokens (so memory does
   * not grow with the context) and scores the positions `rows` (indices into ids, ascending, repeats allowed)
   * against `targets`.
   */
  cachedScore(ids: Int32Array, start: number, rows: readonly number[], targets: readonly number[]): HeadScores {
    const out: HeadScores = { logprob: new Float64Array(rows.length), greedy: new Uint8Array(rows.length) };
    let r = 0;
    for (let c0 = 0; c0 < ids.length; c0 += this.budget) {
      const c1 = Math.min(ids.length, c0 + this.budget);
      const h = this.cached(ids.subarray(c0, c1), start + c0);
      const from = r;
      while (r < rows.length && rows[r] < c1) r++;
      if (r === from) continue;
      const s = this.score(h, rows.slice(from, r).map((x) => x - c0), targets.slice(from, r));
      out.logprob.set(s.logprob, from);
      out.greedy.set(s.greedy, from);
    }
    if (r !== rows.length) throw new RangeError("cachedScore: rows must be ascending indices into ids");
    return out;
  }

  /**
   * Scores selected positions of h: for each i, log p(targets[i]) at row rowIndex[i] of h, and whether
   * targets[i] is the most likely token there (ties count as greedy only for the lowest id, as argmax does).
   */
  score(h: Buf, rowIndex: ArrayLike<number>, targets: ArrayLike<number>): HeadScores {
    const n = rowIndex.length;
    const m = this.model;
    const V = m.config.vocab_size;
    const d = m.config.d_model;
    const out: HeadScores = { logprob: new Float64Array(n), greedy: new Uint8Array(n) };
    for (let i0 = 0; i0 < n; i0 += this.chunkRows) {
      const rows = Math.min(this.chunkRows, n - i0);
      for (let r = 0; r < rows; r++) {
        const src = rowIndex[i0 + r];
        this.hSel.set(h.subarray(src * d, (src + 1) * d), r * d);
        const t = targets[i0 + r];
        if (!(Number.isInteger(t) && t >= 0 && t < V)) throw new RangeError(`target ${t} is outside [0, ${V})`);
        this.tgt[r] = t;
      }
      headLogits(m, this.hSel, rows, this.logits);
      m.k.crossEntropy(this.logits, this.tgt, rows, V, 0, 0, this.nll, this.lse);
      for (let r = 0; r < rows; r++) {
        out.logprob[i0 + r] = -this.nll[r];
        const o = r * V;
        let best = 0;
        let bestV = this.logits[o];
        for (let j = 1; j < V; j++) {
          const v = this.logits[o + j];
          if (v > bestV) {
            bestV = v;
            best = j;
          }
        }
        out.greedy[i0 + r] = best === this.tgt[r] ? 1 : 0;
      }
    }
    this.positionsScored += n;
    return out;
  }
}
