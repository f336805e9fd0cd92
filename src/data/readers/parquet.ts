/**
 * Parquet: documents from rows, read a batch of rows at a time (memory is bounded by the batch and the column
 * chunks hyparquet loads for it). Byte-array columns are read undecoded so that invalid UTF-8 in the text column
 * is detected and rejected instead of silently replaced.
 */
import { isUtf8 } from "node:buffer";
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import type { ReadItem } from "../document.js";
import { getPath, recordToDocument, type RecordOptions } from "./fields.js";

export interface ParquetReadOptions extends RecordOptions {
  /** rows decoded at a time */
  batchRows: number;
}

function decodeValue(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("utf8");
  if (Array.isArray(v)) return v.map(decodeValue);
  if (v !== null && typeof v === "object" && !(v instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = decodeValue(x);
    return out;
  }
  return v;
}

export async function* readParquet(path: string, rel: string, o: ParquetReadOptions): AsyncGenerator<ReadItem> {
  let file;
  let metadata;
  try {
    file = await asyncBufferFromFile(path);
    metadata = await parquetMetadataAsync(file);
  } catch (e) {
    yield { rejected: { file: rel, line: null, reason: "unreadable parquet file", detail: (e as Error).message }, bytes: 0 };
    return;
  }
  const total = Number(metadata.num_rows);
  const approxRowBytes = total > 0 ? file.byteLength / total : 0;
  for (let start = 0; start < total; start += o.batchRows) {
    const end = Math.min(total, start + o.batchRows);
    let rows: Record<string, unknown>[];
    try {
      rows = await new Promise<Record<string, unknown>[]>((resolve, reject) => {
        parquetRead({
          file, metadata, compressors, rowStart: start, rowEnd: end, rowFormat: "object", utf8: false,
          onComplete: (r) => resolve(r as Record<string, unknown>[]),
        }).catch(reject);
      });
    } catch (e) {
      yield {
        rejected: { file: rel, line: start, reason: "unreadable parquet rows", detail: `rows ${start}–${end - 1}: ${(e as Error).message}` },
        bytes: approxRowBytes * (end - start),
      };
      continue;
    }
    for (let i = 0; i < rows.length; i++) {
      const row = start + i;
      const raw = rows[i];
      const where = `${rel}#${row}`;
      const t = getPath(raw, o.textField);
      const bytes = t instanceof Uint8Array ? t.byteLength : approxRowBytes;
      if (t instanceof Uint8Array && !isUtf8(t)) {
        yield { rejected: { file: rel, line: row, reason: "invalid utf-8", sample: decodeValue(t.subarray(0, 300)) as string }, bytes };
        continue;
      }
      const rec = decodeValue(raw) as Record<string, unknown>;
      // this toolkit's Parquet output stores meta as a JSON string: read it back as the object it was
      if (typeof rec.meta === "string" && rec.meta.startsWith("{")) {
        try {
          rec.meta = JSON.parse(rec.meta);
        } catch {
          // not ours: leave it as a string field
        }
      }
      const doc = recordToDocument(rec, where, where, o);
      if (typeof doc === "string") yield { rejected: { file: rel, line: row, reason: doc }, bytes };
      else yield { doc, bytes };
    }
  }
}
