/**
 * Where a stage's documents go: the output (JSONL or Parquet shards, optionally one folder per value of a meta
 * key such as a classifier bucket) or an intermediate zstd JSONL shard for the next stage.
 */
import { join } from "node:path";
import type { Document } from "../document.js";
import { utf8Length } from "../document.js";
import { JsonlShardWriter } from "../writers/jsonl.js";
import { ParquetShardWriter } from "../writers/parquet.js";
import type { OutputConfig } from "./config.js";
import { ensureZstd } from "../writers/zstd.js";

type Writer = JsonlShardWriter | ParquetShardWriter;

/** A folder name for a partition value: anything outside [A-Za-z0-9_.-] becomes "_". */
export function partitionFolder(value: unknown): string {
  const s = value === undefined || value === null || value === "" ? "none" : String(value);
  return s.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 100) || "none";
}

export class DocumentSink {
  private writers = new Map<string, Writer>();
  private docs = 0;
  private bytes = 0;

  private constructor(private readonly make: (dir: string) => Writer, private readonly dir: string,
    private readonly partitionBy: string | null) {}

  static async open(o: OutputConfig, dir: string, prefix: string): Promise<DocumentSink> {
    if (o.compression === "zstd") await ensureZstd();
    const make = (d: string): Writer => o.format === "parquet"
      ? ParquetShardWriter.create({ dir: d, prefix, compression: o.compression as "none" | "snappy" | "zstd", maxDocs: o.max_docs_per_shard })
      : JsonlShardWriter.create({ dir: d, prefix, compression: o.compression as "none" | "gzip" | "zstd", maxDocs: o.max_docs_per_shard });
    return new DocumentSink(make, dir, o.partition_by);
  }

  static async intermediate(dir: string, prefix: string): Promise<DocumentSink> {
    await ensureZstd();
    const make = (d: string): Writer => JsonlShardWriter.create({ dir: d, prefix, compression: "zstd", zstdLevel: 1, maxDocs: 1_000_000 });
    return new DocumentSink(make, dir, null);
  }

  write(doc: Document): void {
    const key = this.partitionBy === null ? "" : partitionFolder(doc.meta[this.partitionBy]);
    let w = this.writers.get(key);
    if (w === undefined) {
      w = this.make(key === "" ? this.dir : join(this.dir, key));
      this.writers.set(key, w);
    }
    if (w instanceof ParquetShardWriter) w.write(doc);
    else w.write({ id: doc.id, text: doc.text, meta: doc.meta });
    this.docs++;
    this.bytes += utf8Length(doc.text);
  }

  close(): { docs: number; bytes: number; files: number } {
    let files = 0;
    for (const w of this.writers.values()) {
      w.close();
      files += w.files.length;
    }
    return { docs: this.docs, bytes: this.bytes, files };
  }
}

