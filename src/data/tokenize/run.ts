/**
 * `pretrain data tokenize`: cleaned documents → token shards, one shard set per domain (shard.ts, shard-set.ts).
 *
 * The main thread reads the inputs (the data pipeline's readers), decides each document's split (split.ts) and
 * writes the shards; worker threads encode batches of texts (encode-queue.ts over the tokenizer's EncodePool,
 * which returns a batch in input order). Documents reach the shards in input order whatever the thread count, so
 * the output is byte-identical for any --threads.
 *
 * Order of writes: shards (each atomic), rejected.jsonl, tokenize-stats.json, and index.json last, so a folder
 * with an index is a finished corpus.
 */
import { join } from "node:path";
import { EncodePool } from "../../tokenizer/bpe/workers.js";
import { writeFileAtomic } from "../../util/atomic.js";
import { Progress, type ProgressStream } from "../../util/progress.js";
import { ConfigError } from "../../util/schema.js";
import { dtypeFor, type ShardMeta } from "../tokens/shard.js";
import { domainIndex, INDEX_FORMAT, makeDomainDir, SplitWriter, writeIndex, type DomainIndex, type Split } from "../tokens/shard-set.js";
import type { InputConfig, InputFile } from "../readers/index.js";
import type { RejectedRecord } from "../document.js";
import { listFiles, readerConfig, readFileSafely, type DomainInput } from "./inputs.js";
import { prepareOutDir } from "./out-dir.js";
import { RejectedLog } from "./rejected.js";
import { isHeldOut } from "./split.js";
import { EncodeQueue } from "./encode-queue.js";
import { bytesPerToken, emptySplit, sumSplits, type DomainStats, type SplitStats, type TokenizeStats } from "./stats.js";
import { loadForTokenizing } from "./tokenizer-file.js";

/** YuLan-Mini's shard size (≈0.01B tokens, spec §7.3): about 20 MB of uint16 tokens held per open shard. */
export const DEFAULT_SHARD_TOKENS = 10_000_000;
export const DEFAULT_VALID_FRACTION = 0.01;
export const STATS_FILE = "tokenize-stats.json";
export const REJECTED_FILE = "rejected.jsonl";

export interface TokenizeOptions {
  /** tokenizer folder (with tokenizer.json) or the tokenizer.json file */
  tokenizer: string;
  inputs: DomainInput[];
  out: string;
  validFraction?: number;
  shardTokens?: number;
  textField?: string;
  /** encoding worker threads (≥ 1); does not change the output */
  threads: number;
  seed?: number;
  /** replace a previous tokenize output in `out` */
  force?: boolean;
  /** where progress lines go (default stderr); null: nowhere */
  progress?: ProgressStream | null;
  /** warnings (default: stderr) */
  log?: (message: string) => void;
}

/** Characters per encode request: small enough to spread a batch over the threads, large enough to be cheap. */
const PIECE_CHARS = 1 << 18;

interface DomainPlan {
  input: DomainInput;
  cfg: InputConfig;
  files: InputFile[];
  /** folders and files that could not be listed */
  unlisted: RejectedRecord[];
}

function checkOptions(o: Required<Pick<TokenizeOptions, "validFraction" | "shardTokens" | "threads" | "seed">>): void {
  if (!(o.validFraction >= 0 && o.validFraction <= 1)) throw new RangeError(`--valid-fraction must be in [0, 1], got ${o.validFraction}`);
  if (!(Number.isSafeInteger(o.shardTokens) && o.shardTokens >= 1)) throw new RangeError(`--shard-tokens must be a positive integer, got ${o.shardTokens}`);
  if (!(Number.isSafeInteger(o.threads) && o.threads >= 1)) throw new RangeError(`--threads must be a positive integer, got ${o.threads}`);
  if (!Number.isSafeInteger(o.seed)) throw new RangeError(`--seed must be an integer, got ${o.seed}`);
}

/** The files of one domain, listed before anything is written; a path with nothing to read is an error. */
function planDomain(input: DomainInput, textField: string): DomainPlan {
  const cfg = readerConfig(textField, input.domain);
  const files: InputFile[] = [];
  const unlisted: RejectedRecord[] = [];
  const seen = new Set<string>();
  for (const p of input.paths) {
    const l = listFiles(p, cfg);
    if (l.files.length === 0 && l.rejected.length === 0) {
      throw new ConfigError(`--in ${input.domain}=${p}: no file there is read (JSONL: .jsonl/.ndjson, also .gz/.zst; ` +
        "Parquet: .parquet; text: .txt/.md — or name one file of another kind directly)");
    }
    // a file reached through two paths of one domain (a folder and a file in it) is read once
    for (const f of l.files) {
      if (seen.has(f.path)) continue;
      seen.add(f.path);
      files.push(f);
    }
    unlisted.push(...l.rejected);
  }
  return { input, cfg, files, unlisted };
}

export async function tokenizeCorpus(options: TokenizeOptions): Promise<TokenizeStats> {
  const validFraction = options.validFraction ?? DEFAULT_VALID_FRACTION;
  const shardTokens = options.shardTokens ?? DEFAULT_SHARD_TOKENS;
  const textField = options.textField ?? "text";
  const seed = options.seed ?? 0;
  const threads = options.threads;
  const log = options.log ?? ((m: string) => process.stderr.write(m + "\n"));
  checkOptions({ validFraction, shardTokens, threads, seed });
  if (options.inputs.length === 0) throw new ConfigError("no input: give at least one --in <domain>=<path>");
  const t0 = performance.now();

  // Everything that can be wrong with the command line is found before the output folder is touched.
  const tok = loadForTokenizing(options.tokenizer);
  const plans = options.inputs.map((input) => planDomain(input, textField));
  prepareOutDir(options.out, options.force ?? false);

  const { tokenizer, eosId } = tok;
  const vocabSize = tokenizer.vocabSize;
  const totalInput = plans.reduce((s, p) => s + p.files.reduce((a, f) => a + f.bytes, 0), 0);
  const progress = options.progress === null ? null
    : new Progress({ label: "tokenize", total: totalInput, unit: "bytes", ...(options.progress ? { stream: options.progress } : {}) });
  const rejected = new RejectedLog(join(options.out, REJECTED_FILE));
  const hf = tokenizer.toHuggingFace();
  let pool: EncodePool | null = null;
  const index: Record<string, DomainIndex> = {};
  const domainStats: Record<string, DomainStats> = {};
  const run: RunState = { inputDone: 0, documents: 0, tokens: 0 };
  try {
    pool = await EncodePool.create(hf.tokenizer, hf.config, threads);
    for (const plan of plans) {
      const ctx: DomainContext = {
        plan, pool, out: options.out, rejected, progress, run, eosId, seed, validFraction, shardTokens,
        batchChars: PIECE_CHARS * Math.max(4, 2 * threads),
        meta: { vocab_size: vocabSize, tokenizer_sha256: tok.sha256, domain: plan.input.domain, source: plan.input.paths.join(" ") },
      };
      const { domain } = plan.input;
      const r = await tokenizeDomain(ctx);
      index[domain] = r.index;
      domainStats[domain] = r.stats;
      const { train, valid } = r.stats;
      if (train.documents + valid.documents === 0) log(`warning: domain ${domain} has no documents (see ${REJECTED_FILE})`);
      else if (validFraction > 0 && valid.documents === 0) {
        log(`warning: domain ${domain}: none of its ${train.documents} documents was held out (--valid-fraction ${validFraction})`);
      }
    }
    await pool.close();
    pool = null;
    rejected.close();
  } catch (e) {
    rejected.abort();
    await pool?.close();
    throw e;
  }
  const { documents, tokens } = run;

  const seconds = (performance.now() - t0) / 1000;
  const total = sumSplits(Object.values(domainStats).flatMap((d) => [d.train, d.valid]));
  const stats: TokenizeStats = {
    out: options.out, tokenizer: tok.file, tokenizer_sha256: tok.sha256, vocab_size: vocabSize, eos_id: eosId,
    dtype: dtypeFor(vocabSize), valid_fraction: validFraction, seed, shard_tokens: shardTokens, text_field: textField, threads,
    files: plans.reduce((s, p) => s + p.files.length, 0), documents, tokens, bytes: total.bytes,
    bytes_per_token: total.bytes_per_token, rejected: rejected.count, rejected_by_reason: rejected.byReason,
    seconds, bytes_per_second: seconds > 0 ? total.bytes / seconds : 0, tokens_per_second: seconds > 0 ? tokens / seconds : 0,
    domains: domainStats,
  };
  progress?.finish(`${documents} documents, ${tokens} tokens, ${rejected.count} rejected`);
  writeFileAtomic(join(options.out, STATS_FILE), JSON.stringify(stats, null, 2) + "\n");
  writeIndex(options.out, {
    format: INDEX_FORMAT, version: 1, vocab_size: vocabSize, eos_id: eosId, tokenizer_sha256: tok.sha256, domains: index,
  });
  return stats;
}

/** Running totals over all domains (for progress and the statistics). */
interface RunState {
  /** input bytes of the files read completely */
  inputDone: number;
  documents: number;
  tokens: number;
}

interface DomainContext {
  plan: DomainPlan;
  pool: EncodePool;
  out: string;
  rejected: RejectedLog;
  progress: Progress | null;
  run: RunState;
  meta: ShardMeta;
  eosId: number;
  seed: number;
  validFraction: number;
  shardTokens: number;
  batchChars: number;
}

/** What the main thread decides about a document when it reads it. */
interface DocInfo {
  held: boolean;
  bytes: number;
}

/** Reads, encodes and writes one domain's documents; returns its index entry and statistics. */
async function tokenizeDomain(c: DomainContext): Promise<{ index: DomainIndex; stats: DomainStats }> {
  const { plan, rejected, run } = c;
  const { domain } = plan.input;
  const dir = makeDomainDir(c.out, domain);
  const writers: Record<Split, SplitWriter> = {
    train: new SplitWriter(dir, "train", c.meta, c.shardTokens),
    valid: new SplitWriter(dir, "valid", c.meta, c.shardTokens),
  };
  const acc: Record<Split, SplitStats> = { train: emptySplit(), valid: emptySplit() };
  const rejectedBefore = rejected.count;
  for (const r of plan.unlisted) rejected.write(domain, r);

  const queue = new EncodeQueue<DocInfo>(c.pool, c.batchChars, PIECE_CHARS, (docs, position) => {
    for (const { ids, info } of docs) {
      const doc = new Int32Array(ids.length + 1);
      doc.set(ids);
      doc[ids.length] = c.eosId;
      const split: Split = info.held ? "valid" : "train";
      writers[split].addWithinLimit(doc);
      const s = acc[split];
      s.documents++;
      s.tokens += doc.length;
      s.bytes += info.bytes;
      run.documents++;
      run.tokens += doc.length;
    }
    c.progress?.update(position, { docs: run.documents, tokens: run.tokens, rejected: rejected.count });
  });

  for (const f of plan.files) {
    let fileBytes = 0;
    const position = () => run.inputDone + Math.min(f.bytes, fileBytes);
    for await (const item of readFileSafely(f, plan.cfg)) {
      fileBytes += item.bytes;
      if ("rejected" in item) {
        rejected.write(domain, item.rejected);
        continue;
      }
      const { text, id } = item.doc;
      if (text.trim() === "") {
        // with no id field configured, the readers' id is "<file>:<line>" (JSONL) or "<file>#<row>" (Parquet)
        const line = /[:#](\d+)$/.exec(id)?.[1];
        rejected.write(domain, { file: f.rel, line: line === undefined ? null : Number(line), reason: "empty text" });
        continue;
      }
      await queue.add(text, { held: isHeldOut(text, c.seed, c.validFraction), bytes: Buffer.byteLength(text, "utf8") }, position);
    }
    run.inputDone += f.bytes;
  }
  await queue.flush(run.inputDone);

  const train = writers.train.close();
  const valid = writers.valid.close();
  acc.train.shards = train.length;
  acc.valid.shards = valid.length;
  for (const s of [acc.train, acc.valid]) s.bytes_per_token = bytesPerToken(s);
  return {
    index: domainIndex(train, valid),
    stats: { inputs: plan.input.paths, files: plan.files.length, train: acc.train, valid: acc.valid, rejected: rejected.count - rejectedBefore },
  };
}
