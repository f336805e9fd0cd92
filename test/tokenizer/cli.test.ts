/** `pretrain tokenizer train|stats|encode|decode` as a user runs them: output, JSON, help and errors. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { npmDocsDir } from "./helpers.js";
import { loadTokenizer } from "../../src/tokenizer/bpe/io.js";
import { parseSize, tokenizerHelp } from "../../src/cli/tokenizer.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

function pretrain(args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, "tokenizer", ...args], { encoding: "utf8", input });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test("train → stats → encode → decode", () => {
  const dir = mkdtempSync(join(tmpdir(), "tok-cli-"));
  try {
    const out = join(dir, "tok");
    const t = pretrain(["train", "--in", `docs=${npmDocsDir()}`, "--vocab-size", "700", "--out", out, "--json", "--threads", "1"]);
    assert.equal(t.code, 0, t.stderr);
    const report = JSON.parse(t.stdout);
    assert.equal(report.vocab_size, 700);
    assert.equal(report.domains[0].domain, "docs");
    for (const f of ["tokenizer.json", "tokenizer_config.json", "tokenizer_training.json"]) assert.ok(existsSync(join(out, f)), f);
    assert.equal(JSON.parse(readFileSync(join(out, "tokenizer_config.json"), "utf8")).eos_token, "<|endoftext|>");
    assert.match(t.stderr, /learning merges/);

    const stats = pretrain(["stats", "--tokenizer", out, "--in", npmDocsDir()]);
    assert.equal(stats.code, 0, stats.stderr);
    const row = /\| content \| 91 \| 91 \| [\d.]+ \| \d+ \| ([\d.]+) \| ([\d.]+) \|/.exec(stats.stdout);
    assert.ok(row && Number(row[1]) > 2.5, stats.stdout);

    const e = pretrain(["encode", "--tokenizer", out, "--text", "Hello <|endoftext|> 42", "--json"]);
    assert.equal(e.code, 0, e.stderr);
    const enc = JSON.parse(e.stdout);
    assert.equal(enc.tokens.join(""), "Hello <|endoftext|> 42");
    assert.ok(!enc.ids.includes(2));
    const special = JSON.parse(pretrain(["encode", "--tokenizer", out, "--text", "<|endoftext|>", "--allow-special", "--json"]).stdout);
    assert.deepEqual(special.ids, [2]);
    const piped = pretrain(["encode", "--tokenizer", out], "from stdin");
    assert.equal(piped.code, 0);
    const ids = piped.stdout.trim().split(" ");
    const d = pretrain(["decode", "--tokenizer", out, ...ids]);
    assert.equal(d.stdout, "from stdin\n");
    assert.equal(JSON.parse(pretrain(["decode", "--tokenizer", out, "--ids", `[1, ${ids.join(",")}, 2]`, "--skip-special", "--json"]).stdout).text, "from stdin");
    const md = join(npmDocsDir(), "commands", "npm-install.md");
    const streamed = pretrain(["encode", "--tokenizer", out, "--file", md]).stdout.trim().split(" ").map(Number);
    assert.deepEqual(streamed, [...loadTokenizer(out).encode(readFileSync(md, "utf8"))]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("help for every sub-command; mistakes are reported in one line", () => {
  const o = pretrain([]);
  assert.equal(o.code, 2);
  assert.match(o.stdout, /train.*\n.*stats.*\n.*encode.*\n.*decode/);
  const h = pretrain(["encode", "--help"]);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /Usage: pretrain tokenizer encode/);
  for (const sub of ["train", "stats", "decode"]) assert.match(tokenizerHelp(sub), new RegExp(`Usage: pretrain tokenizer ${sub}`));
  assert.equal(parseSize("500M", "x"), 500e6);
  assert.equal(parseSize("2GiB", "x"), 2 * 1024 ** 3);
  assert.throws(() => parseSize("lots", "x"), /not a size/);
  const dir = mkdtempSync(join(tmpdir(), "tok-cli-err-"));
  try {
    writeFileSync(join(dir, "empty.txt"), "");
    const empty = pretrain(["train", "--in", join(dir, "empty.txt"), "--out", join(dir, "t")]);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /^pretrain tokenizer train: error: the corpus is empty/m);
    const missing = pretrain(["stats", "--tokenizer", join(dir, "nope"), "--in", join(dir, "empty.txt")]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope does not exist/);
    const noOut = pretrain(["train", "--in", join(dir, "empty.txt")]);
    assert.equal(noOut.code, 2);
    assert.match(noOut.stderr, /--out <dir> is required/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
