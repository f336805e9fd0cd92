/**
 * Decontamination: an index of the word n-grams (13 by default) of evaluation items, given as files, and a step
 * that looks every document up in it. A document sharing at least `min_matches` n-grams with one evaluation
 * item is removed (action "remove") or only reported (action "report"); either way the report names the
 * document, the evaluation set and item that were hit, and where in the document (character offset and the
 * matching text). Items shorter than n words are indexed whole when they have at least `min_item_words` words.
 *
 * Words are maximal runs of letters and digits (apostrophes inside words kept), lower-cased and NFKC-folded,
 * so punctuation, spacing and case do not hide an overlap.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Document } from "../document.js";
import type { StepContext, TransformStep } from "../pipeline/step.js";
import { ConfigError, validate, type Schema } from "../../util/schema.js";
import { hash52, hashString } from "../hash.js";
import { snippet } from "../document.js";
import { getPath } from "../readers/fields.js";
import { COMMON_FIELDS, type CommonOptions } from "./common.js";

const EVAL_SET_SCHEMA: Schema = {
  name: { kind: "string", doc: "name of the evaluation set (in reports)" },
  path: { kind: "string", doc: "file of items: JSONL, or plain text (relative to the pipeline file)" },
  fields: { kind: "strings", default: ["text"], doc: "JSONL fields joined to form an item (e.g. question, answer)" },
  id_field: { kind: "string", nullable: true, default: null as unknown as string, doc: "JSONL field with the item id (null: line number)" },
  split: { kind: "enum", values: ["line", "paragraph", "file"], default: "paragraph", doc: "plain text: what one item is" },
};

export const DECONT_SCHEMA: Schema = {
  ...COMMON_FIELDS,
  eval_sets: { kind: "any", doc: "list of evaluation sets: {name, path, fields, id_field, split}" },
  ngram: { kind: "number", integer: true, min: 3, default: 13, doc: "n-gram size in words" },
  min_item_words: { kind: "number", integer: true, min: 1, default: 8, doc: "shorter items are not indexed" },
  min_matches: { kind: "number", integer: true, min: 1, default: 1, doc: "n-grams a document must share with one item" },
  action: { kind: "enum", values: ["remove", "report"], default: "remove", doc: "remove hit documents, or only report them" },
};

interface EvalSetSpec {
  name: string;
  path: string;
  fields: string[];
  id_field: string | null;
  split: "line" | "paragraph" | "file";
}

interface DecontOptions extends CommonOptions {
  eval_sets: EvalSetSpec[];
  ngram: number;
  min_item_words: number;
  min_matches: number;
  action: "remove" | "report";
}

export interface EvalItem {
  set: string;
  id: string;
  text: string;
}

interface WordSpans {
  hashes: Int32Array;
  starts: Int32Array;
  ends: Int32Array;
}

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu;

export function wordSpans(text: string): WordSpans {
  const folded = text.normalize("NFKC").toLowerCase();
  // NFKC can change lengths; offsets are reported in the folded text when it differs (rare: ligatures, widths)
  const hashes: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  for (const m of folded.matchAll(WORD)) {
    hashes.push(hashString(m[0]));
    starts.push(m.index!);
    ends.push(m.index! + m[0].length);
  }
  return { hashes: Int32Array.from(hashes), starts: Int32Array.from(starts), ends: Int32Array.from(ends) };
}

/** The n-gram index of a list of evaluation items. */
export class NgramIndex {
  readonly items: EvalItem[] = [];
  /** n-gram key → item index (the first item that has it) */
  private readonly grams = new Map<number, number>();
  /** window lengths to slide: n, plus the lengths of short items indexed whole */
  readonly lengths = new Set<number>();
  skipped = 0;

  constructor(readonly n: number, readonly minItemWords: number) {
    this.lengths.add(n);
  }

  add(item: EvalItem): void {
    const { hashes } = wordSpans(item.text);
    if (hashes.length < this.minItemWords) {
      this.skipped++;
      return;
    }
    const idx = this.items.length;
    this.items.push(item);
    const len = Math.min(this.n, hashes.length);
    this.lengths.add(len);
    for (let i = 0; i + len <= hashes.length; i++) {
      const k = hash52(hashes, i, i + len); // hash52 mixes in the length
      if (!this.grams.has(k)) this.grams.set(k, idx);
    }
  }

  get size(): number {
    return this.grams.size;
  }

  /** Items hit by a text: item index → matches and the first matching span (character offsets). */
  lookup(text: string): Map<number, { matches: number; start: number; end: number }> {
    const { hashes, starts, ends } = wordSpans(text);
    const hits = new Map<number, { matches: number; start: number; end: number }>();
    for (const len of this.lengths) {
      for (let i = 0; i + len <= hashes.length; i++) {
        const item = this.grams.get(hash52(hashes, i, i + len));
        if (item === undefined) continue;
        const h = hits.get(item);
        if (h) h.matches++;
        else hits.set(item, { matches: 1, start: starts[i], end: ends[i + len - 1] });
      }
    }
    return hits;
  }
}

/** Reads the items of one evaluation set file. */
export function readEvalSet(spec: EvalSetSpec, baseDir: string): EvalItem[] {
  const path = resolve(baseDir, spec.path);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(`evaluation set "${spec.name}": cannot read ${path}: ${(e as Error).message}`);
  }
  const items: EvalItem[] = [];
  if (/\.(jsonl|ndjson)$/i.test(path)) {
    text.split("\n").forEach((line, i) => {
      if (!line.trim()) return;
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new ConfigError(`evaluation set "${spec.name}": ${path}:${i + 1} is not valid JSON`);
      }
      const parts = spec.fields.map((f) => getPath(rec, f)).filter((v) => v !== undefined && v !== null).map((v) => (typeof v === "string" ? v : JSON.stringify(v)));
      const rawId = spec.id_field ? getPath(rec, spec.id_field) : undefined;
      items.push({ set: spec.name, id: rawId !== undefined ? String(rawId) : `line ${i + 1}`, text: parts.join("\n") });
    });
  } else if (spec.split === "file") {
    items.push({ set: spec.name, id: spec.path, text });
  } else {
    const parts = spec.split === "line" ? text.split("\n") : text.split(/\n\s*\n/);
    parts.forEach((p, i) => {
      if (p.trim()) items.push({ set: spec.name, id: `${spec.split} ${i + 1}`, text: p });
    });
  }
  return items;
}

export function createDecontaminate(raw: unknown, name: string, env: { baseDir: string }): TransformStep {
  const o = validate<DecontOptions>(raw, DECONT_SCHEMA, `steps.${name}`);
  if (!Array.isArray(o.eval_sets) || o.eval_sets.length === 0) {
    throw new ConfigError(`steps.${name}.eval_sets must be a non-empty list of {name, path, ...}`);
  }
  const specs = o.eval_sets.map((s, i) => validate<EvalSetSpec>(s, EVAL_SET_SCHEMA, `steps.${name}.eval_sets[${i}]`));
  let index: NgramIndex | null = null;
  return {
    kind: "transform", name, type: "decontaminate", domains: o.domains,
    init(ctx: StepContext) {
      index = new NgramIndex(o.ngram, o.min_item_words);
      for (const s of specs) for (const item of readEvalSet(s, env.baseDir)) index.add(item);
      if (ctx.rank === 0) ctx.log(`${name}: ${index.items.length} evaluation items, ${index.size} n-grams (${index.skipped} items too short)`);
    },
    process(doc: Document, ctx: StepContext) {
      const hits = index!.lookup(doc.text);
      const hit = [...hits].filter(([, h]) => h.matches >= o.min_matches).sort((a, b) => a[0] - b[0]);
      if (hit.length === 0) return doc;
      const items = hit.map(([i, h]) => {
        const it = index!.items[i];
        return { eval_set: it.set, item: it.id, matches: h.matches, char_start: h.start, char_end: h.end,
          match: snippet(doc.text.slice(h.start, h.end), 300) };
      });
      for (const it of items) ctx.count(`hits.${it.eval_set}`);
      ctx.report({ id: doc.id, source: doc.meta.source, action: o.action, items });
      if (o.action === "remove") {
        ctx.remove(doc, "decontaminate.overlap", items.map((i) => `${i.eval_set}/${i.item}`).join(", "));
        return null;
      }
      ctx.count("reported");
      return doc;
    },
  };
}
