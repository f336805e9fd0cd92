/**
 * The model: configuration, parameter arena (and gradient arena when training), RoPE tables and activation
 * buffers, with the loss, its gradient and plain forward passes as methods.
 */
import type { Buf, Kernels } from "../kernels/types.js";
import type { ModelConfig } from "./config.js";
import { buildLayout, type Layout } from "./layout.js";
import { bindTensors, type ModelTensors } from "./params.js";
import { initParameters } from "./init.js";
import { ropeTables, type RopeTables } from "./rope.js";
import { headDim } from "./config.js";
import { allocActivations, allocGradScratch, type Activations, type GradScratch } from "./activations.js";
import { forwardHidden, type Geometry, type ModelContext } from "./forward.js";
import { backwardHidden } from "./backward.js";
import { countTargets, headLoss } from "./head.js";
import { checkBatch, defaultPositions, type Batch } from "./batch.js";

export interface LossResult {
  /** Σ over positions with a target of (nll + z·lse²) */
  sum: number;
  /** number of positions with a target */
  count: number;
  /** sum / count (NaN when count is 0) */
  mean: number;
}

export interface ModelOptions {
  /** Allocate a gradient arena (training). Default true. */
  training?: boolean;
  /** Rows of logits materialized at once by the loss (default: about 2^24 logits' worth). */
  lossChunkRows?: number;
}

export class Model implements ModelContext {
  readonly config: ModelConfig;
  readonly k: Kernels;
  readonly layout: Layout;
  readonly params: Buf;
  readonly p: ModelTensors;
  readonly grads: Buf | null;
  readonly gp: ModelTensors | null;
  rope: RopeTables;
  private acts: Activations | null = null;
  private scratch: GradScratch | null = null;
  private positionsCache = new Map<string, Int32Array>();
  private readonly lossChunkRows: number | undefined;

  constructor(config: ModelConfig, kernels: Kernels, options: ModelOptions = {}) {
    this.config = config;
    this.k = kernels;
    this.layout = buildLayout(config);
    this.params = kernels.alloc(this.layout.size);
    this.p = bindTensors(config, this.layout, this.params);
    const training = options.training ?? true;
    this.lossChunkRows = options.lossChunkRows;
    this.grads = training ? kernels.alloc(this.layout.size) : null;
    this.gp = this.grads ? bindTensors(config, this.layout, this.grads) : null;
    this.rope = ropeTables(config.rope_theta, config.max_seq_len, headDim(config), (n) => kernels.alloc(n));
  }

  /** Fills the parameters with the recipe's initialization (spec §2.3). */
  init(seed: number | string): void {
    initParameters(this.config, this.layout, this.params, seed);
  }

  /** Rebuilds the RoPE tables, e.g. for context extension (raise θ and the sequence length). */
  setRope(theta: number, maxSeqLen: number): void {
    (this.config as { rope_theta: number }).rope_theta = theta;
    (this.config as { max_seq_len: number }).max_seq_len = maxSeqLen;
    this.rope = ropeTables(theta, maxSeqLen, headDim(this.config), (n) => this.k.alloc(n));
  }

  /** The view of one named tensor in the parameter arena. */
  tensor(name: string): Buf {
    const t = this.layout.byName.get(name);
    if (!t) throw new Error(`no tensor named ${name}`);
    return this.params.subarray(t.offset, t.offset + t.size);
  }

  zeroGrads(): void {
    if (!this.grads) throw new Error("this model was created without gradients (training: false)");
    this.grads.fill(0);
  }

  /** Activations of the last forward pass (for monitors and scoring). */
  get activations(): Activations | null {
    return this.acts;
  }

  private ensure(tokens: number, withGrads: boolean): Activations {
    if (!this.acts || this.acts.tokens < tokens) {
      this.acts = allocActivations(this.config, this.k, tokens, tokens * this.config.num_heads, this.lossChunkRows);
      this.scratch = null;
    }
    if (withGrads && (!this.scratch || this.scratch.dx.length < tokens * this.config.d_model)) {
      this.scratch = allocGradScratch(this.config, this.k, this.acts.tokens);
    }
    return this.acts;
  }

  private geometry(b: Batch): Geometry {
    let positions = b.positions ?? null;
    if (!positions) {
      const key = `${b.rows}x${b.seq}`;
      positions = this.positionsCache.get(key) ?? null;
      if (!positions) {
        positions = defaultPositions(b.rows, b.seq);
        this.positionsCache.set(key, positions);
      }
    }
    return { rows: b.rows, seq: b.seq, positions, segStart: b.segStart ?? null };
  }

  /** The loss of a batch, without gradients. Per-token nll stays in activations.nll. */
  loss(b: Batch): LossResult {
    checkBatch(b, this.config.vocab_size, this.config.max_seq_len);
    const T = b.rows * b.seq;
    const acts = this.ensure(T, false);
    const g = this.geometry(b);
    forwardHidden(this, acts, b.ids, g);
    const sum = headLoss(this, acts, b.targets, T, null);
    const count = countTargets(b.targets, T);
    return { sum, count, mean: sum / count };
  }

  /**
   * The loss of a batch and its gradient, accumulated into the gradient arena. The gradient is that of
   * gradMultiplier · mean loss (use 1/accumulationSteps under gradient accumulation).
   */
  lossAndGrad(b: Batch, gradMultiplier = 1): LossResult {
    if (!this.grads || !this.gp) throw new Error("this model was created without gradients (training: false)");
    checkBatch(b, this.config.vocab_size, this.config.max_seq_len);
    const T = b.rows * b.seq;
    const acts = this.ensure(T, true);
    const gs = this.scratch!;
    const g = this.geometry(b);
    const count = countTargets(b.targets, T);
    forwardHidden(this, acts, b.ids, g);
    const gradScale = count > 0 ? gradMultiplier / count : 0;
    const sum = headLoss(this, acts, b.targets, T, { dW: this.gp.lmHead, dh: gs.dh, gradScale });
    backwardHidden(this, this.gp, this.grads, acts, gs, b.ids, g);
    return { sum, count, mean: sum / count };
  }
}
