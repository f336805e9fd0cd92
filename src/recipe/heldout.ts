/**
 * Held-out loss per domain of checkpoints, at the base training context and at the longest (annealing) context.
 * At the long context the loss is also taken over the positions past the base context alone: those are the
 * positions context extension (raising RoPE θ and training on longer rows) is for, so a model before annealing
 * should do worse there than after.
 */
import type { Batch } from "../model/batch.js";
import type { Kernels } from "../kernels/types.js";
import { loadModel } from "../infer/load.js";
import type { Model } from "../model/model.js";

export interface DomainLoss {
  /** nats per token at the base context */
  base: number | null;
  /** nats per token at the long context, all positions */
  long: number | null;
  /** nats per token at the long context, positions ≥ the base context */
  tail: number | null;
}

export interface CheckpointLoss {
  label: string;
  dir: string;
  step: number | null;
  rope_theta: number;
  domains: Record<string, DomainLoss>;
}

export interface HeldOutBatches {
  baseSeq: number;
  longSeq: number;
  base: Map<string, Batch[]>;
  long: Map<string, Batch[]>;
}

/** The same batches with the targets of positions before `from` ignored (−1). */
export function tailOnly(batches: readonly Batch[], from: number): Batch[] {
  return batches.map((b) => {
    const targets = Int32Array.from(b.targets);
    for (let r = 0; r < b.rows; r++) targets.fill(-1, r * b.seq, r * b.seq + Math.min(from, b.seq));
    return { ...b, targets };
  });
}

function meanLoss(model: Model, batches: readonly Batch[]): number | null {
  let sum = 0;
  let count = 0;
  for (const b of batches) {
    const r = model.loss(b);
    sum += r.sum;
    count += r.count;
  }
  return count ? sum / count : null;
}

export function checkpointLoss(label: string, dir: string, data: HeldOutBatches, kernels: Kernels): CheckpointLoss {
  const { model, step } = loadModel(dir, kernels);
  const domains: Record<string, DomainLoss> = {};
  for (const [d, batches] of data.base) domains[d] = { base: meanLoss(model, batches), long: null, tail: null };
  if (data.longSeq > data.baseSeq) {
    // a checkpoint from before the extension keeps its own θ; its tables must still reach the long context
    if (model.config.max_seq_len < data.longSeq) model.setRope(model.config.rope_theta, data.longSeq);
    for (const [d, batches] of data.long) {
      const entry = (domains[d] ??= { base: null, long: null, tail: null });
      entry.long = meanLoss(model, batches);
      entry.tail = meanLoss(model, tailOnly(batches, data.baseSeq));
    }
  }
  return { label, dir, step, rope_theta: model.config.rope_theta, domains };
}
