/**
 * `npm run bench`: performance against peers measured in the same run, as ratios and medians.
 *   1. matrix multiply GFLOP/s on transformer shapes: native kernels vs OpenBLAS (numpy), 1 and 2 threads;
 *   2. training tokens/s of two benchmark models vs one PyTorch training step of the identical model;
 *   3. model FLOPs utilization against the measured 2-thread matrix-multiply peak.
 *   4. the data cleaning pipeline: docs/s, MB/s and peak memory per step on real text; MinHash vs bloom-filters.
 * Options: --quick (fewer repeats), --only gemm|train|data|tokenizer|eval, --json <file> (also write the results as JSON).
 */
import { writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cpus } from "node:os";
import { loadNative } from "../src/kernels/native.js";
import { benchGemm, transformerShapes } from "./gemm.js";
import { benchTrain } from "./train.js";
import { cpuModel } from "./peers.js";
import { benchData } from "./data.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const only = argv.includes("--only") ? argv[argv.indexOf("--only") + 1] : null;
const jsonPath = argv.includes("--json") ? argv[argv.indexOf("--json") + 1] : null;
const log = (s: string) => process.stderr.write(s + "\n");
const fmt = (x: number | null, digits = 1) => (x === null ? "—" : x.toFixed(digits));

const native = loadNative();
const machine = { cpu: cpuModel(), cores: cpus().length, simd: native.simdLevel(), node: process.version };
console.log(`machine: ${machine.cpu}, ${machine.cores} cores, kernels native-${machine.simd}, Node ${machine.node}`);
const results: Record<string, unknown> = { machine, date: new Date().toISOString() };

let peak: number | null = null;
if (!only || only === "gemm") {
  const shapes = transformerShapes([256, 512]);
  const { rows, notes } = await benchGemm(root, shapes, [1, 2], quick ? 3 : 5, quick ? 5 : 9, log);
  console.log("\n## Matrix multiply, GFLOP/s (median)\n");
  console.log("Native and OpenBLAS alternate shape by shape; each cell is a median over rounds, the ratio the median of per-round ratios.\n");
  console.log("| shape (M×K×N, op) | threads | native | OpenBLAS auto | OpenBLAS best core | native / best peer |");
  console.log("|---|---|---|---|---|---|");
  for (const r of rows) {
    console.log(`| ${r.label}: ${r.m}×${r.k}×${r.n} ${r.trans} | ${r.threads} | ${fmt(r.ours)} | ${fmt(r.openblasAuto)} | ${fmt(r.openblasBest)} | ${fmt(r.ratio, 2)} |`);
  }
  for (const t of [1, 2]) {
    const rs = rows.filter((r) => r.threads === t && r.ratio !== null).map((r) => r.ratio!).sort((a, b) => a - b);
    if (rs.length) console.log(`\nmedian ratio at ${t} thread(s): ${rs[rs.length >> 1].toFixed(2)} (min ${rs[0].toFixed(2)})`);
  }
  const two = rows.filter((r) => r.threads === 2);
  peak = Math.max(...two.map((r) => Math.max(r.ours, r.openblasAuto ?? 0, r.openblasBest ?? 0)));
  console.log(`2-thread matrix-multiply peak (best of native and OpenBLAS over these shapes): ${peak.toFixed(1)} GFLOP/s`);
  for (const n of notes) console.log(`note: ${n}`);
  results.gemm = { rows, notes, peak2Threads: peak };
}

if (!only || only === "train") {
  const { rows, notes } = benchTrain(root, [256, 512], 2, quick ? 3 : 6, quick ? 1 : 3, peak, log);
  console.log("\n## Training throughput, 2 threads (batch 8 × 256 tokens, vocabulary 8192, 8 layers, 8/2 heads)\n");
  console.log("FLOPs per token = 6·parameters + 6·layers·seq·d_model (causal attention); MFU against the 2-thread matmul peak above.\n");
  console.log("| d_model | parameters | native tokens/s | PyTorch tokens/s (auto / best core) | native / PyTorch | native GFLOP/s | MFU |");
  console.log("|---|---|---|---|---|---|---|");
  for (const r of rows) {
    console.log(`| ${r.dModel} | ${(r.params / 1e6).toFixed(2)}M | ${r.ours.toFixed(0)} | ${fmt(r.torchAuto, 0)} / ${fmt(r.torchBest, 0)} | ${fmt(r.ratio, 1)}× | ${r.oursGflops.toFixed(1)} | ${r.mfu === null ? "—" : (100 * r.mfu).toFixed(0) + "%"} |`);
  }
  for (const n of notes) console.log(`note: ${n}`);
  results.train = { rows, notes };
}

if (!only || only === "data") {
  const d = await benchData(root, log, quick);
  console.log(`\n## Data pipeline (${d.corpus.docs} documents, ${d.corpus.mb.toFixed(1)} MB: State of the Union + SpamAssassin; code: ${d.corpus.code_docs} TypeScript .d.ts files, ${d.corpus.code_mb.toFixed(1)} MB)\n`);
  console.log("Each step alone in its own process, one worker thread; docs/s and MB/s from the step's own time; peak RSS of the process.\n");
  console.log("| step | docs | MB | docs/s | MB/s | peak RSS (MB) | removed |");
  console.log("|---|---|---|---|---|---|---|");
  for (const r of d.rows) console.log(`| ${r.step} | ${r.docs} | ${r.mb.toFixed(1)} | ${r.docsPerS.toFixed(0)} | ${r.mbPerS.toFixed(2)} | ${r.peakRssMB.toFixed(0)} | ${r.removed} |`);
  const p = d.pipeline;
  console.log(`\nWhole web pipeline (recipes/data/web.yaml: normalize, dedup_exact, minhash, filter_prose, langid), ${p.workers} workers: ${p.wall.toFixed(1)} s, ${(p.docs / p.wall).toFixed(0)} docs/s, ${(p.mb / p.wall).toFixed(2)} MB/s, peak RSS ${p.peakRssMB.toFixed(0)} MB, ${p.kept} documents kept`);
  console.log(`Streaming: ${d.streaming.mb.toFixed(0)} MB of zstd JSONL through normalize in ${d.streaming.wall.toFixed(1)} s with a peak RSS of ${d.streaming.peakRssMB.toFixed(0)} MB (memory does not grow with the input)`);
  const m = d.minhash;
  console.log(`MinHash signatures (${m.perm} permutations, ${m.docs} documents, same shingle sets): ours ${m.oursDocsPerS.toFixed(0)} docs/s, ${m.peer} ${m.peerDocsPerS.toFixed(0)} docs/s: ratio ${m.ratio.toFixed(1)}×`);
  console.log(`Spam/ham classifier (classify step's model): held-out accuracy ${(100 * d.classifier.accuracy).toFixed(2)}% on ${d.classifier.heldOut} messages, trained on ${d.classifier.train} in ${d.classifier.seconds.toFixed(1)} s`);
  for (const n of d.notes) console.log(`note: ${n}`);
  results.data = d;
}

if (!only || only === "tokenizer") {
  const { benchTokenizer } = await import("./tokenizer.js");
  const t = await benchTokenizer(root, quick, log);
  const tr = t.train;
  console.log(`\n## Tokenizer (corpus ${(t.corpus.bytes / 1e6).toFixed(1)} MB: ${t.corpus.domains.map((d) => `${d.name} ${(d.bytes / 1e6).toFixed(1)}`).join(", ")} MB; see bench/tokenizer-corpus.ts)\n`);
  console.log(`Training: ${tr.vocabSize}-token vocabulary (${tr.merges} merges) on ${tr.corpusMB.toFixed(1)} MB in ${tr.seconds.toFixed(1)} s ` +
    `(word counting ${tr.countSeconds.toFixed(1)} s on ${tr.threads} threads, merges ${tr.mergeSeconds.toFixed(1)} s), ${tr.distinctWords.toLocaleString("en-US")} distinct words, peak RSS ${tr.peakRssMB.toFixed(0)} MB\n`);
  console.log(`Encoding ${t.encodeMB.toFixed(1)} MB (${t.pieces} pieces of ~4 KB, ${t.bytesPerToken.toFixed(2)} bytes/token) with the trained tokenizer.json; ids identical on ${t.pieces - t.mismatches}/${t.pieces} pieces\n`);
  console.log("| mode | ours MB/s | tokenizers MB/s | ours / tokenizers |");
  console.log("|---|---|---|---|");
  for (const r of t.rows) console.log(`| ${r.mode} | ${r.ours.toFixed(2)} | ${r.hf.toFixed(2)} | ${r.ratio.toFixed(2)} |`);
  for (const n of t.notes) console.log(`note: ${n}`);
  results.tokenizer = t;
}

if (!only || only === "eval") {
  const { benchEval } = await import("./eval.js");
  const e = benchEval(quick, log);
  console.log("\n## Evaluation throughput (demo-sized model: 4 layers, d_model 256, byte vocabulary, context 256; native kernels)\n");
  console.log("| task | kind | examples | examples/s | tokens forwarded/s | setting |");
  console.log("|---|---|---|---|---|---|");
  for (const r of e.rows) console.log(`| ${r.task} | ${r.kind} | ${r.n} | ${r.examplesPerSecond.toFixed(1)} | ${Math.round(r.tokensForwardedPerSecond)} | ${r.note} |`);
  console.log("\nMultiple choice (proxy-wordnet-mc, 3-shot, 4 choices), the same prompts three ways:\n");
  console.log("| method | examples/s | tokens through the layers | speed-up |");
  console.log("|---|---|---|---|");
  for (const r of e.mc) console.log(`| ${r.method} | ${r.examplesPerSecond.toFixed(1)} | ${r.forwardTokens} | ${r.speedup.toFixed(2)}× |`);
  results.eval = e;
}

if (jsonPath) {
  writeFileSync(jsonPath, JSON.stringify(results, null, 2) + "\n");
  log(`results written to ${jsonPath}`);
}
