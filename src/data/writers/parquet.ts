/**
 * Parquet shards of documents: columns id, text, source, domain and meta (the whole metadata as JSON), one row
 * group per `rowGroupDocs` documents (memory holds one row group). Written under a temporary name and renamed
 * into place on close.
 */
import { mkdirSync, renameSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { ParquetWriter, fileWriter } from "hyparquet-writer";
import type { Document } from "../document.js";
import { tempPathFor } from "../../util/atomic.js";
import { ensureZstd, zstdFrame } from "./zstd.js";

export type ParquetCompression = "none" | "snappy" | "zstd";

export interface ParquetShardOptions {
  dir: string;
  prefix: string;
  compression: ParquetCompression;
  maxDocs?: number;
  rowGroupDocs?: number;
}

export class ParquetShardWriter {
  private writer: ParquetWriter | null = null;
  private tmp = "";
  private final = "";
  private shard = 0;
  private docsInShard = 0;
  private rows: Document[] = [];
  readonly files: string[] = [];
  docs = 0;

  private constructor(private readonly o: ParquetShardOptions) {}

  static async open(o: ParquetShardOptions): Promise<ParquetShardWriter> {
    if (o.compression === "zstd") await ensureZstd();
    mkdirSync(o.dir, { recursive: true });
    return new ParquetShardWriter(o);
  }

  /** Opens synchronously; for zstd, `ensureZstd()` must have resolved before. */
  static create(o: ParquetShardOptions): ParquetShardWriter {
    mkdirSync(o.dir, { recursive: true });
    return new ParquetShardWriter(o);
  }

  write(doc: Document): void {
    if (this.writer === null) this.openShard();
    this.rows.push(doc);
    this.docsInShard++;
    this.docs++;
    if (this.rows.length >= (this.o.rowGroupDocs ?? 10_000)) this.flushRows();
    if (this.o.maxDocs && this.docsInShard >= this.o.maxDocs) this.closeShard();
  }

  close(): void {
    this.closeShard();
  }

  abort(): void {
    if (this.writer !== null) {
      this.writer = null;
      try {
        unlinkSync(this.tmp);
      } catch {
        // already gone
      }
    }
  }

  private openShard(): void {
    this.final = join(this.o.dir, `${this.o.prefix}-${String(this.shard).padStart(5, "0")}.parquet`);
    this.tmp = tempPathFor(this.final);
    const codec = this.o.compression === "zstd" ? "ZSTD" : this.o.compression === "snappy" ? "SNAPPY" : "UNCOMPRESSED";
    this.writer = new ParquetWriter({
      writer: fileWriter(this.tmp),
      schema: [
        { name: "root", num_children: 5 },
        { name: "id", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
        { name: "text", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
        { name: "source", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
        { name: "domain", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
        { name: "meta", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
      ],
      codec,
      compressors: this.o.compression === "zstd" ? { ZSTD: (b: Uint8Array) => zstdFrame(b, 3) } : undefined,
      statistics: false,
    });
    this.docsInShard = 0;
  }

  private flushRows(): void {
    if (this.writer === null || this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    void this.writer.write({
      columnData: [
        { name: "id", data: rows.map((d) => d.id) },
        { name: "text", data: rows.map((d) => d.text) },
        { name: "source", data: rows.map((d) => d.meta.source) },
        { name: "domain", data: rows.map((d) => d.meta.domain) },
        { name: "meta", data: rows.map((d) => JSON.stringify(d.meta)) },
      ],
      rowGroupSize: rows.length,
    });
  }

  private closeShard(): void {
    if (this.writer === null) return;
    this.flushRows();
    void this.writer.finish();
    this.writer = null;
    renameSync(this.tmp, this.final);
    this.files.push(this.final);
    this.shard++;
  }
}
