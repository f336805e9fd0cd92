/**
 * Needle-in-a-haystack examples (RULER's single-needle retrieval, in our own words): a sentence giving a random
 * six-digit value for a random two-word key is hidden at a given depth in filler text, and a question at the end
 * asks for it. Lengths are total context lengths in the model's own tokens (filler + needle + question), so the
 * examples are built for the tokenizer at evaluation time; lengths that do not fit the model's context are
 * reported as skipped. Deterministic in (seed, length, depth, index).
 */
import { Rng } from "../../util/rng.js";
import type { EvalLM } from "../lm/model-lm.js";
import type { RetrievalExample, RetrievalSpec } from "../types.js";

const ADJECTIVES = ["amber", "silent", "crooked", "northern", "velvet", "hollow", "brisk", "copper", "gentle", "frozen",
  "scarlet", "ancient", "narrow", "restless", "golden", "pale", "distant", "rusty", "quiet", "wild"];
const NOUNS = ["lantern", "harbor", "orchard", "compass", "meadow", "anchor", "tower", "violin", "glacier", "market",
  "garden", "bridge", "falcon", "cellar", "island", "engine", "river", "mirror", "canyon", "ledger"];

export function needleSentence(key: string, value: string): string {
  return `The secret number of the ${key} is ${value}.`;
}

export function needleQuestion(key: string): string {
  return `\n\nQuestion: What is the secret number of the ${key}?\nAnswer: The secret number of the ${key} is`;
}

const LONGEST_KEY = `${ADJECTIVES.reduce((a, b) => (b.length > a.length ? b : a))} ${NOUNS.reduce((a, b) => (b.length > a.length ? b : a))}`;

/** Whether a context of L tokens fits the model and can hold some filler besides the needle, question and answer. */
export function lengthFits(L: number, lm: EvalLM): boolean {
  if (L > lm.maxLength) return false;
  const room = L - lm.encodeContext("").length - lm.countTokens(" " + needleSentence(LONGEST_KEY, "999999")) -
    lm.countTokens(needleQuestion(LONGEST_KEY)) - lm.countTokens(" 999999") - 4;
  return room >= 8;
}

export interface NeedleBuild {
  examples: RetrievalExample[];
  /** lengths that do not fit the model's context, or cannot even hold the needle and the question */
  skipped: number[];
}

export function buildNeedleExamples(spec: RetrievalSpec, lm: EvalLM, perCell = spec.perCell): NeedleBuild {
  if (spec.sentences.length === 0) throw new RangeError("needle task: no haystack sentences");
  const counts = spec.sentences.map((s) => lm.countTokens(" " + s));
  const examples: RetrievalExample[] = [];
  const skipped: number[] = [];
  const prefix = lm.encodeContext("").length;
  for (const L of spec.lengths) {
    if (!lengthFits(L, lm)) {
      skipped.push(L);
      continue;
    }
    for (const depth of spec.depths) {
      for (let i = 0; i < perCell; i++) {
        const rng = new Rng(`needle:${spec.seed}:${L}:${depth}:${i}`);
        const key = `${ADJECTIVES[rng.int(ADJECTIVES.length)]} ${NOUNS[rng.int(NOUNS.length)]}`;
        const value = String(100000 + rng.int(900000));
        const values = new Set([value]);
        while (values.size < spec.distractors + 1) values.add(String(100000 + rng.int(900000)));
        const candidates = [...values].map((v) => " " + v);
        rng.shuffle(candidates);
        const needle = needleSentence(key, value);
        const question = needleQuestion(key);
        // Room left for the filler, with a margin of a few tokens for joins that tokenize differently.
        const margin = lm.countTokens(" " + value) + 4; // the answer, generated after the context, must fit too
        const room = L - prefix - lm.countTokens(" " + needle) - lm.countTokens(question) - margin;
        if (room < 0) {
          if (!skipped.includes(L)) skipped.push(L);
          continue;
        }
        const start = rng.int(spec.sentences.length);
        const picked: string[] = [];
        let used = 0;
        // Consecutive sentences from a random start; one too long for the room left is skipped.
        for (let j = 0; j < spec.sentences.length && room - used >= 8; j++) {
          const s = (start + j) % spec.sentences.length;
          if (used + counts[s] > room) continue;
          picked.push(spec.sentences[s]);
          used += counts[s];
        }
        const at = Math.round(depth * picked.length);
        const assemble = () => [...picked.slice(0, at), needle, ...picked.slice(at)].join(" ") + question;
        let context = assemble();
        while (picked.length > 0 && lm.encodeContext(context).length + margin > L) {
          picked.splice(at < picked.length ? picked.length - 1 : 0, 1);
          context = assemble();
        }
        examples.push({ id: `needle-${L}-${depth}-${i}`, context, answer: " " + value, candidates, length: L, depth });
      }
    }
  }
  return { examples, skipped };
}
