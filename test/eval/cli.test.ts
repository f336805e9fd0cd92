/**
 * `pretrain eval` end to end on a tiny trained run: run (table, --out results JSON with the documented schema),
 * compare (two checkpoints side by side), build-proxies, history, and usage errors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { nativeKernels } from "../../src/kernels/native.js";
import { listCheckpoints } from "../../src/train/checkpoint.js";
import { runTiny, tinyRunConfig } from "./train-helpers.js";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..", "..");
const main = join(root, "dist", "src", "cli", "main.js");
const FIX = join(root, "test", "fixtures", "eval");

function pretrain(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: "utf8", env: { ...process.env, PRETRAIN_THREADS: "1" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("pretrain eval: run, compare, build-proxies, history and usage errors", () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-evalcli-"));
  try {
    const cfg = tinyRunConfig(dir, "run", 4);
    runTiny(cfg, nativeKernels());
    const out = join(dir, "results.json");
    const r = pretrain(["eval", "--model", cfg.out_dir, "--tasks", `proxy-cloze-book,proxy-arith,lambada:${join(FIX, "lambada_test.jsonl")}`,
      "--tasks", `arc_easy=arc:${join(FIX, "arc-hf.jsonl")}`, "--limit", "3", "--max-tokens", "8", "--out", out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\| proxy-cloze-book \| LAMBADA \| 3 \| 0 \| acc \|/);
    assert.match(r.stdout, /\| lambada \| — \| 3 \|/);
    const res = JSON.parse(readFileSync(out, "utf8"));
    assert.equal(res.format, "pretrain-eval-results");
    assert.equal(res.version, 1);
    assert.equal(res.model.step, 4);
    assert.equal(res.model.tokenizer, "bytes");
    assert.deepEqual(Object.keys(res.tasks), ["proxy-cloze-book", "proxy-arith", "lambada", "arc_easy"]);
    for (const t of Object.values(res.tasks) as { n: number; metrics: object; examples_per_s: number; kind: string }[]) {
      assert.ok(t.n > 0 && t.examples_per_s > 0);
      assert.ok(Object.keys(t.metrics).length > 0);
    }
    assert.equal(res.tasks["proxy-arith"].kind, "generate");
    assert.equal(res.options.seed, 1234);

    const cks = listCheckpoints(cfg.out_dir).filter((c) => c.complete).map((c) => c.dir).sort();
    assert.equal(cks.length, 2);
    const c = pretrain(["eval", "compare", ...cks, "--tasks", "proxy-wordnet-mc", "--limit", "3", "--json"]);
    assert.equal(c.status, 0, c.stderr);
    const runs = JSON.parse(c.stdout);
    assert.deepEqual(runs.map((x: { label: string }) => x.label), ["step 2", "step 4"]);
    const t = pretrain(["eval", "compare", ...cks, "--tasks", "proxy-wordnet-mc", "--limit", "3"]);
    assert.match(t.stdout, /\| task \| metric \| step 2 \| step 4 \|/);

    const b = pretrain(["eval", "build-proxies", "--out", join(dir, "proxies"), "--n", "5", "--json"]);
    assert.equal(b.status, 0, b.stderr);
    assert.equal(JSON.parse(b.stdout).tasks.length, 6);
    assert.ok(existsSync(join(dir, "proxies", "exclude.jsonl")));
    const fromDir = pretrain(["eval", "--model", cks[0], "--tasks", "proxy-cloze-book", "--proxy-dir", join(dir, "proxies"), "--json"]);
    assert.equal(fromDir.status, 0, fromDir.stderr);
    assert.equal(JSON.parse(fromDir.stdout).tasks["proxy-cloze-book"].n, 5);

    const h = pretrain(["eval", "history", cfg.out_dir]);
    assert.equal(h.status, 0);
    assert.match(h.stdout, /no eval_task records/);

    const help = pretrain(["eval", "--help"]);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Usage: pretrain eval \[run\] --model/);
    assert.equal(pretrain(["eval", "--model", cfg.out_dir]).status, 2, "--tasks is required");
    const bad = pretrain(["eval", "--model", cfg.out_dir, "--tasks", "nosuch"]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /pretrain eval: error: unknown task "nosuch"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an exported Hugging Face folder evaluates like its checkpoint", async () => {
  const { referenceKernels } = await import("../../src/kernels/reference.js");
  const { loadModel } = await import("../../src/infer/load.js");
  const { foldToLlama } = await import("../../src/export/fold.js");
  const { writeHfFolder } = await import("../../src/export/hf.js");
  const { openModel } = await import("../../src/eval/compare.js");
  const { evaluateTasks } = await import("../../src/eval/harness.js");
  const { loadLambada } = await import("../../src/eval/loaders/lambada.js");
  const dir = mkdtempSync(join(tmpdir(), "pretrain-evalhf-"));
  try {
    const cfg = tinyRunConfig(dir, "run", 2);
    const r = runTiny(cfg, nativeKernels());
    const k = referenceKernels("f32");
    const { model } = loadModel(r.checkpoint!, k);
    const { tensors, tied } = foldToLlama(model.config, model.layout, model.params);
    writeHfFolder(join(dir, "hf"), model.config, tensors, tied, { dtype: "float32", maxShardBytes: 1e9 });
    const task = loadLambada(join(FIX, "lambada_test.jsonl"));
    const a = openModel(r.checkpoint!, k);
    const b = openModel(join(dir, "hf"), k);
    assert.equal(a.info.kind, "checkpoint");
    assert.equal(b.info.kind, "huggingface");
    assert.match(b.info.tokenizer, /assumed/);
    const ra = evaluateTasks(a.lm, [task], a.info, { logSamples: true });
    const rb = evaluateTasks(b.lm, [task], b.info, { logSamples: true });
    const lp = (x: typeof ra) => x.tasks.lambada.samples!.map((s) => s.logprob as number);
    lp(ra).forEach((v, i) => assert.ok(Math.abs(v - lp(rb)[i]) < 1e-3 * Math.max(1, Math.abs(v)), `${v} vs ${lp(rb)[i]}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
