/**
 * Model-based scoring and topic recall with a classifier trained by `pretrain data classifier train`. Three
 * modes:
 *   label        the most probable label (and its probability); bucket = the label
 *   probability  the probability of one label (topic recall: P(math)); bucket by `edges`, named as YuLan-Mini's
 *                subsets are ("06_07" for [0.6, 0.7))
 *   score        the expected value of numeric labels (quality 0–5 like FineWeb-Edu); bucket "score_<rounded>",
 *                or by `edges`
 * The value goes to meta[meta_key] and the bucket to meta[bucket_key], which an output with `partition_by`
 * turns into folders. Documents under `min` are removed.
 */
import { resolve } from "node:path";
import type { Document } from "../document.js";
import type { StepContext, TransformStep } from "../pipeline/step.js";
import { ConfigError, validate, type Schema } from "../../util/schema.js";
import { COMMON_FIELDS, type CommonOptions } from "./common.js";
import { TextClassifier } from "./classifier/model.js";

export const CLASSIFY_SCHEMA: Schema = {
  ...COMMON_FIELDS,
  model: { kind: "string", doc: "classifier file (relative to the pipeline file)" },
  mode: { kind: "enum", values: ["label", "probability", "score"], default: "label", doc: "what is computed" },
  label: { kind: "string", nullable: true, default: null as unknown as string, doc: "probability mode: the label whose probability is used" },
  edges: { kind: "any", default: null, doc: "increasing bucket boundaries, e.g. [0.6, 0.7, 0.8, 0.9, 1.0]" },
  min: { kind: "number", nullable: true, default: null, doc: "remove documents whose value is below this (null: keep all)" },
  meta_key: { kind: "string", default: "score", doc: "meta key for the value" },
  bucket_key: { kind: "string", default: "bucket", doc: "meta key for the bucket" },
};

interface ClassifyOptions extends CommonOptions {
  model: string;
  mode: "label" | "probability" | "score";
  label: string | null;
  edges: number[] | null;
  min: number | null;
  meta_key: string;
  bucket_key: string;
}

function edgeName(x: number): string {
  return String(Math.round(x * 10)).padStart(2, "0");
}

/** The bucket of a value given increasing edges: "06_07" for [0.6, 0.7); the last bucket includes its top. */
export function bucketOf(value: number, edges: readonly number[]): string | null {
  for (let i = 0; i + 1 < edges.length; i++) {
    const last = i + 2 === edges.length;
    if (value >= edges[i] && (value < edges[i + 1] || (last && value <= edges[i + 1]))) {
      return `${edgeName(edges[i])}_${edgeName(edges[i + 1])}`;
    }
  }
  return null;
}

export function createClassify(raw: unknown, name: string, env: { baseDir: string }): TransformStep {
  const o = validate<ClassifyOptions>(raw, CLASSIFY_SCHEMA, `steps.${name}`);
  if (o.edges !== null && (!Array.isArray(o.edges) || o.edges.length < 2 || o.edges.some((e, i) => typeof e !== "number" || (i > 0 && e <= o.edges![i - 1])))) {
    throw new ConfigError(`steps.${name}.edges must be an increasing list of at least two numbers, got ${JSON.stringify(o.edges)}`);
  }
  if (o.mode === "probability" && o.label === null) throw new ConfigError(`steps.${name}.label is required in probability mode`);
  let model: TextClassifier | null = null;
  let target = -1;
  let numeric: number[] = [];
  return {
    kind: "transform", name, type: "classify", domains: o.domains,
    init() {
      model = TextClassifier.load(resolve(env.baseDir, o.model));
      if (o.mode === "probability") {
        target = model.labels.indexOf(o.label!);
        if (target < 0) throw new ConfigError(`steps.${name}.label "${o.label}" is not a label of ${o.model} (labels: ${model.labels.join(", ")})`);
      }
      if (o.mode === "score") {
        numeric = model.labels.map(Number);
        if (numeric.some((x) => !Number.isFinite(x))) throw new ConfigError(`steps.${name}: score mode needs numeric labels; ${o.model} has ${model.labels.join(", ")}`);
      }
    },
    process(doc: Document, ctx: StepContext) {
      const p = model!.predict(doc.text);
      let value: number;
      let bucket: string | null = null;
      const meta: Record<string, unknown> = { ...doc.meta };
      if (o.mode === "label") {
        let best = 0;
        for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
        value = p[best];
        bucket = model!.labels[best];
        meta[`${o.meta_key}_label`] = bucket;
      } else if (o.mode === "probability") {
        value = p[target];
      } else {
        value = 0;
        for (let c = 0; c < p.length; c++) value += p[c] * numeric[c];
        bucket = `score_${Math.round(value)}`;
      }
      if (o.edges !== null) bucket = bucketOf(value, o.edges) ?? "below";
      meta[o.meta_key] = Number(value.toFixed(4));
      if (bucket !== null) meta[o.bucket_key] = bucket;
      if (o.min !== null && value < o.min) {
        ctx.remove(doc, "classify.below_min", `${value.toFixed(3)} < ${o.min}`);
        return null;
      }
      ctx.count(`bucket.${bucket ?? "none"}`);
      return { ...doc, meta: meta as Document["meta"] };
    },
  };
}
