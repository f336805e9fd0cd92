/**
 * Training the fastText-style classifier by plain SGD on softmax cross-entropy, with fastText's learning rate
 * that falls linearly to zero over the run, and its initialisation (embedding uniform in ±1/dim, output zero).
 * Examples are visited in a seeded random order each epoch, so training is deterministic. Labelled data is
 * JSONL (a text field and a label field; numeric labels allowed) or fastText's "__label__x text" lines.
 */
import { readFileSync } from "node:fs";
import { Rng } from "../../../util/rng.js";
import { getPath } from "../../readers/fields.js";
import { featurize, type FeatureConfig } from "./features.js";
import { TextClassifier } from "./model.js";

export interface LabelledExample {
  text: string;
  label: string;
}

export interface TrainOptions {
  dim: number;
  buckets: number;
  wordNgrams: number;
  minn: number;
  maxn: number;
  maxWords: number;
  epochs: number;
  lr: number;
  seed: number;
  /** features kept in memory between epochs (beyond that, examples are re-featurized every epoch) */
  cacheFeatures?: number;
}

export const DEFAULT_TRAIN: TrainOptions = {
  dim: 16, buckets: 1 << 18, wordNgrams: 2, minn: 3, maxn: 5, maxWords: 1000, epochs: 10, lr: 1.0, seed: 1,
};

export interface Evaluation {
  examples: number;
  accuracy: number;
  loss: number;
  perLabel: Record<string, { precision: number; recall: number; support: number }>;
  /** confusion[true][predicted] */
  confusion: Record<string, Record<string, number>>;
}

/** Reads labelled examples; bad lines are counted and skipped. */
export function readLabelled(path: string, textField = "text", labelField = "label"): { examples: LabelledExample[]; skipped: number } {
  const examples: LabelledExample[] = [];
  let skipped = 0;
  const jsonl = /\.(jsonl|ndjson|json)$/i.test(path);
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    if (jsonl) {
      try {
        const rec = JSON.parse(line) as Record<string, unknown>;
        const text = getPath(rec, textField);
        const label = getPath(rec, labelField);
        if (typeof text === "string" && (typeof label === "string" || typeof label === "number")) examples.push({ text, label: String(label) });
        else skipped++;
      } catch {
        skipped++;
      }
    } else {
      const m = /^__label__(\S+)\s+(.*)$/.exec(line);
      if (m) examples.push({ label: m[1], text: m[2] });
      else skipped++;
    }
  }
  return { examples, skipped };
}

/** Labels in a stable order: numerically when all are numbers, else lexicographically. */
export function sortLabels(labels: Iterable<string>): string[] {
  const all = [...new Set(labels)];
  const numeric = all.every((l) => l.trim() !== "" && Number.isFinite(Number(l)));
  return numeric ? all.sort((a, b) => Number(a) - Number(b)) : all.sort();
}

/** Deterministic split: a seeded shuffle, the first `fraction` held out. */
export function splitHeldOut<T>(items: T[], fraction: number, seed: number): { train: T[]; valid: T[] } {
  const order = items.map((_, i) => i);
  const rng = new Rng(`split-${seed}`);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const nValid = Math.round(items.length * fraction);
  return { valid: order.slice(0, nValid).map((i) => items[i]), train: order.slice(nValid).map((i) => items[i]) };
}

export function trainClassifier(examples: LabelledExample[], o: TrainOptions,
  onEpoch?: (epoch: number, loss: number) => void, onProgress?: (done: number, total: number) => void): TextClassifier {
  if (examples.length === 0) throw new RangeError("no training examples");
  const labels = sortLabels(examples.map((e) => e.label));
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const features: FeatureConfig = { buckets: o.buckets, wordNgrams: o.wordNgrams, minn: o.minn, maxn: o.maxn, maxWords: o.maxWords };
  const d = o.dim;
  const rng = new Rng(o.seed);
  const E = new Float32Array(o.buckets * d);
  for (let i = 0; i < E.length; i++) E[i] = (rng.float32() * 2 - 1) / d;
  const W = new Float32Array(labels.length * d);
  const b = new Float32Array(labels.length);
  const model = new TextClassifier(labels, features, d, E, W, b);

  const budget = o.cacheFeatures ?? 32_000_000;
  let cached = 0;
  const cache: (Int32Array | null)[] = examples.map((e) => {
    if (cached >= budget) return null;
    const f = Int32Array.from(featurize(e.text, features));
    cached += f.length;
    return f;
  });
  const scratch: number[] = [];
  const hidden = new Float32Array(d);
  const gradH = new Float32Array(d);
  const probs = new Float64Array(labels.length);
  const total = examples.length * o.epochs;
  let step = 0;
  const order = examples.map((_, i) => i);
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    let lossSum = 0;
    for (const idx of order) {
      const lr = o.lr * (1 - step / total);
      step++;
      const feats: ArrayLike<number> = cache[idx] ?? featurize(examples[idx].text, features, scratch);
      const y = labelIndex.get(examples[idx].label)!;
      model.embed(feats as number[], hidden);
      model.probsFromHidden(hidden, probs);
      lossSum += -Math.log(Math.max(probs[y], 1e-12));
      gradH.fill(0);
      for (let c = 0; c < labels.length; c++) {
        const g = probs[c] - (c === y ? 1 : 0);
        const off = c * d;
        for (let j = 0; j < d; j++) {
          gradH[j] += g * W[off + j];
          W[off + j] -= lr * g * hidden[j];
        }
        b[c] -= lr * g;
      }
      if (feats.length > 0) {
        const s = lr / feats.length;
        for (let k = 0; k < feats.length; k++) {
          const off = feats[k] * d;
          for (let j = 0; j < d; j++) E[off + j] -= s * gradH[j];
        }
      }
      if (onProgress && step % 256 === 0) onProgress(step, total);
    }
    onEpoch?.(epoch + 1, lossSum / order.length);
  }
  return model;
}

export function evaluate(model: TextClassifier, examples: LabelledExample[]): Evaluation {
  const confusion: Record<string, Record<string, number>> = {};
  for (const t of model.labels) confusion[t] = Object.fromEntries(model.labels.map((p) => [p, 0]));
  let correct = 0;
  let loss = 0;
  let n = 0;
  for (const e of examples) {
    const y = model.labels.indexOf(e.label);
    if (y < 0) continue; // a label the model never saw cannot be scored
    const p = model.predict(e.text);
    let best = 0;
    for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
    if (best === y) correct++;
    loss += -Math.log(Math.max(p[y], 1e-12));
    confusion[e.label][model.labels[best]]++;
    n++;
  }
  const perLabel: Evaluation["perLabel"] = {};
  for (const l of model.labels) {
    const tp = confusion[l][l];
    const support = Object.values(confusion[l]).reduce((a, b) => a + b, 0);
    const predicted = model.labels.reduce((a, t) => a + confusion[t][l], 0);
    perLabel[l] = { precision: predicted ? tp / predicted : 0, recall: support ? tp / support : 0, support };
  }
  return { examples: n, accuracy: n ? correct / n : 0, loss: n ? loss / n : 0, perLabel, confusion };
}
