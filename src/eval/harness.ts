/**
 * The harness: evaluates task definitions on a language model and collects the results in one JSON document.
 *
 * Results (format "pretrain-eval-results", version 1):
 *   { format, version, created_at, seconds,
 *     model: { path, kind, step, parameters, context, tokenizer, prefix_token },
 *     options: { shots, limit, seed, samples, temperature, pass_k, max_tokens, timeout_ms, memory_mb },
 *     tasks: { <name>: TaskResult } }
 */
import type { EvalLM } from "./lm/model-lm.js";
import { DEFAULT_EVAL_OPTIONS, type EvalOptions, type Task, type TaskResult } from "./types.js";
import { evaluateCloze } from "./tasks/cloze.js";
import { evaluateCode, type CodeExecutor } from "./tasks/code.js";
import { evaluateGenerative } from "./tasks/generative.js";
import { evaluateLoglikelihood } from "./tasks/loglikelihood.js";
import { evaluateMultipleChoice } from "./tasks/multiple-choice.js";
import { evaluatePerplexity } from "./tasks/perplexity.js";
import { evaluateRetrieval } from "./tasks/retrieval.js";

export const RESULTS_FORMAT = "pretrain-eval-results";
export const RESULTS_VERSION = 1;

export interface ModelInfo {
  path: string;
  kind: string;
  step: number | null;
  parameters: number;
  context: number;
  tokenizer: string;
  prefix_token: number | null;
}

export interface EvalResults {
  format: typeof RESULTS_FORMAT;
  version: typeof RESULTS_VERSION;
  created_at: string;
  seconds: number;
  model: ModelInfo;
  options: Record<string, unknown>;
  tasks: Record<string, TaskResult>;
}

export function evaluateTask(lm: EvalLM, task: Task, options: Partial<EvalOptions> = {}, execute?: CodeExecutor): TaskResult {
  const o: EvalOptions = { ...DEFAULT_EVAL_OPTIONS, ...options };
  switch (task.kind) {
    case "multiple_choice":
      return evaluateMultipleChoice(lm, task, o);
    case "cloze":
      return evaluateCloze(lm, task, o);
    case "loglikelihood":
      return evaluateLoglikelihood(lm, task, o);
    case "generate":
      return evaluateGenerative(lm, task, o);
    case "code":
      return evaluateCode(lm, task, o, execute);
    case "retrieval":
      return evaluateRetrieval(lm, task, o);
    case "perplexity":
      return evaluatePerplexity(lm, task, o);
  }
}

export function evaluateTasks(lm: EvalLM, tasks: readonly Task[], model: ModelInfo, options: Partial<EvalOptions> = {},
  execute?: CodeExecutor): EvalResults {
  const t0 = performance.now();
  const o: EvalOptions = { ...DEFAULT_EVAL_OPTIONS, ...options };
  const results: Record<string, TaskResult> = {};
  for (const t of tasks) results[t.name] = evaluateTask(lm, t, o, execute);
  return {
    format: RESULTS_FORMAT, version: RESULTS_VERSION, created_at: new Date().toISOString(),
    seconds: (performance.now() - t0) / 1000, model,
    options: {
      shots: o.shots, limit: o.limit, seed: o.seed, samples: o.samples, temperature: o.temperature, pass_k: o.passK,
      max_tokens: o.maxTokens, timeout_ms: o.timeoutMs, memory_mb: o.memoryMb,
    },
    tasks: results,
  };
}

/** The metric a task is summarized by in tables (the first of these it has). */
export const PRIMARY_METRICS = ["acc_norm", "acc", "exact_match", "pass@1", "acc_choice", "bits_per_byte", "logprob"];

export function primaryMetric(r: TaskResult): string | null {
  if (r.kind === "multiple_choice") return "acc_norm" in r.metrics ? "acc_norm" : "acc";
  for (const m of PRIMARY_METRICS) if (m in r.metrics) return m;
  return Object.keys(r.metrics)[0] ?? null;
}
