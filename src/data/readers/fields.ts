/** Turning a parsed record (a JSONL object or a Parquet row) into a document: text, id, domain and metadata. */
import type { Document, DocumentMeta } from "../document.js";

export interface RecordOptions {
  /** field holding the text; a dotted path reaches into nested objects ("content.body") */
  textField: string;
  /** field holding the id (null: "<file>:<line>") */
  idField: string | null;
  /** domain of documents whose record does not name one */
  domain: string;
  /** field naming the domain (null: every document gets `domain`) */
  domainField: string | null;
  /** fields copied into meta (null: every field but the text and id) */
  metaFields: string[] | null;
}

export function getPath(obj: Record<string, unknown>, path: string): unknown {
  if (path in obj) return obj[path];
  let cur: unknown = obj;
  for (const key of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/**
 * The document a record describes, or a reason it cannot be one ("missing text field", "text is not a string").
 * A record with a `meta` object (what this toolkit's writers produce) keeps it, so output can be read back as is.
 */
export function recordToDocument(rec: unknown, fallbackId: string, source: string, o: RecordOptions): Document | string {
  if (rec === null || typeof rec !== "object" || Array.isArray(rec)) return "record is not an object";
  const obj = rec as Record<string, unknown>;
  const text = getPath(obj, o.textField);
  if (text === undefined || text === null) return `missing text field "${o.textField}"`;
  if (typeof text !== "string") return `text field "${o.textField}" is not a string (${Array.isArray(text) ? "array" : typeof text})`;
  const rawId = o.idField === null ? undefined : getPath(obj, o.idField);
  const id = typeof rawId === "string" || typeof rawId === "number" || typeof rawId === "bigint" ? String(rawId) : fallbackId;
  const base = obj.meta !== null && typeof obj.meta === "object" && !Array.isArray(obj.meta) ? (obj.meta as Record<string, unknown>) : {};
  const meta: Record<string, unknown> = { ...base };
  const topText = o.textField.split(".")[0];
  if (o.metaFields === null) {
    for (const [k, v] of Object.entries(obj)) {
      if (k === topText || k === "meta" || (o.idField !== null && k === o.idField)) continue;
      meta[k] = typeof v === "bigint" ? Number(v) : v;
    }
  } else {
    for (const k of o.metaFields) {
      const v = getPath(obj, k);
      if (v !== undefined) meta[k] = typeof v === "bigint" ? Number(v) : v;
    }
  }
  if (typeof meta.source !== "string") meta.source = source;
  const named = o.domainField === null ? undefined : getPath(obj, o.domainField);
  if (typeof meta.domain !== "string") meta.domain = typeof named === "string" && named ? named : o.domain;
  return { id, text, meta: meta as DocumentMeta };
}
