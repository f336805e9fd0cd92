/**
 * A fastText-style linear text classifier: the document vector is the mean of the embedding rows of its hashed
 * features, the label scores are a linear map of it, and probabilities their softmax. Saved as safetensors
 * (tensors "embedding" [buckets, dim], "output" [labels, dim], "bias" [labels]) with the labels and feature
 * settings in the metadata.
 */
import { openSafetensors, writeSafetensors } from "../../../util/safetensors.js";
import { featurize, type FeatureConfig } from "./features.js";

export const CLASSIFIER_FORMAT = "pretrain-ts-text-classifier";

export class TextClassifier {
  readonly dim: number;
  private readonly hidden: Float32Array;
  private readonly feats: number[] = [];

  constructor(
    readonly labels: string[],
    readonly features: FeatureConfig,
    dim: number,
    readonly embedding: Float32Array,
    readonly output: Float32Array,
    readonly bias: Float32Array,
  ) {
    this.dim = dim;
    this.hidden = new Float32Array(dim);
    if (embedding.length !== features.buckets * dim) throw new RangeError("embedding size does not match buckets × dim");
    if (output.length !== labels.length * dim || bias.length !== labels.length) throw new RangeError("output size does not match labels × dim");
  }

  /** The mean embedding of a feature list into `hidden` (zeros when there are no features). */
  embed(feats: readonly number[], hidden: Float32Array = this.hidden): Float32Array {
    hidden.fill(0);
    const d = this.dim;
    const E = this.embedding;
    for (let k = 0; k < feats.length; k++) {
      const off = feats[k] * d;
      for (let j = 0; j < d; j++) hidden[j] += E[off + j];
    }
    if (feats.length > 0) {
      const inv = 1 / feats.length;
      for (let j = 0; j < d; j++) hidden[j] *= inv;
    }
    return hidden;
  }

  /** Softmax probabilities from a hidden vector into `probs`. */
  probsFromHidden(hidden: Float32Array, probs: Float64Array): Float64Array {
    const d = this.dim;
    let max = -Infinity;
    for (let c = 0; c < this.labels.length; c++) {
      let s = this.bias[c];
      const off = c * d;
      for (let j = 0; j < d; j++) s += this.output[off + j] * hidden[j];
      probs[c] = s;
      if (s > max) max = s;
    }
    let z = 0;
    for (let c = 0; c < this.labels.length; c++) {
      probs[c] = Math.exp(probs[c] - max);
      z += probs[c];
    }
    for (let c = 0; c < this.labels.length; c++) probs[c] /= z;
    return probs;
  }

  /** Label probabilities of a text. */
  predict(text: string): Float64Array {
    featurize(text, this.features, this.feats);
    return this.probsFromHidden(this.embed(this.feats), new Float64Array(this.labels.length));
  }

  save(path: string, extra: Record<string, unknown> = {}): void {
    writeSafetensors(path, [
      { name: "embedding", dtype: "F32", shape: [this.features.buckets, this.dim], data: this.embedding },
      { name: "output", dtype: "F32", shape: [this.labels.length, this.dim], data: this.output },
      { name: "bias", dtype: "F32", shape: [this.labels.length], data: this.bias },
    ], {
      format: CLASSIFIER_FORMAT,
      version: "1",
      labels: JSON.stringify(this.labels),
      features: JSON.stringify(this.features),
      training: JSON.stringify(extra),
    });
  }

  static load(path: string): TextClassifier {
    const r = openSafetensors(path);
    try {
      if (r.metadata.format !== CLASSIFIER_FORMAT) {
        throw new Error(`${path} is not a text classifier written by \`pretrain data classifier train\` (format ${JSON.stringify(r.metadata.format)})`);
      }
      const labels = JSON.parse(r.metadata.labels) as string[];
      const features = JSON.parse(r.metadata.features) as FeatureConfig;
      const embedding = r.readF32("embedding");
      const dim = r.info("embedding").shape[1];
      return new TextClassifier(labels, features, dim, embedding, r.readF32("output"), r.readF32("bias"));
    } finally {
      r.close();
    }
  }
}
