/**
 * The training loop: packed batches from a token source → loss and gradient (with gradient accumulation) →
 * global-norm clipping → AdamW with the μP groups at the WSD learning rate → metrics, held-out loss and
 * checkpoints. A NaN or Inf in the loss or the gradients stops the run before the update, so the last checkpoint
 * stays the last good state. Resuming continues bit for bit: parameters, moments, optimizer step, data position
 * and callback states all come from the checkpoint.
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
  pruneCheckpoints, saveCheckpoint, type CheckpointState,
} from "./checkpoint.js";
import { MetricsWriter, truncateMetrics, type MetricRecord } from "../util/metrics.js";
import { Progress, type ProgressStream } from "../util/progress.js";
import { writeFileAtomic } from "../util/atomic.js";
import type { Batch } from "../model/batch.js";

export class TrainingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrainingError";
  }
}

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
}

export interface StepContext {
  step: number;
  record: StepRecord;
  model: Model;
  /** writes an extra record into the metrics file */
  log(record: MetricRecord): void;
}

/** Cross-cutting concerns (monitors, spike detection, in-training evaluation) plug in here. */
export interface TrainerCallback {
  readonly name: string;
  /** after the gradients are computed and clipped, before the update; return "skip" to skip the update */
  beforeUpdate?(ctx: StepContext): void | "skip";
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
}

function describeDiff(a: unknown, b: unknown): string[] {
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao ?? {}), ...Object.keys(bo ?? {})]);
  const out: string[] = [];
  for (const k of keys) {
    if (JSON.stringify(ao?.[k]) !== JSON.stringify(bo?.[k])) {
      out.push(`${k}: checkpoint ${JSON.stringify(ao?.[k])} vs config ${JSON.stringify(bo?.[k])}`);
    }
  }
  return out;
}

export function train(opts: TrainerOptions): TrainSummary {
  const { config: cfg, kernels: k, source } = opts;
  const log = opts.log ?? ((m: string) => process.stderr.write(m + "\n"));
  const callbacks = opts.callbacks ?? [];
  const loop = cfg.train;
  if (source.vocabSize > cfg.model.vocab_size) {
    throw new TrainingError(`the data has ids up to ${source.vocabSize - 1} but model.vocab_size is ${cfg.model.vocab_size}; ` +
      `set model.vocab_size to at least ${source.vocabSize}`);
  }
  mkdirSync(cfg.out_dir, { recursive: true });
  const metricsPath = join(cfg.out_dir, "metrics.jsonl");

  const model = new Model(cfg.model, k);
  const grads = model.grads!;
  const optimizer = new AdamW(k, cfg.optimizer, cfg.model, model.layout, model.params, grads);
  let step = 0;
  let tokens = 0;
  let elapsedBefore = 0;
  let resumedFrom: string | null = null;
  let lastCheckpoint: string | null = null;
  let lastSavedStep = -1;

  if (opts.resume) {
    const ck = newestUsableCheckpoint(cfg.out_dir, (dir, why) => log(`warning: skipping checkpoint ${dir}: ${why}`));
    if (ck) {
      const saved = (ck.config as { model?: unknown }).model;
      const diff = describeDiff(saved, cfg.model);
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
      resumedFrom = ck.dir;
      lastCheckpoint = ck.dir;
      lastSavedStep = step;
      const t = truncateMetrics(metricsPath, (r) => typeof r.step !== "number" || r.step <= step);
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
    if (existsSync(metricsPath)) {
      const old = join(cfg.out_dir, `metrics.${new Date().toISOString().replace(/[:.]/g, "-")}.jsonl`);
      renameSync(metricsPath, old);
      log(`kept the metrics of an earlier, checkpoint-less run as ${old}`);
    }
  }
  writeFileAtomic(join(cfg.out_dir, "config.json"), JSON.stringify(cfg, null, 2) + "\n");
  const metrics = new MetricsWriter(metricsPath);
  const rows = loop.batch_size;
  const seq = loop.seq_len;
  const validation = source.validation(rows, seq, loop.eval_batches);
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

  const evaluate = (): number | null => {
    if (validation.length === 0) return null;
    let sum = 0;
    let count = 0;
    for (const b of validation) {
      const r = model.loss(b);
      sum += r.sum;
      count += r.count;
    }
    return sum / count;
  };

  const save = (): void => {
    const state: CheckpointState = {
      format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, step, tokens_seen: tokens,
      optimizer_step: optimizer.step, lr_multiplier: lrMultiplier(Math.max(0, step - 1), cfg.schedule),
      data: source.state(),
      callbacks: Object.fromEntries(callbacks.filter((c) => c.state).map((c) => [c.name, c.state!()])),
      elapsed_seconds: elapsedBefore + (performance.now() - t0) / 1000, created_at: new Date().toISOString(),
    };
    lastCheckpoint = saveCheckpoint(cfg.out_dir, {
      layout: model.layout, params: model.params, moments: { m: optimizer.m, v: optimizer.v }, state, config: cfg,
      tokenizer: opts.tokenizer,
    });
    lastSavedStep = step;
    if (loop.keep_every && step % loop.keep_every === 0) markKeep(lastCheckpoint);
    pruneCheckpoints(cfg.out_dir, loop.keep_last);
  };

  const diverged = (what: string): TrainingError =>
    new TrainingError(`step ${step + 1}: ${what}. Training stopped before the update; ` +
      (lastCheckpoint ? `the last checkpoint (${lastCheckpoint}) is intact and can be resumed with --resume` :
        "no checkpoint was written yet") +
      ". Lower the learning rate, check the data, or enable clipping.");

  try {
    while (step < endStep) {
      const ts = performance.now();
      model.zeroGrads();
      let loss = 0;
      for (let a = 0; a < loop.grad_accum; a++) {
        const b: Batch = source.next(rows, seq);
        loss += model.lossAndGrad(b, 1 / loop.grad_accum).mean / loop.grad_accum;
      }
      if (!Number.isFinite(loss)) throw diverged(`the loss is ${loss}`);
      const clip = clipGradients(k, grads, cfg.optimizer.clip);
      if (!Number.isFinite(clip.norm)) throw diverged(`the gradient norm is ${clip.norm} (NaN or Inf in the gradients)`);
      const lambda = lrMultiplier(step, cfg.schedule);
      const record: StepRecord = {
        type: "train", step: step + 1, loss, lr: groups.base.lr * lambda, lr_hidden: groups.hidden.lr * lambda,
        grad_norm: clip.norm, clip_factor: clip.factor, tokens: tokens + rows * seq * loop.grad_accum,
        tokens_per_s: 0, step_seconds: 0, elapsed_seconds: 0,
      };
      const ctx: StepContext = { step: step + 1, record, model, log: (r) => metrics.write(r) };
      let skip = false;
      for (const cb of callbacks) if (cb.beforeUpdate?.(ctx) === "skip") skip = true;
      if (!skip) optimizer.update(lambda);
      step++;
      tokens = record.tokens;
      lastLoss = loss;
      const dt = (performance.now() - ts) / 1000;
      record.step_seconds = dt;
      record.tokens_per_s = (rows * seq * loop.grad_accum) / dt;
      record.elapsed_seconds = elapsedBefore + (performance.now() - t0) / 1000;
      if (skip) (record as MetricRecord).skipped = true;
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
        if (valLoss !== null) metrics.write({ type: "eval", step, val_loss: valLoss, tokens });
      }
      if ((loop.checkpoint_every > 0 && step % loop.checkpoint_every === 0) || step === loop.steps) save();
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
      w.write({ type: "eval", step, val_loss: valLoss, tokens });
      w.close();
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  progress?.finish(`step ${step}, loss ${lastLoss.toFixed(4)}${valLoss !== null ? `, held-out ${valLoss.toFixed(4)}` : ""}`);
  return { outDir: cfg.out_dir, startStep, step, tokens, lastLoss, valLoss, seconds, checkpoint: lastCheckpoint, resumedFrom };
}
