/**
 * Encoding files of any size with bounded memory: text files are read in chunks cut where the pre-tokenizer
 * cuts anyway (corpus.ts), so the ids are exactly those of encoding the whole file at once; JSONL files are
 * encoded document by document.
 */
import { decodeCounted, documentsOf, expandInputs, fileChunks, type CorpusFile, type DocumentStats } from "./corpus.js";
import { IdBuffer } from "./model.js";
import type { BpeTokenizer } from "./tokenizer.js";

export interface EncodeFileOptions {
  allowSpecial?: boolean;
  /** JSONL field holding the text (default "text") */
  textField?: string;
  chunkBytes?: number;
}

export interface EncodedPiece {
  /** ids of this piece (a chunk of a text file, or one JSONL document) */
  ids: Int32Array;
  /** the piece's text */
  text: string;
  /** true when this piece ends a document (end of a text file, or a JSONL line) */
  endOfDocument: boolean;
}

/**
 * The ids of a file, piece by piece (see EncodedPiece). `stats` collects documents, bad JSONL lines, lone
 * surrogates and invalid UTF-8 replacements.
 */
export function* encodeFile(tokenizer: BpeTokenizer, file: CorpusFile, options: EncodeFileOptions = {},
  stats: DocumentStats & { replaced: number } = { docs: 0, badLines: 0, loneSurrogates: 0, replaced: 0 }): Generator<EncodedPiece> {
  const textField = options.textField ?? "text";
  const out = new IdBuffer(1 << 16);
  for (const chunk of fileChunks(file, options.chunkBytes)) {
    const { text, replaced } = decodeCounted(chunk.bytes, chunk.offset === 0);
    stats.replaced += replaced;
    if (file.format === "text") {
      out.n = 0;
      tokenizer.encodeInto(text, out, { allowSpecial: options.allowSpecial });
      const last = chunk.offset + chunk.bytes.length >= file.size;
      if (chunk.offset === 0) stats.docs++;
      yield { ids: out.take(), text, endOfDocument: last };
      continue;
    }
    const docs: string[] = [];
    documentsOf(text, "jsonl", textField, stats, (d) => docs.push(d));
    for (const d of docs) {
      out.n = 0;
      tokenizer.encodeInto(d, out, { allowSpecial: options.allowSpecial });
      yield { ids: out.take(), text: d, endOfDocument: true };
    }
  }
}

export interface EncodedCorpus {
  ids: Int32Array;
  /** UTF-8 bytes of the text encoded (after invalid sequences were replaced) */
  bytes: number;
  documents: number;
  files: number;
  invalidUtf8Replaced: number;
  badLines: number;
  loneSurrogates: number;
}

/**
 * Encodes files and folders (text and JSONL, see corpus.ts) into one stream of ids with `separator` (e.g. the
 * end-of-text id) after every document.
 */
export function encodeCorpus(tokenizer: BpeTokenizer, inputs: string[], separator: number | null,
  options: EncodeFileOptions = {}, onProgress?: (bytesRead: number, total: number) => void): EncodedCorpus {
  const files = expandInputs(inputs);
  const total = files.reduce((s, f) => s + f.size, 0);
  const stats = { docs: 0, badLines: 0, loneSurrogates: 0, replaced: 0 };
  const out = new IdBuffer(1 << 20);
  let bytes = 0;
  let read = 0;
  for (const f of files) {
    for (const piece of encodeFile(tokenizer, f, options, stats)) {
      out.pushAll(piece.ids);
      bytes += Buffer.byteLength(piece.text, "utf8");
      if (piece.endOfDocument && separator !== null) out.push(separator);
    }
    read += f.size;
    onProgress?.(read, total);
  }
  return {
    ids: out.take(), bytes, documents: stats.docs, files: files.length, invalidUtf8Replaced: stats.replaced,
    badLines: stats.badLines, loneSurrogates: stats.loneSurrogates,
  };
}
