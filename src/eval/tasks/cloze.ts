/**
 * Last-word cloze (LAMBADA's protocol): the passage without its last word is the context, the word (with its
 * leading space) the continuation. acc: greedy decoding reproduces the whole word, token by token; ppl:
 * exp(−mean over passages of log p(word | passage)), the "perplexity" lm-evaluation-harness reports for LAMBADA.
 */
import type { EvalLM } from "../lm/model-lm.js";
import { mean, stderrOfMean } from "../metrics.js";
import type { ClozeTask, EvalOptions, TaskResult } from "../types.js";
import { limited, makeResult, shotsFor } from "./common.js";
import { scoreContinuations } from "./continuations.js";

export function evaluateCloze(lm: EvalLM, task: ClozeTask, o: EvalOptions): TaskResult {
  const t0 = performance.now();
  const examples = limited(task.examples, o.limit);
  const k = shotsFor(task, o);
  const acc: number[] = [];
  const lps: number[] = [];
  const samples: Record<string, unknown>[] = [];
  scoreContinuations(lm, task, examples, k, o, (ex) => ex.target, (ex, score) => {
    acc.push(score.greedy ? 1 : 0);
    lps.push(score.logprob);
    if (o.logSamples) samples.push({ id: ex.id, target: ex.target, greedy: score.greedy, logprob: score.logprob });
  });
  return makeResult(task, examples.length, k, t0,
    { acc: mean(acc), ppl: Math.exp(-mean(lps)), logprob: mean(lps) },
    { acc: stderrOfMean(acc), logprob: stderrOfMean(lps) },
    o.logSamples ? { samples } : {});
}
