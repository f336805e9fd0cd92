/**
 * LAMBADA as distributed: OpenAI's lambada_test.jsonl ({"text": passage}) or the original plain-text file
 * (one passage per line). The target is the last whitespace-separated word, scored with its leading space.
 */
import type { ClozeExample, ClozeTask } from "../types.js";
import { EvalDataError, readJsonl, readText, str } from "./records.js";

export function splitLastWord(text: string, where: string): { context: string; target: string } {
  const t = text.replace(/\s+$/u, "");
  const i = t.search(/\s\S+$/u);
  if (i < 0) throw new EvalDataError(`${where}: the passage has no last word to predict`);
  return { context: t.slice(0, i), target: t.slice(i) };
}

export function readLambada(path: string): ClozeExample[] {
  if (path.toLowerCase().endsWith(".txt")) {
    return readText(path).split("\n").map((l, i) => ({ l, i })).filter(({ l }) => l.trim() !== "")
      .map(({ l, i }) => ({ id: String(i), ...splitLastWord(l, `${path}:${i + 1}`) }));
  }
  return readJsonl(path).map((r, i) => ({ id: String(i), ...splitLastWord(str(r, "text"), r.where) }));
}

export function loadLambada(path: string, name = "lambada"): ClozeTask {
  return {
    kind: "cloze", name, description: "LAMBADA: last-word prediction needing broad context", source: path,
    examples: readLambada(path),
  };
}
