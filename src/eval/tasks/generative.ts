/**
 * Generative tasks with answer extraction: greedy generation from the (few-shot) prompt until a stop string,
 * the answer extracted by the task's extractor, normalized, and compared with the reference. exact_match is
 * the fraction correct; extracted the fraction where the extractor found anything at all.
 */
import type { EvalLM } from "../lm/model-lm.js";
import { mean, stderrOfMean } from "../metrics.js";
import { chooseShots, fitPrompt } from "../fewshot.js";
import { answersMatch, extractAnswer, guessNormalization } from "../extract.js";
import type { EvalOptions, GenerateTask, TaskResult } from "../types.js";
import { limited, makeResult, shotsFor } from "./common.js";

export function evaluateGenerative(lm: EvalLM, task: GenerateTask, o: EvalOptions): TaskResult {
  const t0 = performance.now();
  const examples = limited(task.examples, o.limit);
  const k = shotsFor(task, o);
  const how = task.normalize ?? guessNormalization(task.examples.map((e) => e.answer));
  const em: number[] = [];
  const found: number[] = [];
  const samples: Record<string, unknown>[] = [];
  let generated = 0;
  const used: number[] = [];
  const maxTokens = o.maxTokens ?? task.maxTokens;
  o.onProgress?.(task.name, 0, examples.length);
  examples.forEach((ex, i) => {
    const shots = k > 0 ? chooseShots(task.fewshot ?? task.examples, k, o.seed, task.name, ex.id) : [];
    const { prompt, shots: nUsed } = fitPrompt(lm, shots.map((s) => s.prompt + (s.solution ?? s.answer)), ex.prompt,
      Math.min(maxTokens, Math.floor(lm.maxLength / 2)), task.separator, task.preamble);
    used.push(nUsed);
    const [text] = lm.generate(prompt, {
      stop: task.stop, maxTokens, samples: 1, temperature: 0, topK: 0, topP: 1,
      seed: o.seed,
    });
    generated += lm.countTokens(text);
    const pred = extractAnswer(task.extract, text);
    const ok = answersMatch(pred, ex.answer, how);
    em.push(ok ? 1 : 0);
    found.push(pred === null ? 0 : 1);
    if (o.logSamples) samples.push({ id: ex.id, answer: ex.answer, extracted: pred, correct: ok, output: text });
    o.onProgress?.(task.name, i + 1, examples.length);
  });
  return makeResult(task, examples.length, k, t0,
    { exact_match: mean(em), extracted: mean(found), generated_tokens: examples.length ? generated / examples.length : 0 },
    { exact_match: stderrOfMean(em) },
    { details: { normalization: how, shots_used_mean: mean(used) }, ...(o.logSamples ? { samples } : {}) });
}
