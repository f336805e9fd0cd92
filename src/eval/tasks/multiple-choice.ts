/**
 * Multiple choice by log-likelihood: each choice is scored as a continuation of the (few-shot) context; the
 * prediction is the choice with the highest log-likelihood (acc) and the one with the highest log-likelihood
 * per UTF-8 byte of the choice text, leading space included (acc_norm: tokenizer-independent, as
 * lm-evaluation-harness normalizes by characters). Ties go to the first choice. The options of a question share
 * its context, which is therefore computed once.
 */
import type { EvalLM } from "../lm/model-lm.js";
import { mean, stderrOfMean, utf8Bytes } from "../metrics.js";
import { chooseShots, fitPrompt } from "../fewshot.js";
import type { EvalOptions, MultipleChoiceExample, MultipleChoiceTask, TaskResult } from "../types.js";
import { argmax, chunks, limited, makeResult, shotsFor } from "./common.js";

const byGroup = new WeakMap<readonly MultipleChoiceExample[], Map<string, MultipleChoiceExample[]>>();

/** The few-shot pool of an example: the task's pool, restricted to the example's group when it has one. */
function poolFor(task: MultipleChoiceTask, ex: MultipleChoiceExample): readonly MultipleChoiceExample[] {
  const pool = task.fewshot ?? task.examples;
  if (ex.group === undefined) return pool;
  let groups = byGroup.get(pool);
  if (!groups) {
    groups = new Map();
    for (const e of pool) {
      const g = e.group ?? "";
      const list = groups.get(g);
      if (list) list.push(e);
      else groups.set(g, [e]);
    }
    byGroup.set(pool, groups);
  }
  return groups.get(ex.group) ?? [];
}

export function mcPrompt(lm: EvalLM, task: MultipleChoiceTask, ex: MultipleChoiceExample, k: number, seed: number):
  { prompt: string; shots: number } {
  const shots = k > 0 ? chooseShots(poolFor(task, ex), k, seed, task.name, ex.id) : [];
  const reserve = shots.length ? Math.max(...ex.choices.map((c) => lm.countTokens(c))) : 0;
  return fitPrompt(lm, shots.map((s) => s.context + s.choices[s.gold]), ex.context, reserve, task.separator,
    ex.preamble ?? task.preamble);
}

export function evaluateMultipleChoice(lm: EvalLM, task: MultipleChoiceTask, o: EvalOptions): TaskResult {
  const t0 = performance.now();
  const examples = limited(task.examples, o.limit);
  const k = shotsFor(task, o);
  const acc: number[] = [];
  const accNorm: number[] = [];
  const samples: Record<string, unknown>[] = [];
  const used: number[] = [];
  let done = 0;
  o.onProgress?.(task.name, 0, examples.length);
  for (const chunk of chunks(examples, 32)) {
    const prompts = chunk.map((ex) => mcPrompt(lm, task, ex, k, o.seed));
    prompts.forEach((p) => used.push(p.shots));
    const requests = chunk.flatMap((ex, i) => ex.choices.map((c) => ({ context: prompts[i].prompt, continuation: c })));
    const scores = lm.loglikelihood(requests);
    let at = 0;
    chunk.forEach((ex) => {
      const lps = ex.choices.map((_, j) => scores[at + j].logprob);
      at += ex.choices.length;
      const pred = argmax(lps);
      const predNorm = argmax(lps.map((lp, j) => lp / Math.max(1, utf8Bytes(ex.choices[j]))));
      acc.push(pred === ex.gold ? 1 : 0);
      accNorm.push(predNorm === ex.gold ? 1 : 0);
      if (o.logSamples) samples.push({ id: ex.id, gold: ex.gold, pred, pred_norm: predNorm, logprobs: lps });
    });
    done += chunk.length;
    o.onProgress?.(task.name, done, examples.length);
  }
  return makeResult(task, examples.length, k, t0,
    { acc: mean(acc), acc_norm: mean(accNorm), chance: mean(examples.map((e) => 1 / e.choices.length)) },
    { acc: stderrOfMean(acc), acc_norm: stderrOfMean(accNorm) },
    { details: { shots_used_mean: mean(used) }, ...(o.logSamples ? { samples } : {}) });
}
