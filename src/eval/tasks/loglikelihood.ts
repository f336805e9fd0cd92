/**
 * Log-likelihood of given continuations. logprob: mean Σ log p per example; acc: the fraction greedy decoding
 * would reproduce exactly; bits_per_byte: over all continuation bytes; token_ppl: exp(−Σ log p / Σ tokens).
 */
import type { EvalLM } from "../lm/model-lm.js";
import { bitsPerByte, mean, stderrOfMean, utf8Bytes } from "../metrics.js";
import { chooseShots, fitPrompt } from "../fewshot.js";
import type { EvalOptions, LoglikelihoodTask, TaskResult } from "../types.js";
import { chunks, limited, makeResult, shotsFor } from "./common.js";

export function evaluateLoglikelihood(lm: EvalLM, task: LoglikelihoodTask, o: EvalOptions): TaskResult {
  const t0 = performance.now();
  const examples = limited(task.examples, o.limit);
  const k = shotsFor(task, o);
  const lps: number[] = [];
  const acc: number[] = [];
  let bytes = 0;
  let tokens = 0;
  const samples: Record<string, unknown>[] = [];
  let done = 0;
  o.onProgress?.(task.name, 0, examples.length);
  for (const chunk of chunks(examples, 64)) {
    const requests = chunk.map((ex) => {
      const shots = k > 0 ? chooseShots(task.fewshot ?? task.examples, k, o.seed, task.name, ex.id) : [];
      const { prompt } = fitPrompt(lm, shots.map((s) => s.context + s.continuation), ex.context,
        shots.length ? lm.countTokens(ex.continuation) : 0, task.separator, task.preamble);
      return { context: prompt, continuation: ex.continuation };
    });
    const scores = lm.loglikelihood(requests);
    chunk.forEach((ex, i) => {
      lps.push(scores[i].logprob);
      acc.push(scores[i].greedy ? 1 : 0);
      bytes += utf8Bytes(ex.continuation);
      tokens += scores[i].tokens;
      if (o.logSamples) samples.push({ id: ex.id, logprob: scores[i].logprob, greedy: scores[i].greedy });
    });
    done += chunk.length;
    o.onProgress?.(task.name, done, examples.length);
  }
  const total = lps.reduce((a, b) => a + b, 0);
  return makeResult(task, examples.length, k, t0,
    { logprob: mean(lps), acc: mean(acc), bits_per_byte: bitsPerByte(total, bytes), token_ppl: Math.exp(-total / tokens) },
    { logprob: stderrOfMean(lps), acc: stderrOfMean(acc) },
    o.logSamples ? { samples } : {});
}
