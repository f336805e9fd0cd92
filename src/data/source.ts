/**
 * Where training batches come from. The trainer only knows this interface; the byte-level text source below
 * is the first implementation, token shards and curriculum phases are later ones.
 */
import type { Batch } from "../model/batch.js";

export interface TokenSource {
  /** every id this source produces is below this */
  readonly vocabSize: number;
  /** The next training batch of rows×seq positions; advances the position. The batch is reused by the next call. */
  next(rows: number, seq: number): Batch;
  /** Held-out batches, identical on every call (at most maxBatches). */
  validation(rows: number, seq: number, maxBatches: number): Batch[];
  /** A JSON-serializable position, saved in checkpoints. */
  state(): unknown;
  /** Continues from a saved position. */
  restore(state: unknown): void;
  /** One line for logs. */
  describe(): string;
  /**
   * Curriculum sources: the shape of the micro-batches of (0-based) optimizer step `step`, its RoPE θ and its
   * phase. Sources without it get the loop's batch_size × seq_len and the model's θ.
   */
  shapeAt?(step: number): BatchShape;
  /** Curriculum sources: the optimizer step the following next() calls are for. */
  setStep?(step: number): void;
  /** Held-out batches per domain (identical on every call), for per-domain held-out loss. */
  validationByDomain?(rows: number, seq: number, maxBatches: number): Map<string, Batch[]>;
  /**
   * Curriculum sources with `curriculum.auto_mixture` enabled: called before the batches of every freshly taken
   * optimizer step `step` (0-based). At the first step of a phase after the first it calls `measure` (held-out loss
   * per domain of the current model) once, adjusts that phase's mixture and returns what it did; otherwise null.
   * The adjustment becomes part of state(), so a resume does not measure again.
   */
  adjustMixture?(step: number, measure: () => Record<string, number>): MixtureAdjustment | null;
}

/** A phase's mixture as adjusted by the automatic mixture rule (docs/curriculum.md). */
export interface MixtureAdjustment {
  phase: string;
  /** the shares used (normalized) */
  shares: Record<string, number>;
  /** the declared shares (normalized) */
  declared: Record<string, number>;
  /** the held-out loss per domain the rule used */
  losses: Record<string, number>;
}

export interface BatchShape {
  rows: number;
  seq: number;
  ropeTheta: number;
  phase: string;
}
