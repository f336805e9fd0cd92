/**
 * A recipe is a run configuration plus the stages that make its data (`prepare`) and the checks that follow
 * training (`finish`). `pretrain run` carries out all of it; `pretrain train` and `pretrain plan` read the same
 * file and see only the run configuration, whose `data` section, when the recipe prepares its own data, points
 * at what `prepare` writes into the run folder:
 *
 *   <out_dir>/corpus/        raw documents per domain (prepare.corpus.demo), or the files named in prepare.corpus.files
 *   <out_dir>/clean/<d>/     a data-cleaning pipeline per domain (prepare.clean)
 *   <out_dir>/tokenizer/     the BPE tokenizer trained on the cleaned documents (prepare.tokenizer)
 *   <out_dir>/data/tokens/   token shards per domain with a train/valid split (prepare.tokenize)
 */
import { isAbsolute, join, resolve } from "node:path";
import { ConfigError, validate, type Schema } from "../util/schema.js";

export interface DemoCorpusSettings {
  /** cap on each domain's JSONL file in bytes (null: everything) */
  max_bytes_per_domain: number | null;
  /** domain → its own cap (null: everything) */
  max_bytes_by_domain: Record<string, number | null>;
  max_document_bytes: number;
  math_problems: number;
  seed: string;
  /** which domains (default all six) */
  domains: string[] | null;
}

export interface CorpusSettings {
  /** build the offline demo corpus (docs/demo-corpus.md) */
  demo: DemoCorpusSettings | null;
  /** or: domain → files or folders of documents (JSONL, Parquet, text), absolute after resolution */
  files: Record<string, string[]> | null;
}

export interface CleanSettings {
  /** the steps of every domain's pipeline (data clean step list, docs/data.md) */
  default: unknown[];
  /** domain → its own step list, instead of the default */
  domains: Record<string, unknown[]>;
  /** ranks each domain's input is split into (fixes the output layout) */
  tasks: number;
  /** also keep removed documents with the rule that removed them */
  keep_removed: boolean;
}

export interface TokenizerSettings {
  /** an existing tokenizer folder to use instead of training one (absolute after resolution) */
  path: string | null;
  vocab_size: number;
  /** read at most about this many bytes, sampled across domains (null: everything) */
  max_bytes: number | null;
  /** domain → weight in the tokenizer's training sample (null: by size) */
  weights: Record<string, number> | null;
  min_frequency: number;
}

export interface TokenizeSettings {
  valid_fraction: number;
  shard_tokens: number;
  seed: number;
}

export interface PrepareSettings {
  corpus: CorpusSettings;
  /** null: the documents go to the tokenizer as they are */
  clean: CleanSettings | null;
  tokenizer: TokenizerSettings;
  tokenize: TokenizeSettings;
}

export interface FinishSettings {
  /** held-out batches per domain for the before/after-annealing table */
  eval_batches: number;
  /** domain or label → prompt; a sample is generated from the final model for each */
  samples: Record<string, string>;
  sample_tokens: number;
  temperature: number;
  /** proxy tasks run on the checkpoints before and after annealing (docs/eval.md); [] for none */
  tasks: string[];
  task_limit: number;
  /** write <out_dir>/report.html */
  report: boolean;
}

export interface Recipe {
  /** the run configuration's document (what `pretrain train` reads), with data filled in when prepared */
  run: Record<string, unknown>;
  /** null: the recipe names its data itself */
  prepare: PrepareSettings | null;
  finish: FinishSettings;
}

const DEMO_SCHEMA: Schema = {
  max_bytes_per_domain: { kind: "number", integer: true, min: 1, nullable: true, default: 512 * 1024, doc: "cap per domain in bytes (null: all)" },
  max_bytes_by_domain: { kind: "any", default: {}, doc: "domain → its own cap in bytes (null: all)" },
  max_document_bytes: { kind: "number", integer: true, min: 256, default: 8 * 1024, doc: "longest document in bytes" },
  math_problems: { kind: "number", integer: true, min: 1, default: 4000, doc: "arithmetic problems generated before the cap" },
  seed: { kind: "string", default: "demo-corpus", doc: "seed of the generated problems and of the cap's choice" },
  domains: { kind: "any", default: null, doc: "which domains (default all six)" },
};

const CORPUS_SCHEMA: Schema = {
  demo: { kind: "any", default: null, doc: "build the offline demo corpus (docs/demo-corpus.md)" },
  files: { kind: "any", default: null, doc: "domain → files or folders of documents" },
};

const CLEAN_SCHEMA: Schema = {
  default: { kind: "any", doc: "steps of every domain's pipeline" },
  domains: { kind: "any", default: {}, doc: "domain → its own steps" },
  tasks: { kind: "number", integer: true, min: 1, default: 2, doc: "ranks per domain (fixes the output layout)" },
  keep_removed: { kind: "boolean", default: true, doc: "write removed documents with their rule" },
};

const TOKENIZER_SCHEMA: Schema = {
  path: { kind: "string", nullable: true, default: null as unknown as string, doc: "use this tokenizer folder instead of training one" },
  vocab_size: { kind: "number", integer: true, min: 300, default: 4096, doc: "vocabulary size" },
  max_bytes: { kind: "number", integer: true, min: 1, nullable: true, default: null, doc: "bytes sampled for training (null: all)" },
  weights: { kind: "any", default: null, doc: "domain → weight in the training sample" },
  min_frequency: { kind: "number", integer: true, min: 1, default: 2, doc: "least count of a merged pair" },
};

const TOKENIZE_SCHEMA: Schema = {
  valid_fraction: { kind: "number", min: 0, max: 0.5, default: 0.02, doc: "share of each domain's documents held out" },
  shard_tokens: { kind: "number", integer: true, min: 1, default: 10_000_000, doc: "most tokens per shard" },
  seed: { kind: "number", integer: true, default: 0, doc: "seed of the train/valid split" },
};

const PREPARE_SCHEMA: Schema = {
  corpus: { kind: "any", doc: "where the documents come from" },
  clean: { kind: "any", default: null, doc: "cleaning pipeline per domain (null: none)" },
  tokenizer: { kind: "any", default: {}, doc: "the tokenizer" },
  tokenize: { kind: "any", default: {}, doc: "token shards" },
};

const FINISH_SCHEMA: Schema = {
  eval_batches: { kind: "number", integer: true, min: 1, default: 8, doc: "held-out batches per domain" },
  samples: { kind: "any", default: {}, doc: "label → prompt" },
  sample_tokens: { kind: "number", integer: true, min: 1, default: 80, doc: "tokens per sample" },
  temperature: { kind: "number", min: 0, default: 0.7, doc: "sampling temperature" },
  tasks: { kind: "strings", default: [], doc: "proxy tasks before and after annealing" },
  task_limit: { kind: "number", integer: true, min: 1, default: 20, doc: "examples per task" },
  report: { kind: "boolean", default: true, doc: "write report.html" },
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function stringMap(v: unknown, path: string): Record<string, string> {
  if (!isRecord(v)) throw new ConfigError(`${path} must map names to strings`);
  for (const [k, x] of Object.entries(v)) if (typeof x !== "string") throw new ConfigError(`${path}.${k} must be a string`);
  return v as Record<string, string>;
}

function stepList(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v) || v.length === 0) throw new ConfigError(`${path} must be a non-empty list of steps (docs/data.md)`);
  return v;
}

const abs = (p: string, base: string) => (isAbsolute(p) ? p : resolve(base, p));

function resolveCorpus(input: unknown, base: string): CorpusSettings {
  const raw = validate<{ demo: unknown; files: unknown }>(input, CORPUS_SCHEMA, "prepare.corpus");
  if ((raw.demo === null) === (raw.files === null)) {
    throw new ConfigError("prepare.corpus needs exactly one of demo (the offline demo corpus) and files (domain → paths)");
  }
  if (raw.demo !== null) {
    const demo = validate<DemoCorpusSettings>(raw.demo === true ? {} : raw.demo, DEMO_SCHEMA, "prepare.corpus.demo");
    const caps = demo.max_bytes_by_domain as unknown;
    if (!isRecord(caps) || !Object.values(caps).every((c) => c === null || (Number.isSafeInteger(c) && (c as number) > 0))) {
      throw new ConfigError("prepare.corpus.demo.max_bytes_by_domain must map domains to a positive number of bytes or null");
    }
    if (demo.domains !== null && !(Array.isArray(demo.domains) && demo.domains.every((d) => typeof d === "string"))) {
      throw new ConfigError("prepare.corpus.demo.domains must be a list of domain names");
    }
    return { demo, files: null };
  }
  if (!isRecord(raw.files) || Object.keys(raw.files).length === 0) {
    throw new ConfigError("prepare.corpus.files must map each domain to a list of files or folders");
  }
  const files: Record<string, string[]> = {};
  for (const [d, v] of Object.entries(raw.files)) {
    const list = typeof v === "string" ? [v] : v;
    if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === "string")) {
      throw new ConfigError(`prepare.corpus.files.${d} must be a path or a list of paths`);
    }
    if (!/^[A-Za-z0-9_.-]+$/.test(d)) throw new ConfigError(`prepare.corpus.files: domain name "${d}" may hold only letters, digits, "_", "." and "-"`);
    files[d] = (list as string[]).map((p) => abs(p, base));
  }
  return { demo: null, files };
}

function resolveClean(input: unknown): CleanSettings | null {
  if (input === null || input === false) return null;
  const raw = validate<CleanSettings>(input, CLEAN_SCHEMA, "prepare.clean");
  const domains: Record<string, unknown[]> = {};
  if (!isRecord(raw.domains)) throw new ConfigError("prepare.clean.domains must map domain names to step lists");
  for (const [d, v] of Object.entries(raw.domains)) domains[d] = stepList(v, `prepare.clean.domains.${d}`);
  return { ...raw, default: stepList(raw.default, "prepare.clean.default"), domains };
}

function resolvePrepare(input: unknown, base: string): PrepareSettings {
  const raw = validate<Record<string, unknown>>(input, PREPARE_SCHEMA, "prepare");
  const tokenizer = validate<TokenizerSettings>(raw.tokenizer, TOKENIZER_SCHEMA, "prepare.tokenizer");
  if (tokenizer.path) tokenizer.path = abs(tokenizer.path, base);
  if (tokenizer.weights !== null) {
    if (!isRecord(tokenizer.weights)) throw new ConfigError("prepare.tokenizer.weights must map domains to numbers");
    for (const [d, w] of Object.entries(tokenizer.weights)) {
      if (typeof w !== "number" || !(w > 0)) throw new ConfigError(`prepare.tokenizer.weights.${d} must be a positive number`);
    }
  }
  return {
    corpus: resolveCorpus(raw.corpus, base),
    clean: resolveClean(raw.clean),
    tokenizer,
    tokenize: validate<TokenizeSettings>(raw.tokenize, TOKENIZE_SCHEMA, "prepare.tokenize"),
  };
}

export function resolveFinish(input: unknown): FinishSettings {
  const f = validate<FinishSettings>(input ?? {}, FINISH_SCHEMA, "finish");
  f.samples = stringMap(f.samples, "finish.samples");
  return f;
}

/** Where a prepared recipe keeps its data, under the run folder. */
export function preparedPaths(outDir: string): { corpus: string; clean: string; tokenizer: string; tokens: string } {
  return { corpus: join(outDir, "corpus"), clean: join(outDir, "clean"), tokenizer: join(outDir, "tokenizer"), tokens: join(outDir, "data", "tokens") };
}

/**
 * Splits a recipe document (already overridden) into its run configuration and its stages. `base` is the recipe
 * file's folder (relative data paths); `outBase` is where a relative out_dir is taken from (the working folder).
 */
export function splitRecipe(doc: Record<string, unknown>, base: string, outBase: string): Recipe {
  const { prepare: rawPrepare, finish: rawFinish, ...run } = doc;
  const finish = resolveFinish(rawFinish);
  if (rawPrepare === undefined || rawPrepare === null) return { run, prepare: null, finish };
  const prepare = resolvePrepare(rawPrepare, base);
  if (run.data !== undefined) {
    throw new ConfigError("a recipe with a prepare section makes its own data: remove the data section (it is filled in " +
      "with the shards and tokenizer that prepare writes under out_dir)");
  }
  const outDir = typeof run.out_dir === "string" ? abs(run.out_dir, outBase) : abs("runs/default", outBase);
  const paths = preparedPaths(outDir);
  run.data = { kind: "shards", dir: paths.tokens, tokenizer: prepare.tokenizer.path ?? paths.tokenizer };
  return { run, prepare, finish };
}
