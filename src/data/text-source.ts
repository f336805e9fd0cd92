/**
 * A token source over a stream of tokens (e.g. text files through the byte-level tokenizer): the stream is
 * split into a training part and a held-out tail; training rows are windows of seq+1 tokens at multiples of
 * seq, visited in a seeded random order that is reshuffled every epoch. Targets are the next tokens.
 * The position (epoch, index in the epoch) is the checkpointed state, so a resumed run sees the same batches.
 */
import { readFileSync, statSync } from "node:fs";
import type { Batch } from "../model/batch.js";
import { Rng } from "../util/rng.js";
import type { TokenSource } from "./source.js";

export interface TextSourceState {
  kind: "token-stream";
  seq: number;
  epoch: number;
  index: number;
}

export class TokenStreamSource implements TokenSource {
  readonly vocabSize: number;
  private readonly train: Int32Array;
  private readonly held: Int32Array;
  private order: Uint32Array | null = null;
  private orderSeq = 0;
  private epoch = 0;
  private index = 0;
  private buffers = new Map<string, Batch>();

  constructor(tokens: Int32Array, vocabSize: number, private readonly seed: number | string, valFraction: number,
    private readonly label = "token stream") {
    if (!(valFraction >= 0 && valFraction < 1)) throw new RangeError(`valFraction must be in [0, 1), got ${valFraction}`);
    const split = Math.floor(tokens.length * (1 - valFraction));
    this.train = tokens.subarray(0, split);
    this.held = tokens.subarray(split);
    this.vocabSize = vocabSize;
  }

  describe(): string {
    return `${this.label}: ${this.train.length} training tokens, ${this.held.length} held out`;
  }

  private windows(seq: number, length: number): number {
    return length > seq ? Math.floor((length - 1) / seq) : 0;
  }

  private ensureOrder(seq: number): Uint32Array {
    if (this.order && this.orderSeq === seq) return this.order;
    const n = this.windows(seq, this.train.length);
    if (n === 0) {
      throw new RangeError(`${this.label}: ${this.train.length} training tokens cannot fill one row of ${seq + 1} tokens; ` +
        "use more text or a shorter sequence");
    }
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    new Rng(this.seed).fork(`epoch-${this.epoch}`).shuffle(order);
    this.order = order;
    this.orderSeq = seq;
    return order;
  }

  private batchBuffer(rows: number, seq: number): Batch {
    const key = `${rows}x${seq}`;
    let b = this.buffers.get(key);
    if (!b) {
      b = { rows, seq, ids: new Int32Array(rows * seq), targets: new Int32Array(rows * seq) };
      this.buffers.set(key, b);
    }
    return b;
  }

  private fill(b: Batch, r: number, src: Int32Array, start: number): void {
    const { seq } = b;
    for (let i = 0; i < seq; i++) {
      b.ids[r * seq + i] = src[start + i];
      b.targets[r * seq + i] = src[start + i + 1];
    }
  }

  next(rows: number, seq: number): Batch {
    const b = this.batchBuffer(rows, seq);
    for (let r = 0; r < rows; r++) {
      let order = this.ensureOrder(seq);
      if (this.index >= order.length) {
        this.epoch++;
        this.index = 0;
        this.order = null;
        order = this.ensureOrder(seq);
      }
      this.fill(b, r, this.train, order[this.index++] * seq);
    }
    return b;
  }

  validation(rows: number, seq: number, maxBatches: number): Batch[] {
    const n = this.windows(seq, this.held.length);
    const out: Batch[] = [];
    for (let start = 0; start + rows <= n && out.length < maxBatches; start += rows) {
      const b: Batch = { rows, seq, ids: new Int32Array(rows * seq), targets: new Int32Array(rows * seq) };
      for (let r = 0; r < rows; r++) this.fill(b, r, this.held, (start + r) * seq);
      out.push(b);
    }
    return out;
  }

  state(): TextSourceState {
    return { kind: "token-stream", seq: this.orderSeq, epoch: this.epoch, index: this.index };
  }

  restore(state: unknown): void {
    const s = state as Partial<TextSourceState> | null;
    if (!s || s.kind !== "token-stream" || !Number.isInteger(s.epoch) || !Number.isInteger(s.index)) {
      throw new Error(`${this.label}: cannot restore from data state ${JSON.stringify(state)}`);
    }
    this.epoch = s.epoch!;
    this.index = s.index!;
    this.order = null;
    if (s.seq) this.ensureOrder(s.seq);
  }
}

/**
 * Reads text files as raw bytes (the byte-level tokenizer's ids are the bytes themselves, so invalid UTF-8 is kept
 * as it is) and joins them with an end-of-text token after each file.
 */
export function readByteCorpus(paths: string[], eosId: number): Int32Array {
  if (paths.length === 0) throw new Error("data.paths is empty: give at least one text file");
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const p of paths) {
    let size: number;
    try {
      size = statSync(p).size;
    } catch {
      throw new Error(`data file ${p} does not exist (check data.paths)`);
    }
    if (size === 0) throw new Error(`data file ${p} is empty`);
    const bytes = readFileSync(p);
    parts.push(bytes);
    total += bytes.length + 1;
  }
  const out = new Int32Array(total);
  let o = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) out[o++] = part[i];
    out[o++] = eosId;
  }
  return out;
}
