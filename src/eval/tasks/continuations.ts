/**
 * The loop the log-likelihood and cloze tasks share: each example's context (behind its seeded few-shot
 * examples, fitted to the context window) is scored against its continuation in batches of 64, with progress
 * reported between batches.
 */
import type { EvalLM } from "../lm/model-lm.js";
import type { TokenScore } from "../lm/scorer.js";
import { chooseShots, fitPrompt } from "../fewshot.js";
import type { EvalOptions, Task } from "../types.js";
import { chunks } from "./common.js";

interface ContinuationExample {
  id: string;
  context: string;
}

export function scoreContinuations<E extends ContinuationExample>(lm: EvalLM, task: Task & { examples: readonly E[];
  fewshot?: readonly E[]; separator?: string; preamble?: string }, examples: readonly E[], shots: number, o: EvalOptions,
  continuation: (ex: E) => string, each: (ex: E, score: TokenScore) => void): void {
  let done = 0;
  o.onProgress?.(task.name, 0, examples.length);
  for (const chunk of chunks(examples, 64)) {
    const requests = chunk.map((ex) => {
      const chosen = shots > 0 ? chooseShots(task.fewshot ?? task.examples, shots, o.seed, task.name, ex.id) : [];
      const { prompt } = fitPrompt(lm, chosen.map((s) => s.context + continuation(s)), ex.context,
        chosen.length ? lm.countTokens(continuation(ex)) : 0, task.separator, task.preamble);
      return { context: prompt, continuation: continuation(ex) };
    });
    const scores = lm.loglikelihood(requests);
    chunk.forEach((ex, i) => each(ex, scores[i]));
    done += chunk.length;
    o.onProgress?.(task.name, done, examples.length);
  }
}
