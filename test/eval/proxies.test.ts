/**
 * The offline proxy tasks: deterministic builds, verified arithmetic, well-formed questions, held-out text that
 * is exported for decontamination and absent from the training complement, a build folder that reads back to the
 * same tasks, and needles placed where asked within the asked length.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildProxies, PROXY_NAMES } from "../../src/eval/proxies/index.js";
import { ARITHMETIC_TEMPLATES, arithmeticProblem, verifySolution } from "../../src/eval/proxies/arithmetic.js";
import { isHeldOutChapter, isHeldOutSynset, stableHash } from "../../src/eval/proxies/holdout.js";
import { heldOutChapters } from "../../src/eval/proxies/book-cloze.js";
import { writeProxies } from "../../src/eval/proxies/build.js";
import { loadProxyDir } from "../../src/eval/loaders/proxy-dir.js";
import { buildNeedleExamples } from "../../src/eval/tasks/needle.js";
import { ModelLM } from "../../src/eval/lm/model-lm.js";
import type { ClozeTask, MultipleChoiceTask, RetrievalTask, Task } from "../../src/eval/types.js";
import { tinyModel, tok } from "./helpers.js";

let smallCache: Task[] | null = null;
const small = () => (smallCache ??= buildProxies(PROXY_NAMES, { n: 40 }));
const byName = (ts: Task[], n: string) => ts.find((t) => t.name === n)!;
const norm = (s: string) => s.replace(/\s+/g, " ").trim();

test("proxy tasks are deterministic and named as proxies of what they imitate", () => {
  const a = small();
  const b = buildProxies(PROXY_NAMES, { n: 40 });
  assert.deepEqual(a, b);
  assert.deepEqual(a.map((t) => t.name), [...PROXY_NAMES]);
  for (const t of a) assert.ok(t.name.startsWith("proxy-"));
  assert.equal(byName(a, "proxy-cloze-book").proxyOf, "LAMBADA");
  assert.equal(byName(a, "proxy-arith").proxyOf, "GSM8K");
  assert.equal(byName(a, "proxy-js-code").proxyOf, "HumanEval");
});

test("arithmetic problems: every template, every annotation and final answer verified", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const p = arithmeticProblem(`check:${i}`);
    seen.add(p.template);
    assert.match(p.answer, /^\d+$/);
    verifySolution(p.annotated, Number(p.answer));
    assert.ok(p.solution!.endsWith(`#### ${p.answer}`));
    assert.ok(!p.solution!.includes("<<"));
  }
  assert.deepEqual([...seen].sort(), [...ARITHMETIC_TEMPLATES].sort());
  assert.throws(() => verifySolution("3 + 4 = <<3+4=8>>8\n#### 8", 8), /is not 8/);
  assert.throws(() => verifySolution("3 + 4 = <<3+4=7>>7\n#### 8", 8), /final answer/);
  const test0 = arithmeticProblem("proxy-arith:test:0");
  const train0 = arithmeticProblem("proxy-arith:train:0");
  assert.notEqual(test0.prompt, train0.prompt);
});

test("WordNet multiple choice: four distinct words, the gold one the synset's lemma, held-out synsets only", () => {
  const t = byName(small(), "proxy-wordnet-mc") as MultipleChoiceTask;
  assert.equal(t.examples.length, 40);
  for (const e of t.examples) {
    assert.equal(e.choices.length, 4);
    assert.equal(new Set(e.choices).size, 4);
    const [, pos, offset] = /^wordnet-(\w+)-(\d+)$/.exec(e.id)!;
    assert.ok(isHeldOutSynset(pos, offset));
    assert.match(e.context, /^Definition: .+\nWord:$/);
    assert.ok(!e.context.toLowerCase().includes(e.choices[e.gold].trim()));
  }
  const golds = t.examples.map((e) => e.gold);
  assert.ok(new Set(golds).size > 1, "the gold position varies");
  assert.ok(!t.fewshot!.some((f) => t.examples.some((e) => e.id === f.id)), "few-shot pool disjoint from the test");
});

test("book cloze: passages from held-out chapters, cut right after a content word", () => {
  const t = byName(small(), "proxy-cloze-book") as ClozeTask;
  const chapters = new Map(heldOutChapters().map((c) => [c.number, norm(c.text)]));
  for (const e of t.examples) {
    const ch = Number(/^moby-dick-(\d+)-/.exec(e.id)![1]);
    assert.ok(isHeldOutChapter(ch));
    assert.match(e.target, /^ [A-Za-z]{4,}$/);
    assert.ok(chapters.get(ch)!.includes(norm(e.context + e.target)), `${e.id} is text of chapter ${ch}`);
  }
});

test("build-proxies: files, manifest hashes, exclude.jsonl, training complement without held-out text, read-back", () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-proxies-"));
  try {
    const r = writeProxies(join(dir, "proxies"), { n: 20, trainText: join(dir, "train") });
    const manifest = JSON.parse(readFileSync(join(dir, "proxies", "manifest.json"), "utf8"));
    for (const [file, sha] of Object.entries(manifest.files as Record<string, string>)) {
      assert.equal(createHash("sha256").update(readFileSync(join(dir, "proxies", file))).digest("hex"), sha, file);
    }
    const exclude = readFileSync(join(dir, "proxies", "exclude.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(exclude.length, r.excludeDocuments);
    for (const d of exclude.slice(0, 50)) {
      assert.equal(typeof d.id, "string");
      assert.equal(typeof d.text, "string");
      assert.equal(d.meta.domain, "eval-holdout");
      assert.equal(typeof d.meta.source, "string");
    }
    const ids = new Set(exclude.map((d) => d.id as string));
    for (const c of [10, 20, 130]) assert.ok(ids.has(`moby-dick-chapter-${c}`));
    assert.ok(ids.has("sotu-1995_william_j_clinton_d"));
    assert.ok(ids.has("proxy-arith:test:0") && ids.has("JsFunctions/0"));
    // The training complement holds every other chapter and none of the held-out passages.
    const md = readdirSync(join(dir, "train", "moby-dick"));
    assert.equal(md.length, 135 - 13);
    const read = (sub: string) => norm(readdirSync(join(dir, "train", sub)).map((f) => readFileSync(join(dir, "train", sub, f), "utf8")).join("\n"));
    const book = read("moby-dick");
    const cloze = byName(small(), "proxy-cloze-book") as ClozeTask;
    for (const e of cloze.examples.slice(0, 20)) assert.ok(!book.includes(norm(e.context).slice(-120)), e.id);
    // Every held-out WordNet gloss line is absent (short definitions may recur inside other glosses).
    const glosses = read("wordnet");
    for (const d of exclude.filter((x) => x.id.startsWith("wordnet-")).slice(0, 50)) assert.ok(!glosses.includes(norm(d.text)), d.id);
    const speeches = readdirSync(join(dir, "train", "sotu"));
    assert.ok(speeches.length > 200 && !speeches.some((f) => f.startsWith("1995_")));
    // Read back: the same tasks as building them.
    const names = PROXY_NAMES.filter((n) => n !== "proxy-needle");
    const back = loadProxyDir(join(dir, "proxies"), names);
    const built = buildProxies(names, { n: 20 });
    back.forEach((t, i) => {
      const b = built[i] as { examples: unknown[]; fewshot?: unknown[] };
      assert.deepEqual((t as { examples: unknown[] }).examples, b.examples, t.name);
      assert.equal(t.kind, built[i].kind);
      assert.equal(t.proxyOf, built[i].proxyOf);
    });
    const needle = loadProxyDir(join(dir, "proxies"), ["proxy-needle"])[0] as RetrievalTask;
    assert.deepEqual(needle.spec, (buildProxies(["proxy-needle"])[0] as RetrievalTask).spec);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("needles: inside the asked length, at the asked depth, value present once", () => {
  const lm = new ModelLM(tinyModel({ max_seq_len: 512 }), tok);
  const task = buildProxies(["proxy-needle"], { needle: { lengths: [128, 512, 2048], perCell: 2 } })[0] as RetrievalTask;
  const { examples, skipped } = buildNeedleExamples(task.spec, lm);
  assert.deepEqual(skipped, [128, 2048], "128 byte tokens cannot hold the needle and the question; 2048 exceed the context");
  assert.equal(examples.length, 1 * 5 * 2);
  for (const e of examples) {
    const n = lm.encodeContext(e.context).length;
    assert.ok(n <= e.length && n > e.length * 0.7, `${e.id}: ${n} tokens for length ${e.length}`);
    const value = e.answer.trim();
    assert.equal(e.context.split(value).length, 2, "the value appears once");
    assert.ok(e.candidates.includes(e.answer));
    assert.equal(new Set(e.candidates).size, 5);
    const at = e.context.indexOf("The secret number of the") / e.context.indexOf("\n\nQuestion:");
    assert.ok(Math.abs(at - e.depth) < 0.2, `${e.id}: needle at ${at.toFixed(2)}`);
  }
  assert.equal(stableHash("a"), stableHash("a"));
});

test("the JavaScript problems: every reference solution passes in the sandbox, a wrong body fails", async () => {
  const { buildJsCode } = await import("../../src/eval/proxies/js-code.js");
  const { checkCanonical } = await import("../../src/eval/tasks/code.js");
  const task = buildJsCode();
  assert.ok(task.examples.length >= 30);
  assert.equal(new Set(task.examples.map((e) => e.entryPoint)).size, task.examples.length);
  for (const r of checkCanonical(task)) assert.ok(r.passed, `${r.id}: ${r.status} ${r.stderr}`);
  const wrong = { ...task, examples: task.examples.slice(0, 6).map((e) => ({ ...e, canonical: "  return null;\n}\n" })) };
  for (const r of checkCanonical(wrong)) assert.ok(!r.passed, `${r.id} passes with a wrong body`);
});
