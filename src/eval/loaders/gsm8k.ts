/**
 * GSM8K as distributed (openai/grade-school-math data/{train,test}.jsonl): {question, answer}, the answer a
 * worked solution with calculator annotations ("<<48/2=24>>") ending in "#### 72".
 * Prompt "Question: <q>\nAnswer:"; few-shot shots show the worked solution without the annotations; the
 * generated answer is read from "#### N" (or, failing that, the last number) and compared as a number.
 */
import type { GenerateExample, GenerateTask } from "../types.js";
import { GSM8K_EXTRACTOR } from "../extract.js";
import { EvalDataError, idOf, readJsonl, str } from "./records.js";

export function stripCalculatorAnnotations(s: string): string {
  return s.replace(/<<[^>]*>>/g, "");
}

export function readGsm8k(path: string): GenerateExample[] {
  return readJsonl(path).map((r, i) => {
    const answer = str(r, "answer");
    const m = /####\s*(.+)\s*$/.exec(answer);
    if (!m) throw new EvalDataError(`${r.where}: "answer" does not end with "#### <number>"`);
    return {
      id: idOf(r, ["id"], String(i)), prompt: `Question: ${str(r, "question")}\nAnswer:`, answer: m[1].trim(),
      solution: " " + stripCalculatorAnnotations(answer).trim(),
    };
  });
}

export function gsm8kTask(name: string, description: string, source: string, examples: GenerateExample[],
  fewshot?: GenerateExample[]): GenerateTask {
  return {
    kind: "generate", name, description, source, examples, ...(fewshot ? { fewshot } : {}),
    stop: ["\n\nQuestion:", "Question:", "\n\n\n"], maxTokens: 256, extract: GSM8K_EXTRACTOR, normalize: "number",
    separator: "\n\n",
  };
}

export function loadGsm8k(path: string, name = "gsm8k", fewshotPath?: string): GenerateTask {
  return gsm8kTask(name, "GSM8K: grade-school math word problems, answer by generation", path, readGsm8k(path),
    fewshotPath ? readGsm8k(fewshotPath) : undefined);
}
