/**
 * Answer extraction for generative tasks: a regular expression (with an optional fall-back to the last number in
 * the text) or any function, then normalization and exact match.
 */
import type { AnswerExtractor } from "./types.js";
import { lastNumber, normalizeNumber, normalizeText } from "./metrics.js";

/** GSM8K's answer line: "#### 72". */
export const GSM8K_EXTRACTOR: AnswerExtractor = {
  type: "regex", pattern: "####\\s*(-?[0-9.,]+)", group: 1, fallback: "last-number",
};

/** The extracted answer, or null when nothing matches. */
export function extractAnswer(e: AnswerExtractor, text: string): string | null {
  if (e.type === "function") return e.fn(text);
  const re = new RegExp(e.pattern, e.flags ?? "");
  const m = re.exec(text);
  if (m) return (m[e.group ?? 0] ?? m[0]).trim();
  if (e.fallback === "last-number") return lastNumber(text);
  return null;
}

export type AnswerNormalization = "number" | "text" | "exact";

/** Whether the reference answers look numeric (then they are compared as numbers). */
export function guessNormalization(answers: readonly string[]): AnswerNormalization {
  return answers.length > 0 && answers.every((a) => /^\s*-?\$?[0-9][0-9,]*(\.[0-9]+)?\s*$/.test(a)) ? "number" : "text";
}

export function answersMatch(pred: string | null, gold: string, how: AnswerNormalization): boolean {
  if (pred === null) return false;
  switch (how) {
    case "number": {
      const p = normalizeNumber(pred);
      return p !== null && p === normalizeNumber(gold);
    }
    case "text":
      return normalizeText(pred) === normalizeText(gold);
    case "exact":
      return pred.trim() === gold.trim();
  }
}
