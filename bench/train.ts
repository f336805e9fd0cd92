/**
 * Training throughput of the benchmark models against one PyTorch training step of the identical model, and model
 * FLOPs utilization against the measured matrix-multiply peak.
 */
import { loadNative, nativeKernels } from "../src/kernels/native.js";
import { resolveModelConfig, type ModelConfig } from "../src/model/config.js";
import { Model } from "../src/model/model.js";
import { AdamW, clipGradients, resolveOptimizer } from "../src/train/optimizer.js";
import { bestOpenBlasCore, median, runPeer } from "./peers.js";

export interface TrainRow {
  dModel: number;
  params: number;
  threads: number;
  tokensPerStep: number;
  flopsPerToken: number;
  ours: number;
  oursGflops: number;
  torchAuto: number | null;
  torchBest: number | null;
  ratio: number | null;
  mfu: number | null;
}

export function benchConfig(d: number): ModelConfig {
  return resolveModelConfig({
    num_layers: 8, d_model: d, ffn_size: (d * 5) / 2, num_heads: 8, num_kv_heads: 2, vocab_size: 8192,
    max_seq_len: 256, tie_embeddings: true, qkv_bias: true, wesar: true, dim_model_base: 128, z_loss: 1e-4,
    init_std: 0.02,
  });
}

/** 6 FLOPs per parameter per token (forward 2, backward 4) plus causal attention: 6·L·S·d (QKᵀ and PV, each S/2 keys on average). */
export function flopsPerToken(c: ModelConfig, params: number, seq: number): number {
  return 6 * params + 6 * c.num_layers * seq * c.d_model;
}

/** One training step of the benchmark model (the trainer's inner loop: gradient, clipping, AdamW). */
class OurStep {
  private readonly k = nativeKernels();
  readonly model: Model;
  private readonly opt: AdamW;
  private readonly batch;

  constructor(c: ModelConfig, readonly rows: number, readonly seq: number) {
    this.model = new Model(c, this.k);
    this.model.init(1);
    this.opt = new AdamW(this.k, resolveOptimizer({}), c, this.model.layout, this.model.params, this.model.grads!);
    const ids = new Int32Array(rows * seq).map((_, i) => (i * 7919) % c.vocab_size);
    this.batch = { rows, seq, ids, targets: ids.map((x) => (x * 31 + 7) % c.vocab_size) };
  }

  /** seconds per step of `steps` timed steps after one untimed */
  time(steps: number): number[] {
    const times: number[] = [];
    for (let i = 0; i <= steps; i++) {
      const t = performance.now();
      this.model.zeroGrads();
      this.model.lossAndGrad(this.batch);
      clipGradients(this.k, this.model.grads!, 1);
      this.opt.update(1);
      if (i > 0) times.push((performance.now() - t) / 1000);
    }
    return times;
  }
}

export function benchTrain(root: string, dModels: number[], threads: number, steps: number, torchSteps: number,
  peakGflops: number | null, log: (s: string) => void): { rows: TrainRow[]; notes: string[] } {
  const native = loadNative();
  const before = native.getThreads();
  native.setThreads(threads);
  const rows: TrainRow[] = [];
  const notes: string[] = [];
  const core = bestOpenBlasCore(native.simdLevel());
  const seq = 256;
  const batch = 8;
  for (const d of dModels) {
    const c = benchConfig(d);
    // The native steps are timed half before and half after the PyTorch runs, so drift of a shared machine
    // affects both sides alike.
    log(`train: d_model ${d}: native kernels, ${steps} timed steps…`);
    const step = new OurStep(c, batch, seq);
    const params = step.model.layout.size;
    const times = step.time(Math.ceil(steps / 2));
    const fpt = flopsPerToken(c, params, seq);
    const torch = (coretype: string | null): number | null => {
      log(`train: d_model ${d}: PyTorch${coretype ? ` (OpenBLAS core ${coretype})` : ""}, ${torchSteps} timed steps…`);
      const args = ["--d-model", String(d), "--threads", String(threads), "--steps", String(torchSteps), "--warmup", "1"];
      if (coretype) args.push("--coretype", coretype);
      const r = runPeer(root, "torch_train.py", args, 1800);
      if (!r.ok) {
        notes.push(`PyTorch peer (d ${d}${coretype ? `, ${coretype}` : ""}) unavailable: ${r.why}`);
        return null;
      }
      return (r.lines.at(-1)?.median_tokens_per_s as number) ?? null;
    };
    const torchAuto = torch(null);
    const torchBest = core ? torch(core) : null;
    log(`train: d_model ${d}: native kernels again, ${steps} timed steps…`);
    times.push(...step.time(Math.floor(steps / 2)));
    const tps = (batch * seq) / median(times);
    const peer = Math.max(torchAuto ?? 0, torchBest ?? 0);
    const gflops = (tps * fpt) / 1e9;
    rows.push({
      dModel: d, params, threads, tokensPerStep: batch * seq, flopsPerToken: fpt, ours: tps, oursGflops: gflops,
      torchAuto, torchBest, ratio: peer > 0 ? tps / peer : null, mfu: peakGflops ? gflops / peakGflops : null,
    });
  }
  native.setThreads(before);
  return { rows, notes };
}
