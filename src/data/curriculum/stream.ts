/**
 * One domain's tokens as a stream, in a seeded order that never repeats: shards are visited in a shuffled order
 * and the documents of each shard in a shuffled order; only when every document has been read does a new epoch
 * start (with a new order), and only if the recipe allows that many epochs. The cursor (epoch, shard, document,
 * offset in the document) is the checkpointed state.
 */
import { Rng } from "../../util/rng.js";
import type { ShardSet, Split } from "../tokens/shard-set.js";

export interface StreamCursor {
  epoch: number;
  shard: number;
  doc: number;
  offset: number;
  /** tokens read so far, over all epochs */
  consumed: number;
}

export class DataExhaustedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DataExhaustedError";
  }
}

export class DomainStream {
  private cursor: StreamCursor = { epoch: 0, shard: 0, doc: 0, offset: 0, consumed: 0 };
  private shardOrder: Uint32Array;
  private docOrder: Uint32Array | null = null;
  private docOrderFor = -1;

  constructor(private readonly set: ShardSet, readonly domain: string, private readonly split: Split,
    private readonly seed: number | string, private readonly maxEpochs: number) {
    const n = set.domain(domain)[split].length;
    if (n === 0) throw new DataExhaustedError(`domain "${domain}" has no ${split} shards`);
    this.shardOrder = this.order(n, `shards/${this.cursor.epoch}`);
  }

  private order(n: number, label: string): Uint32Array {
    const o = new Uint32Array(n);
    for (let i = 0; i < n; i++) o[i] = i;
    if (this.split === "train") new Rng(this.seed).fork(`${this.domain}/${label}`).shuffle(o);
    return o;
  }

  get epoch(): number {
    return this.cursor.epoch;
  }

  get consumed(): number {
    return this.cursor.consumed;
  }

  private currentShard(): number {
    return this.shardOrder[this.cursor.shard];
  }

  private docOrderOf(shardIndex: number): Uint32Array {
    if (this.docOrderFor !== shardIndex || !this.docOrder) {
      const docs = this.set.domain(this.domain)[this.split][shardIndex].documents;
      this.docOrder = this.order(docs, `docs/${this.cursor.epoch}/${shardIndex}`);
      this.docOrderFor = shardIndex;
    }
    return this.docOrder;
  }

  /** Moves past the end of the current document, shard or epoch. */
  private advance(): void {
    const shards = this.set.domain(this.domain)[this.split];
    for (;;) {
      const s = this.currentShard();
      const docs = this.docOrderOf(s);
      if (this.cursor.doc < docs.length) return;
      this.cursor.doc = 0;
      this.cursor.shard++;
      if (this.cursor.shard >= shards.length) {
        if (this.cursor.epoch + 1 >= this.maxEpochs) {
          throw new DataExhaustedError(`domain "${this.domain}" is exhausted after ${this.cursor.epoch + 1} epoch(s) ` +
            `(${this.cursor.consumed} tokens); the curriculum asks for more: add data, lower the phase budgets, or allow more epochs with max_epochs.${this.domain}`);
        }
        this.cursor.epoch++;
        this.cursor.shard = 0;
        this.shardOrder = this.order(shards.length, `shards/${this.cursor.epoch}`);
        this.docOrderFor = -1;
      }
    }
  }

  /**
   * Copies the next `count` tokens into out[at…]. Calls onDocStart(position in out) where a new document begins
   * (including at `at` itself when the stream is at a document start).
   */
  read(out: Int32Array, at: number, count: number, onDocStart?: (pos: number) => void): void {
    let filled = 0;
    while (filled < count) {
      this.advance();
      const s = this.currentShard();
      const reader = this.set.shard(this.domain, this.split, s);
      const d = this.docOrderOf(s)[this.cursor.doc];
      const [start, end] = reader.document(d);
      const len = end - start;
      if (len === 0) {
        this.cursor.doc++;
        continue;
      }
      if (this.cursor.offset === 0) onDocStart?.(at + filled);
      const take = Math.min(count - filled, len - this.cursor.offset);
      reader.read(start + this.cursor.offset, take, out, at + filled);
      filled += take;
      this.cursor.offset += take;
      this.cursor.consumed += take;
      if (this.cursor.offset >= len) {
        this.cursor.offset = 0;
        this.cursor.doc++;
      }
    }
  }

  state(): StreamCursor {
    return { ...this.cursor };
  }

  restore(c: StreamCursor): void {
    this.cursor = { ...c };
    this.shardOrder = this.order(this.set.domain(this.domain)[this.split].length, `shards/${this.cursor.epoch}`);
    this.docOrderFor = -1;
  }
}
