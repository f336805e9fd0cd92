/**
 * Heuristic filters for prose (web pages, books, speeches, email), in four groups that follow published rule
 * sets: Gopher quality and Gopher repetition (Rae et al. 2021, appendix A), C4 (Raffel et al. 2020: line rules
 * that drop lines, and document rules), and FineWeb (Penedo et al. 2024). Every rule has a threshold; setting it
 * to null (or a flag to false, or a group's `enabled` to false) turns it off. A removal records the rule that
 * fired, e.g. "gopher_repetition.dup_line_frac".
 */
import type { Document } from "../../document.js";
import type { StepContext, TransformStep } from "../../pipeline/step.js";
import { ConfigError, validate, type Schema } from "../../../util/schema.js";
import { fmix32, hashCombine } from "../../hash.js";
import { COMMON_FIELDS, contentWords, duplicates, flag, hasAlpha, IntTable, threshold, whitespaceWords, wordHashes, type CommonOptions } from "../common.js";

const STOP_WORDS = ["the", "be", "to", "of", "and", "that", "have", "with"];

const GOPHER_QUALITY: Schema = {
  enabled: flag(true, "apply this group"),
  min_words: threshold(50, "fewest words"),
  max_words: threshold(100_000, "most words"),
  min_avg_word_length: threshold(3, "shortest mean word length"),
  max_avg_word_length: threshold(10, "longest mean word length"),
  max_symbol_word_ratio: threshold(0.1, "most '#' and ellipsis symbols per word"),
  max_bullet_lines_ratio: threshold(0.9, "largest share of lines starting with a bullet", 0, 1),
  max_ellipsis_lines_ratio: threshold(0.3, "largest share of lines ending with an ellipsis", 0, 1),
  min_alpha_words_ratio: threshold(0.8, "smallest share of words with a letter", 0, 1),
  min_stop_words: threshold(2, "fewest distinct stop words present"),
  stop_words: { kind: "strings", default: STOP_WORDS, doc: "the stop words of min_stop_words" },
};

const GOPHER_REPETITION: Schema = {
  enabled: flag(true, "apply this group"),
  dup_line_frac: threshold(0.3, "largest share of lines that repeat an earlier line", 0, 1),
  dup_para_frac: threshold(0.3, "largest share of paragraphs that repeat an earlier one", 0, 1),
  dup_line_char_frac: threshold(0.2, "largest share of characters in repeated lines", 0, 1),
  dup_para_char_frac: threshold(0.2, "largest share of characters in repeated paragraphs", 0, 1),
  top_ngrams: { kind: "any", default: { 2: 0.2, 3: 0.18, 4: 0.16 }, doc: "n → largest share of word characters in the most frequent n-gram" },
  dup_ngrams: { kind: "any", default: { 5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.1 }, doc: "n → largest share of word characters in repeated n-grams" },
};

const C4: Schema = {
  enabled: flag(true, "apply this group"),
  remove_citations: flag(true, "strip Wikipedia-style citation markers ([1], [edit], [citation needed])"),
  terminal_punct: flag(true, "drop lines that do not end in terminal punctuation"),
  min_words_per_line: threshold(3, "drop lines with fewer words"),
  max_word_length: threshold(1000, "drop lines with a longer word"),
  javascript: flag(true, "drop lines mentioning javascript"),
  policy: flag(true, "drop lines about cookies, privacy policies and terms of use"),
  lorem_ipsum: flag(true, "remove documents containing lorem ipsum"),
  curly_bracket: flag(true, "remove documents containing a curly bracket"),
  min_sentences: threshold(5, "remove documents with fewer sentences (after line drops)"),
};

const FINEWEB: Schema = {
  enabled: flag(true, "apply this group"),
  min_line_punct_ratio: threshold(0.12, "smallest share of lines ending in terminal punctuation", 0, 1),
  max_short_line_ratio: threshold(0.67, "largest share of short lines", 0, 1),
  short_line_chars: { kind: "number", integer: true, min: 1, default: 30, doc: "a line this long or shorter is short" },
  max_dup_line_char_ratio: threshold(0.01, "largest share of characters in repeated lines", 0, 1),
  max_newline_ratio: threshold(0.3, "most newlines per word (lists)"),
};

export const PROSE_SCHEMA: Schema = {
  ...COMMON_FIELDS,
  gopher_quality: { kind: "object", fields: GOPHER_QUALITY, doc: "Gopher quality rules" },
  gopher_repetition: { kind: "object", fields: GOPHER_REPETITION, doc: "Gopher repetition rules" },
  c4: { kind: "object", fields: C4, doc: "C4 rules" },
  fineweb: { kind: "object", fields: FINEWEB, doc: "FineWeb rules" },
};

type N = number | null;
interface ProseOptions extends CommonOptions {
  gopher_quality: { enabled: boolean; min_words: N; max_words: N; min_avg_word_length: N; max_avg_word_length: N;
    max_symbol_word_ratio: N; max_bullet_lines_ratio: N; max_ellipsis_lines_ratio: N; min_alpha_words_ratio: N;
    min_stop_words: N; stop_words: string[] };
  gopher_repetition: { enabled: boolean; dup_line_frac: N; dup_para_frac: N; dup_line_char_frac: N; dup_para_char_frac: N;
    top_ngrams: Record<string, number>; dup_ngrams: Record<string, number> };
  c4: { enabled: boolean; remove_citations: boolean; terminal_punct: boolean; min_words_per_line: N; max_word_length: N;
    javascript: boolean; policy: boolean; lorem_ipsum: boolean; curly_bracket: boolean; min_sentences: N };
  fineweb: { enabled: boolean; min_line_punct_ratio: N; max_short_line_ratio: N; short_line_chars: number;
    max_dup_line_char_ratio: N; max_newline_ratio: N };
}

/** A rule that fired: its name and the measured value. */
export interface Verdict {
  rule: string;
  detail: string;
}

const fired = (rule: string, value: number, limit: number): Verdict => ({
  rule, detail: `${Number(value.toFixed(4))} vs limit ${limit}`,
});

const BULLET = /^\s*[•●○■□▪▫◦‣∙·*\-–—]\s/;
const ELLIPSIS_END = /(\.\.\.|…)\s*$/;
const TERMINAL = /[.!?"'”’»)]\s*$/;
const TERMINAL_STRICT = /[.!?]["'”’»)]*\s*$/;

export function gopherQuality(text: string, o: ProseOptions["gopher_quality"]): Verdict | null {
  const raw = whitespaceWords(text);
  const words = contentWords(text);
  const n = words.length;
  if (o.min_words !== null && n < o.min_words) return fired("gopher_quality.min_words", n, o.min_words);
  if (o.max_words !== null && n > o.max_words) return fired("gopher_quality.max_words", n, o.max_words);
  if (n === 0) return { rule: "gopher_quality.no_words", detail: "0 words" };
  let chars = 0;
  for (const w of words) chars += w.length;
  const avg = chars / n;
  if (o.min_avg_word_length !== null && avg < o.min_avg_word_length) return fired("gopher_quality.min_avg_word_length", avg, o.min_avg_word_length);
  if (o.max_avg_word_length !== null && avg > o.max_avg_word_length) return fired("gopher_quality.max_avg_word_length", avg, o.max_avg_word_length);
  if (o.max_symbol_word_ratio !== null) {
    const hashes = (text.match(/#/g) ?? []).length;
    const ellipses = (text.match(/\.\.\.|…/g) ?? []).length;
    const r = Math.max(hashes, ellipses) / n;
    if (r > o.max_symbol_word_ratio) return fired("gopher_quality.max_symbol_word_ratio", r, o.max_symbol_word_ratio);
  }
  const lines = text.split("\n");
  if (o.max_bullet_lines_ratio !== null) {
    const r = lines.filter((l) => BULLET.test(l)).length / lines.length;
    if (r > o.max_bullet_lines_ratio) return fired("gopher_quality.max_bullet_lines_ratio", r, o.max_bullet_lines_ratio);
  }
  if (o.max_ellipsis_lines_ratio !== null) {
    const r = lines.filter((l) => ELLIPSIS_END.test(l)).length / lines.length;
    if (r > o.max_ellipsis_lines_ratio) return fired("gopher_quality.max_ellipsis_lines_ratio", r, o.max_ellipsis_lines_ratio);
  }
  if (o.min_alpha_words_ratio !== null && raw.length > 0) {
    const r = raw.filter(hasAlpha).length / raw.length;
    if (r < o.min_alpha_words_ratio) return fired("gopher_quality.min_alpha_words_ratio", r, o.min_alpha_words_ratio);
  }
  if (o.min_stop_words !== null) {
    const stop = new Set(o.stop_words.map((s) => s.toLowerCase()));
    const found = new Set<string>();
    for (const w of words) {
      const l = w.toLowerCase();
      if (stop.has(l)) found.add(l);
      if (found.size >= o.min_stop_words) break;
    }
    if (found.size < o.min_stop_words) return fired("gopher_quality.min_stop_words", found.size, o.min_stop_words);
  }
  return null;
}

const table = new IntTable();

/** The hash of the n-gram of word hashes starting at i. */
function ngramHash(h: Int32Array, i: number, n: number): number {
  let x = n;
  for (let j = i; j < i + n; j++) x = hashCombine(x, h[j]);
  return fmix32(x);
}

/** Share of word characters covered by the most frequent n-gram (each occurrence counted). */
export function topNgramCharFrac(hashes: Int32Array, lengths: Int32Array, count: number, n: number, totalChars: number): number {
  if (count < n || totalChars === 0) return 0;
  table.reset(count);
  let best = 1;
  let bestStart = -1;
  for (let i = 0; i + n <= count; i++) {
    const k = ngramHash(hashes, i, n);
    const s = table.slot(k);
    const c = table.has(s) ? table.get(s) + 1 : 1;
    table.set(s, k, c);
    if (c > best) {
      best = c;
      bestStart = i;
    }
  }
  if (bestStart < 0) return 0;
  let len = 0;
  for (let j = bestStart; j < bestStart + n; j++) len += lengths[j];
  return (best * len) / totalChars;
}

/** Share of word characters inside n-grams that occur more than once (each word counted once). */
export function dupNgramCharFrac(hashes: Int32Array, lengths: Int32Array, count: number, n: number, totalChars: number): number {
  if (count < n || totalChars === 0) return 0;
  table.reset(count);
  const covered = new Uint8Array(count);
  for (let i = 0; i + n <= count; i++) {
    const k = ngramHash(hashes, i, n);
    const s = table.slot(k);
    if (!table.has(s)) table.set(s, k, i);
    else {
      const at = table.get(s);
      if (at + n <= i) {
        // a repeat that does not overlap its first occurrence: mark both
        for (let j = 0; j < n; j++) {
          covered[i + j] = 1;
          covered[at + j] = 1;
        }
      }
    }
  }
  let dup = 0;
  for (let i = 0; i < count; i++) if (covered[i]) dup += lengths[i];
  return dup / totalChars;
}

export function gopherRepetition(text: string, o: ProseOptions["gopher_repetition"]): Verdict | null {
  const total = text.length;
  if (total === 0) return null;
  const paras = text.split(/\n{2,}/).map((p) => p.trim()).filter((p) => p.length > 0);
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
  if (paras.length > 0) {
    const d = duplicates(paras);
    if (o.dup_para_frac !== null && d.count / paras.length > o.dup_para_frac) return fired("gopher_repetition.dup_para_frac", d.count / paras.length, o.dup_para_frac);
    if (o.dup_para_char_frac !== null && d.chars / total > o.dup_para_char_frac) return fired("gopher_repetition.dup_para_char_frac", d.chars / total, o.dup_para_char_frac);
  }
  if (lines.length > 0) {
    const d = duplicates(lines);
    if (o.dup_line_frac !== null && d.count / lines.length > o.dup_line_frac) return fired("gopher_repetition.dup_line_frac", d.count / lines.length, o.dup_line_frac);
    if (o.dup_line_char_frac !== null && d.chars / total > o.dup_line_char_frac) return fired("gopher_repetition.dup_line_char_frac", d.chars / total, o.dup_line_char_frac);
  }
  const { hashes, lengths, count } = wordHashes(text.toLowerCase());
  let chars = 0;
  for (let i = 0; i < count; i++) chars += lengths[i];
  for (const [n, limit] of Object.entries(o.top_ngrams)) {
    const f = topNgramCharFrac(hashes, lengths, count, Number(n), chars);
    if (f > limit) return fired(`gopher_repetition.top_${n}gram`, f, limit);
  }
  for (const [n, limit] of Object.entries(o.dup_ngrams)) {
    const f = dupNgramCharFrac(hashes, lengths, count, Number(n), chars);
    if (f > limit) return fired(`gopher_repetition.dup_${n}gram`, f, limit);
  }
  return null;
}

const CITATION = /\[\d*\]|\[edit\]|\[citation needed\]/gi;
const POLICY = ["terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies"];

/** C4: returns the text with dropped lines removed, the number of lines dropped, or the document rule that fired. */
export function c4(text: string, o: ProseOptions["c4"]): { text: string; dropped: number } | Verdict {
  const lower = text.toLowerCase();
  if (o.lorem_ipsum && lower.includes("lorem ipsum")) return { rule: "c4.lorem_ipsum", detail: "contains lorem ipsum" };
  if (o.curly_bracket && text.includes("{")) return { rule: "c4.curly_bracket", detail: "contains {" };
  const kept: string[] = [];
  let dropped = 0;
  for (let line of text.split("\n")) {
    line = line.trim();
    if (line === "") continue;
    if (o.remove_citations) line = line.replace(CITATION, "");
    const words = whitespaceWords(line);
    const l = line.toLowerCase();
    const bad = (o.terminal_punct && !(TERMINAL_STRICT.test(line) && !ELLIPSIS_END.test(line))) ||
      (o.min_words_per_line !== null && words.length < o.min_words_per_line) ||
      (o.max_word_length !== null && words.some((w) => w.length > o.max_word_length!)) ||
      (o.javascript && l.includes("javascript")) ||
      (o.policy && POLICY.some((p) => l.includes(p)));
    if (bad) dropped++;
    else kept.push(line);
  }
  if (kept.length === 0) return { rule: "c4.no_lines_left", detail: `${dropped} lines dropped` };
  const out = kept.join("\n");
  if (o.min_sentences !== null) {
    const sentences = (out.match(/[.!?]+(?=["'”’»)]*(\s|$))/g) ?? []).length;
    if (sentences < o.min_sentences) return fired("c4.min_sentences", sentences, o.min_sentences);
  }
  return { text: out, dropped };
}

export function fineweb(text: string, o: ProseOptions["fineweb"]): Verdict | null {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
  if (lines.length === 0) return { rule: "fineweb.empty", detail: "no lines" };
  if (o.min_line_punct_ratio !== null) {
    const r = lines.filter((l) => TERMINAL.test(l)).length / lines.length;
    if (r < o.min_line_punct_ratio) return fired("fineweb.line_punct_ratio", r, o.min_line_punct_ratio);
  }
  if (o.max_short_line_ratio !== null) {
    const r = lines.filter((l) => l.length <= o.short_line_chars).length / lines.length;
    if (r > o.max_short_line_ratio) return fired("fineweb.short_line_ratio", r, o.max_short_line_ratio);
  }
  if (o.max_dup_line_char_ratio !== null) {
    const total = lines.reduce((a, l) => a + l.length, 0);
    const r = duplicates(lines).chars / Math.max(1, total);
    if (r > o.max_dup_line_char_ratio) return fired("fineweb.dup_line_char_ratio", r, o.max_dup_line_char_ratio);
  }
  if (o.max_newline_ratio !== null) {
    const words = whitespaceWords(text).length;
    const r = (text.match(/\n/g) ?? []).length / Math.max(1, words);
    if (r > o.max_newline_ratio) return fired("fineweb.newline_ratio", r, o.max_newline_ratio);
  }
  return null;
}

export function createProseFilter(raw: unknown, name: string): TransformStep {
  const o = validate<ProseOptions>(raw, PROSE_SCHEMA, `steps.${name}`);
  for (const key of ["top_ngrams", "dup_ngrams"] as const) checkNgramTable(o.gopher_repetition[key], `steps.${name}.gopher_repetition.${key}`);
  const remove = (doc: Document, ctx: StepContext, v: Verdict) => {
    ctx.remove(doc, v.rule, v.detail);
    return null;
  };
  return {
    kind: "transform", name, type: "filter_prose", domains: o.domains,
    process(doc: Document, ctx: StepContext) {
      let text = doc.text;
      if (o.c4.enabled) {
        const r = c4(text, o.c4);
        if ("rule" in r) return remove(doc, ctx, r);
        if (r.dropped > 0) {
          ctx.count("c4.lines_dropped", r.dropped);
          ctx.count("modified");
          text = r.text;
        }
      }
      if (o.gopher_quality.enabled) {
        const v = gopherQuality(text, o.gopher_quality);
        if (v) return remove(doc, ctx, v);
      }
      if (o.gopher_repetition.enabled) {
        const v = gopherRepetition(text, o.gopher_repetition);
        if (v) return remove(doc, ctx, v);
      }
      if (o.fineweb.enabled) {
        const v = fineweb(text, o.fineweb);
        if (v) return remove(doc, ctx, v);
      }
      return text === doc.text ? doc : { ...doc, text };
    },
  };
}

function checkNgramTable(t: unknown, where: string): void {
  if (t === null || typeof t !== "object" || Array.isArray(t)) throw new ConfigError(`${where} must map n to a fraction, e.g. {2: 0.2}`);
  for (const [k, v] of Object.entries(t)) {
    if (!/^\d+$/.test(k) || Number(k) < 1) throw new ConfigError(`${where}: key "${k}" must be an n-gram size ≥ 1`);
    if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw new ConfigError(`${where}.${k} must be a fraction in [0, 1], got ${JSON.stringify(v)}`);
  }
}
