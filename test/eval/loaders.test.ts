/**
 * Loaders of the published benchmark formats, on small hand-made files in those formats: the examples they
 * produce, the prompts a model sees, and error messages that name the file, the line and the field.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadHellaSwag } from "../../src/eval/loaders/hellaswag.js";
import { loadArc } from "../../src/eval/loaders/arc.js";
import { loadMmlu } from "../../src/eval/loaders/mmlu.js";
import { loadLambada } from "../../src/eval/loaders/lambada.js";
import { loadGsm8k } from "../../src/eval/loaders/gsm8k.js";
import { loadHumanEval } from "../../src/eval/loaders/humaneval.js";
import { loadMbpp } from "../../src/eval/loaders/mbpp.js";
import { loadNative } from "../../src/eval/loaders/native.js";
import { parseCsv } from "../../src/eval/loaders/csv.js";
import { resolveTasks } from "../../src/eval/registry.js";
import { mcPrompt } from "../../src/eval/tasks/multiple-choice.js";
import { extractAnswer } from "../../src/eval/extract.js";
import { checkCanonical } from "../../src/eval/tasks/code.js";
import { sandboxCapabilities } from "../../src/eval/sandbox/probe.js";
import { EvalDataError } from "../../src/eval/loaders/records.js";
import { ScriptedLM } from "./helpers.js";

const FIX = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..", "..", "test", "fixtures", "eval");
const f = (name: string) => join(FIX, name);

test("HellaSwag: query from activity label and context, WikiHow markup removed, labels as numbers or strings", () => {
  const t = loadHellaSwag(f("hellaswag_val.jsonl"));
  assert.equal(t.kind, "multiple_choice");
  assert.equal(t.examples.length, 3);
  const [a, b] = t.examples;
  assert.equal(a.id, "14");
  assert.equal(a.context, "Sailing: A man stands on the deck of a small boat holding a rope. He");
  assert.equal(a.choices[2], " pulls the rope and raises the sail.");
  assert.equal(a.gold, 2);
  assert.equal(b.context, "Baking bread: How to bake bread. Mix the flour and water.");
  assert.equal(b.choices[0], " Knead the dough until it is smooth.. Let it rise.");
  assert.equal(b.gold, 0);
});

test("ARC: AI2's nested format and the Hugging Face rows, letter and digit labels", () => {
  const v1 = loadArc(f("arc-v1.jsonl"), "arc_challenge");
  assert.equal(v1.examples[0].context, "Question: Which object would float on water?\nAnswer:");
  assert.deepEqual(v1.examples[0].choices, [" an iron nail", " a dry wooden block", " a glass marble", " a steel key"]);
  assert.equal(v1.examples[0].gold, 1);
  assert.equal(v1.examples[1].gold, 0, "answerKey '1' names the first of labels 1..3");
  assert.equal(v1.examples[1].choices.length, 3);
  const hf = loadArc(f("arc-hf.jsonl"));
  assert.equal(hf.examples[0].gold, 0);
  assert.equal(hf.examples[0].id, "Handmade_003");
});

test("MMLU: CSV (quoted fields, newlines inside quotes) by subject, with dev shots from the same subject; HF JSONL rows", () => {
  const t = loadMmlu(join(FIX, "mmlu", "astronomy_test.csv"), "mmlu", join(FIX, "mmlu", "astronomy_dev.csv"));
  assert.equal(t.examples.length, 3);
  const ex = t.examples[1];
  assert.equal(ex.group, "astronomy");
  assert.equal(ex.context, "What is a light-year, in short?\nA. A unit of time\nB. A unit of distance\nC. A unit of mass\nD. A unit of speed, roughly\nAnswer:");
  assert.deepEqual(ex.choices, [" A", " B", " C", " D"]);
  assert.equal(ex.gold, 1);
  assert.equal(t.examples[2].context.split("\n")[1], "Choose one.");
  const lm = new ScriptedLM(() => 0);
  const { prompt, shots } = mcPrompt(lm, t, ex, 2, 1);
  assert.equal(shots, 2);
  assert.ok(prompt.startsWith("The following are multiple choice questions (with answers) about astronomy.\n\n"));
  assert.match(prompt, /What orbits the Earth\?\nA\. The Moon\nB\. The Sun\nC\. Mars\nD\. Jupiter\nAnswer: A\n\n/);
  assert.ok(prompt.endsWith(ex.context));
  const folder = loadMmlu(join(FIX, "mmlu"));
  assert.equal(folder.examples.length, 5, "a folder: every CSV in it");
  const hf = loadMmlu(f("mmlu-hf.jsonl"));
  assert.deepEqual(hf.examples.map((e) => [e.group, e.gold]), [["elementary_mathematics", 1], ["astronomy", 2]]);
  assert.deepEqual(parseCsv('a,"b,""c"""\r\n1,2\n'), [["a", 'b,"c"'], ["1", "2"]]);
});

test("LAMBADA: JSONL and plain text, the last word as target with its space", () => {
  const t = loadLambada(f("lambada_test.jsonl"));
  assert.equal(t.kind, "cloze");
  assert.equal(t.examples[0].target, " lantern");
  assert.ok(t.examples[0].context.endsWith("In the morning she blew out the"));
  assert.equal(t.examples[0].context + t.examples[0].target, "She kept the lantern burning all night so that the sailors would see the light. In the morning she blew out the lantern");
  const p = loadLambada(f("lambada_plain.txt"));
  assert.deepEqual(p.examples.map((e) => e.target), [" dog", " river"]);
});

test("GSM8K: prompts, numeric answers, worked solutions without calculator annotations, extraction", () => {
  const t = loadGsm8k(f("gsm8k.jsonl"), "gsm8k");
  assert.equal(t.examples[1].prompt, "Question: Tom has 40 stamps. He gives half of them to his sister. How many stamps does Tom have left?\nAnswer:");
  assert.equal(t.examples[1].answer, "20");
  assert.equal(t.examples[1].solution, " Tom gives away 40 / 2 = 20 stamps.\nHe has 40 - 20 = 20 stamps left.\n#### 20");
  assert.equal(t.examples[2].answer, "1,300");
  assert.equal(extractAnswer(t.extract, "so 12 + 15 = 27.\n#### 27"), "27");
  assert.equal(extractAnswer(t.extract, "the answer is 1,300 dollars"), "1,300", "falls back to the last number");
  assert.equal(extractAnswer(t.extract, "no idea"), null);
});

test("HumanEval and MBPP: fields, prompts and (with Python) reference solutions that pass in the sandbox", (t) => {
  const he = loadHumanEval(f("humaneval.jsonl"));
  assert.equal(he.examples[0].style, "humaneval");
  assert.equal(he.examples[0].entryPoint, "add_two");
  assert.ok(he.stop.includes("\ndef"));
  const mb = loadMbpp(f("mbpp.jsonl"));
  assert.ok(mb.examples[0].prompt.startsWith("You are an expert Python programmer, and here is your task: Write a function to return the larger of two numbers. Your code should pass these tests:\n\nassert larger(2, 3) == 3\n"));
  assert.ok(mb.examples[0].prompt.endsWith("\n[BEGIN]\n"));
  const san = loadMbpp(f("mbpp-sanitized.jsonl"));
  assert.equal(san.examples[0].setup, "import math");
  if (!sandboxCapabilities().python) {
    t.skip("no /usr/bin/python3: Python code tasks are skipped on this machine");
    return;
  }
  for (const task of [he, mb, san]) {
    for (const r of checkCanonical(task)) assert.ok(r.passed, `${task.name} ${r.id}: ${r.status} ${r.stderr}`);
  }
});

test("the toolkit's own JSONL format: kinds declared or inferred", () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-eval-native-"));
  try {
    const mc = join(dir, "mc.jsonl");
    writeFileSync(mc, JSON.stringify({ context: "2+2=", choices: [" 3", " 4"], gold: 1 }) + "\n");
    const t = loadNative(mc, { name: "mine" });
    assert.equal(t.kind, "multiple_choice");
    const ppl = join(dir, "ppl.jsonl");
    writeFileSync(ppl, [{ text: "some text", domain: "web" }, { text: "more", domain: "code" }].map((x) => JSON.stringify(x)).join("\n"));
    assert.equal(loadNative(ppl, { name: "p" }).kind, "perplexity");
    const gen = join(dir, "gen.jsonl");
    writeFileSync(gen, JSON.stringify({ kind: "generate", prompt: "Q: 1+1?\nA:", answer: "2" }) + "\n");
    const g = loadNative(gen, { name: "g" });
    assert.equal(g.kind, "generate");
    const [a, b] = resolveTasks([`${mc}`, `arc_easy=arc:${f("arc-hf.jsonl")}`]);
    assert.equal(a.name, "mc");
    assert.equal(b.name, "arc_easy");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("errors name the file, the line and the field", () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-eval-bad-"));
  try {
    const p = join(dir, "h.jsonl");
    writeFileSync(p, JSON.stringify({ ind: 1, activity_label: "x", ctx_a: "a", ctx_b: "b", endings: ["e"], label: "" }) + "\n");
    assert.throws(() => loadHellaSwag(p), (e: Error) => e instanceof EvalDataError && /h\.jsonl:1: no "label" \(the HellaSwag test split is unlabeled/.test(e.message));
    writeFileSync(p, '{"question": "q"}\n{"question": "q", "answer": "no final line"}\n');
    assert.throws(() => loadGsm8k(p), /h\.jsonl:1: field "answer" must be a string, got nothing \(the field is missing\)/);
    writeFileSync(p, '{"question": "q", "answer": "#### 3"}\nnot json\n');
    assert.throws(() => loadGsm8k(p), /h\.jsonl:2: invalid JSON/);
    assert.throws(() => resolveTasks(["nosuch"]), /unknown task "nosuch"/);
    assert.throws(() => resolveTasks([`arc:${join(dir, "missing.jsonl")}`]), /cannot read/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
