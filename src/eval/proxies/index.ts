/**
 * The offline proxy tasks, by name. Each is built deterministically from text the project ships (see
 * holdout.ts for what is held out) and is named as a proxy, never as the benchmark it imitates.
 */
import type { Task } from "../types.js";
import { buildArithmetic } from "./arithmetic.js";
import { buildBookCloze } from "./book-cloze.js";
import { buildJsCode } from "./js-code.js";
import { buildNeedle, type NeedleOptions } from "./needle.js";
import { buildPerplexity } from "./perplexity.js";
import { buildWordnetMc } from "./wordnet-mc.js";
import { wordnetSynsets, type Synset } from "./sources.js";

export const PROXY_NAMES = [
  "proxy-cloze-book", "proxy-wordnet-mc", "proxy-arith", "proxy-js-code", "proxy-needle", "proxy-ppl",
] as const;
export type ProxyName = (typeof PROXY_NAMES)[number];

export const PROXY_SUMMARIES: Record<ProxyName, string> = {
  "proxy-cloze-book": "last-word cloze on held-out Moby-Dick passages (LAMBADA-like)",
  "proxy-wordnet-mc": "definition → word, 4 choices, held-out WordNet synsets (ARC/MMLU-style)",
  "proxy-arith": "procedural arithmetic word problems with verified worked answers (GSM8K-like)",
  "proxy-js-code": "JavaScript functions with executable tests, pass@k (HumanEval-like)",
  "proxy-needle": "needle retrieval at several lengths × depths in held-out book text (RULER-like)",
  "proxy-ppl": "perplexity and bits per byte by domain: book, speech, lexical",
};

export interface ProxyOptions {
  /** cap on the examples of each task (default: all) */
  n?: number;
  needle?: NeedleOptions;
}

export function isProxyName(name: string): name is ProxyName {
  return (PROXY_NAMES as readonly string[]).includes(name);
}

/** Builds the named proxy tasks (WordNet is parsed once for all that need it). */
export function buildProxies(names: readonly ProxyName[], o: ProxyOptions = {}): Task[] {
  let synsets: Synset[] | null = null;
  const wn = () => (synsets ??= wordnetSynsets());
  return names.map((name): Task => {
    switch (name) {
      case "proxy-cloze-book":
        return buildBookCloze({ n: o.n });
      case "proxy-wordnet-mc":
        return buildWordnetMc({ n: o.n }, wn());
      case "proxy-arith":
        return buildArithmetic({ n: o.n });
      case "proxy-js-code": {
        const t = buildJsCode();
        return o.n === undefined ? t : { ...t, examples: t.examples.slice(0, o.n) };
      }
      case "proxy-needle":
        return buildNeedle(o.needle);
      case "proxy-ppl": {
        const t = buildPerplexity(wn());
        return o.n === undefined ? t : { ...t, examples: t.examples.slice(0, o.n) };
      }
    }
  });
}
