/**
 * The pipeline file (YAML or JSON): name, input, output, executor and steps. Validated with the project's
 * schema helper: unknown keys and bad values are ConfigErrors naming the key and what is allowed. Relative
 * paths are relative to the pipeline file.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { applyOverride, ConfigError, validate, type Schema } from "../../util/schema.js";
import type { InputConfig } from "../readers/index.js";
import { createSteps } from "../steps/index.js";
import type { Step } from "./step.js";

export interface OutputConfig {
  dir: string;
  format: "jsonl" | "parquet";
  compression: "none" | "gzip" | "zstd" | "snappy";
  max_docs_per_shard: number;
  partition_by: string | null;
  keep_removed: boolean;
  keep_work: boolean;
}

export interface ExecutorConfig {
  tasks: number | null;
  workers: number | null;
}

export interface PipelineConfig {
  name: string;
  input: InputConfig;
  output: OutputConfig;
  executor: ExecutorConfig;
  steps: unknown[];
}

export interface LoadedPipeline {
  config: PipelineConfig;
  /** the pipeline file's folder */
  baseDir: string;
  path: string;
  /** the output folder, absolute */
  outDir: string;
}

const nullableString = (doc: string) => ({ kind: "string", nullable: true, default: null as unknown as string, doc }) as const;

export const INPUT_SCHEMA: Schema = {
  paths: { kind: "strings", minItems: 1, doc: "input files or folders (walked recursively)" },
  format: { kind: "enum", values: ["auto", "jsonl", "parquet", "text"], default: "auto", doc: "file format (auto: by extension)" },
  text_field: { kind: "string", default: "text", doc: "field holding the text (dotted paths reach into objects)" },
  id_field: { ...nullableString("field holding the id (null: <file>:<line>)"), default: "id" as unknown as string },
  domain: { kind: "string", default: "web", doc: "domain of the documents (unless domain_field names one)" },
  domain_field: nullableString("field naming each document's domain"),
  meta_fields: { kind: "any", default: null, doc: "fields copied into meta (null: all but text and id)" },
  text_extensions: { kind: "strings", default: [".txt", ".md"], doc: "extensions read as one-document text files" },
  max_line_bytes: { kind: "number", integer: true, min: 1024, default: 64 << 20, doc: "longer JSONL lines are rejected" },
  max_file_bytes: { kind: "number", integer: true, min: 1, default: 64 << 20, doc: "larger text files are rejected" },
  parquet_batch_rows: { kind: "number", integer: true, min: 1, default: 10_000, doc: "Parquet rows decoded at a time" },
};

export const OUTPUT_SCHEMA: Schema = {
  dir: { kind: "string", doc: "output folder (documents, stats, rejected records, reports)" },
  format: { kind: "enum", values: ["jsonl", "parquet"], default: "jsonl", doc: "document format" },
  compression: { kind: "enum", values: ["none", "gzip", "zstd", "snappy"], default: "zstd", doc: "jsonl: none, gzip, zstd; parquet: none, snappy, zstd" },
  max_docs_per_shard: { kind: "number", integer: true, min: 1, default: 100_000, doc: "documents per output shard" },
  partition_by: nullableString("meta key whose value names a subfolder (e.g. a classifier bucket)"),
  keep_removed: { kind: "boolean", default: false, doc: "also write removed documents with the rule that removed them (removed/)" },
  keep_work: { kind: "boolean", default: false, doc: "keep intermediate files (work/) after a successful run" },
};

export const EXECUTOR_SCHEMA: Schema = {
  tasks: { kind: "number", integer: true, min: 1, nullable: true, default: null, doc: "ranks the input is split into (null: one per file, at most 64); fixes the output layout" },
  workers: { kind: "number", integer: true, min: 1, nullable: true, default: null, doc: "local executor: worker threads (null: all cores); does not change the output" },
};

export const PIPELINE_SCHEMA: Schema = {
  name: { kind: "string", default: "pipeline", doc: "a name for logs and stats" },
  input: { kind: "object", fields: INPUT_SCHEMA, doc: "what to read" },
  output: { kind: "object", fields: OUTPUT_SCHEMA, doc: "where to write" },
  executor: { kind: "object", fields: EXECUTOR_SCHEMA, doc: "how to split the work" },
  steps: { kind: "any", doc: "the steps, in order" },
};

export function resolvePipeline(raw: unknown, path: string): LoadedPipeline {
  const config = validate<PipelineConfig>(raw, PIPELINE_SCHEMA, "");
  const mf = config.input.meta_fields;
  if (mf !== null && !(Array.isArray(mf) && mf.every((x) => typeof x === "string"))) {
    throw new ConfigError(`bad value for "input.meta_fields": expected a list of field names or null`);
  }
  const { format, compression } = config.output;
  if (format === "jsonl" && compression === "snappy") throw new ConfigError(`output.compression "snappy" is for parquet; jsonl takes none, gzip or zstd`);
  if (format === "parquet" && compression === "gzip") throw new ConfigError(`output.compression "gzip" is for jsonl; parquet takes none, snappy or zstd`);
  const baseDir = dirname(resolve(path));
  // build the steps once here so that every step's options are checked before any work starts
  createSteps(config.steps, { baseDir });
  return { config, baseDir, path: resolve(path), outDir: resolve(baseDir, config.output.dir) };
}

/** Reads, overrides (key.path=value) and validates a pipeline file. */
export function loadPipeline(path: string, overrides: string[] = []): LoadedPipeline {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(`cannot read pipeline file ${path}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError(`${path} is not valid ${/\.json$/i.test(path) ? "JSON" : "YAML"}: ${(e as Error).message}`);
  }
  if (raw === null || typeof raw !== "object") throw new ConfigError(`${path}: a pipeline file must be a mapping`);
  for (const o of overrides) applyOverride(raw as Record<string, unknown>, o);
  return resolvePipeline(raw, path);
}

export function buildSteps(p: LoadedPipeline): Step[] {
  return createSteps(p.config.steps, { baseDir: p.baseDir });
}
