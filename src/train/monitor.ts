/**
 * The stability monitor, a trainer callback (OLMo-core's StabilityMonitor idea, YuLan-Mini's hidden-state and
 * weight loggers of spec §6.2 made real):
 *
 * - every `every` steps (and at step 1) a {type: "monitor"} record in metrics.jsonl with, per layer, the RMS and
 *   variance of the residual stream after each sub-layer, of both RMSNorm outputs, of the attention output and of
 *   the two residual branches; the max attention logit and the attention entropy; per parameter group the
 *   gradient norm (before clipping), the weight norm and the update-to-weight ratio ‖ΔW‖/‖W‖; every WeSaR gate;
 * - every step, the divergence early warning (divergence.ts) on the residual stream's mean square, which the
 *   RMSNorms give for free; its largest value goes into each train record as `hidden_rms`.
 *
 * The update-to-weight ratio needs the update: on monitored steps only, the parameters are copied before the
 * update and the difference is taken after it. Names of every metric: docs/stability.md.
 */
import type { Buf, Kernels } from "../kernels/types.js";
import type { Model } from "../model/model.js";
import type { ModelConfig } from "../model/config.js";
import type { TensorSpec } from "../model/layout.js";
import {
  allocAttentionScratch, allocRowScratch, attentionStatsOf, hiddenStats, residualMeanSquares, type AttentionScratch,
  type RowScratch,
} from "../model/stats.js";
import { validate, type Schema } from "../util/schema.js";
import type { MetricRecord } from "../util/metrics.js";
import { DIVERGENCE_SCHEMA, DivergenceDetector, type DivergenceConfig, type DivergenceState } from "./divergence.js";
import type { StepContext, TrainerCallback } from "./trainer.js";

export interface MonitorConfig {
  /** full statistics every N steps (and at step 1); 0 = never */
  every: number;
  /** max attention logit and entropy (recomputes the attention scores on monitored steps) */
  attention: boolean;
  /** update-to-weight ratios (copies the parameters on monitored steps) */
  update_ratio: boolean;
  divergence: DivergenceConfig;
}

export const MONITOR_SCHEMA: Schema = {
  every: { kind: "number", integer: true, min: 0, default: 10, doc: "full statistics every N steps (0: never)" },
  attention: { kind: "boolean", default: true, doc: "max attention logit and attention entropy per layer" },
  update_ratio: { kind: "boolean", default: true, doc: "update-to-weight ratio per parameter group" },
  divergence: { kind: "object", fields: DIVERGENCE_SCHEMA, doc: "exponential-growth warning on the hidden-state variance" },
};

export function resolveMonitor(input: unknown, path = "monitor"): MonitorConfig {
  return validate<MonitorConfig>(input ?? {}, MONITOR_SCHEMA, path);
}

/** The parameter group a tensor is reported under: the projection for matrices, else its kind. */
export function monitorGroupOf(t: Pick<TensorSpec, "name" | "kind">): string {
  switch (t.kind) {
    case "gate":
      return "gates";
    case "embedding":
      return "embed";
    case "lm_head":
      return "lm_head";
    case "bias":
      return "bias";
    case "norm":
      return "norm";
    case "qk_norm":
      return "qk_norm";
    default: {
      const m = /\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)\.weight$/.exec(t.name);
      return m ? m[1] : t.kind;
    }
  }
}

interface TensorSlot {
  offset: number;
  size: number;
  group: number;
  optGroup: number;
  layer: number;
}

export interface ParamStats {
  grad_norm: number;
  weight_norm: number;
  /** ‖ΔW‖/‖W‖ of this step's update (null when the weights are all zero or ratios are off) */
  update_ratio: number | null;
}

export interface MonitorState {
  divergence: DivergenceState;
}

export interface MonitorOptions {
  /** human-readable warnings (default: stderr) */
  log?: (message: string) => void;
  /** the schedule's warmup length: the divergence rules start after it unless start_step says otherwise */
  warmupSteps?: number;
}

export class StabilityMonitor implements TrainerCallback {
  readonly name = "monitor";
  readonly divergence: DivergenceDetector;
  private readonly log: (message: string) => void;
  private readonly slots: TensorSlot[] = [];
  private readonly groupNames: string[] = [];
  private readonly gates: { name: string; offset: number }[] = [];
  private snapshot: Buf | null = null;
  private attnScratch: AttentionScratch | null = null;
  private rowScratch: RowScratch | null = null;
  private ms: Float64Array;
  private pending: MetricRecord | null = null;
  private weightSq: Float64Array | null = null;
  private gradSq: Float64Array | null = null;
  /** time spent in the monitor since its last record (every step's divergence check included) */
  private seconds = 0;

  constructor(readonly config: MonitorConfig, private readonly model: ModelConfig, options: MonitorOptions = {}) {
    this.log = options.log ?? ((m) => process.stderr.write(m + "\n"));
    const start = config.divergence.start_step ?? options.warmupSteps ?? 0;
    this.divergence = new DivergenceDetector(config.divergence, start);
    this.ms = new Float64Array(2 * model.num_layers + 1);
  }

  private bind(m: Model): void {
    if (this.slots.length) return;
    const groups = new Map<string, number>();
    for (const t of m.layout.tensors) {
      const g = monitorGroupOf(t);
      if (!groups.has(g)) {
        groups.set(g, this.groupNames.length);
        this.groupNames.push(g);
      }
      const lm = /^model\.layers\.(\d+)\./.exec(t.name);
      this.slots.push({ offset: t.offset, size: t.size, group: groups.get(g)!, optGroup: t.group === "hidden" ? 0 : 1,
        layer: lm ? Number(lm[1]) : -1 });
      if (t.kind === "gate") this.gates.push({ name: t.name, offset: t.offset });
    }
    this.weightSq = new Float64Array(this.slots.length);
    this.gradSq = new Float64Array(this.slots.length);
  }

  /** Is `step` (1-based) a monitored step? */
  monitored(step: number): boolean {
    const every = this.config.every;
    return every > 0 && (step === 1 || step % every === 0);
  }

  beforeUpdate(ctx: StepContext): void {
    const t0 = performance.now();
    const m = ctx.model;
    const acts = m.activations;
    if (!acts) return;
    const c = this.model;
    const T = ctx.batch.rows * ctx.batch.seq;
    residualMeanSquares(c, acts, T, this.ms);
    let vmax = 0;
    for (const v of this.ms) vmax = Number.isFinite(v) ? Math.max(vmax, v) : Infinity;
    (ctx.record as MetricRecord).hidden_rms = Math.sqrt(vmax);
    for (const w of this.divergence.observe(ctx.step, this.ms, c.num_layers)) {
      ctx.log(w as unknown as MetricRecord);
      this.log(`warning: ${w.message}`);
    }
    if (!this.monitored(ctx.step)) {
      this.pending = null;
      this.seconds += (performance.now() - t0) / 1000;
      return;
    }
    this.bind(m);
    const k = ctx.kernels;
    const rec: MetricRecord = { type: "monitor", step: ctx.step };
    if (!this.rowScratch || this.rowScratch.rms.length < T) this.rowScratch = allocRowScratch(k, T);
    rec.hidden = hiddenStats(k, c, m.params, m.p, acts, T, this.rowScratch);
    if (this.config.attention) {
      if (!this.attnScratch || this.attnScratch.max.length < ctx.batch.rows * c.num_heads * ctx.batch.seq) {
        this.attnScratch = allocAttentionScratch(k, c, ctx.batch.rows, ctx.batch.seq);
      }
      rec.attention = attentionStatsOf(k, c, acts, ctx.batch.rows, ctx.batch.seq, ctx.batch.segStart ?? null, this.attnScratch);
    }
    let lseSum = 0;
    let lseMax = -Infinity;
    for (let i = 0; i < T; i++) {
      const v = acts.lseLogits[i];
      lseSum += v;
      if (v > lseMax) lseMax = v;
    }
    rec.head = { lse_mean: lseSum / T, lse_max: lseMax };
    // weights and gradients before the update (the gradients are clipped by now: undo the factor)
    const grads = m.grads!;
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i];
      this.weightSq![i] = k.sumSquares(m.params.subarray(s.offset, s.offset + s.size), s.size);
      this.gradSq![i] = k.sumSquares(grads.subarray(s.offset, s.offset + s.size), s.size);
    }
    rec.gates = Object.fromEntries(this.gates.map((g) => [g.name, m.params[g.offset]]));
    if (this.config.update_ratio) {
      if (!this.snapshot || this.snapshot.length !== m.params.length) this.snapshot = k.alloc(m.params.length);
      this.snapshot.set(m.params);
    }
    this.pending = rec;
    this.seconds += (performance.now() - t0) / 1000;
  }

  onStepEnd(ctx: StepContext): void {
    const rec = this.pending;
    this.pending = null;
    if (!rec || rec.step !== ctx.step) return;
    const t0 = performance.now();
    const m = ctx.model;
    const k = ctx.kernels;
    const n = this.slots.length;
    const clip = ctx.record.clip_factor > 0 ? ctx.record.clip_factor : 1;
    const dSq = new Float64Array(n);
    const withRatio = this.config.update_ratio && this.snapshot !== null;
    if (withRatio) {
      const snap = this.snapshot!;
      k.axpy(snap, m.params, m.params.length, -1); // snapshot − new = −ΔW
      for (let i = 0; i < n; i++) {
        const s = this.slots[i];
        dSq[i] = k.sumSquares(snap.subarray(s.offset, s.offset + s.size), s.size);
      }
    }
    const agg = (pick: (s: TensorSlot) => number, count: number): ParamStats[] => {
      const w = new Float64Array(count);
      const g = new Float64Array(count);
      const d = new Float64Array(count);
      for (let i = 0; i < n; i++) {
        const j = pick(this.slots[i]);
        if (j < 0) continue;
        w[j] += this.weightSq![i];
        g[j] += this.gradSq![i];
        d[j] += dSq[i];
      }
      return Array.from({ length: count }, (_, j) => ({
        grad_norm: Math.sqrt(g[j]) / clip,
        weight_norm: Math.sqrt(w[j]),
        update_ratio: withRatio && w[j] > 0 ? Math.sqrt(d[j] / w[j]) : null,
      }));
    };
    const groups = agg((s) => s.group, this.groupNames.length);
    rec.params = Object.fromEntries(this.groupNames.map((name, j) => [name, groups[j]]));
    const opt = agg((s) => s.optGroup, 2);
    rec.optimizer_groups = { hidden: opt[0], base: opt[1] };
    const layers = agg((s) => s.layer, this.model.num_layers);
    rec.layers = { grad_norm: layers.map((x) => x.grad_norm), weight_norm: layers.map((x) => x.weight_norm),
      update_ratio: layers.map((x) => x.update_ratio) };
    if (ctx.record.skipped) rec.skipped = true;
    rec.monitor_seconds = this.seconds + (performance.now() - t0) / 1000;
    this.seconds = 0;
    ctx.log(rec);
  }

  state(): MonitorState {
    return { divergence: this.divergence.state() };
  }

  restore(state: unknown): void {
    this.divergence.restore((state as Partial<MonitorState> | null)?.divergence);
  }
}
