/**
 * Disk-backed buckets for dedup: fixed-size records of 32-bit words (a key of `keyWords` words, then payload
 * words) collected per partition, sorted in memory by key (LSD radix sort, stable) and written as sorted runs
 * whenever `maxRecords` are buffered, so memory stays bounded however many documents a task has. A later
 * phase merges the runs of every rank for one partition (k-way, by key then rank then run order), streaming.
 */
import { closeSync, mkdirSync, openSync, readSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../../util/atomic.js";

/** Sorts records (each `stride` words) by their first `keyWords` words, unsigned, stably. Returns a new array. */
export function sortRecords(data: Uint32Array, stride: number, keyWords: number): Uint32Array {
  const n = data.length / stride;
  let perm = new Uint32Array(n);
  let next = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const counts = new Uint32Array(65536);
  for (let w = keyWords - 1; w >= 0; w--) {
    for (const shift of [0, 16]) {
      counts.fill(0);
      for (let i = 0; i < n; i++) counts[(data[perm[i] * stride + w] >>> shift) & 0xffff]++;
      let sum = 0;
      for (let d = 0; d < 65536; d++) {
        const c = counts[d];
        counts[d] = sum;
        sum += c;
      }
      for (let i = 0; i < n; i++) {
        const r = perm[i];
        next[counts[(data[r * stride + w] >>> shift) & 0xffff]++] = r;
      }
      [perm, next] = [next, perm];
    }
  }
  const out = new Uint32Array(data.length);
  for (let i = 0; i < n; i++) out.set(data.subarray(perm[i] * stride, perm[i] * stride + stride), i * stride);
  return out;
}

/** Collects records per partition and spills sorted runs to `<dir>/part-PPPPP/rank-RRRRR-run-KKKK.bin`. */
export class RunWriter {
  private buffers: Uint32Array[];
  private fill: number[];
  private buffered = 0;
  private runs = 0;
  readonly files: string[] = [];

  constructor(private readonly dir: string, private readonly rank: number, readonly partitions: number,
    private readonly stride: number, private readonly keyWords: number, private readonly maxRecords = 2_000_000) {
    this.buffers = Array.from({ length: partitions }, () => new Uint32Array(stride * 1024));
    this.fill = new Array(partitions).fill(0);
  }

  /** Adds one record (its `stride` words) to a partition. */
  add(partition: number, words: ArrayLike<number>): void {
    let buf = this.buffers[partition];
    const at = this.fill[partition];
    if (at + this.stride > buf.length) {
      const bigger = new Uint32Array(buf.length * 2);
      bigger.set(buf);
      this.buffers[partition] = buf = bigger;
    }
    for (let i = 0; i < this.stride; i++) buf[at + i] = words[i];
    this.fill[partition] = at + this.stride;
    if (++this.buffered >= this.maxRecords) this.spill();
  }

  /** Writes every buffered partition as one sorted run. */
  spill(): void {
    if (this.buffered === 0) return;
    for (let p = 0; p < this.partitions; p++) {
      const n = this.fill[p];
      if (n === 0) continue;
      const sorted = sortRecords(this.buffers[p].subarray(0, n), this.stride, this.keyWords);
      const dir = join(this.dir, `part-${pad(p)}`);
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `rank-${pad(this.rank)}-run-${String(this.runs).padStart(4, "0")}.bin`);
      writeFileAtomic(file, sorted);
      this.files.push(file);
      this.fill[p] = 0;
      if (this.buffers[p].length > this.stride * 65536) this.buffers[p] = new Uint32Array(this.stride * 1024);
    }
    this.runs++;
    this.buffered = 0;
  }
}

export function pad(n: number): string {
  return String(n).padStart(5, "0");
}

/** Reads one run file record by record with a fixed buffer. */
class RunReader {
  private readonly fd: number;
  private readonly buf: Buffer;
  private words: Uint32Array;
  private pos = 0;
  private len = 0;
  private filePos = 0;
  readonly current: Uint32Array;
  done = false;

  constructor(path: string, readonly rank: number, readonly order: number, private readonly stride: number) {
    this.fd = openSync(path, "r");
    this.buf = Buffer.alloc(stride * 4 * 8192);
    this.words = new Uint32Array(0);
    this.current = new Uint32Array(stride);
    this.advance();
  }

  advance(): void {
    if (this.pos >= this.len) {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, this.filePos);
      this.filePos += n;
      if (n <= 0) {
        this.done = true;
        closeSync(this.fd);
        return;
      }
      this.words = new Uint32Array(this.buf.buffer, this.buf.byteOffset, n >>> 2);
      this.len = this.words.length;
      this.pos = 0;
    }
    for (let i = 0; i < this.stride; i++) this.current[i] = this.words[this.pos + i];
    this.pos += this.stride;
  }
}

/** The run files of one partition, from every rank: [path, rank, run order]. */
export function partitionRuns(dir: string, partition: number): { path: string; rank: number; order: number }[] {
  const pdir = join(dir, `part-${pad(partition)}`);
  if (!existsSync(pdir)) return [];
  return readdirSync(pdir)
    .map((name) => /^rank-(\d+)-run-(\d+)\.bin$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ path: join(pdir, m[0]), rank: Number(m[1]), order: Number(m[2]) }))
    .sort((a, b) => a.rank - b.rank || a.order - b.order);
}

/**
 * Merges the sorted runs of one partition: calls `visit(record, rank)` for every record in order of key, then
 * rank, then position (the record array is reused: copy what you keep).
 */
export function mergeRuns(dir: string, partition: number, stride: number, keyWords: number,
  visit: (record: Uint32Array, rank: number) => void): number {
  const readers = partitionRuns(dir, partition).map((r) => new RunReader(r.path, r.rank, r.order, stride)).filter((r) => !r.done);
  const less = (a: RunReader, b: RunReader): boolean => {
    for (let i = 0; i < keyWords; i++) {
      if (a.current[i] !== b.current[i]) return a.current[i] < b.current[i];
    }
    return a.rank !== b.rank ? a.rank < b.rank : a.order < b.order;
  };
  // binary heap of readers
  const heap = readers;
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l], heap[m])) m = l;
      if (r < heap.length && less(heap[r], heap[m])) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  };
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
  let count = 0;
  while (heap.length > 0) {
    const top = heap[0];
    visit(top.current, top.rank);
    count++;
    top.advance();
    if (top.done) {
      heap[0] = heap[heap.length - 1];
      heap.pop();
    }
    if (heap.length > 0) down(0);
  }
  return count;
}

/** Per-rank summary written at the end of a signature phase: how many documents the rank saw. */
export function writeRankInfo(dir: string, rank: number, info: { docs: number; [k: string]: unknown }): void {
  mkdirSync(join(dir, "ranks"), { recursive: true });
  writeFileAtomic(join(dir, "ranks", `rank-${pad(rank)}.json`), JSON.stringify(info) + "\n");
}

/** Removal records for one rank (idx, representative rank, representative idx), appended from many tasks. */
export function removalDir(dir: string, rank: number): string {
  return join(dir, "remove", `rank-${pad(rank)}`);
}

/** Loads every removal file of a rank: document index → [representative rank, representative index]. */
export function loadRemovals(dir: string, rank: number): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  const d = removalDir(dir, rank);
  if (!existsSync(d)) return out;
  for (const name of readdirSync(d).sort()) {
    if (!name.endsWith(".bin")) continue;
    const fd = openSync(join(d, name), "r");
    try {
      const chunk = Buffer.alloc(12 * 8192);
      let pos = 0;
      for (;;) {
        const n = readSync(fd, chunk, 0, chunk.length, pos);
        if (n <= 0) break;
        pos += n;
        const w = new Uint32Array(chunk.buffer, chunk.byteOffset, n >>> 2);
        for (let i = 0; i + 2 < w.length; i += 3) out.set(w[i], [w[i + 1], w[i + 2]]);
      }
    } finally {
      closeSync(fd);
    }
  }
  return out;
}

/** Groups removal records by target rank and writes one file per rank: remove/rank-TTTTT/<name>.bin. */
export function writeRemovals(dir: string, name: string, byRank: Map<number, number[]>): void {
  for (const [rank, words] of byRank) {
    const d = removalDir(dir, rank);
    mkdirSync(d, { recursive: true });
    writeFileAtomic(join(d, `${name}.bin`), Uint32Array.from(words));
  }
}
