/**
 * `npm run bench`: performance against peers measured in the same run, as ratios and medians.
 *   1. matrix multiply GFLOP/s on transformer shapes: native kernels vs OpenBLAS (numpy), 1 and 2 threads;
 *   2. training tokens/s of two benchmark models vs one PyTorch training step of the identical model;
 *   3. model FLOPs utilization against the measured 2-thread matrix-multiply peak.
 * Options: --quick (fewer repeats), --only gemm|train, --json <file> (also write the results as JSON).
 */
import { writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cpus } from "node:os";
import { loadNative } from "../src/kernels/native.js";
import { benchGemm, transformerShapes } from "./gemm.js";
import { benchTrain } from "./train.js";
import { cpuModel } from "./peers.js";

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

if (jsonPath) {
  writeFileSync(jsonPath, JSON.stringify(results, null, 2) + "\n");
  log(`results written to ${jsonPath}`);
}
