/**
 * The stability monitor's overhead on the benchmark model (8 layers, d_model 256, 8/2 heads, vocabulary 8192,
 * batch 8 × 256 tokens, 2 threads): the real trainer on a synthetic token stream, with the monitor and spike
 * detector off and on (full statistics every K steps), in alternating rounds because these shared machines drift.
 *
 *   npm run build && node dist/bench/monitor.js [--every 10] [--steps 60] [--rounds 3] [--threads 2]
 *
 * Two measures: (a) wall time per step, from the interval between consecutive step ends (every step's whole cost,
 * the monitor's included), mean over the round's steps, median over rounds, on vs off; (b) the time the monitor
 * itself measures (monitor_seconds in its records: every step's divergence check plus the monitored steps' full
 * statistics) over the steps' total time, which does not drift with the machine.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadNative, nativeKernels } from "../src/kernels/native.js";
import { resolveRunConfig } from "../src/train/config.js";
import { train, type TrainerCallback } from "../src/train/trainer.js";
import { TokenStreamSource } from "../src/data/text-source.js";
import { readMetrics } from "../src/util/metrics.js";
import { Rng } from "../src/util/rng.js";

const argv = process.argv.slice(2);
const arg = (name: string, def: number) => (argv.includes(`--${name}`) ? Number(argv[argv.indexOf(`--${name}`) + 1]) : def);
const every = arg("every", 10);
const steps = arg("steps", 60);
const rounds = arg("rounds", 3);
const threads = arg("threads", 2);
const warm = 5;

loadNative().setThreads(threads);
const k = nativeKernels();
const V = 8192;

/** A token stream with some structure (a sparse random Markov chain), so the model has something to learn. */
function stream(n: number): Int32Array {
  const rng = new Rng(7);
  const next = new Int32Array(V * 4);
  for (let i = 0; i < next.length; i++) next[i] = rng.int(V);
  const out = new Int32Array(n);
  let t = 0;
  for (let i = 0; i < n; i++) {
    t = rng.float() < 0.1 ? rng.int(V) : next[t * 4 + rng.int(4)];
    out[i] = t;
  }
  return out;
}
const tokens = stream(2_000_000);

function run(on: boolean): { perStep: number; monitorShare: number | null } {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-bench-monitor-"));
  try {
    const cfg = resolveRunConfig({
      seed: 1, out_dir: dir,
      model: { num_layers: 8, d_model: 256, ffn_size: 640, num_heads: 8, num_kv_heads: 2, vocab_size: V, max_seq_len: 256,
        dim_model_base: 128, init_std: 0.02 },
      schedule: { warmup_steps: 10 },
      data: { paths: ["synthetic"], val_fraction: 0.01 },
      train: { steps, batch_size: 8, seq_len: 256, eval_batches: 1 },
      monitor: on ? { every } : { every: 0, divergence: { enabled: false } },
      spikes: { policy: on ? "warn" : "off" },
    });
    const ends: number[] = [];
    const clock: TrainerCallback = { name: "clock", onStepEnd: () => { ends.push(performance.now()); } };
    const source = new TokenStreamSource(tokens, V, 1, 0.01);
    train({ config: cfg, kernels: k, source, callbacks: [clock], progress: null, log: () => {} });
    const gaps = ends.slice(warm).map((t, i, a) => (i ? t - a[i - 1] : NaN)).slice(1);
    const perStep = gaps.reduce((a, b) => a + b, 0) / gaps.length / 1000;
    const recs = readMetrics(join(dir, "metrics.jsonl"));
    const stepTime = recs.filter((r) => r.type === "train").reduce((a, r) => a + (r.step_seconds as number), 0);
    const mon = recs.filter((r) => r.type === "monitor").reduce((a, r) => a + (r.monitor_seconds as number), 0);
    return { perStep, monitorShare: on ? mon / stepTime : null };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const off: number[] = [];
const on: number[] = [];
const shares: number[] = [];
for (let r = 0; r < rounds; r++) {
  const a = run(false);
  const b = run(true);
  off.push(a.perStep);
  on.push(b.perStep);
  shares.push(b.monitorShare!);
  process.stderr.write(`round ${r + 1}: off ${(1000 * a.perStep).toFixed(1)} ms/step, on ${(1000 * b.perStep).toFixed(1)} ms/step, ` +
    `monitor's own time ${(100 * b.monitorShare!).toFixed(2)}%\n`);
}
const ratios = off.map((o, i) => on[i] / o - 1);
console.log(`monitor every ${every} steps, ${steps} steps per run (first ${warm} not timed), ${rounds} rounds, ${threads} threads, kernels ${k.name}`);
console.log(`wall time per step: off ${(1000 * median(off)).toFixed(1)} ms, on ${(1000 * median(on)).toFixed(1)} ms; ` +
  `overhead (median of per-round ratios) ${(100 * median(ratios)).toFixed(2)}%`);
console.log(`the monitor's own measured time: ${(100 * median(shares)).toFixed(2)}% of the step time (median over rounds)`);
