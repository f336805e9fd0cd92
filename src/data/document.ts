/**
 * The unit of the cleaning pipeline: a document with an id, its text, and metadata. `meta.source` names where it
 * came from (a file, and a line or row in it) and `meta.domain` the kind of text (web, code, math, ...), which
 * per-domain steps use to decide whether they apply. Steps may add metadata (scores, buckets, language).
 */

export interface DocumentMeta {
  /** where the document came from: "<file>:<line>" for JSONL, "<file>#<row>" for Parquet, the path for text files */
  source: string;
  /** the kind of text; steps can be restricted to some domains */
  domain: string;
  [key: string]: unknown;
}

export interface Document {
  id: string;
  text: string;
  meta: DocumentMeta;
}

/** A record that could not become a document: which file, which line (or row), and why. */
export interface RejectedRecord {
  file: string;
  /** 1-based line (JSONL) or 0-based row (Parquet); null for whole files */
  line: number | null;
  reason: string;
  detail?: string;
  /** the start of the raw record, for inspection (at most a few hundred characters) */
  sample?: string;
}

/** What a reader yields: a document, or a rejected record that the runner counts and writes to rejected/. */
export type ReadItem = { doc: Document; bytes: number } | { rejected: RejectedRecord; bytes: number };

const encoder = new TextEncoder();

/** The UTF-8 size of a string without allocating for pure-ASCII-ish text more than needed. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** The first `max` characters of `s`, with an ellipsis when cut (for samples in reports). */
export function snippet(s: string, max = 200): string {
  return s.length <= max ? s : s.slice(0, max) + "…";
}
