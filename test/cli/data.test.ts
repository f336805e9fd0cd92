/** `pretrain data` as a user runs it: help, classifier training, a cleaning run with buckets and Parquet output, stats. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Rng } from "../../src/util/rng.js";
import { prose, tempDir, writeJsonl } from "../data/helpers.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

function pretrain(args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8", env: { ...process.env, ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test("pretrain data: help for every sub-command", () => {
  const h = pretrain(["data", "--help"]);
  assert.equal(h.code, 0);
  for (const w of ["clean", "classifier train", "stats", "minhash", "decontaminate"]) assert.ok(h.stdout.includes(w), w);
  assert.match(pretrain(["--help"]).stdout, /\bdata\b/);
  for (const args of [["data", "clean", "--help"], ["data", "classifier", "train", "--help"], ["data", "stats", "--help"]]) {
    const r = pretrain(args);
    assert.equal(r.code, 0, args.join(" "));
    assert.match(r.stdout, /Usage: pretrain data/);
  }
  const bad = pretrain(["data", "clena"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown sub-command "clena"/);
});

test("pretrain data: classifier train → clean with classify buckets into Parquet folders → stats", () => {
  const dir = tempDir();
  const rng = new Rng(3);
  const MATH = ["theorem", "integral", "equation", "prime", "derivative", "matrix", "proof", "lemma"];
  const mathText = () => {
    const w = prose(rng, 60).split(" ");
    for (let i = 0; i < 10; i++) w[rng.int(w.length)] = MATH[rng.int(MATH.length)];
    return w.join(" ");
  };
  writeJsonl(join(dir, "labelled.jsonl"), Array.from({ length: 300 }, (_, i) => (i % 2 ? { text: mathText(), label: "math" } : { text: prose(rng, 60), label: "web" })));
  const t = pretrain(["data", "classifier", "train", join(dir, "labelled.jsonl"), "--out", join(dir, "math.safetensors"), "--dim", "8", "--buckets", "16384", "--json"]);
  assert.equal(t.code, 0, t.stderr);
  const res = JSON.parse(t.stdout);
  assert.ok(res.held_out_accuracy >= 0.95, `held-out accuracy ${res.held_out_accuracy}`);
  assert.equal(res.held_out_examples, 30);
  mkdirSync(join(dir, "in"));
  writeJsonl(join(dir, "in", "docs.jsonl"), Array.from({ length: 40 }, (_, i) => ({ id: `d${i}`, text: i % 2 ? mathText() : prose(rng, 60) })));
  writeFileSync(join(dir, "p.yaml"), [
    "name: recall", "input: {paths: [in]}",
    "output: {dir: out, format: parquet, compression: zstd, partition_by: bucket}",
    "steps:",
    "  - type: classify", "    model: math.safetensors", "    mode: probability", "    label: math",
    "    edges: [0.6, 0.7, 0.8, 0.9, 1.0]", "    min: 0.6", "    meta_key: math_score",
  ].join("\n"));
  const phases = pretrain(["data", "clean", join(dir, "p.yaml"), "--list-phases"]);
  assert.match(phases.stdout, /0  stage-0 +read → recall|0  stage-0 +read → classify → output/);
  const c = pretrain(["data", "clean", join(dir, "p.yaml"), "--json", "--workers", "1"]);
  assert.equal(c.code, 0, c.stderr);
  const s = JSON.parse(c.stdout);
  assert.equal(s.read.docs, 40);
  assert.equal(s.steps.classify.removed["classify.below_min"], 20);
  assert.deepEqual(readdirSync(join(dir, "out", "output")), ["09_10"]);
  assert.match(readdirSync(join(dir, "out", "output", "09_10"))[0], /^rank-00000-00000\.parquet$/);
  const st = pretrain(["data", "stats", join(dir, "out")]);
  assert.equal(st.code, 0);
  assert.match(st.stdout, /classify +classify +40 +20 +20/);
  // array executor without a rank is a clear error
  const arr = pretrain(["data", "clean", join(dir, "p.yaml"), "--executor", "array"]);
  assert.equal(arr.code, 1);
  assert.match(arr.stderr, /pretrain: error: the array executor needs --rank and --world-size, or SLURM_ARRAY_TASK_ID/);
  const slurm = pretrain(["data", "clean", join(dir, "p.yaml"), "--executor", "array", "--json"], { SLURM_ARRAY_TASK_ID: "0", SLURM_ARRAY_TASK_COUNT: "1" });
  assert.equal(slurm.code, 0, slurm.stderr);
  const bad = pretrain(["data", "clean", join(dir, "p.yaml"), "--set", "steps=[{\"type\":\"nope\"}]"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /pretrain: error: steps\[0\]\.type must be one of/);
});
