/**
 * In-training evaluation: eval_task records land in the metrics file at the chosen steps, and evaluating does not
 * change the training trajectory (same losses and weights as a run without it).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nativeKernels } from "../../src/kernels/native.js";
import { readMetrics } from "../../src/util/metrics.js";
import { EvalCallback, resolveEvaluationConfig } from "../../src/eval/callback.js";
import { historyTable } from "../../src/eval/table.js";
import { ConfigError } from "../../src/util/schema.js";
import { tok } from "./helpers.js";
import { runTiny, tinyRunConfig } from "./train-helpers.js";

test("the evaluation section: defaults, and errors that name the key", () => {
  const c = resolveEvaluationConfig({ every: 50 });
  assert.equal(c.every, 50);
  assert.deepEqual(c.tasks, ["proxy-cloze-book", "proxy-wordnet-mc", "proxy-ppl"]);
  assert.equal(c.limit, 100);
  assert.equal(resolveEvaluationConfig().every, 0);
  assert.throws(() => resolveEvaluationConfig({ every: -1 }), (e: Error) => e instanceof ConfigError && /evaluation\.every/.test(e.message));
  assert.throws(() => resolveEvaluationConfig({ evry: 5 }), /unknown key "evaluation\.evry"/);
});

test("in-training evaluation logs eval_task records every N steps without changing the run", () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-evalcb-"));
  try {
    const k = nativeKernels();
    const plain = tinyRunConfig(dir, "plain", 6);
    const ra = runTiny(plain, k);
    const withEval = tinyRunConfig(dir, "with-eval", 6);
    const messages: string[] = [];
    const cb = new EvalCallback(resolveEvaluationConfig({ every: 3, tasks: ["proxy-cloze-book", "proxy-wordnet-mc", "proxy-ppl"], limit: 4 }), tok, (m) => messages.push(m));
    const rb = runTiny(withEval, k, [cb]);
    const records = readMetrics(join(withEval.out_dir, "metrics.jsonl"));
    const evals = records.filter((r) => r.type === "eval_task");
    assert.deepEqual(evals.map((r) => [r.step, r.task]), [
      [3, "proxy-cloze-book"], [3, "proxy-wordnet-mc"], [3, "proxy-ppl"], [6, "proxy-cloze-book"], [6, "proxy-wordnet-mc"], [6, "proxy-ppl"],
    ]);
    for (const r of evals) {
      assert.equal(r.n, 4);
      assert.equal(typeof r.seconds, "number");
    }
    assert.equal(typeof evals[0].acc, "number");
    assert.equal(typeof evals[1].acc_norm, "number");
    assert.equal(typeof evals[2]["bits_per_byte/book"], "number");
    assert.equal(evals[0].proxy_of, "LAMBADA");
    assert.equal(messages.length, 6);
    const losses = (p: string) => readMetrics(join(p, "metrics.jsonl")).filter((r) => r.type === "train").map((r) => r.loss);
    assert.deepEqual(losses(withEval.out_dir), losses(plain.out_dir), "the same losses with and without evaluation");
    assert.ok(readFileSync(join(ra.checkpoint!, "model.safetensors")).equals(readFileSync(join(rb.checkpoint!, "model.safetensors"))));
    const table = historyTable(records);
    assert.match(table, /\| task \| metric \| step 3 \| step 6 \|/);
    assert.match(table, /proxy-ppl \| bits_per_byte \|/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the run configuration's evaluation section drives the same callback, and the report charts its records", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-evalcfg-"));
  try {
    const k = nativeKernels();
    const cfg = tinyRunConfig(dir, "cfg-eval", 4, { evaluation: { every: 2, tasks: ["proxy-wordnet-mc"], limit: 3 } });
    assert.equal(cfg.evaluation.every, 2);
    runTiny(cfg, k);
    const evals = readMetrics(join(cfg.out_dir, "metrics.jsonl")).filter((r) => r.type === "eval_task");
    assert.deepEqual(evals.map((r) => [r.step, r.task, r.n]), [[2, "proxy-wordnet-mc", 3], [4, "proxy-wordnet-mc", 3]]);
    const { buildReport } = await import("../../src/report/report.js");
    const html = buildReport(cfg.out_dir);
    assert.match(html, /Evaluation during training/);
    assert.match(html, /a proxy of [^;]+; 3 examples/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
