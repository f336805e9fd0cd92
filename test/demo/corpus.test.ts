/**
 * The demo corpus: two builds (the second in a fresh process) are byte-identical; every domain is present,
 * non-empty and within its cap; every line is a valid document; and nothing the proxy tasks hold out is in the
 * training text (checked against the proxies' own list of held-out units, excludeDocuments()) — checked on every
 * document of every domain before the cap, as the domain builders produce them, since the cap only removes.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  BUILDERS, buildDemoCorpus, DEFAULT_MATH_PROBLEMS, DEFAULT_MAX_DOCUMENT_BYTES, DEFAULT_PROBLEMS_PER_DOCUMENT, DEFAULT_SEED,
  DemoCorpusError, documentLine, DOMAIN_NAMES, MANIFEST_FILE, type DemoCorpus, type DemoCorpusOptions, type DomainName,
} from "../../src/demo/corpus.js";
import type { DomainContext, DomainDocuments } from "../../src/demo/types.js";
import type { Document } from "../../src/data/document.js";
import { readJsonl } from "../../src/data/readers/jsonl.js";
import { excludeDocuments } from "../../src/eval/proxies/build.js";
import { buildArithmetic } from "../../src/eval/proxies/arithmetic.js";
import { buildBookCloze } from "../../src/eval/proxies/book-cloze.js";
import { isHeldOutChapter, isHeldOutSpeech, isHeldOutSynset } from "../../src/eval/proxies/holdout.js";
import { mobyDickChapters, sotuSpeeches, wordnetSynsets } from "../../src/eval/proxies/sources.js";
import { glossLine } from "../../src/demo/domains/encyclopedia.js";
import { NgramSet } from "../../src/demo/ngrams.js";

const CAP = 64 * 1024;
const CAPPED: DemoCorpusOptions = { maxBytesPerDomain: CAP };
const CONTEXT: DomainContext = {
  maxDocumentBytes: DEFAULT_MAX_DOCUMENT_BYTES, seed: DEFAULT_SEED, mathProblems: DEFAULT_MATH_PROBLEMS, problemsPerDocument: DEFAULT_PROBLEMS_PER_DOCUMENT,
};
const root = mkdtempSync(join(tmpdir(), "demo-corpus-"));
const dirA = join(root, "a");
const dirB = join(root, "b");

interface Rec {
  id: string;
  text: string;
  meta: { source: string; domain: string };
}

const norm = (s: string) => s.replace(/\s+/g, " ").trim();

let capped: DemoCorpus;
let childDone: Promise<unknown>;
let allCache: Record<DomainName, DomainDocuments> | null = null;
/** Every document of every domain before the cap (the builders reuse what the build above parsed). */
const all = () => (allCache ??= Object.fromEntries(DOMAIN_NAMES.map((d) => [d, BUILDERS[d](CONTEXT)])) as Record<DomainName, DomainDocuments>);
const corpusOf = (): Record<DomainName, Document[]> =>
  Object.fromEntries(DOMAIN_NAMES.map((d) => [d, all()[d].documents])) as Record<DomainName, Document[]>;

before(() => {
  // The second build runs in another process, on the other core, while this one builds.
  const corpusJs = new URL("../../src/demo/corpus.js", import.meta.url).href;
  const script = `import { buildDemoCorpus } from ${JSON.stringify(corpusJs)}; buildDemoCorpus(process.argv[1], JSON.parse(process.argv[2]));`;
  childDone = promisify(execFile)(process.execPath, ["--input-type=module", "-e", script, dirB, JSON.stringify(CAPPED)], { timeout: 120_000 });
  capped = buildDemoCorpus(dirA, CAPPED);
});

after(() => rmSync(root, { recursive: true, force: true }));

test("two builds, one in a fresh process, are byte-identical", async () => {
  await childDone;
  const files = readdirSync(dirA).sort();
  assert.deepEqual(files, [...DOMAIN_NAMES.map((d) => `${d}.jsonl`), MANIFEST_FILE].sort());
  assert.deepEqual(readdirSync(dirB).sort(), files);
  for (const f of files) assert.ok(readFileSync(join(dirA, f)).equals(readFileSync(join(dirB, f))), `${f} differs between builds`);
});

test("every domain is present, non-empty, within its cap, and valid JSONL documents", () => {
  assert.deepEqual(capped.domains.map((d) => d.name), [...DOMAIN_NAMES]);
  const manifest = JSON.parse(readFileSync(capped.manifest, "utf8")) as { domains: { name: string; sha256: string; documents: number }[] };
  const ids = new Set<string>();
  for (const d of capped.domains) {
    const file = join(dirA, `${d.name}.jsonl`);
    assert.deepEqual(d.files, [file]);
    const bytes = readFileSync(file);
    assert.ok(d.documents > 0, `${d.name} is empty`);
    assert.equal(statSync(file).size, d.bytes);
    assert.ok(d.bytes <= CAP, `${d.name}: ${d.bytes} bytes over the ${CAP}-byte cap`);
    // A cap that is not vacuous: the domain has more than it keeps, and the cap is mostly filled.
    assert.ok(d.available.bytes > CAP && d.bytes > CAP * 0.8, `${d.name}: ${d.bytes} of ${d.available.bytes} bytes kept`);
    const m = manifest.domains.find((x) => x.name === d.name)!;
    assert.equal(m.sha256, createHash("sha256").update(bytes).digest("hex"));
    assert.equal(m.documents, d.documents);
    const lines = bytes.toString("utf8").split("\n");
    assert.equal(lines.pop(), "", "the file ends with a newline");
    assert.equal(lines.length, d.documents);
    for (const [i, line] of lines.entries()) {
      const r = JSON.parse(line) as Record<string, unknown>;
      assert.deepEqual(Object.keys(r), ["id", "text", "meta"], `${d.name}:${i + 1}`);
      const rec = r as unknown as Rec;
      assert.equal(typeof rec.id, "string");
      assert.ok(rec.id.startsWith(`${d.name}/`), rec.id);
      assert.ok(!ids.has(rec.id), `duplicate id ${rec.id}`);
      ids.add(rec.id);
      assert.equal(typeof rec.text, "string");
      assert.ok(rec.text.trim() !== "", `${rec.id}: empty text`);
      assert.ok(Buffer.byteLength(rec.text) <= 8192, `${rec.id}: longer than maxDocumentBytes`);
      assert.deepEqual(Object.keys(rec.meta), ["source", "domain"]);
      assert.equal(rec.meta.domain, d.name);
      assert.ok(typeof rec.meta.source === "string" && rec.meta.source !== "");
    }
    if (d.name === "math") assert.equal(d.package, null);
    else assert.match(d.package!.version, /^\d+\.\d+\.\d+/, `${d.name} records its package version`);
  }
  // The cap keeps a subset of the domain's documents, each written as it is, in the domain's order.
  for (const d of DOMAIN_NAMES) {
    const every = new Map(corpusOf()[d].map((r, i) => [r.id, { line: documentLine(r), i }]));
    let last = -1;
    for (const line of readFileSync(join(dirA, `${d}.jsonl`), "utf8").split("\n").filter((l) => l !== "")) {
      const f = every.get((JSON.parse(line) as Rec).id);
      assert.ok(f && f.line === line + "\n", `${d}: a document that the domain does not have`);
      assert.ok(f.i > last, `${d}: out of order`);
      last = f.i;
    }
  }
});

test("nothing the proxy tasks hold out is in the corpus", () => {
  const corpus = corpusOf();
  const held = excludeDocuments();
  const kinds = (p: string) => held.filter((e) => e.id.startsWith(p));
  const chapters = kinds("moby-dick-chapter-");
  const speeches = kinds("sotu-");
  const glosses = kinds("wordnet-");
  const arith = kinds("proxy-arith:");
  const js = held.filter((e) => e.meta.source === "evalsets/js-functions.jsonl");
  assert.equal(chapters.length, 13);
  assert.equal(speeches.length, 23);
  assert.ok(glosses.length > 5000 && arith.length === 250 && js.length > 0);

  // By source: no held-out chapter or speech file was read.
  for (const r of corpus.books) {
    const m = /chapter_(\d+)\.txt$/.exec(r.meta.source);
    if (m) assert.ok(!isHeldOutChapter(Number(m[1])), `${r.id} comes from a held-out chapter`);
  }
  for (const r of corpus.speeches) assert.ok(!isHeldOutSpeech(Number(/data\/(\d{4})_/.exec(r.meta.source)![1])), r.id);

  // Books: no held-out paragraph, exactly; kept paragraphs are found the same way (the check can fail).
  const bookParagraphs = new Set(corpus.books.flatMap((r) => r.text.split(/\n\s*\n/).map(norm)));
  for (const c of chapters) {
    for (const p of c.text.split(/\n\s*\n/).map(norm).filter((p) => p.length >= 60)) assert.ok(!bookParagraphs.has(p), `${c.id}: "${p.slice(0, 60)}…"`);
  }
  // (a kept chapter's paragraph, read from the package as the held-out ones are, is found)
  assert.ok(bookParagraphs.has(norm(mobyDickChapters()[0].text.split(/\n\s*\n/)[0])));
  const bookText = norm(corpus.books.map((r) => r.text).join(" "));
  for (const e of buildBookCloze().examples) assert.ok(!bookText.includes(norm(e.context)), `cloze passage ${e.id} is in the corpus`);

  // Speeches: no held-out sentence of 60+ characters, exactly.
  const split = (t: string) => norm(t).split(/(?<=[.!?]["'”’)\]]*)\s+(?=["'“‘(]?[A-Z0-9])/);
  const speechSentences = new Set(corpus.speeches.flatMap((r) => split(r.text)));
  for (const s of speeches) for (const x of split(s.text).filter((x) => x.length >= 60)) assert.ok(!speechSentences.has(x), `${s.id}: "${x.slice(0, 60)}…"`);
  assert.ok(split(sotuSpeeches((y) => !isHeldOutSpeech(y))[0].text).filter((x) => x.length >= 60).every((x) => speechSentences.has(x)));

  // Any domain: no 13 words in a row from a held-out chapter or speech (quotes, copies, re-wrapped text).
  const grams = new NgramSet(13);
  for (const e of [...chapters, ...speeches]) grams.add(e.text);
  assert.ok(grams.overlaps(`Some words first. ${chapters[0].text.toUpperCase()}`), "the n-gram check finds held-out text");
  for (const d of DOMAIN_NAMES) {
    const hits = corpus[d].filter((r) => grams.overlaps(r.text)).map((r) => r.id);
    assert.deepEqual(hits, [], `${d} shares 13-word sequences with held-out text`);
  }

  // WordNet: no held-out synset's line, and no held-out gloss under another headword.
  const lines = corpus.encyclopedia.flatMap((r) => r.text.split("\n"));
  const lineSet = new Set(lines);
  const glossSet = new Set(lines.map((l) => l.slice(l.indexOf(": ") + 2)));
  for (const g of glosses) {
    assert.ok(!lineSet.has(g.text), `${g.id} is in the corpus`);
    assert.ok(!glossSet.has(g.text.slice(g.text.indexOf(": ") + 2)), `${g.id}'s gloss is in the corpus`);
  }
  const kept = wordnetSynsets().filter((x) => !isHeldOutSynset(x.pos, x.offset));
  assert.ok(kept.slice(0, 100).every((x) => lineSet.has(glossLine(x))));

  // Arithmetic: no test or few-shot question of proxy-arith; every problem's arithmetic is right.
  const t = buildArithmetic();
  const evalQuestions = new Set([...t.examples, ...(t.fewshot ?? [])].map((e) => e.prompt));
  const problems = corpus.math.flatMap((r) => r.text.split("\n\n"));
  assert.equal(problems.length, 4000);
  for (const p of problems) {
    const q = p.slice(0, p.indexOf("\nAnswer:") + "\nAnswer:".length);
    assert.match(q, /^Question: .+\nAnswer:$/s);
    assert.ok(!evalQuestions.has(q), `an evaluation question is in the corpus: ${q}`);
    for (const m of p.matchAll(/(\d+) ([-+*/]) (\d+) = (\d+)/g)) {
      const [a, op, b, c] = [Number(m[1]), m[2], Number(m[3]), Number(m[4])];
      assert.equal(op === "+" ? a + b : op === "-" ? a - b : op === "*" ? a * b : a / b, c, p);
    }
    assert.match(p, /\n#### \d+$/);
  }
  assert.equal(new Set(problems).size, problems.length, "repeated problems");

  // JavaScript problems: no function of evalsets/js-functions.jsonl in the code domain.
  const code = corpus.code.map((r) => r.text).join("\n");
  for (const e of js) {
    const sig = /^(?:export )?(?:async )?function\*? ?\w+\(.*$/m.exec(e.text)?.[0];
    assert.ok(sig, `${e.id}: no signature found`);
    assert.ok(!code.includes(sig), `${e.id} is in the code domain`);
  }
});

test("the data pipeline's JSONL reader reads every file back as the same documents, none rejected", async () => {
  for (const d of capped.domains) {
    const file = join(dirA, `${d.name}.jsonl`);
    const expected = readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Rec);
    const got: unknown[] = [];
    for await (const item of readJsonl(file, `${d.name}.jsonl`, { textField: "text", idField: "id", domain: "unknown", domainField: null, metaFields: null, maxLineBytes: 1 << 26 })) {
      assert.ok("doc" in item, `${d.name}: rejected ${JSON.stringify("rejected" in item ? item.rejected : null)}`);
      got.push(item.doc);
    }
    assert.deepEqual(got, expected);
  }
});

test("every source the proxies do not hold out is used", () => {
  const byName = Object.fromEntries(capped.domains.map((d) => [d.name, d]));
  assert.equal(byName.books.sourceItems, 135 - 13 + 3); // chapters less the held-out ones, etymology, extracts, epilogue
  assert.equal(byName.speeches.sourceItems, 233 - 23);
  assert.equal(byName.math.sourceItems, 4000);
  for (const d of DOMAIN_NAMES) {
    const docs = all()[d].documents;
    assert.equal(byName[d].available.documents, docs.length);
    assert.equal(byName[d].available.bytes, docs.reduce((n, r) => n + Buffer.byteLength(documentLine(r)), 0));
  }
});

test("bad options and caps are clear errors", () => {
  const dir = join(root, "bad");
  assert.throws(() => buildDemoCorpus(dir, { domains: ["novels" as never] }), (e: unknown) => e instanceof DemoCorpusError && /unknown demo corpus domain "novels"/.test(e.message));
  assert.throws(() => buildDemoCorpus(dir, { maxBytesPerDomain: 0 }), /maxBytesPerDomain must be a positive whole number/);
  assert.throws(() => buildDemoCorpus(dir, { domains: ["math"], maxBytesPerDomain: 100 }), /smaller than every document of "math"/);
});
