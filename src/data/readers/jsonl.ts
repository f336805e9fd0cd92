/** JSONL (plain, gzip or zstd): one document per line; bad lines become rejected records, never errors. */
import type { ReadItem } from "../document.js";
import { readLines } from "./lines.js";
import { recordToDocument, type RecordOptions } from "./fields.js";

export interface JsonlReadOptions extends RecordOptions {
  maxLineBytes: number;
}

export async function* readJsonl(path: string, rel: string, o: JsonlReadOptions): AsyncGenerator<ReadItem> {
  for await (const item of readLines(path, { maxLineBytes: o.maxLineBytes })) {
    const where = `${rel}:${item.lineNo}`;
    if (item.error !== undefined) {
      yield { rejected: { file: rel, line: item.lineNo, reason: item.error, sample: item.sample }, bytes: item.bytes };
      continue;
    }
    const text = item.text!;
    if (text.trim() === "") continue; // blank lines are not records
    let rec: unknown;
    try {
      rec = JSON.parse(text);
    } catch (e) {
      yield {
        rejected: { file: rel, line: item.lineNo, reason: "invalid json", detail: (e as Error).message, sample: text.slice(0, 300) },
        bytes: item.bytes,
      };
      continue;
    }
    const doc = recordToDocument(rec, where, where, o);
    if (typeof doc === "string") {
      yield { rejected: { file: rel, line: item.lineNo, reason: doc, sample: text.slice(0, 300) }, bytes: item.bytes };
    } else {
      yield { doc, bytes: item.bytes };
    }
  }
}
