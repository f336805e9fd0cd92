/**
 * Last-word cloze (LAMBADA's protocol): the passage without its last word is the context, the word (with its
 * leading space) the continuation. acc: greedy decoding reproduces the whole word, token by token; ppl:
 * exp(−mean over passages of log p(word | passage)), the "perplexity" lm-evaluation-harness reports for LAMBADA.
 */
import type { EvalLM } from "../lm/model-lm.js";
import { mean, stderrOfMean } from "../metrics.js";
import { chooseShots, fitPrompt } from "../fewshot.js";
import type { ClozeTask, EvalOptions, TaskResult } from "../types.js";
import { chunks, limited, makeResult, shotsFor } from "./common.js";

export function evaluateCloze(lm: EvalLM, task: ClozeTask, o: EvalOptions): TaskResult {
  const t0 = performance.now();
  const examples = limited(task.examples, o.limit);
  const k = shotsFor(task, o);
  const acc: number[] = [];
  const lps: number[] = [];
  const samples: Record<string, unknown>[] = [];
  let done = 0;
  o.onProgress?.(task.name, 0, examples.length);
  for (const chunk of chunks(examples, 64)) {
    const requests = chunk.map((ex) => {
      const shots = k > 0 ? chooseShots(task.fewshot ?? task.examples, k, o.seed, task.name, ex.id) : [];
      const { prompt } = fitPrompt(lm, shots.map((s) => s.context + s.target), ex.context,
        shots.length ? lm.countTokens(ex.target) : 0, task.separator, task.preamble);
      return { context: prompt, continuation: ex.target };
    });
    const scores = lm.loglikelihood(requests);
    chunk.forEach((ex, i) => {
      acc.push(scores[i].greedy ? 1 : 0);
      lps.push(scores[i].logprob);
      if (o.logSamples) samples.push({ id: ex.id, target: ex.target, greedy: scores[i].greedy, logprob: scores[i].logprob });
    });
    done += chunk.length;
    o.onProgress?.(task.name, done, examples.length);
  }
  return makeResult(task, examples.length, k, t0,
    { acc: mean(acc), ppl: Math.exp(-mean(lps)), logprob: mean(lps) },
    { acc: stderrOfMean(acc), logprob: stderrOfMean(lps) },
    o.logSamples ? { samples } : {});
}
