/**
 * Documents on their way to the shards: collected into batches, encoded on the worker pool, and handed back in
 * input order. At most two batches are out at a time: while the workers encode one, the caller's thread writes
 * the one before and reads the next, so reading, encoding and writing overlap.
 */
import type { EncodePool } from "../../tokenizer/bpe/workers.js";

/** One encoded document with what was decided about it when it was read. */
export interface EncodedDocument<T> {
  ids: Int32Array;
  info: T;
}

interface Batch<T> {
  ids: Promise<Int32Array[]>;
  info: T[];
  /** the caller's progress marker when the batch was closed */
  position: number;
}

export class EncodeQueue<T> {
  private texts: string[] = [];
  private info: T[] = [];
  private chars = 0;
  private pending: Batch<T> | null = null;

  /**
   * `batchChars`: characters per batch; `pieceChars`: characters per worker request (a batch is spread over the
   * threads in pieces). `onBatch` receives each batch's documents in input order, then its position.
   */
  constructor(private readonly pool: EncodePool, private readonly batchChars: number, private readonly pieceChars: number,
    private readonly onBatch: (docs: EncodedDocument<T>[], position: number) => void) {}

  /** Queues a document; may wait for an earlier batch to be written. */
  async add(text: string, info: T, position: () => number): Promise<void> {
    this.texts.push(text);
    this.info.push(info);
    this.chars += text.length;
    if (this.chars >= this.batchChars) await this.submit(position());
  }

  /** Encodes and hands back everything queued. */
  async flush(position: number): Promise<void> {
    await this.submit(position);
    const last = this.pending;
    this.pending = null;
    if (last) await this.deliver(last);
  }

  private async submit(position: number): Promise<void> {
    if (this.texts.length === 0) return;
    // Special-token strings in documents are plain text.
    const ids = this.pool.encodeBatch(this.texts, { allowSpecial: false }, this.pieceChars);
    ids.catch(() => undefined); // awaited in deliver(); this only keeps an early failure from being "unhandled"
    const next: Batch<T> = { ids, info: this.info, position };
    this.texts = [];
    this.info = [];
    this.chars = 0;
    const previous = this.pending;
    this.pending = next;
    if (previous) await this.deliver(previous);
  }

  private async deliver(b: Batch<T>): Promise<void> {
    const ids = await b.ids;
    this.onBatch(ids.map((x, i) => ({ ids: x, info: b.info[i] })), b.position);
  }
}
