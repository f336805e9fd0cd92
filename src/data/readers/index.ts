/**
 * Input files and how to read them. `listInputFiles` expands the configured paths (files, or folders walked
 * recursively in sorted order) into the deterministic list the executor's plan assigns to ranks; `readInputFile`
 * yields the documents and rejected records of one file.
 */
import { readdirSync, statSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import type { ReadItem } from "../document.js";
import { readJsonl } from "./jsonl.js";
import { readParquet } from "./parquet.js";
import { readTextFile } from "./text.js";
import { ConfigError } from "../../util/schema.js";

export type FileFormat = "jsonl" | "parquet" | "text";

export interface InputConfig {
  paths: string[];
  format: "auto" | FileFormat;
  text_field: string;
  id_field: string | null;
  domain: string;
  domain_field: string | null;
  meta_fields: string[] | null;
  /** extensions read as plain text files in folders (format auto or text) */
  text_extensions: string[];
  max_line_bytes: number;
  max_file_bytes: number;
  parquet_batch_rows: number;
}

export interface InputFile {
  /** absolute path */
  path: string;
  /** path relative to the base folder (stable across machines: used in ids and sources) */
  rel: string;
  format: FileFormat;
  bytes: number;
}

const JSONL_RE = /\.(jsonl|ndjson)(\.(gz|zst|zstd))?$/i;
const PARQUET_RE = /\.parquet$/i;

/** The format of a file by its name, or null when the input does not read it. */
export function formatOf(name: string, cfg: Pick<InputConfig, "format" | "text_extensions">): FileFormat | null {
  if (cfg.format !== "auto") {
    if (cfg.format === "text") return cfg.text_extensions.length === 0 || hasExt(name, cfg.text_extensions) ? "text" : null;
    return cfg.format;
  }
  if (PARQUET_RE.test(name)) return "parquet";
  if (JSONL_RE.test(name)) return "jsonl";
  if (hasExt(name, cfg.text_extensions)) return "text";
  return null;
}

function hasExt(name: string, exts: string[]): boolean {
  const lower = name.toLowerCase();
  return exts.some((e) => lower.endsWith(e.toLowerCase()));
}

/** Expands paths (relative to `base`) into sorted input files; a missing path is a ConfigError. */
export function listInputFiles(cfg: InputConfig, base: string): InputFile[] {
  const out: InputFile[] = [];
  const seen = new Set<string>();
  const add = (abs: string, explicit: boolean) => {
    const fmt = explicit && cfg.format === "auto" ? formatOf(abs, cfg) ?? "text" : formatOf(abs, cfg);
    if (fmt === null || seen.has(abs)) return;
    seen.add(abs);
    out.push({ path: abs, rel: relative(base, abs).split(sep).join("/"), format: fmt, bytes: statSync(abs).size });
  };
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith(".")) continue;
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) add(p, false);
    }
  };
  for (const p of cfg.paths) {
    const abs = resolve(base, p);
    let st;
    try {
      st = statSync(abs);
    } catch {
      throw new ConfigError(`input path "${p}" does not exist (resolved to ${abs})`);
    }
    if (st.isDirectory()) walk(abs);
    else add(abs, true);
  }
  out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return out;
}

export function readInputFile(file: InputFile, cfg: InputConfig): AsyncGenerator<ReadItem> {
  const rec = {
    textField: cfg.text_field, idField: cfg.id_field, domain: cfg.domain, domainField: cfg.domain_field,
    metaFields: cfg.meta_fields,
  };
  switch (file.format) {
    case "jsonl":
      return readJsonl(file.path, file.rel, { ...rec, maxLineBytes: cfg.max_line_bytes });
    case "parquet":
      return readParquet(file.path, file.rel, { ...rec, batchRows: cfg.parquet_batch_rows });
    case "text":
      return readTextFile(file.path, file.rel, { domain: cfg.domain, maxFileBytes: cfg.max_file_bytes });
  }
}
