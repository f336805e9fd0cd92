/**
 * The task kinds' bookkeeping on a scripted language model (so every expected number is known): accuracy and
 * byte-normalized accuracy, cloze accuracy and perplexity, answer extraction and exact match, pass@k over real
 * sandboxed runs, needle tables, perplexity by domain; pass@k against exact binomials; few-shot selection.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { passAtK, normalizeNumber, stderrOfMean } from "../../src/eval/metrics.js";
import { answersMatch, guessNormalization } from "../../src/eval/extract.js";
import { chooseShots, fitPrompt } from "../../src/eval/fewshot.js";
import { evaluateTask } from "../../src/eval/harness.js";
import { buildJsCode } from "../../src/eval/proxies/js-code.js";
import type { ClozeTask, GenerateTask, MultipleChoiceTask, PerplexityTask, RetrievalTask } from "../../src/eval/types.js";
import { ScriptedLM } from "./helpers.js";

function binom(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let r = 1n;
  for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
  return r;
}

test("pass@k: the product form equals 1 − C(n−c, k)/C(n, k) and stays finite for large n", () => {
  for (let n = 1; n <= 30; n++) {
    for (let c = 0; c <= n; c++) {
      for (let k = 1; k <= n; k++) {
        const exact = 1 - Number((binom(n - c, k) * 1_000_000_000_000n) / binom(n, k)) / 1e12;
        assert.ok(Math.abs(passAtK(n, c, k) - exact) < 1e-9, `n=${n} c=${c} k=${k}`);
      }
    }
  }
  assert.ok(Math.abs(passAtK(10, 3, 1) - 0.3) < 1e-15);
  assert.equal(passAtK(5, 0, 3), 0);
  assert.equal(passAtK(5, 3, 3), 1, "fewer failures than k: some sample of k passes");
  const big = passAtK(2000, 7, 100);
  assert.ok(Number.isFinite(big) && big > 0.29 && big < 0.31, String(big));
  assert.throws(() => passAtK(3, 4, 1), /c ≤ n/);
  assert.throws(() => passAtK(3, 1, 4), /k ≤ n/);
});

test("answer normalization and standard errors", () => {
  assert.equal(normalizeNumber("$1,300."), "1300");
  assert.equal(normalizeNumber("72.0"), "72");
  assert.equal(normalizeNumber("-5 apples"), "-5");
  assert.ok(answersMatch("1,300", "1300", "number"));
  assert.ok(!answersMatch("130", "1300", "number"));
  assert.ok(answersMatch("The Whale!", "whale", "text"));
  assert.equal(guessNormalization(["12", "3,400"]), "number");
  assert.equal(guessNormalization(["12", "blue"]), "text");
  assert.ok(Math.abs(stderrOfMean([0, 1, 0, 1]) - Math.sqrt(1 / 3 / 4)) < 1e-12);
});

const mcTask: MultipleChoiceTask = {
  kind: "multiple_choice", name: "mc", description: "", source: "test",
  examples: [
    { id: "0", context: "Q0:", choices: [" a", " bbbbbbbb"], gold: 1 },
    { id: "1", context: "Q1:", choices: [" a", " bbbbbbbb"], gold: 0 },
    { id: "2", context: "Q2:", choices: [" x", " y", " z"], gold: 2 },
  ],
};

test("multiple choice: acc takes the highest log-likelihood, acc_norm the highest per byte", () => {
  // " a" (2 bytes) −2, " bbbbbbbb" (9 bytes) −4: acc picks " a", acc_norm picks " bbbbbbbb"; " z" is best outright.
  const lm = new ScriptedLM((_c, x) => (x === " a" ? -2 : x === " bbbbbbbb" ? -4 : x === " z" ? -1 : -5));
  const r = evaluateTask(lm, mcTask, { logSamples: true });
  assert.equal(r.n, 3);
  assert.equal(r.metrics.acc, 2 / 3);
  assert.equal(r.metrics.acc_norm, 2 / 3);
  assert.deepEqual(r.samples!.map((s) => [s.pred, s.pred_norm]), [[0, 1], [0, 1], [2, 2]]);
  assert.equal(lm.calls.length, 7, "one request per choice");
  assert.ok(Math.abs(r.metrics.chance - (1 / 2 + 1 / 2 + 1 / 3) / 3) < 1e-12);
});

test("few-shot: fixed by (seed, task, example), never the example itself, independent of --limit", () => {
  const pool = Array.from({ length: 30 }, (_, i) => ({ id: String(i) }));
  const a = chooseShots(pool, 5, 1, "t", "3");
  assert.deepEqual(chooseShots(pool, 5, 1, "t", "3"), a);
  assert.notDeepEqual(chooseShots(pool, 5, 2, "t", "3"), a);
  assert.ok(!a.some((s) => s.id === "3"));
  assert.equal(new Set(a.map((s) => s.id)).size, 5);
  const big = Array.from({ length: 5000 }, (_, i) => ({ id: String(i) }));
  const b = chooseShots(big, 8, 1, "t", "17");
  assert.equal(new Set(b.map((s) => s.id)).size, 8);
  assert.ok(!b.some((s) => s.id === "17"));
  const prompts = (limit: number | null, seed: number) => {
    const lm = new ScriptedLM(() => 0);
    evaluateTask(lm, { ...mcTask, examples: [...mcTask.examples, ...pool.map((p) => ({ id: `p${p.id}`, context: `P${p.id}:`, choices: [" a", " b"], gold: 0 }))] },
      { shots: 2, seed, limit });
    return [...new Set(lm.calls.map((c) => c.context))];
  };
  assert.deepEqual(prompts(2, 5), prompts(null, 5).slice(0, 2));
  assert.notDeepEqual(prompts(2, 5), prompts(2, 6));
  // Prompt tokens = characters + 1; 3 shots need 42 + 5 reserved, 2 need 30 + 5, 1 needs 18 + 5.
  const counter = (maxLength: number) => ({ maxLength, encodeContext: (t: string) => new Int32Array(t.length + 1) });
  const shots = ["a".repeat(10), "b".repeat(10), "c".repeat(10)];
  assert.equal(fitPrompt(counter(47), shots, "query", 5).shots, 3);
  assert.equal(fitPrompt(counter(40), shots, "query", 5).shots, 2, "only the shots that fit the context are kept");
  assert.equal(fitPrompt(counter(30), shots, "query", 5).shots, 1);
});

test("cloze: acc from greedy decoding, ppl = exp(−mean log p)", () => {
  const task: ClozeTask = {
    kind: "cloze", name: "c", description: "", source: "t",
    examples: [{ id: "0", context: "a b", target: " c" }, { id: "1", context: "d e", target: " f" }],
  };
  const lm = new ScriptedLM((_c, x) => (x === " c" ? 0 : -2));
  const r = evaluateTask(lm, task);
  assert.equal(r.metrics.acc, 0.5);
  assert.ok(Math.abs(r.metrics.ppl - Math.exp(1)) < 1e-12);
});

test("generation: the extracted answer is compared as a number; shots show worked solutions", () => {
  const task: GenerateTask = {
    kind: "generate", name: "g", description: "", source: "t", stop: ["\n\n"], maxTokens: 50,
    extract: { type: "regex", pattern: "####\\s*(-?[0-9.,]+)", group: 1, fallback: "last-number" },
    examples: [
      { id: "0", prompt: "Question: 2+3?\nAnswer:", answer: "5", solution: " 2 + 3 = 5\n#### 5" },
      { id: "1", prompt: "Question: 10*10?\nAnswer:", answer: "100", solution: " 10 * 10 = 100\n#### 100" },
      { id: "2", prompt: "Question: 7-7?\nAnswer:", answer: "0", solution: " 7 - 7 = 0\n#### 0" },
    ],
  };
  const outputs: Record<string, string> = { "2+3": " so #### 5.0", "10*10": " it is 1,00 or 100", "7-7": " no idea" };
  const lm = new ScriptedLM(() => 0, (p) => outputs[Object.keys(outputs).find((k) => p.endsWith(`${k}?\nAnswer:`))!]);
  const r = evaluateTask(lm, task, { shots: 1, logSamples: true });
  assert.equal(r.metrics.exact_match, 2 / 3);
  assert.equal(r.metrics.extracted, 2 / 3);
  assert.ok(lm.prompts[0].includes("#### "), "the shot carries its worked solution");
  assert.ok(lm.prompts[0].endsWith("Question: 2+3?\nAnswer:"));
});

test("code: pass@k over real sandboxed runs of JavaScript completions", () => {
  const js = buildJsCode();
  const task = { ...js, examples: js.examples.slice(0, 3) };
  const wrong = "  return undefined;\n}\n";
  // Problem 0: every sample right; problem 1: samples 0 and 2 right; problem 2: none right (one loops forever).
  const lm = new ScriptedLM(() => 0, (p, _o, s) => {
    const ex = task.examples.find((e) => e.prompt === p)!;
    if (ex === task.examples[0]) return ex.canonical;
    if (ex === task.examples[1]) return s % 2 === 0 ? ex.canonical : wrong;
    return s === 0 ? "  for (;;) {}\n}\n" : wrong;
  });
  const r = evaluateTask(lm, task, { samples: 4, temperature: 0.8, passK: [1, 2, 10], timeoutMs: 1500 });
  const p1 = (1 + 0.5 + 0) / 3;
  const p2 = (1 + (1 - 1 / 6) + 0) / 3;
  assert.ok(Math.abs(r.metrics["pass@1"] - p1) < 1e-12, String(r.metrics["pass@1"]));
  assert.ok(Math.abs(r.metrics["pass@2"] - p2) < 1e-12);
  assert.ok(!("pass@10" in r.metrics), "k > samples is not reported");
  const st = (r.details as { statuses: Record<string, number> }).statuses;
  assert.equal(st.passed, 6);
  assert.equal(st.timeout, 1);
  assert.equal(st.failed, 5);
});

test("retrieval: lengths × depths table; lengths past the context are skipped", () => {
  const sentences = Array.from({ length: 200 }, (_, i) => `Sentence number ${i} is about the sea.`);
  const task: RetrievalTask = {
    kind: "retrieval", name: "n", description: "", source: "t",
    spec: { lengths: [64, 256, 512, 1024], depths: [0, 0.5, 1], perCell: 2, seed: 1, sentences, distractors: 4 },
  };
  // An oracle: the value written in the context after the key is the likely one and the generated one.
  const find = (ctx: string) => {
    const key = /What is the secret number of the (.+)\?/.exec(ctx)![1];
    return new RegExp(`The secret number of the ${key} is (\\d+)\\.`).exec(ctx)![1];
  };
  const lm = new ScriptedLM((c, x) => (x.trim() === find(c) ? -1 : -9), (p) => ` ${find(p)}.`, 600);
  const r = evaluateTask(lm, task);
  assert.equal(r.n, 2 * 3 * 2);
  assert.equal(r.metrics.acc_choice, 1);
  assert.equal(r.metrics.acc_generate, 1);
  const d = r.details as { lengths: number[]; skipped_lengths: number[]; acc_choice: number[][] };
  assert.deepEqual(d.lengths, [256, 512]);
  assert.deepEqual(d.skipped_lengths, [64, 1024], "64 tokens cannot hold needle and question; 1024 exceed the context");
  assert.deepEqual(d.acc_choice, [[1, 1, 1], [1, 1, 1]]);
  for (const c of lm.calls) assert.ok(lm.encodeContext(c.context).length <= 512);
});

test("perplexity: bits per byte and token perplexity per domain and overall", () => {
  const task: PerplexityTask = {
    kind: "perplexity", name: "p", description: "", source: "t",
    examples: [{ id: "a", text: "abcd", domain: "x" }, { id: "b", text: "ef", domain: "y" }, { id: "c", text: "gh", domain: "x" }],
  };
  // log p = −(bytes)·ln 2 → exactly one bit per byte; in domain y twice that.
  const lm = new ScriptedLM((_c, t) => -Buffer.byteLength(t) * Math.LN2 * (t === "ef" ? 2 : 1));
  const r = evaluateTask(lm, task);
  assert.ok(Math.abs(r.metrics["bits_per_byte/x"] - 1) < 1e-12);
  assert.ok(Math.abs(r.metrics["bits_per_byte/y"] - 2) < 1e-12);
  assert.ok(Math.abs(r.metrics.bits_per_byte - 10 / 8) < 1e-12);
  assert.ok(Math.abs(r.metrics["token_ppl/x"] - 2) < 1e-12);
});
