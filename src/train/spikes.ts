/**
 * Loss and gradient-norm spike detection, a trainer callback (llm.c's outlier detector and OLMo-core's
 * StabilityMonitor, with the recovery PaLM describes):
 *
 * - rolling statistics over the last `window` accepted steps of the loss and of the gradient norm (before
 *   clipping); a step is a spike when, with at least `min_history` steps of history, its value exceeds the
 *   window's mean by `loss_z` (or `grad_z`) standard deviations: z = (x − mean)/σ ≥ threshold. Only upward
 *   excursions count; σ is floored at 10⁻³·|mean| so a flat history does not make noise a spike.
 * - policies: `warn` logs it and trains on; `skip` drops the step's update (the batch is consumed and recorded);
 *   `rollback` asks the trainer to reload the last good checkpoint and to skip every batch from there up to and
 *   including the offending one (plus `skip_after` more), as PaLM did. With `rollback`, a NaN or Inf loss rolls
 *   back too instead of stopping the run.
 * - spikes stay out of the window, so a run of them is still seen; after `max_consecutive` consecutive spikes
 *   the detector accepts the new level (its history restarts) rather than skipping forever.
 *
 * Every spike is a {type: "spike"} record in metrics.jsonl; the window is part of the checkpoint, so a resumed
 * run judges the next steps exactly as the uninterrupted one would.
 */
import { validate, type Schema } from "../util/schema.js";
import type { MetricRecord } from "../util/metrics.js";
import type { StepContext, TrainerCallback, UpdateDecision } from "./trainer.js";

export type SpikePolicy = "off" | "warn" | "skip" | "rollback";

export interface SpikeConfig {
  policy: SpikePolicy;
  window: number;
  min_history: number;
  /** z-score threshold on the loss (null: the loss is not watched) */
  loss_z: number | null;
  /** z-score threshold on the gradient norm (null: not watched) */
  grad_z: number | null;
  max_consecutive: number;
  max_rollbacks: number;
  skip_after: number;
}

export const SPIKE_SCHEMA: Schema = {
  policy: { kind: "enum", values: ["off", "warn", "skip", "rollback"], default: "warn",
    doc: "what a spike does: off, warn, skip the update, or roll back to the last checkpoint" },
  window: { kind: "number", integer: true, min: 2, default: 100, doc: "steps of rolling statistics" },
  min_history: { kind: "number", integer: true, min: 2, default: 20, doc: "steps of history before spikes are judged" },
  loss_z: { kind: "number", min: 0, exclusiveMin: true, nullable: true, default: 6,
    doc: "a loss this many standard deviations above the window's mean is a spike (null: off)" },
  grad_z: { kind: "number", min: 0, exclusiveMin: true, nullable: true, default: 6,
    doc: "the same for the gradient norm (null: off)" },
  max_consecutive: { kind: "number", integer: true, min: 1, default: 10,
    doc: "after this many consecutive spikes the new level is accepted" },
  max_rollbacks: { kind: "number", integer: true, min: 0, default: 5, doc: "rollbacks before the run stops" },
  skip_after: { kind: "number", integer: true, min: 0, default: 0,
    doc: "rollback: further steps' batches skipped after the offending one" },
};

export function resolveSpikes(input: unknown, path = "spikes"): SpikeConfig {
  return validate<SpikeConfig>(input ?? {}, SPIKE_SCHEMA, path);
}

/** Mean and standard deviation (population) of a window, in double. */
export function windowStats(xs: readonly number[]): { mean: number; std: number } {
  let s = 0;
  for (const x of xs) s += x;
  const mean = s / xs.length;
  let v = 0;
  for (const x of xs) v += (x - mean) * (x - mean);
  return { mean, std: Math.sqrt(v / xs.length) };
}

export interface SpikeRecord {
  type: "spike";
  step: number;
  metric: "loss" | "grad_norm";
  value: number;
  mean: number;
  std: number;
  z: number;
  threshold: number;
  action: SpikePolicy;
}

export interface SpikeState {
  loss: number[];
  grad: number[];
  consecutive: number;
}

export interface SpikeDetectorOptions {
  log?: (message: string) => void;
}

export class SpikeDetector implements TrainerCallback {
  readonly name = "spikes";
  private loss: number[] = [];
  private grad: number[] = [];
  private consecutive = 0;
  private readonly log: (message: string) => void;

  constructor(readonly config: SpikeConfig, options: SpikeDetectorOptions = {}) {
    this.log = options.log ?? ((m) => process.stderr.write(m + "\n"));
  }

  /** The spikes a (loss, grad norm) pair would be against the current window (without recording it). */
  judge(step: number, loss: number, gradNorm: number): SpikeRecord[] {
    const c = this.config;
    const out: SpikeRecord[] = [];
    const check = (metric: "loss" | "grad_norm", x: number, hist: number[], threshold: number | null) => {
      if (threshold === null || hist.length < c.min_history) return;
      const { mean, std } = windowStats(hist);
      const sigma = Math.max(std, 1e-3 * Math.abs(mean), 1e-12);
      const z = (x - mean) / sigma;
      if (z >= threshold || !Number.isFinite(x)) {
        out.push({ type: "spike", step, metric, value: x, mean, std, z: Number.isFinite(z) ? z : Infinity, threshold,
          action: c.policy });
      }
    };
    check("loss", loss, this.loss, c.loss_z);
    check("grad_norm", gradNorm, this.grad, c.grad_z);
    return out;
  }

  beforeUpdate(ctx: StepContext): UpdateDecision {
    const c = this.config;
    if (c.policy === "off") return;
    const { loss, grad_norm: g } = ctx.record;
    const spikes = this.judge(ctx.step, loss, g);
    if (spikes.length === 0) {
      this.consecutive = 0;
      this.push(loss, g);
      return;
    }
    this.consecutive++;
    for (const s of spikes) {
      ctx.log(s as unknown as MetricRecord);
      this.log(`warning: step ${s.step}: ${s.metric === "loss" ? "loss" : "gradient norm"} spike: ${fmt(s.value)} ` +
        `(window mean ${fmt(s.mean)}, σ ${fmt(s.std)}, z ${s.z.toFixed(1)} ≥ ${s.threshold})` +
        (c.policy === "warn" ? "" : c.policy === "skip" ? "; update skipped" : "; rolling back"));
    }
    if (this.consecutive >= c.max_consecutive) {
      this.log(`warning: step ${ctx.step}: ${this.consecutive} consecutive spikes; accepting the new level ` +
        "(the spike statistics start again)");
      ctx.log({ type: "spike_reset", step: ctx.step, consecutive: this.consecutive });
      this.loss = [];
      this.grad = [];
      this.consecutive = 0;
      this.push(loss, g);
      return;
    }
    if (c.policy === "skip") return "skip";
    if (c.policy === "rollback") return "rollback";
  }

  private push(loss: number, g: number): void {
    const w = this.config.window;
    if (Number.isFinite(loss)) {
      this.loss.push(loss);
      if (this.loss.length > w) this.loss.shift();
    }
    if (Number.isFinite(g)) {
      this.grad.push(g);
      if (this.grad.length > w) this.grad.shift();
    }
  }

  state(): SpikeState {
    return { loss: [...this.loss], grad: [...this.grad], consecutive: this.consecutive };
  }

  restore(state: unknown): void {
    const s = state as Partial<SpikeState> | null;
    this.loss = Array.isArray(s?.loss) ? s!.loss.map(Number) : [];
    this.grad = Array.isArray(s?.grad) ? s!.grad.map(Number) : [];
    this.consecutive = Number.isInteger(s?.consecutive) ? s!.consecutive! : 0;
  }
}

function fmt(x: number): string {
  return Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : x.toFixed(4);
}
