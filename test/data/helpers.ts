/** Planted corpora for the data pipeline tests: seeded English-like prose, near-duplicates, spam, code, math. */
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { Rng } from "../../src/util/rng.js";

const WORDS = (
  "the of and to in is was that for it as with be on by he at from his an are were which this or had not but " +
  "they have their one all been its has who more when there so no would into than out them can only other new " +
  "some could time these two may then do first any my now such like our over man me even most made after also " +
  "did many before must through back years where much your way well down should because each just those people " +
  "how too little state good very make world still own see men work long get here between both life being under " +
  "never day same another know while last might us great old year off come since against go came right used take " +
  "three states himself few house use during without again place american around however home small found thought " +
  "went say part once general high upon school every does got united left number course war until always away " +
  "something fact though water less public put think almost hand enough far took head yet government system better " +
  "set told nothing night end why called eyes find going look asked later knew point next program city business give " +
  "group toward young days let room president side social given present several order national possible rather second " +
  "face per among form important often things looked early white case john become large big need four within felt " +
  "along children saw best church ever least power development light thing seemed family interest want members mind " +
  "country area others done turned although open god service certain kind problem began different door thus help " +
  "sense means whole matter perhaps itself york times human law line above name example action company hands local " +
  "show five history whether gave either today act feet across taken past quite anything seen having death experience"
).split(" ");

const STOP = ["the", "of", "and", "to", "a", "in", "that", "is", "with", "be", "have", "for"];

/** A paragraph of `n` words in sentences of 8–20 words, capitalised and ending with a full stop. */
export function prose(rng: Rng, n: number): string {
  const out: string[] = [];
  let left = n;
  while (left > 0) {
    const len = Math.min(left, 8 + rng.int(13));
    const words: string[] = [];
    // function words are frequent in real prose (Gopher's stop-word rule relies on it)
    for (let i = 0; i < len; i++) words.push(rng.float() < 0.3 ? STOP[rng.int(STOP.length)] : WORDS[rng.int(WORDS.length)]);
    words[0] = words[0][0].toUpperCase() + words[0].slice(1);
    out.push(words.join(" ") + ".");
    left -= len;
  }
  return out.join(" ");
}

/** A document of paragraphs (blank-line separated). */
export function proseDoc(rng: Rng, paragraphs: number, wordsEach: number): string {
  return Array.from({ length: paragraphs }, () => prose(rng, wordsEach)).join("\n\n");
}

/** A copy of `text` with a share of its words replaced by random words (a near-duplicate). */
export function mutate(rng: Rng, text: string, share: number): string {
  const words = text.split(" ");
  for (let i = 0; i < words.length; i++) {
    if (rng.float() < share) words[i] = WORDS[rng.int(WORDS.length)];
  }
  return words.join(" ");
}

export function tempDir(prefix = "pretrain-data-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeJsonl(path: string, records: unknown[]): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
}

import type { Document } from "../../src/data/document.js";
import type { StepContext, TransformStep } from "../../src/data/pipeline/step.js";

/** A step context that records what a step did, for unit tests of single steps. */
export class RecordingContext implements StepContext {
  readonly rank = 0;
  readonly worldSize = 1;
  readonly outDir = "/nonexistent";
  readonly workDir = "/nonexistent";
  removed: { id: string; reason: string; detail?: string }[] = [];
  counters: Record<string, number> = {};
  reports: unknown[] = [];
  logs: string[] = [];
  remove(doc: Document, reason: string, detail?: string): void {
    this.removed.push({ id: doc.id, reason, detail });
  }
  count(key: string, n = 1): void {
    this.counters[key] = (this.counters[key] ?? 0) + n;
  }
  report(record: unknown): void {
    this.reports.push(record);
  }
  log(message: string): void {
    this.logs.push(message);
  }
}

export function doc(id: string, text: string, domain = "web", meta: Record<string, unknown> = {}): Document {
  return { id, text, meta: { source: id, domain, ...meta } };
}

/** Runs a transform step over documents; returns the kept documents and the context. */
export async function runStep(step: TransformStep, docs: Document[]): Promise<{ kept: Document[]; ctx: RecordingContext }> {
  const ctx = new RecordingContext();
  await step.init?.(ctx);
  const kept: Document[] = [];
  for (const d of docs) {
    const r = await step.process(d, ctx);
    if (r) kept.push(r);
  }
  return { kept, ctx };
}

/** The rule that removed each document (or "kept"), by id. */
export async function verdicts(step: TransformStep, docs: Document[]): Promise<Record<string, string>> {
  const { kept, ctx } = await runStep(step, docs);
  const out: Record<string, string> = {};
  for (const d of kept) out[d.id] = "kept";
  for (const r of ctx.removed) out[r.id] = r.reason;
  return out;
}
