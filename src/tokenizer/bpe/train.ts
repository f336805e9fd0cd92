/**
 * Training a byte-level BPE tokenizer from files: list the corpus, count words on worker threads (optionally
 * sampling and re-weighting domains), learn the merges, and build the tokenizer with our special tokens.
 *
 * Domain weights: with weights w_d, the words of domain d count w_d / (its share of the bytes read) times, so
 * each domain contributes its weight's share of the statistics whatever its size — a small code or math
 * domain then gets the merges it needs. The factors are scaled so the smallest is 1 (an occurrence never counts
 * less than once, so min_frequency keeps its meaning). With `maxBytes`, each domain is also sampled down to
 * its share of that budget (documents, or ~64K-character pieces of plain text, kept by a seeded hash), so huge
 * corpora train in bounded time. Results do not depend on the number of threads.
 */
import { CountState, type CountChunk, type DomainCounts } from "./count.js";
import { expandInputs, fileChunks, type CorpusFile, CorpusError } from "./corpus.js";
import { buildTokenizerConfig, buildTokenizerJson, tokenizerFromHuggingFace } from "./hf-json.js";
import { learnMerges } from "./merges.js";
import { QWEN2_PATTERN, Qwen2Splitter } from "./pretokenize.js";
import { checkSpecials, DEFAULT_SPECIALS, specialTokenList, type SpecialTokenSettings } from "./specials.js";
import type { BpeTokenizer } from "./tokenizer.js";
import { defaultThreads, TokenizerWorker } from "./workers.js";

export interface TrainTokenizerOptions {
  /** files or folders, each optionally "domain=path" */
  inputs: string[];
  /** total vocabulary size: specials + 256 bytes + merges */
  vocabSize: number;
  specials?: Partial<SpecialTokenSettings>;
  /** a pair is merged only if it occurs at least this often (weighted); default 2 */
  minFrequency?: number;
  /** weight per domain (every domain must have one); null = by size, as read */
  weights?: Record<string, number> | null;
  /** read at most about this many bytes, sampled across domains by weight (null = everything) */
  maxBytes?: number | null;
  seed?: number;
  /** worker threads for counting (0 = count on this thread); default all cores */
  threads?: number;
  /** JSONL field holding the text (default "text") */
  textField?: string;
  onProgress?: (phase: "count" | "merge", done: number, total: number) => void;
}

export interface DomainReport {
  domain: string;
  files: number;
  bytes_read: number;
  bytes_used: number;
  sample_rate: number;
  weight: number | null;
  scale: number;
  documents: number;
  words: number;
  distinct_words: number;
}

export interface TrainReport {
  vocab_size: number;
  requested_vocab_size: number;
  specials: number;
  merges: number;
  stop: "size" | "no-pairs" | "min-frequency";
  last_merge_count: number;
  min_frequency: number;
  distinct_words: number;
  files: number;
  domains: DomainReport[];
  invalid_utf8_replaced: number;
  lone_surrogates_replaced: number;
  bad_jsonl_lines: number;
  threads: number;
  seconds: { count: number; merges: number; total: number };
  peak_rss_mb: number;
}

export class TrainingInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrainingInputError";
  }
}

const PRE_TOKENIZER_JSON = { type: "Split", pattern: { Regex: QWEN2_PATTERN }, behavior: "Isolated", invert: false };

/** Reads every chunk of every file and counts words, on `threads` workers (0: here). */
async function countAll(files: CorpusFile[], rates: Map<string, number>, opts: Required<Pick<TrainTokenizerOptions, "textField" | "seed" | "threads">>,
  onProgress?: (done: number, total: number) => void): Promise<DomainCounts[][]> {
  const total = files.reduce((s, f) => s + (rates.get(f.domain)! > 0 ? f.size : 0), 0);
  let done = 0;
  const chunks = function* (): Generator<CountChunk> {
    for (let i = 0; i < files.length; i++) {
      const f = files[i];
      const rate = rates.get(f.domain)!;
      if (rate <= 0) continue;
      for (const c of fileChunks(f)) {
        yield { fileIndex: i, domain: f.domain, format: f.format, offset: c.offset, bytes: c.bytes, rate };
      }
    }
  };
  if (opts.threads === 0) {
    const state = new CountState(new Qwen2Splitter(1), opts.textField, opts.seed);
    for (const c of chunks()) {
      state.add(c);
      done += c.bytes.length;
      onProgress?.(done, total);
    }
    return [state.finish()];
  }
  const workers = Array.from({ length: opts.threads }, () => new TokenizerWorker());
  try {
    await Promise.all(workers.map((w) => w.request({ kind: "count-init", preTokenizer: PRE_TOKENIZER_JSON, textField: opts.textField, seed: opts.seed })));
    const it = chunks();
    // Each worker pulls the next chunk when done; two in flight each keeps them busy while this thread reads.
    await Promise.all(workers.flatMap((w) => [0, 1].map(async () => {
      for (let r = it.next(); !r.done; r = it.next()) {
        const c = r.value;
        const n = c.bytes.length; // the buffer is transferred (detached) by the request
        await w.request({ kind: "count", chunk: c }, [c.bytes.buffer as ArrayBuffer]);
        done += n;
        onProgress?.(done, total);
      }
    })));
    return await Promise.all(workers.map(async (w) => (await w.request<{ kind: "counts"; seq: number; domains: DomainCounts[] }>({ kind: "count-finish" })).domains));
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
}

export async function trainTokenizer(options: TrainTokenizerOptions): Promise<{ tokenizer: BpeTokenizer; report: TrainReport }> {
  const t0 = performance.now();
  const settings: SpecialTokenSettings = { ...DEFAULT_SPECIALS, ...options.specials };
  const specials = specialTokenList(settings);
  try {
    checkSpecials(specials, new Qwen2Splitter(1));
  } catch (e) {
    throw new TrainingInputError((e as Error).message);
  }
  const S = specials.length;
  const vocabSize = options.vocabSize;
  if (!Number.isInteger(vocabSize) || vocabSize < S + 256) {
    throw new TrainingInputError(`vocabulary size ${vocabSize} is too small: it must hold the 256 byte tokens and the ${S} special ` +
      `tokens, so at least ${S + 256} (and a few thousand more to compress at all)`);
  }
  if (vocabSize > 1 << 24) throw new TrainingInputError(`vocabulary size ${vocabSize} is above the supported ${1 << 24}`);
  const minFrequency = options.minFrequency ?? 2;
  if (!(minFrequency >= 1)) throw new TrainingInputError(`min frequency must be at least 1, got ${minFrequency}`);
  const threads = options.threads ?? defaultThreads();
  const seed = options.seed ?? 0;
  const textField = options.textField ?? "text";

  let files: CorpusFile[];
  try {
    files = expandInputs(options.inputs);
  } catch (e) {
    throw e instanceof CorpusError ? new TrainingInputError(e.message) : e;
  }
  const domains = [...new Set(files.map((f) => f.domain))].sort();
  const size = new Map<string, number>(domains.map((d) => [d, 0]));
  for (const f of files) size.set(f.domain, size.get(f.domain)! + f.size);
  const weights = options.weights ?? null;
  if (weights) {
    const unknown = Object.keys(weights).filter((k) => !domains.includes(k));
    if (unknown.length) throw new TrainingInputError(`weights name domains that are not in the input: ${unknown.join(", ")} (domains: ${domains.join(", ")})`);
    const missing = domains.filter((d) => !(d in weights));
    if (missing.length) throw new TrainingInputError(`no weight given for domain(s) ${missing.join(", ")}; give every domain a weight (0 skips it)`);
    for (const [k, w] of Object.entries(weights)) if (!(w >= 0 && Number.isFinite(w))) throw new TrainingInputError(`weight of ${k} must be a number ≥ 0, got ${w}`);
    if (!Object.values(weights).some((w) => w > 0)) throw new TrainingInputError("all domain weights are 0");
  }
  const totalSize = [...size.values()].reduce((a, b) => a + b, 0);
  const wsum = weights ? Object.values(weights).reduce((a, b) => a + b, 0) : 0;
  const rates = new Map<string, number>();
  for (const d of domains) {
    const share = weights ? weights[d] / wsum : size.get(d)! / Math.max(1, totalSize);
    const budget = options.maxBytes ? share * options.maxBytes : Infinity;
    rates.set(d, weights && weights[d] === 0 ? 0 : Math.min(1, budget / Math.max(1, size.get(d)!)));
  }

  const perWorker = await countAll(files, rates, { textField, seed, threads }, (done, total) => options.onProgress?.("count", done, total));
  const tCount = performance.now();

  // Integer totals per domain first (exact, so independent of how chunks were spread over workers).
  const byDomain = new Map<string, { map: Map<string, number>; stats: DomainCounts }>();
  for (const list of perWorker) {
    for (const d of list) {
      let e = byDomain.get(d.domain);
      if (!e) {
        e = { map: new Map(), stats: { ...d, words: [], counts: new Float64Array(0), bytesRead: 0, bytesUsed: 0, wordsCounted: 0, docs: 0, badLines: 0, loneSurrogates: 0, replaced: 0 } };
        byDomain.set(d.domain, e);
      }
      const { map, stats } = e;
      for (let i = 0; i < d.words.length; i++) map.set(d.words[i], (map.get(d.words[i]) ?? 0) + d.counts[i]);
      stats.bytesRead += d.bytesRead;
      stats.bytesUsed += d.bytesUsed;
      stats.wordsCounted += d.wordsCounted;
      stats.docs += d.docs;
      stats.badLines += d.badLines;
      stats.loneSurrogates += d.loneSurrogates;
      stats.replaced += d.replaced;
    }
  }
  perWorker.length = 0;
  const totalWords = [...byDomain.values()].reduce((s, e) => s + e.stats.wordsCounted, 0);
  if (totalWords === 0) {
    throw new TrainingInputError(`the corpus is empty: ${files.length} file(s), ${totalSize} bytes, and no text to learn from` +
      (options.maxBytes ? " (or --max-bytes sampled nothing)" : ""));
  }

  // Domain scale factors (see the file comment), smallest = 1.
  const usedTotal = [...byDomain.values()].reduce((s, e) => s + e.stats.bytesUsed, 0);
  const scale = new Map<string, number>();
  for (const d of domains) {
    const used = byDomain.get(d)?.stats.bytesUsed ?? 0;
    scale.set(d, weights && used > 0 ? (weights[d] / wsum) / (used / usedTotal) : 1);
  }
  const positive = [...scale.entries()].filter(([d, s]) => s > 0 && (byDomain.get(d)?.stats.bytesUsed ?? 0) > 0).map(([, s]) => s);
  const minScale = positive.length ? Math.min(...positive) : 1;
  for (const d of domains) scale.set(d, scale.get(d)! / minScale);

  const combined = new Map<string, number>();
  for (const d of domains) {
    const e = byDomain.get(d);
    if (!e) continue;
    const s = scale.get(d)!;
    for (const [w, c] of e.map) combined.set(w, (combined.get(w) ?? 0) + s * c);
  }
  const domainReports: DomainReport[] = domains.map((d) => {
    const st = byDomain.get(d)?.stats;
    return {
      domain: d, files: files.filter((f) => f.domain === d).length, bytes_read: st?.bytesRead ?? 0, bytes_used: st?.bytesUsed ?? 0,
      sample_rate: rates.get(d)!, weight: weights ? weights[d] : null, scale: scale.get(d)!, documents: st?.docs ?? 0,
      words: st?.wordsCounted ?? 0, distinct_words: byDomain.get(d)?.map.size ?? 0,
    };
  });
  const sum = (k: "replaced" | "loneSurrogates" | "badLines") => [...byDomain.values()].reduce((s, e) => s + e.stats[k], 0);
  const events = { replaced: sum("replaced"), lone: sum("loneSurrogates"), bad: sum("badLines") };
  byDomain.clear();

  // Code-unit order: a fixed order for the trainer whatever the threads did.
  const words = [...combined.keys()].sort();
  const counts = new Float64Array(words.length);
  words.forEach((w, i) => (counts[i] = combined.get(w)!));
  combined.clear();

  const learned = learnMerges(words, counts, {
    maxTokens: vocabSize - S, minFrequency, onProgress: (done, total) => options.onProgress?.("merge", done, total),
  });
  const tMerge = performance.now();
  const roles = { pad: 0, bos: 1, eos: 2 };
  const json = buildTokenizerJson({ specials, tokens: learned.tokens, merges: learned.merges.map(([a, b]) => [a + S, b + S]), roles });
  const added = specials.map((content, id) => ({ id, content, special: true, lstrip: false, rstrip: false }));
  const tokenizer = tokenizerFromHuggingFace(json, buildTokenizerConfig(added, roles));
  const report: TrainReport = {
    vocab_size: tokenizer.vocabSize, requested_vocab_size: vocabSize, specials: S, merges: learned.merges.length,
    stop: learned.stop, last_merge_count: learned.lastCount, min_frequency: minFrequency, distinct_words: words.length,
    files: files.length, domains: domainReports, invalid_utf8_replaced: events.replaced, lone_surrogates_replaced: events.lone,
    bad_jsonl_lines: events.bad, threads,
    seconds: { count: (tCount - t0) / 1000, merges: (tMerge - tCount) / 1000, total: (performance.now() - t0) / 1000 },
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  };
  return { tokenizer, report };
}
