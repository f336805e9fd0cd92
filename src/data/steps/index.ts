/** The step types a pipeline file can name, and how each is built from its options. */
import { ConfigError, type Schema } from "../../util/schema.js";
import type { Step } from "../pipeline/step.js";
import { createNormalize, NORMALIZE_SCHEMA } from "./normalize.js";
import { createExactDedup, EXACT_SCHEMA } from "./dedup/exact.js";
import { createMinhash, MINHASH_SCHEMA } from "./minhash/step.js";
import { createProseFilter, PROSE_SCHEMA } from "./filters/prose.js";
import { createCodeFilter, CODE_SCHEMA } from "./filters/code.js";
import { createMathFilter, MATH_SCHEMA } from "./filters/math.js";
import { createLangid, LANGID_SCHEMA } from "./langid.js";
import { createClassify, CLASSIFY_SCHEMA } from "./classify.js";
import { createDecontaminate, DECONT_SCHEMA } from "./decontaminate.js";

export interface StepEnv {
  /** folder of the pipeline file: relative paths in step options are resolved against it */
  baseDir: string;
}

interface StepType {
  schema: Schema;
  summary: string;
  create(raw: unknown, name: string, env: StepEnv): Step;
}

export const STEP_TYPES: Record<string, StepType> = {
  normalize: { schema: NORMALIZE_SCHEMA, summary: "Unicode NFC, control characters, whitespace", create: createNormalize },
  dedup_exact: { schema: EXACT_SCHEMA, summary: "exact deduplication by content hash", create: createExactDedup },
  minhash: { schema: MINHASH_SCHEMA, summary: "MinHash-LSH near-deduplication", create: createMinhash },
  filter_prose: { schema: PROSE_SCHEMA, summary: "Gopher quality/repetition, C4 and FineWeb rules", create: createProseFilter },
  filter_code: { schema: CODE_SCHEMA, summary: "code rules: line length, alphanumerics, generated, minified, data files", create: createCodeFilter },
  filter_math: { schema: MATH_SCHEMA, summary: "math rules: math density, TeX balance, garbling, repetition", create: createMathFilter },
  langid: { schema: LANGID_SCHEMA, summary: "language identification (franc) with a score threshold", create: createLangid },
  classify: { schema: CLASSIFY_SCHEMA, summary: "classifier scores: topic recall and quality buckets", create: createClassify },
  decontaminate: { schema: DECONT_SCHEMA, summary: "n-gram overlap with evaluation sets", create: createDecontaminate },
};

/** Builds the steps of a pipeline; names must be unique. */
export function createSteps(raw: unknown, env: StepEnv): Step[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new ConfigError(`"steps" must be a non-empty list of steps, each with a "type" (${Object.keys(STEP_TYPES).join(", ")})`);
  const names = new Set<string>();
  return raw.map((s, i) => {
    if (s === null || typeof s !== "object" || Array.isArray(s)) throw new ConfigError(`steps[${i}] must be an object with a "type"`);
    const o = s as Record<string, unknown>;
    const type = o.type;
    if (typeof type !== "string" || !(type in STEP_TYPES)) {
      throw new ConfigError(`steps[${i}].type must be one of ${Object.keys(STEP_TYPES).join(", ")}; got ${JSON.stringify(type)}`);
    }
    const name = typeof o.name === "string" && o.name ? o.name : type;
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new ConfigError(`steps[${i}].name "${name}" may only use letters, digits, _ . -`);
    if (names.has(name)) throw new ConfigError(`steps[${i}]: two steps are named "${name}"; give one a distinct "name"`);
    names.add(name);
    if (o.domains !== undefined && o.domains !== null && !(Array.isArray(o.domains) && o.domains.every((d) => typeof d === "string"))) {
      throw new ConfigError(`steps.${name}.domains must be a list of domain names or null`);
    }
    return STEP_TYPES[type].create(o, name, env);
  });
}
