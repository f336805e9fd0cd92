/**
 * The training loop: packed batches from a token source → loss and gradient (with gradient accumulation) →
 * global-norm clipping → AdamW with the μP groups at the WSD learning rate → metrics, held-out loss and
 * checkpoints. A NaN or Inf in the loss or the gradients stops the run before the update, so the last checkpoint
 * stays the last good state. Resuming continues bit for bit: parameters, moments, optimizer step, data position
 * and callback states all come from the checkpoint.
 *
 * Callbacks see every step before and after its update. The stability monitor (monitor.ts) and the spike
 * detector (spikes.ts) are callbacks built from the run configuration's `monitor` and `spikes` sections. A
 * callback may ask to skip a step's update, or to roll back: the trainer then reloads the newest complete
 * checkpoint (parameters, moments, optimizer step, callback states), keeps the data source where it is — past
 * the batches of the abandoned steps, which are recorded as skipped — and marks the abandoned steps' metric
 * records `abandoned: <rollback number>`. Skipped batches and the rollback count are part of every checkpoint,
 * so exact resume holds across skips and rollbacks.
 */
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import type { Kernels } from "../kernels/types.js";
import { Model } from "../model/model.js";
import { AdamW, clipGradients, groupSettings } from "./optimizer.js";
import { lrMultiplier } from "./schedule.js";
import type { RunConfig } from "./config.js";
import type { TokenSource } from "../data/source.js";
import {
  CHECKPOINT_FORMAT, CHECKPOINT_VERSION, listCheckpoints, loadCheckpointTensors, markKeep, newestUsableCheckpoint,
  pruneCheckpoints, saveCheckpoint, type CheckpointState, type SkippedBatches,
} from "./checkpoint.js";
import { TrainingError } from "./errors.js";
import { describeDiff, initFrom } from "./init-from.js";
import { mapMetrics, MetricsWriter, truncateMetrics, type MetricRecord } from "../util/metrics.js";
import { resolveMonitor, StabilityMonitor } from "./monitor.js";
import { resolveSpikes, SpikeDetector } from "./spikes.js";
import { EvalCallback, resolveEvaluationConfig } from "../eval/callback.js";
import { tokenizerFromJSON } from "../tokenizer/index.js";
import { Progress, type ProgressStream } from "../util/progress.js";
import { writeFileAtomic } from "../util/atomic.js";
import type { Batch } from "../model/batch.js";

export { TrainingError } from "./errors.js";
export { describeDiff, initFrom, initFromWeights, initOptimizerFrom } from "./init-from.js";

export interface StepRecord extends MetricRecord {
  type: "train";
  step: number;
  loss: number;
  lr: number;
  lr_hidden: number;
  grad_norm: number;
  clip_factor: number;
  tokens: number;
  tokens_per_s: number;
  step_seconds: number;
  elapsed_seconds: number;
  /** the update was not applied (a callback asked to skip it, or the step was rolled back) */
  skipped?: boolean;
  /** the step triggered a rollback */
  rolled_back?: boolean;
}

export interface StepContext {
  /** the step being taken (1-based: the number of steps done once it completes) */
  step: number;
  record: StepRecord;
  model: Model;
  kernels: Kernels;
  config: RunConfig;
  /** the step's (last) micro-batch, whose activations the model holds */
  batch: Batch;
  /** writes an extra record into the metrics file */
  log(record: MetricRecord): void;
}

/** What a callback asks of the update: nothing (go ahead), "skip" it, or "rollback" to the last checkpoint. */
export type UpdateDecision = void | "skip" | "rollback";

/** Cross-cutting concerns (monitors, spike detection, in-training evaluation) plug in here. */
export interface TrainerCallback {
  readonly name: string;
  /**
   * After the gradients are computed and clipped, before the update. "skip" skips the update; "rollback"
   * reloads the newest complete checkpoint and skips the batches since (a rollback wins over a skip; with no
   * checkpoint yet it is a skip). Every callback is asked, whatever the others answer.
   */
  beforeUpdate?(ctx: StepContext): UpdateDecision;
  /** after the update (also after a skipped one, and before a rollback is carried out) */
  onStepEnd?(ctx: StepContext): void;
  state?(): unknown;
  restore?(state: unknown): void;
}

export interface TrainerOptions {
  config: RunConfig;
  kernels: Kernels;
  source: TokenSource;
  /** saved into checkpoints (tokenizer.json) */
  tokenizer?: unknown;
  resume?: boolean;
  callbacks?: TrainerCallback[];
  /** human-readable messages (default: stderr) */
  log?: (message: string) => void;
  progress?: ProgressStream | null;
  /** stop after this many optimizer steps in this invocation (the run stays resumable) */
  stopAfter?: number;
  /**
   * Add the stability monitor and spike detector the config's `monitor` and `spikes` sections describe, before
   * `callbacks` (default true).
   */
  stability?: boolean;
}

export interface TrainSummary {
  outDir: string;
  startStep: number;
  step: number;
  tokens: number;
  lastLoss: number;
  valLoss: number | null;
  seconds: number;
  checkpoint: string | null;
  resumedFrom: string | null;
  /** batches skipped by the spike policies over the whole run (skips and rollbacks) */
  skippedBatches: number;
  rollbacks: number;
}

export function train(opts: TrainerOptions): TrainSummary {
  const { kernels: k, source } = opts;
  // a hand-built RunConfig (not from resolveRunConfig) may lack the stability sections: their defaults apply
  const cfg: RunConfig = opts.config.monitor && opts.config.spikes && opts.config.evaluation ? opts.config : {
    ...opts.config, monitor: opts.config.monitor ?? resolveMonitor({}), spikes: opts.config.spikes ?? resolveSpikes({}),
    evaluation: opts.config.evaluation ?? resolveEvaluationConfig({}),
  };
  const log = opts.log ?? ((m: string) => process.stderr.write(m + "\n"));
  const callbacks: TrainerCallback[] = [];
  if (opts.stability ?? true) {
    if (cfg.monitor.every > 0 || cfg.monitor.divergence.enabled) {
      callbacks.push(new StabilityMonitor(cfg.monitor, cfg.model, { log, warmupSteps: cfg.schedule.warmup_steps }));
    }
    if (cfg.spikes.policy !== "off") callbacks.push(new SpikeDetector(cfg.spikes, { log }));
  }
  callbacks.push(...(opts.callbacks ?? []));
  if (cfg.evaluation.every > 0) {
    if (opts.tokenizer === undefined) {
      throw new TrainingError("evaluation.every is set but the run has no tokenizer to turn task text into tokens");
    }
    callbacks.push(new EvalCallback(cfg.evaluation, tokenizerFromJSON(opts.tokenizer), log));
  }
  const loop = cfg.train;
  if (source.vocabSize > cfg.model.vocab_size) {
    throw new TrainingError(`the data has ids up to ${source.vocabSize - 1} but model.vocab_size is ${cfg.model.vocab_size}; ` +
      `set model.vocab_size to at least ${source.vocabSize}`);
  }
  mkdirSync(cfg.out_dir, { recursive: true });
  const metricsPath = join(cfg.out_dir, "metrics.jsonl");

  // A copy: context extension changes the model's RoPE θ, and cfg.model must stay the run's declared one.
  const model = new Model({ ...cfg.model }, k);
  /** RoPE θ in use; a curriculum phase may raise it (context extension) */
  let theta = cfg.model.rope_theta;
  const thetaAt = (s: number): number => source.shapeAt?.(s).ropeTheta ?? cfg.model.rope_theta;
  const grads = model.grads!;
  const optimizer = new AdamW(k, cfg.optimizer, cfg.model, model.layout, model.params, grads);
  let step = 0;
  let tokens = 0;
  let elapsedBefore = 0;
  let resumedFrom: string | null = null;
  let lastCheckpoint: string | null = null;
  let lastSavedStep = -1;
  let skipped: SkippedBatches[] = [];
  let rollbacks = 0;

  if (opts.resume) {
    const ck = newestUsableCheckpoint(cfg.out_dir, (dir, why) => log(`warning: skipping checkpoint ${dir}: ${why}`));
    if (ck) {
      const saved = (ck.config as { model?: unknown }).model;
      // A checkpoint stores the θ its phase used; compare against that, not the run's starting θ.
      const diff = describeDiff(saved, { ...cfg.model, rope_theta: thetaAt(Math.max(0, ck.state.step - 1)) });
      if (diff.length) {
        throw new TrainingError(`cannot resume from ${ck.dir}: the model configuration differs:\n  ${diff.join("\n  ")}`);
      }
      loadCheckpointTensors(ck.dir, model.layout, model.params, { m: optimizer.m, v: optimizer.v });
      optimizer.step = ck.state.optimizer_step;
      source.restore(ck.state.data);
      for (const cb of callbacks) if (cb.restore && cb.name in ck.state.callbacks) cb.restore(ck.state.callbacks[cb.name]);
      step = ck.state.step;
      tokens = ck.state.tokens_seen;
      elapsedBefore = ck.state.elapsed_seconds;
      skipped = [...(ck.state.skipped_batches ?? [])];
      rollbacks = ck.state.rollbacks ?? 0;
      resumedFrom = ck.dir;
      lastCheckpoint = ck.dir;
      lastSavedStep = step;
      const t = truncateMetrics(metricsPath, keepOnResume(step, rollbacks));
      log(`resumed from ${ck.dir} (step ${step}, ${tokens} tokens)` +
        (t.removed ? `; dropped ${t.removed} metric records after step ${step}` : ""));
    } else {
      log(`no complete checkpoint in ${cfg.out_dir}: starting from scratch`);
    }
  } else if (listCheckpoints(cfg.out_dir).length > 0) {
    throw new TrainingError(`${cfg.out_dir} already holds checkpoints of a run; pass --resume to continue it, ` +
      "or choose another output folder");
  }
  if (!resumedFrom) {
    model.init(cfg.seed);
    if (loop.init_from) log(initFrom(model, loop.init_optimizer ? optimizer : null, loop.init_from));
    if (existsSync(metricsPath)) {
      const old = join(cfg.out_dir, `metrics.${new Date().toISOString().replace(/[:.]/g, "-")}.jsonl`);
      renameSync(metricsPath, old);
      log(`kept the metrics of an earlier, checkpoint-less run as ${old}`);
    }
  }
  writeFileAtomic(join(cfg.out_dir, "config.json"), JSON.stringify(cfg, null, 2) + "\n");
  // The phase the run was in, so a resume inside a phase does not announce it again.
  let phase: string | null = step > 0 ? source.shapeAt?.(step - 1).phase ?? null : null;
  let metrics = new MetricsWriter(metricsPath);
  let rows = loop.batch_size;
  let seq = loop.seq_len;
  /** Sets rows, seq, θ and the phase for optimizer step `s` (0-based); logs a phase change. */
  const enterStep = (s: number, write: boolean): void => {
    source.setStep?.(s);
    const shape = source.shapeAt?.(s);
    if (!shape) return;
    rows = shape.rows;
    seq = shape.seq;
    if (shape.ropeTheta !== theta) {
      theta = shape.ropeTheta;
      model.setRope(theta, cfg.model.max_seq_len);
    }
    if (shape.phase !== phase) {
      phase = shape.phase;
      if (write) {
        metrics.write({ type: "phase", step: s + 1, phase, rows, seq, rope_theta: theta });
        log(`phase ${phase} from step ${s + 1}: ${rows} rows × ${seq} tokens, RoPE θ ${theta}`);
      }
    }
  };
  const byDomain = source.validationByDomain?.(loop.batch_size, loop.seq_len, loop.eval_batches) ?? null;
  const validation = byDomain ? [...byDomain.values()].flat() : source.validation(loop.batch_size, loop.seq_len, loop.eval_batches);
  if (validation.length === 0) log("warning: the held-out data is too small for one batch; no held-out loss");
  const groups = groupSettings(cfg.optimizer, cfg.model);
  const startStep = step;
  const endStep = Math.min(loop.steps, opts.stopAfter !== undefined ? step + opts.stopAfter : loop.steps);
  const progress = opts.progress === null ? null : new Progress({
    label: "train", total: loop.steps, unit: "steps", stream: opts.progress ?? process.stderr,
  });
  const t0 = performance.now();
  let lastLoss = NaN;
  let valLoss: number | null = null;
  let lastEvalStep = -1;

  /** Held-out loss per domain of the last evaluation (curriculum runs) */
  let valDomains: Record<string, number> = {};
  const evaluate = (): number | null => {
    if (validation.length === 0) return null;
    let sum = 0;
    let count = 0;
    valDomains = {};
    const groups = byDomain ? [...byDomain] : [["", validation] as [string, Batch[]]];
    for (const [domain, batches] of groups) {
      let ds = 0;
      let dc = 0;
      for (const b of batches) {
        const r = model.loss(b);
        ds += r.sum;
        dc += r.count;
      }
      if (domain) valDomains[domain] = ds / dc;
      sum += ds;
      count += dc;
    }
    return sum / count;
  };
  const evalRecord = (s: number, v: number): MetricRecord => {
    const r: MetricRecord = { type: "eval", step: s, val_loss: v, tokens };
    for (const [d, l] of Object.entries(valDomains)) r[`val_loss_${d}`] = l;
    return r;
  };

  /** `keep`: never pruned (the stable phase's last checkpoint, which annealing branches from) */
  const save = (keep = false): void => {
    const state: CheckpointState = {
      format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, step, tokens_seen: tokens,
      optimizer_step: optimizer.step, lr_multiplier: lrMultiplier(Math.max(0, step - 1), cfg.schedule),
      data: source.state(),
      callbacks: Object.fromEntries(callbacks.filter((c) => c.state).map((c) => [c.name, c.state!()])),
      elapsed_seconds: elapsedBefore + (performance.now() - t0) / 1000, created_at: new Date().toISOString(),
      skipped_batches: skipped, rollbacks,
    };
    lastCheckpoint = saveCheckpoint(cfg.out_dir, {
      layout: model.layout, params: model.params, moments: { m: optimizer.m, v: optimizer.v }, state,
      config: theta === cfg.model.rope_theta ? cfg : { ...cfg, model: { ...cfg.model, rope_theta: theta } },
      tokenizer: opts.tokenizer,
    });
    lastSavedStep = step;
    if (keep || (loop.keep_every && step % loop.keep_every === 0)) markKeep(lastCheckpoint);
    pruneCheckpoints(cfg.out_dir, loop.keep_last);
  };

  const diverged = (what: string): TrainingError =>
    new TrainingError(`step ${step + 1}: ${what}. Training stopped before the update; ` +
      (lastCheckpoint ? `the last checkpoint (${lastCheckpoint}) is intact and can be resumed with --resume` :
        "no checkpoint was written yet") +
      ". Lower the learning rate, check the data, or enable clipping.");

  /** Whether a rollback can happen now: a complete checkpoint exists and the rollback budget is not spent. */
  const canRollBack = (why: string): boolean => {
    if (!listCheckpoints(cfg.out_dir).some((e) => e.complete)) {
      log(`warning: step ${step + 1}: ${why}, but no checkpoint has been written yet to roll back to`);
      return false;
    }
    if (rollbacks >= cfg.spikes.max_rollbacks) {
      throw new TrainingError(`step ${step + 1}: ${why} after ${rollbacks} rollback${rollbacks === 1 ? "" : "s"} ` +
        `(spikes.max_rollbacks = ${cfg.spikes.max_rollbacks}); the instability persists. Lower the learning rate or ` +
        `inspect the run (pretrain report ${cfg.out_dir})`);
    }
    return true;
  };

  /**
   * Goes back to the newest complete checkpoint from step `at` (the offending step, not taken). The data source
   * stays where it is, so every batch since the checkpoint is skipped (plus spikes.skip_after steps' more).
   */
  const rollBack = (at: number, why: string): void => {
    const ck = newestUsableCheckpoint(cfg.out_dir, (dir, w) => log(`warning: skipping checkpoint ${dir}: ${w}`));
    if (!ck) throw diverged(`${why}, and no usable checkpoint is left to roll back to`);
    loadCheckpointTensors(ck.dir, model.layout, model.params, { m: optimizer.m, v: optimizer.v });
    optimizer.step = ck.state.optimizer_step;
    for (const cb of callbacks) if (cb.restore && cb.name in ck.state.callbacks) cb.restore(ck.state.callbacks[cb.name]);
    for (let s = 0; s < cfg.spikes.skip_after; s++) {
      enterStep(at + s, false);
      for (let i = 0; i < loop.grad_accum; i++) source.next(rows, seq);
    }
    rollbacks++;
    const entry: SkippedBatches = {
      kind: "rollback", rollback: rollbacks, step: at, to_step: ck.state.step,
      batches: (at - ck.state.step + cfg.spikes.skip_after) * loop.grad_accum, data_from: ck.state.data,
      data_to: source.state(),
    };
    skipped.push(entry);
    metrics.close();
    const n = rollbacks;
    mapMetrics(metricsPath, (r) => typeof r.step === "number" && r.step > ck.state.step && r.abandoned === undefined &&
      r.type !== "rollback" ? { ...r, abandoned: n } : r);
    metrics = new MetricsWriter(metricsPath);
    metrics.write({ type: "rollback", step: ck.state.step, rollback: n, from_step: at, checkpoint: ck.dir,
      batches: entry.batches, data_from: entry.data_from, data_to: entry.data_to, reason: why });
    log(`warning: step ${at}: ${why}: rolled back to ${ck.dir} (step ${ck.state.step}); skipping the ` +
      `${entry.batches} batch${entry.batches === 1 ? "" : "es"} of steps ${ck.state.step + 1}–${at + cfg.spikes.skip_after}`);
    step = ck.state.step;
    tokens = ck.state.tokens_seen;
    lastCheckpoint = ck.dir;
    lastSavedStep = step;
  };
  const rollbackPolicy = (opts.stability ?? true) && cfg.spikes.policy === "rollback";

  try {
    while (step < endStep) {
      enterStep(step, true);
      // curriculum.auto_mixture: at a later phase's first step, its mixture follows the held-out loss per domain
      const mix = source.adjustMixture?.(step, () => {
        evaluate();
        return { ...valDomains };
      });
      if (mix) {
        metrics.write({ type: "mixture", step: step + 1, phase: mix.phase, shares: mix.shares, declared: mix.declared,
          val_loss_by_domain: mix.losses });
        log(`phase ${mix.phase}: mixture adjusted from the held-out loss per domain: ` +
          Object.entries(mix.shares).map(([d, v]) => `${d} ${v.toFixed(3)} (declared ${mix.declared[d].toFixed(3)})`).join(", "));
      }
      const ts = performance.now();
      const dataBefore = source.state();
      model.zeroGrads();
      let loss = 0;
      let b: Batch | null = null;
      for (let a = 0; a < loop.grad_accum; a++) {
        b = source.next(rows, seq);
        loss += model.lossAndGrad(b, 1 / loop.grad_accum).mean / loop.grad_accum;
      }
      const clip = Number.isFinite(loss) ? clipGradients(k, grads, cfg.optimizer.clip) : { norm: NaN, factor: 1 };
      if (!Number.isFinite(loss) || !Number.isFinite(clip.norm)) {
        const why = !Number.isFinite(loss) ? `the loss is ${loss}` :
          `the gradient norm is ${clip.norm} (NaN or Inf in the gradients)`;
        if (!rollbackPolicy || !canRollBack(why)) throw diverged(why);
        metrics.write({ type: "train", step: step + 1, loss, grad_norm: clip.norm, skipped: true, rolled_back: true });
        rollBack(step + 1, why);
        continue;
      }
      const lambda = lrMultiplier(step, cfg.schedule);
      const record: StepRecord = {
        type: "train", step: step + 1, loss, lr: groups.base.lr * lambda, lr_hidden: groups.hidden.lr * lambda,
        grad_norm: clip.norm, clip_factor: clip.factor, tokens: tokens + rows * seq * loop.grad_accum,
        tokens_per_s: 0, step_seconds: 0, elapsed_seconds: 0,
      };
      const ctx: StepContext = {
        step: step + 1, record, model, kernels: k, config: cfg, batch: b!, log: (r) => metrics.write(r),
      };
      let decision: "update" | "skip" | "rollback" = "update";
      for (const cb of callbacks) {
        const d = cb.beforeUpdate?.(ctx);
        if (d === "rollback") decision = "rollback";
        else if (d === "skip" && decision === "update") decision = "skip";
      }
      if (decision === "rollback" && !canRollBack("a spike asks for a rollback")) decision = "skip";
      if (decision === "rollback") {
        record.skipped = true;
        record.rolled_back = true;
        record.step_seconds = (performance.now() - ts) / 1000;
        record.elapsed_seconds = elapsedBefore + (performance.now() - t0) / 1000;
        metrics.write(record);
        for (const cb of callbacks) cb.onStepEnd?.(ctx);
        rollBack(step + 1, "a loss or gradient-norm spike");
        continue;
      }
      const skip = decision === "skip";
      if (!skip) optimizer.update(lambda);
      else {
        skipped.push({ kind: "skip", step: step + 1, batches: loop.grad_accum, data: dataBefore });
        metrics.write({ type: "skip", step: step + 1, batches: loop.grad_accum, data: dataBefore });
      }
      step++;
      tokens = record.tokens;
      lastLoss = loss;
      const dt = (performance.now() - ts) / 1000;
      record.step_seconds = dt;
      record.tokens_per_s = (rows * seq * loop.grad_accum) / dt;
      record.elapsed_seconds = elapsedBefore + (performance.now() - t0) / 1000;
      if (skip) record.skipped = true;
      metrics.write(record);
      for (const cb of callbacks) cb.onStepEnd?.(ctx);
      const fields: Record<string, string | number> = {
        loss: loss.toFixed(4), lr: record.lr.toExponential(2), gnorm: clip.norm.toFixed(3),
        "tok/s": Math.round(record.tokens_per_s),
      };
      if (valLoss !== null) fields.val = valLoss.toFixed(4);
      progress?.update(step, fields);
      if ((loop.eval_every > 0 && step % loop.eval_every === 0) || step === loop.steps) {
        valLoss = evaluate();
        lastEvalStep = step;
        if (valLoss !== null) metrics.write(evalRecord(step, valLoss));
      }
      const decayStart = loop.keep_decay_start && step === cfg.schedule.decay_start && step < loop.steps;
      if ((loop.checkpoint_every > 0 && step % loop.checkpoint_every === 0) || step === loop.steps || decayStart) {
        save(decayStart);
      }
    }
    // A stop before the end (stopAfter) still leaves a resumable checkpoint.
    if (step > startStep && lastSavedStep !== step) save();
  } finally {
    metrics.close();
  }
  if (lastEvalStep !== step && step > startStep) {
    valLoss = evaluate();
    if (valLoss !== null) {
      const w = new MetricsWriter(metricsPath);
      w.write(evalRecord(step, valLoss));
      w.close();
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  progress?.finish(`step ${step}, loss ${lastLoss.toFixed(4)}${valLoss !== null ? `, held-out ${valLoss.toFixed(4)}` : ""}`);
  return {
    outDir: cfg.out_dir, startStep, step, tokens, lastLoss, valLoss, seconds, checkpoint: lastCheckpoint, resumedFrom,
    skippedBatches: skipped.reduce((a, e) => a + e.batches, 0), rollbacks,
  };
}

/**
 * Which metric records survive a resume from a checkpoint at `step` saved after `rollbacks` rollbacks: records of
 * steps up to the checkpoint's, plus the records of steps abandoned by (and the records of) rollbacks that
 * happened before the checkpoint was saved. Everything else will be written again by the resumed run.
 */
export function keepOnResume(step: number, rollbacks: number): (r: MetricRecord) => boolean {
  return (r) => {
    if (typeof r.abandoned === "number") return r.abandoned <= rollbacks;
    if (r.type === "rollback" && typeof r.rollback === "number") return r.rollback <= rollbacks;
    return typeof r.step !== "number" || r.step <= step;
  };
}
