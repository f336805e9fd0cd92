/**
 * Long-context retrieval, scored two ways on every needle:
 *   acc_generate: greedy generation after the question starts with the value (RULER's string match);
 *   acc_choice:   the value is the most likely among itself and random distractor values (more sensitive for
 *                 small models; chance is 1/(distractors+1)). The candidates share the long context, which is
 *                 computed once.
 * Reported overall, per length ("acc_choice/len=512") and as a lengths × depths table in details.
 */
import type { EvalLM } from "../lm/model-lm.js";
import { mean, stderrOfMean } from "../metrics.js";
import type { EvalOptions, RetrievalExample, RetrievalTask, TaskResult } from "../types.js";
import { argmax, makeResult } from "./common.js";
import { buildNeedleExamples, lengthFits } from "./needle.js";

export function evaluateRetrieval(lm: EvalLM, task: RetrievalTask, o: EvalOptions): TaskResult {
  const t0 = performance.now();
  const spec = task.spec;
  const cells = Math.max(1, spec.lengths.filter((L) => lengthFits(L, lm)).length * spec.depths.length);
  const perCell = o.limit === null ? spec.perCell : Math.max(1, Math.min(spec.perCell, Math.floor(o.limit / cells)));
  const { examples, skipped } = buildNeedleExamples(spec, lm, perCell);
  o.onProgress?.(task.name, 0, examples.length);
  const choice: number[] = [];
  const gen: number[] = [];
  const samples: Record<string, unknown>[] = [];
  const cell = new Map<string, { choice: number[]; gen: number[] }>();
  examples.forEach((ex: RetrievalExample, i) => {
    const scores = lm.loglikelihood(ex.candidates.map((c) => ({ context: ex.context, continuation: c })));
    const pick = argmax(scores.map((s) => s.logprob));
    const okChoice = ex.candidates[pick] === ex.answer ? 1 : 0;
    const [text] = lm.generate(ex.context, {
      stop: ["\n"], maxTokens: lm.countTokens(ex.answer) + 2, samples: 1, temperature: 0, topK: 0, topP: 1, seed: o.seed,
    });
    const okGen = text.trim().startsWith(ex.answer.trim()) ? 1 : 0;
    choice.push(okChoice);
    gen.push(okGen);
    const key = `${ex.length}|${ex.depth}`;
    const c = cell.get(key) ?? { choice: [], gen: [] };
    c.choice.push(okChoice);
    c.gen.push(okGen);
    cell.set(key, c);
    if (o.logSamples) samples.push({ id: ex.id, length: ex.length, depth: ex.depth, answer: ex.answer, output: text, choice: ex.candidates[pick] });
    o.onProgress?.(task.name, i + 1, examples.length);
  });
  const lengths = spec.lengths.filter((L) => !skipped.includes(L));
  const table = (which: "choice" | "gen") => lengths.map((L) => spec.depths.map((d) => mean(cell.get(`${L}|${d}`)?.[which] ?? [])));
  const metrics: Record<string, number> = { acc_generate: mean(gen), acc_choice: mean(choice), chance_choice: 1 / (spec.distractors + 1) };
  for (const L of lengths) {
    const rows = spec.depths.map((d) => cell.get(`${L}|${d}`)!);
    metrics[`acc_generate/len=${L}`] = mean(rows.flatMap((r) => r.gen));
    metrics[`acc_choice/len=${L}`] = mean(rows.flatMap((r) => r.choice));
  }
  return makeResult(task, examples.length, 0, t0, metrics,
    { acc_generate: stderrOfMean(gen), acc_choice: stderrOfMean(choice) },
    {
      details: {
        lengths, depths: spec.depths, per_cell: perCell, acc_generate: table("gen"), acc_choice: table("choice"),
        skipped_lengths: skipped, context: lm.maxLength,
      },
      ...(o.logSamples ? { samples } : {}),
    });
}
