/**
 * The data stages of a recipe, each in its own folder under the run folder and each skipped when an earlier run
 * finished it with the same settings (stage.ts):
 *   corpus    → <out>/corpus        the offline demo corpus, one JSONL per domain (or the recipe's own files)
 *   clean     → <out>/clean/<d>     one data-cleaning pipeline per domain (the `pretrain data clean` machinery)
 *   tokenizer → <out>/tokenizer     a byte-level BPE trained on the cleaned documents of every domain
 *   tokenize  → <out>/data/tokens   token shards per domain with a train/valid split
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { buildDemoCorpus, type DomainName } from "../demo/corpus.js";
import { DOMAIN_NAMES } from "../demo/types.js";
import { runLocal } from "../data/pipeline/executors.js";
import type { Summary } from "../data/pipeline/stats.js";
import { tokenizeCorpus } from "../data/tokenize/run.js";
import type { TokenizeStats } from "../data/tokenize/stats.js";
import { trainTokenizer } from "../tokenizer/bpe/train.js";
import { loadTokenizer, saveTokenizer } from "../tokenizer/bpe/io.js";
import { tokenizerSha256 } from "../data/tokenize/tokenizer-file.js";
import { writeFileAtomic } from "../util/atomic.js";
import { ConfigError } from "../util/schema.js";
import { preparedPaths, type PrepareSettings } from "./config.js";
import { runStage, stageHash, type StageRecord } from "./stage.js";

export interface StageReport {
  stage: string;
  reused: boolean;
  seconds: number;
  /** one line for the summary */
  line: string;
}

export interface CorpusSummary {
  domains: Record<string, { documents: number; bytes: number }>;
}

export interface CleanSummary {
  domains: Record<string, { docs_in: number; docs_out: number; bytes_in: number; bytes_out: number; removed: Record<string, number> }>;
}

export interface TokenizerSummary {
  vocab_size: number;
  merges: number;
  sha256: string;
}

export interface PreparedData {
  domains: string[];
  tokenizerDir: string;
  tokensDir: string;
  corpus: CorpusSummary | null;
  clean: CleanSummary | null;
  /** null when the run stopped before (PrepareOptions.until) */
  tokenizer: TokenizerSummary | null;
  tokens: TokenizeStats | null;
  stages: StageReport[];
}

export interface PrepareOptions {
  threads: number;
  log: (message: string) => void;
  /** stop after this stage */
  until?: "corpus" | "clean" | "tokenizer" | "tokenize";
}

const mib = (b: number) => `${(b / 1048576).toFixed(2)} MiB`;

function report(name: string, record: StageRecord, reused: boolean, line: string, log: (m: string) => void): StageReport {
  log(`${name}: ${reused ? "done by an earlier run, reused" : `done in ${record.seconds.toFixed(1)} s`}: ${line}`);
  return { stage: name, reused, seconds: record.seconds, line };
}

/** Runs (or reuses) every data stage of a recipe under `outDir`. */
export async function prepareData(p: PrepareSettings, outDir: string, o: PrepareOptions): Promise<PreparedData> {
  const paths = preparedPaths(outDir);
  const stages: StageReport[] = [];
  let inputs: Record<string, string[]>;
  let corpus: CorpusSummary | null = null;
  let hash = stageHash("", { corpus: p.corpus });

  // 1. corpus
  if (p.corpus.demo) {
    const d = p.corpus.demo;
    const domains = (d.domains ?? [...DOMAIN_NAMES]) as DomainName[];
    for (const x of domains) {
      if (!DOMAIN_NAMES.includes(x)) throw new ConfigError(`prepare.corpus.demo.domains: unknown domain "${x}" (known: ${DOMAIN_NAMES.join(", ")})`);
    }
    const out = await runStage("corpus", paths.corpus, hash, () => {
      o.log(`corpus: building the offline demo corpus (${domains.join(", ")}) → ${paths.corpus}`);
      const built = buildDemoCorpus(paths.corpus, {
        domains, maxBytesPerDomain: d.max_bytes_per_domain,
        maxBytesByDomain: d.max_bytes_by_domain as Partial<Record<DomainName, number | null>>, maxDocumentBytes: d.max_document_bytes, mathProblems: d.math_problems, seed: d.seed,
        onDomain: (r) => o.log(`corpus: ${r.name}: ${r.documents} documents, ${mib(r.bytes)}`),
      });
      return { domains: Object.fromEntries(built.domains.map((r) => [r.name, { documents: r.documents, bytes: r.bytes }])) } as CorpusSummary;
    });
    corpus = out.summary;
    inputs = Object.fromEntries(domains.map((x) => [x, [join(paths.corpus, `${x}.jsonl`)]]));
    const total = Object.values(corpus.domains).reduce((a, x) => a + x.bytes, 0);
    stages.push(report("corpus", out.record, out.reused, `${domains.length} domains, ${mib(total)} of documents in ${paths.corpus}`, o.log));
  } else {
    inputs = p.corpus.files!;
    for (const [d, list] of Object.entries(inputs)) {
      for (const f of list) if (!existsSync(f)) throw new ConfigError(`prepare.corpus.files.${d}: ${f} does not exist`);
    }
  }
  const domains = Object.keys(inputs);
  const partial = (): PreparedData => ({
    domains, tokenizerDir: paths.tokenizer, tokensDir: paths.tokens, corpus, clean, tokenizer: null, tokens: null, stages,
  });
  if (o.until === "corpus") return partial();

  // 2. clean, one pipeline per domain
  let clean: CleanSummary | null = null;
  let docs = inputs;
  if (p.clean) {
    const c = p.clean;
    for (const d of Object.keys(c.domains)) {
      if (!domains.includes(d)) throw new ConfigError(`prepare.clean.domains.${d}: no such domain in the corpus (domains: ${domains.join(", ")})`);
    }
    hash = stageHash(hash, { clean: c });
    const out = await runStage("clean", paths.clean, hash, async () => {
      const summary: CleanSummary = { domains: {} };
      for (const d of domains) {
        const dir = join(paths.clean, d);
        const pipelineFile = join(paths.clean, `${d}.json`);
        // A pipeline file per domain, the form `pretrain data clean` reads: the run folder shows what was done.
        writeFileAtomic(pipelineFile, JSON.stringify({
          name: d,
          input: { paths: inputs[d], format: "auto", domain: d },
          // uncompressed JSONL: the tokenizer trainer reads it as it is
          output: { dir, format: "jsonl", compression: "none", keep_removed: c.keep_removed },
          executor: { tasks: c.tasks },
          steps: c.domains[d] ?? c.default,
        }, null, 1) + "\n");
        o.log(`clean: ${d} (${pipelineFile})`);
        const r = await runLocal(pipelineFile, { workers: o.threads, log: o.log });
        summary.domains[d] = cleanCounts(r.summary);
        const s = summary.domains[d];
        o.log(`clean: ${d}: ${s.docs_in} → ${s.docs_out} documents, ${mib(s.bytes_in)} → ${mib(s.bytes_out)}`);
      }
      return summary;
    });
    clean = out.summary;
    docs = Object.fromEntries(domains.map((d) => [d, [join(paths.clean, d, "output")]]));
    const kept = Object.values(clean.domains).reduce((a, x) => a + x.docs_out, 0);
    const read = Object.values(clean.domains).reduce((a, x) => a + x.docs_in, 0);
    stages.push(report("clean", out.record, out.reused, `${read} → ${kept} documents kept (${paths.clean}/<domain>/summary.txt)`, o.log));
  }
  if (o.until === "clean") return partial();

  // 3. tokenizer
  let tokenizerDir = paths.tokenizer;
  let tokenizer: TokenizerSummary;
  if (p.tokenizer.path) {
    tokenizerDir = p.tokenizer.path;
    const t = loadTokenizer(tokenizerDir);
    tokenizer = { vocab_size: t.vocabSize, merges: 0, sha256: tokenizerSha256(tokenizerDir) };
    hash = stageHash(hash, { tokenizer: tokenizer.sha256 });
    stages.push({ stage: "tokenizer", reused: true, seconds: 0, line: `given: ${tokenizerDir} (${t.vocabSize} tokens)` });
  } else {
    const t = p.tokenizer;
    if (t.weights) {
      for (const d of domains) if (!(d in t.weights)) throw new ConfigError(`prepare.tokenizer.weights has no weight for domain "${d}"`);
    }
    hash = stageHash(hash, { tokenizer: t });
    const out = await runStage("tokenizer", tokenizerDir, hash, async () => {
      o.log(`tokenizer: training a ${t.vocab_size}-token byte-level BPE on ${domains.length} domains`);
      const { tokenizer: bpe, report: r } = await trainTokenizer({
        inputs: domains.flatMap((d) => docs[d].map((x) => `${d}=${x}`)), vocabSize: t.vocab_size, maxBytes: t.max_bytes,
        weights: t.weights, minFrequency: t.min_frequency, threads: o.threads,
      });
      saveTokenizer(tokenizerDir, bpe, r);
      return { vocab_size: bpe.vocabSize, merges: r.merges, sha256: tokenizerSha256(tokenizerDir) } as TokenizerSummary;
    });
    tokenizer = out.summary;
    stages.push(report("tokenizer", out.record, out.reused, `${tokenizer.vocab_size} tokens (${tokenizer.merges} merges) in ${tokenizerDir}`, o.log));
  }

  if (o.until === "tokenizer") return { ...partial(), tokenizerDir, tokenizer };

  // 4. tokenize
  const tk = p.tokenize;
  hash = stageHash(hash, { tokenize: tk });
  const out = await runStage("tokenize", paths.tokens, hash, () => (o.log(`tokenize: ${domains.length} domains → ${paths.tokens}`), tokenizeCorpus({
    tokenizer: tokenizerDir, inputs: domains.map((d) => ({ domain: d, paths: docs[d] })), out: paths.tokens,
    validFraction: tk.valid_fraction, shardTokens: tk.shard_tokens, threads: o.threads, seed: tk.seed, force: true,
    log: o.log,
  })));
  const tokens = out.summary;
  stages.push(report("tokenize", out.record, out.reused,
    `${tokens.tokens.toLocaleString("en-US")} tokens (${tokens.bytes_per_token.toFixed(2)} bytes/token), ${tokens.documents} documents`, o.log));
  return { domains, tokenizerDir, tokensDir: paths.tokens, corpus, clean, tokenizer, tokens, stages };
}

function cleanCounts(s: Summary): CleanSummary["domains"][string] {
  const removed: Record<string, number> = {};
  for (const st of Object.values(s.steps)) for (const [rule, n] of Object.entries(st.removed)) removed[rule] = (removed[rule] ?? 0) + n;
  return { docs_in: s.read.docs, docs_out: s.write.docs, bytes_in: s.read.bytes, bytes_out: s.write.bytes, removed };
}
