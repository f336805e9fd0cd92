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
}

export interface BatchShape {
  rows: number;
  seq: number;
  ropeTheta: number;
  phase: string;
}
