/**
 * A small pool of worker threads (worker.ts) for the two parallel jobs of the tokenizer: counting the words
 * of a corpus and encoding batches of texts. Results never depend on the number of threads: counts are sums
 * of integers, and batches come back in input order.
 */
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import type { CountChunk, DomainCounts } from "./count.js";

export type WorkerRequest =
  | { kind: "count-init"; seq: number; preTokenizer: unknown; textField: string; seed: number }
  | { kind: "count"; seq: number; chunk: CountChunk }
  | { kind: "count-finish"; seq: number }
  | { kind: "encode-init"; seq: number; json: unknown; config: unknown }
  | { kind: "encode"; seq: number; texts: string[]; allowSpecial: boolean };

/** A request without its sequence number (distributes Omit over the union). */
export type WorkerRequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, "seq"> : never) : never;

export type WorkerReply =
  | { kind: "ok"; seq: number }
  | { kind: "counts"; seq: number; domains: DomainCounts[] }
  | { kind: "ids"; seq: number; ids: Int32Array[] }
  | { kind: "error"; seq: number; message: string };

/** Threads to use by default: every core. */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

/** One worker with request/reply by sequence number. */
export class TokenizerWorker {
  private readonly worker: Worker;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>();
  /** requests sent and not answered yet */
  pending = 0;

  constructor() {
    this.worker = new Worker(new URL("./worker.js", import.meta.url));
    this.worker.on("message", (r: WorkerReply) => {
      const w = this.waiting.get(r.seq);
      if (!w) return;
      this.waiting.delete(r.seq);
      this.pending--;
      if (r.kind === "error") w.reject(new Error(r.message));
      else w.resolve(r);
    });
    this.worker.on("error", (e) => {
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    });
  }

  request<R extends WorkerReply>(message: WorkerRequestBody, transfer: ArrayBuffer[] = []): Promise<R> {
    const seq = ++this.seq;
    this.pending++;
    return new Promise<R>((resolve, reject) => {
      this.waiting.set(seq, { resolve: resolve as (r: WorkerReply) => void, reject });
      this.worker.postMessage({ ...message, seq }, transfer);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Encodes batches of texts on worker threads; each worker holds its own copy of the tokenizer. */
export class EncodePool {
  private constructor(private readonly workers: TokenizerWorker[]) {}

  static async create(json: unknown, config: unknown, threads = defaultThreads()): Promise<EncodePool> {
    const workers = Array.from({ length: Math.max(1, threads) }, () => new TokenizerWorker());
    try {
      await Promise.all(workers.map((w) => w.request({ kind: "encode-init", json, config })));
    } catch (e) {
      await Promise.all(workers.map((w) => w.close()));
      throw e;
    }
    return new EncodePool(workers);
  }

  get threads(): number {
    return this.workers.length;
  }

  /** The ids of every text, in order; the batch is split into contiguous runs of about `pieceChars`. */
  async encodeBatch(texts: readonly string[], options: { allowSpecial?: boolean } = {}, pieceChars = 1 << 20): Promise<Int32Array[]> {
    const jobs: { from: number; to: number }[] = [];
    let from = 0, chars = 0;
    for (let i = 0; i < texts.length; i++) {
      chars += texts[i].length;
      if (chars >= pieceChars) {
        jobs.push({ from, to: i + 1 });
        from = i + 1;
        chars = 0;
      }
    }
    if (from < texts.length) jobs.push({ from, to: texts.length });
    const out = new Array<Int32Array>(texts.length);
    let next = 0;
    // Each worker takes the next job when it finishes one, so uneven texts balance out.
    await Promise.all(this.workers.map(async (w) => {
      while (next < jobs.length) {
        const job = jobs[next++];
        const r = await w.request<Extract<WorkerReply, { kind: "ids" }>>({
          kind: "encode", texts: texts.slice(job.from, job.to), allowSpecial: options.allowSpecial ?? false,
        });
        r.ids.forEach((ids, k) => (out[job.from + k] = ids));
      }
    }));
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
