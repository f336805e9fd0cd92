/**
 * JSONL shards, optionally gzip or zstd compressed. Lines are buffered and written in blocks; a compressed
 * block is one gzip member or one zstd frame, and a sequence of those is a valid gzip or zstd stream. A shard is
 * written under a temporary name and renamed into place when it is closed, so a crashed task leaves no
 * half-written shard that looks finished. A new shard starts after `maxDocs` documents or `maxBytes`
 * uncompressed bytes.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { writeAll, tempPathFor } from "../../util/atomic.js";
import { ensureZstd, zstdFrame } from "./zstd.js";

export type JsonlCompression = "none" | "gzip" | "zstd";

export interface ShardOptions {
  dir: string;
  /** file name prefix: shards are <prefix>-00000.jsonl[.gz|.zst] */
  prefix: string;
  compression: JsonlCompression;
  maxDocs?: number;
  maxBytes?: number;
  /** block size before compression (default 4 MiB) */
  blockBytes?: number;
  zstdLevel?: number;
}

export function jsonlExtension(c: JsonlCompression): string {
  return c === "gzip" ? ".jsonl.gz" : c === "zstd" ? ".jsonl.zst" : ".jsonl";
}

export class JsonlShardWriter {
  private fd: number | null = null;
  private tmp = "";
  private final = "";
  private shard = 0;
  private docsInShard = 0;
  private bytesInShard = 0;
  private block: string[] = [];
  private blockBytes = 0;
  /** paths of the shards written so far (final names) */
  readonly files: string[] = [];
  docs = 0;

  private constructor(private readonly o: ShardOptions) {}

  static async open(o: ShardOptions): Promise<JsonlShardWriter> {
    if (o.compression === "zstd") await ensureZstd();
    mkdirSync(o.dir, { recursive: true });
    return new JsonlShardWriter(o);
  }

  /** Opens synchronously; for zstd, `ensureZstd()` must have resolved before. */
  static create(o: ShardOptions): JsonlShardWriter {
    mkdirSync(o.dir, { recursive: true });
    return new JsonlShardWriter(o);
  }

  /** Writes one record (any JSON-serialisable value) as a line. */
  write(record: unknown): void {
    this.writeLine(JSON.stringify(record));
  }

  writeLine(line: string): void {
    if (this.fd === null) this.openShard();
    this.block.push(line, "\n");
    const n = Buffer.byteLength(line) + 1;
    this.blockBytes += n;
    this.bytesInShard += n;
    this.docsInShard++;
    this.docs++;
    if (this.blockBytes >= (this.o.blockBytes ?? 4 << 20)) this.flushBlock();
    if ((this.o.maxDocs && this.docsInShard >= this.o.maxDocs) || (this.o.maxBytes && this.bytesInShard >= this.o.maxBytes)) {
      this.closeShard();
    }
  }

  /** Closes the current shard (renaming it into place). */
  close(): void {
    this.closeShard();
  }

  /** Removes the temporary file of an unfinished shard (after an error). */
  abort(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
      try {
        unlinkSync(this.tmp);
      } catch {
        // already gone
      }
    }
  }

  private openShard(): void {
    const name = `${this.o.prefix}-${String(this.shard).padStart(5, "0")}${jsonlExtension(this.o.compression)}`;
    this.final = join(this.o.dir, name);
    this.tmp = tempPathFor(this.final);
    this.fd = openSync(this.tmp, "w");
    this.docsInShard = 0;
    this.bytesInShard = 0;
  }

  private flushBlock(): void {
    if (this.fd === null || this.block.length === 0) return;
    const raw = Buffer.from(this.block.join(""), "utf8");
    this.block = [];
    this.blockBytes = 0;
    const out = this.o.compression === "zstd" ? zstdFrame(raw, this.o.zstdLevel ?? 3)
      : this.o.compression === "gzip" ? gzipSync(raw, { level: 6 }) : raw;
    writeAll(this.fd, out);
  }

  private closeShard(): void {
    if (this.fd === null) return;
    this.flushBlock();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
    renameSync(this.tmp, this.final);
    this.files.push(this.final);
    this.shard++;
  }
}
