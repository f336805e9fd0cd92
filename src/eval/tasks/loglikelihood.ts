/**
 * Log-likelihood of given continuations. logprob: mean Σ log p per example; acc: the fraction greedy decoding
 * would reproduce exactly; bits_per_byte: over all continuation bytes; token_ppl: exp(−Σ log p / Σ tokens).
 */
import type { EvalLM } from "../lm/model-lm.js";
import { bitsPerByte, mean, stderrOfMean, utf8Bytes } from "../metrics.js";
import type { EvalOptions, LoglikelihoodTask, TaskResult } from "../types.js";
import { limited, makeResult, shotsFor } from "./common.js";
import { scoreContinuations } from "./continuations.js";

export function evaluateLoglikelihood(lm: EvalLM, task: LoglikelihoodTask, o: EvalOptions): TaskResult {
  const t0 = performance.now();
  const examples = limited(task.examples, o.limit);
  const k = shotsFor(task, o);
  const lps: number[] = [];
  const acc: number[] = [];
  let bytes = 0;
  let tokens = 0;
  const samples: Record<string, unknown>[] = [];
  scoreContinuations(lm, task, examples, k, o, (ex) => ex.continuation, (ex, score) => {
    lps.push(score.logprob);
    acc.push(score.greedy ? 1 : 0);
    bytes += utf8Bytes(ex.continuation);
    tokens += score.tokens;
    if (o.logSamples) samples.push({ id: ex.id, logprob: score.logprob, greedy: score.greedy });
  });
  const total = lps.reduce((a, b) => a + b, 0);
  return makeResult(task, examples.length, k, t0,
    { logprob: mean(lps), acc: mean(acc), bits_per_byte: bitsPerByte(total, bytes), token_ppl: Math.exp(-total / tokens) },
    { logprob: stderrOfMean(lps), acc: stderrOfMean(acc) },
    o.logSamples ? { samples } : {});
}
