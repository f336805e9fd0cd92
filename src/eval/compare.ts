/**
 * Evaluating several checkpoints on the same tasks (e.g. before and after annealing, as YuLan-Mini's README
 * reports its intermediate checkpoints) and putting the numbers side by side.
 */
import type { Kernels } from "../kernels/types.js";
import { loadModel } from "../infer/load.js";
import { parameterCount } from "../model/layout.js";
import { ByteTokenizer } from "../tokenizer/bytes.js";
import type { Tokenizer } from "../tokenizer/index.js";
import { ModelLM, type ModelLMOptions } from "./lm/model-lm.js";
import { evaluateTasks, type EvalResults, type ModelInfo } from "./harness.js";
import { compareTable, type LabeledResults } from "./table.js";
import type { EvalOptions, Task } from "./types.js";

export interface OpenedModel {
  lm: ModelLM;
  info: ModelInfo;
}

export interface OpenOptions extends ModelLMOptions {
  /** extend the context at evaluation time (RoPE tables for this many positions) */
  context?: number;
  /** RoPE θ to use with the extended context (default: the model's) */
  ropeTheta?: number;
  /** tokenizer when the checkpoint carries none (default: the byte-level tokenizer) */
  tokenizer?: Tokenizer;
}

/** Loads a checkpoint, run folder or exported Hugging Face folder as an evaluable model. */
export function openModel(path: string, kernels: Kernels, o: OpenOptions = {}): OpenedModel {
  const loaded = loadModel(path, kernels);
  const model = loaded.model;
  if (o.context !== undefined || o.ropeTheta !== undefined) {
    model.setRope(o.ropeTheta ?? model.config.rope_theta, o.context ?? model.config.max_seq_len);
  }
  const tokenizer = loaded.tokenizer ?? o.tokenizer ?? new ByteTokenizer();
  const lm = new ModelLM(model, tokenizer, o);
  const tokJson = tokenizer.toJSON() as { type?: string; model?: { type?: string } } | null;
  const tokName = tokJson?.type ?? tokJson?.model?.type ?? "unknown";
  return {
    lm,
    info: {
      path, kind: loaded.kind, step: loaded.step, parameters: parameterCount(model.config), context: model.config.max_seq_len,
      tokenizer: loaded.tokenizer ? tokName : `${tokName} (assumed: the model folder has no tokenizer)`, prefix_token: lm.prefix,
    },
  };
}

export function evaluateCheckpoints(paths: readonly string[], tasks: readonly Task[], kernels: Kernels,
  options: Partial<EvalOptions> = {}, open: OpenOptions = {}): LabeledResults[] {
  return paths.map((p) => {
    const { lm, info } = openModel(p, kernels, open);
    const results: EvalResults = evaluateTasks(lm, tasks, info, options);
    return { label: info.step !== null ? `step ${info.step}` : p, results };
  });
}

export { compareTable };
