/**
 * Few-shot examples, chosen with a fixed seed: the shots of an example depend only on (seed, task, example id),
 * never on the order, the limit or what else runs, so the same seed gives the same prompts and numbers. An
 * example is never its own shot. The pool is the task's few-shot split when it has one, else the evaluated
 * examples themselves (as lm-evaluation-harness does for tasks without a training split).
 */
import { Rng } from "../util/rng.js";

export function chooseShots<E extends { id: string }>(pool: readonly E[], k: number, seed: number, task: string,
  exampleId: string): E[] {
  if (k <= 0 || pool.length === 0) return [];
  const rng = new Rng(`fewshot:${seed}:${task}:${exampleId}`);
  const eligible = pool.length - (pool.some((e) => e.id === exampleId) ? 1 : 0);
  if (eligible <= k || pool.length <= 4 * k) {
    const idx = pool.map((_, i) => i).filter((i) => pool[i].id !== exampleId);
    rng.shuffle(idx);
    return idx.slice(0, k).map((i) => pool[i]);
  }
  // Large pool: draw indices until k distinct eligible ones (expected about k draws).
  const chosen: number[] = [];
  const seen = new Set<number>();
  while (chosen.length < k) {
    const i = rng.int(pool.length);
    if (seen.has(i) || pool[i].id === exampleId) continue;
    seen.add(i);
    chosen.push(i);
  }
  return chosen.map((i) => pool[i]);
}

/** preamble + shots + query, shots separated by `separator` (default a blank line). */
export function assemblePrompt(shots: readonly string[], query: string, separator = "\n\n", preamble = ""): string {
  const parts = [...shots, query];
  return preamble + parts.join(separator);
}

/** What token counting fitPrompt needs from the model. */
export interface TokenCounter {
  readonly maxLength: number;
  encodeContext(text: string): Int32Array;
}

/**
 * The prompt with as many of the shots as fit the model's context with `reserve` tokens left for the answer
 * (shots are dropped from the end of the list; with none left, the query may still be truncated by the model).
 */
export function fitPrompt(lm: TokenCounter, shots: readonly string[], query: string, reserve: number, separator = "\n\n",
  preamble = ""): { prompt: string; shots: number } {
  let n = shots.length;
  let prompt = assemblePrompt(shots, query, separator, preamble);
  while (n > 0 && lm.encodeContext(prompt).length + reserve > lm.maxLength) {
    n--;
    prompt = assemblePrompt(shots.slice(0, n), query, separator, preamble);
  }
  return { prompt, shots: n };
}
