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
}
