/**
 * Incremental inference with a KV cache, for one sequence: feed tokens (a prompt at once, then one at a time),
 * get the logits of the last position. Keys and values of every layer are kept for all positions so far, so each
 * new token costs one pass over the weights instead of a pass over the whole sequence.
 */
import type { Buf } from "../kernels/types.js";
import { headDim } from "../model/config.js";
import type { Model } from "../model/model.js";
import { allocLayerActivations, type LayerActivations } from "../model/activations.js";
import { embed, finalScale, layerForward } from "../model/forward.js";
import { headLogits } from "../model/head.js";

export class InferenceSession {
  readonly capacity: number;
  /** tokens in the cache */
  length = 0;
  private readonly kCache: Buf[];
  private readonly vCache: Buf[];
  private readonly kvDim: number;
  private scratch: LayerActivations | null = null;
  private scratchTokens = 0;
  private x: Buf | null = null;
  private xNext: Buf | null = null;
  private readonly hLast: Buf;
  private readonly rstd: Buf;
  readonly logits: Buf;

  constructor(private readonly model: Model, capacity = model.config.max_seq_len) {
    const c = model.config;
    if (capacity > c.max_seq_len) {
      throw new RangeError(`capacity ${capacity} exceeds the model's max_seq_len ${c.max_seq_len}`);
    }
    this.capacity = capacity;
    this.kvDim = c.num_kv_heads * headDim(c);
    this.kCache = Array.from({ length: c.num_layers }, () => model.k.alloc(capacity * this.kvDim));
    this.vCache = Array.from({ length: c.num_layers }, () => model.k.alloc(capacity * this.kvDim));
    this.hLast = model.k.alloc(c.d_model);
    this.rstd = model.k.alloc(1);
    this.logits = model.k.alloc(c.vocab_size);
  }

  reset(): void {
    this.length = 0;
  }

  private ensure(n: number): void {
    if (this.scratch && this.scratchTokens >= n) return;
    const c = this.model.config;
    this.scratch = allocLayerActivations(c, this.model.k, n, n * c.num_heads);
    this.x = this.model.k.alloc(n * c.d_model);
    this.xNext = this.model.k.alloc(n * c.d_model);
    this.scratchTokens = n;
  }

  /** Appends tokens to the sequence and returns the logits after the last one (a view, valid until the next call). */
  feed(ids: Int32Array): Buf {
    const n = ids.length;
    if (n === 0) throw new RangeError("feed: no tokens");
    if (this.length + n > this.capacity) {
      throw new RangeError(`the sequence would reach ${this.length + n} tokens, past the context of ${this.capacity}`);
    }
    const m = this.model;
    const c = m.config;
    const d = c.d_model;
    this.ensure(n);
    const act = this.scratch!;
    const positions = new Int32Array(n);
    for (let i = 0; i < n; i++) positions[i] = this.length + i;
    let x = this.x!;
    let xNext = this.xNext!;
    embed(m, x, ids, n);
    for (let l = 0; l < c.num_layers; l++) {
      const layerAct: LayerActivations = {
        ...act,
        x,
        k: this.kCache[l].subarray(this.length * this.kvDim),
        v: this.vCache[l].subarray(this.length * this.kvDim),
      };
      layerForward(m, m.p.layers[l], layerAct, xNext, {
        rows: 1, seq: n, positions, segStart: null,
        cache: { k: this.kCache[l], v: this.vCache[l], length: this.length + n, batchStride: this.capacity * this.kvDim },
      });
      [x, xNext] = [xNext, x];
    }
    this.length += n;
    m.k.rmsNorm(this.hLast, this.rstd, x.subarray((n - 1) * d), m.p.finalNorm, 1, d, c.norm_eps, finalScale(m));
    headLogits(m, this.hLast, 1, this.logits);
    return this.logits;
  }
}
