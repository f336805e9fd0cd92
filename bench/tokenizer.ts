/**
 * Tokenizer benchmark: training a 32k vocabulary on about 100 MB (time and peak memory, in a child process so
 * its peak RSS is its own), then encode throughput of ours against Hugging Face `tokenizers` (the Rust library,
 * npm binding) on the same tokenizer.json and the same text:
 *   - one thread: 4 KB pieces encoded one call at a time (`tokenizers`: one awaited `encode` at a time);
 *   - batch: all pieces at once (ours: worker threads, one per core; `tokenizers`: `encodeBatch`, Rayon threads).
 * The ids of both are compared on every piece.
 */
import { spawnSync } from "node:child_process";
import { availableParallelism, tmpdir } from "node:os";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Tokenizer as RustTokenizer } from "tokenizers";
import { loadTokenizer } from "../src/tokenizer/bpe/io.js";
import { EncodePool } from "../src/tokenizer/bpe/workers.js";
import { buildBenchCorpus, type BenchCorpus } from "./tokenizer-corpus.js";
import { median } from "./peers.js";

export interface TokenizerTrainResult {
  vocabSize: number;
  merges: number;
  corpusMB: number;
  seconds: number;
  countSeconds: number;
  mergeSeconds: number;
  threads: number;
  peakRssMB: number;
  distinctWords: number;
}

export interface EncodeRow {
  mode: string;
  ours: number;
  hf: number;
  ratio: number;
}

export interface TokenizerBenchResult {
  corpus: BenchCorpus;
  train: TokenizerTrainResult;
  encodeMB: number;
  pieces: number;
  rows: EncodeRow[];
  mismatches: number;
  bytesPerToken: number;
  notes: string[];
}

/** Cuts text into pieces of about `size` bytes at line ends (so both tokenizers see the same strings). */
function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  let from = 0;
  while (from < text.length) {
    let end = Math.min(text.length, from + size);
    const nl = text.indexOf("\n", end);
    end = nl < 0 || nl - end > size ? Math.min(text.length, from + size) : nl + 1;
    // never split a surrogate pair
    if (end < text.length && /[\ud800-\udbff]/.test(text[end - 1])) end++;
    out.push(text.slice(from, end));
    from = end;
  }
  return out;
}

export async function benchTokenizer(root: string, quick: boolean, log: (s: string) => void): Promise<TokenizerBenchResult> {
  const notes: string[] = [];
  const corpus = buildBenchCorpus(root, quick ? 0.1 : 1, log);
  const threads = availableParallelism();
  const vocab = 32768;
  const out = join(tmpdir(), `pretrain-ts-bench-tokenizer-${quick ? "quick" : "full"}`);
  log(`tokenizer: training a ${vocab}-token vocabulary on ${(corpus.bytes / 1e6).toFixed(1)} MB with ${threads} threads (child process)…`);
  const main = join(root, "dist", "src", "cli", "main.js");
  const args = [main, "tokenizer", "train", ...corpus.domains.map((d) => `--in=${d.name}=${d.path}`), "--vocab-size", String(vocab), "--out", out, "--json"];
  const r = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 26, stdio: ["ignore", "pipe", "inherit"] });
  if (r.status !== 0) throw new Error(`tokenizer training failed (exit ${r.status})`);
  const rep = JSON.parse(r.stdout);
  const train: TokenizerTrainResult = {
    vocabSize: rep.vocab_size, merges: rep.merges, corpusMB: corpus.bytes / 1e6, seconds: rep.seconds.total,
    countSeconds: rep.seconds.count, mergeSeconds: rep.seconds.merges, threads: rep.threads, peakRssMB: rep.peak_rss_mb,
    distinctWords: rep.distinct_words,
  };

  // Encode: the first MBs of every domain, in ~4 KB pieces.
  const perDomain = (quick ? 0.4 : 2) * 1e6;
  const texts = corpus.domains.map((d) => readFileSync(d.path).subarray(0, perDomain).toString("utf8").replace(/\ufffd$/, ""));
  const all = texts.flatMap((t) => pieces(t, 4096));
  const mb = all.reduce((s, p) => s + Buffer.byteLength(p, "utf8"), 0) / 1e6;
  const file = join(out, "tokenizer.json");
  if (!existsSync(file)) throw new Error(`${file} missing`);
  const ours = loadTokenizer(out);
  const rust = RustTokenizer.fromFile(file);
  log(`tokenizer: encoding ${mb.toFixed(1)} MB in ${all.length} pieces, ours and tokenizers alternating…`);
  const oursPass = (): number => {
    const t = performance.now();
    for (const p of all) ours.encode(p, { allowSpecial: true });
    return mb / ((performance.now() - t) / 1000);
  };
  const hfPass = async (): Promise<number> => {
    const t = performance.now();
    for (const p of all) await rust.encode(p, null, { addSpecialTokens: false });
    return mb / ((performance.now() - t) / 1000);
  };
  const cold = { ours: oursPass(), hf: await hfPass() };
  const warmOurs: number[] = [];
  const warmHf: number[] = [];
  for (let i = 0; i < (quick ? 2 : 4); i++) {
    warmOurs.push(oursPass());
    warmHf.push(await hfPass());
  }
  const rows: EncodeRow[] = [
    { mode: "1 thread, 4 KB pieces, first pass (cold caches)", ours: cold.ours, hf: cold.hf, ratio: cold.ours / cold.hf },
    { mode: "1 thread, 4 KB pieces, later passes (median)", ours: median(warmOurs), hf: median(warmHf), ratio: median(warmOurs) / median(warmHf) },
  ];

  // Correctness on the whole sample, and tokens per byte.
  let mismatches = 0;
  let tokens = 0;
  for (const p of all) {
    const a = ours.encode(p, { allowSpecial: true });
    const b = (await rust.encode(p, null, { addSpecialTokens: false })).getIds();
    tokens += a.length;
    if (a.length !== b.length || a.some((x, i) => x !== b[i])) mismatches++;
  }
  if (mismatches) notes.push(`${mismatches} of ${all.length} pieces encode differently in ours and tokenizers`);

  // Batch: every core on both sides.
  const pool = await EncodePool.create(ours.toJSON(), ours.toHuggingFace().config, threads);
  try {
    await pool.encodeBatch(all.slice(0, 64));
    const oursB: number[] = [];
    const hfB: number[] = [];
    for (let i = 0; i < (quick ? 2 : 3); i++) {
      let t = performance.now();
      await pool.encodeBatch(all, { allowSpecial: true }, 1 << 18);
      oursB.push(mb / ((performance.now() - t) / 1000));
      t = performance.now();
      await rust.encodeBatch(all, { addSpecialTokens: false });
      hfB.push(mb / ((performance.now() - t) / 1000));
    }
    rows.push({ mode: `batch, ${threads} threads (ours: worker threads; tokenizers: encodeBatch)`, ours: median(oursB), hf: median(hfB), ratio: median(oursB) / median(hfB) });
  } finally {
    await pool.close();
  }
  return { corpus, train, encodeMB: mb, pieces: all.length, rows, mismatches, bytesPerToken: (mb * 1e6) / tokens, notes };
}
