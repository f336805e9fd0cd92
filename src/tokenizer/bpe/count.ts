/**
 * Word counting for BPE training: pre-tokenize text and count each distinct word. Runs inside the counting
 * workers (see workers.ts); one counter per domain.
 */
import { decodeCounted, documentsOf, textUnits, unitHash } from "./corpus.js";
import { Ends, type Splitter } from "./pretokenize.js";

export class WordCounter {
  readonly counts = new Map<string, number>();
  /** words counted (with repetition) */
  words = 0;
  private readonly ends = new Ends();

  constructor(private readonly splitter: Splitter) {}

  add(text: string): void {
    const ends = this.ends;
    ends.n = 0;
    this.splitter.split(text, 0, text.length, ends);
    const counts = this.counts;
    let from = 0;
    for (let p = 0, n = ends.n; p < n; p++) {
      const e = ends.a[p];
      const w = text.slice(from, e);
      const c = counts.get(w);
      if (c !== undefined) counts.set(w, c + 1);
      // A slice of 13+ characters shares the chunk's memory; store a copy so the map never pins the corpus.
      else counts.set(e - from >= 13 ? (" " + w).slice(1) : w, 1);
      from = e;
    }
    this.words += ends.n;
  }
}

export interface CountChunk {
  fileIndex: number;
  domain: string;
  format: "text" | "jsonl";
  /** byte offset of the chunk in its file */
  offset: number;
  bytes: Uint8Array;
  /** share of the chunk's documents (or text pieces) to keep; 1 = all */
  rate: number;
}

export interface DomainCounts {
  domain: string;
  /** distinct words and their counts (integers) */
  words: string[];
  counts: Float64Array;
  /** bytes read, and bytes of the documents kept by sampling */
  bytesRead: number;
  bytesUsed: number;
  /** words counted, with repetition */
  wordsCounted: number;
  docs: number;
  badLines: number;
  loneSurrogates: number;
  /** invalid UTF-8 sequences replaced by U+FFFD */
  replaced: number;
}

/** Text pieces sampled independently when a plain-text chunk is sampled at a rate below 1. */
const SAMPLE_UNIT_CHARS = 1 << 16;

/** Counting state of one thread: a word counter and statistics per domain. */
export class CountState {
  private readonly domains = new Map<string, { counter: WordCounter; stats: Omit<DomainCounts, "domain" | "words" | "counts" | "wordsCounted"> }>();

  constructor(private readonly splitter: Splitter, private readonly textField: string, private readonly seed: number) {}

  add(chunk: CountChunk): void {
    let d = this.domains.get(chunk.domain);
    if (!d) {
      d = { counter: new WordCounter(this.splitter), stats: { bytesRead: 0, bytesUsed: 0, docs: 0, badLines: 0, loneSurrogates: 0, replaced: 0 } };
      this.domains.set(chunk.domain, d);
    }
    const { counter, stats } = d;
    stats.bytesRead += chunk.bytes.length;
    const { text, replaced } = decodeCounted(chunk.bytes, chunk.offset === 0);
    stats.replaced += replaced;
    let unit = 0;
    const keep = () => chunk.rate >= 1 || unitHash(this.seed, chunk.fileIndex, chunk.offset, unit++) < chunk.rate;
    documentsOf(text, chunk.format, this.textField, stats, (doc) => {
      const pieces = chunk.format === "text" && chunk.rate < 1 ? textUnits(doc, SAMPLE_UNIT_CHARS) : [doc];
      for (const piece of pieces) {
        if (!keep()) continue;
        stats.bytesUsed += Buffer.byteLength(piece, "utf8");
        counter.add(piece);
      }
    }, chunk.offset === 0);
  }

  /** The counts per domain (sorted by domain name). */
  finish(): DomainCounts[] {
    return [...this.domains.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([domain, { counter, stats }]) => {
      const words = [...counter.counts.keys()];
      const counts = new Float64Array(words.length);
      words.forEach((w, i) => (counts[i] = counter.counts.get(w)!));
      return { domain, words, counts, wordsCounted: counter.words, ...stats };
    });
  }
}
