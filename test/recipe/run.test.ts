/**
 * `pretrain run` on the smoke recipe (recipes/demo-smoke.yaml): every stage of the demo — corpus, cleaning,
 * tokenizer, shards, curriculum phases, annealing with context extension, held-out loss per domain, samples —
 * as a user runs it, then a re-run (everything reused), a changed setting (refused), and --until.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RunSummary } from "../../src/recipe/run.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const RECIPE = fileURLToPath(new URL("../../../recipes/demo-smoke.yaml", import.meta.url));
const DOMAINS = ["books", "code", "encyclopedia", "math", "speeches", "web"];

function pretrain(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8", env: { ...process.env, PRETRAIN_THREADS: "2" } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function metrics(dir: string): Record<string, unknown>[] {
  return readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
}

test("pretrain run: the smoke recipe end to end, then re-run, changed settings and --until", () => {
  const root = mkdtempSync(join(tmpdir(), "pretrain-run-"));
  try {
    const out = join(root, "run");
    const r = pretrain(["run", RECIPE, "--out", out, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as RunSummary;

    // every stage ran, in order
    assert.deepEqual(s.stages.map((x) => x.stage), ["corpus", "clean", "tokenizer", "tokenize", "train", "finish"]);
    assert.ok(s.stages.every((x) => !x.reused));
    // the data stages wrote what they say
    assert.deepEqual([...s.data!.domains].sort(), DOMAINS);
    for (const d of DOMAINS) {
      assert.ok(existsSync(join(out, "corpus", `${d}.jsonl`)));
      assert.ok(existsSync(join(out, "clean", `${d}.json`)), "the pipeline file of each domain is kept");
      assert.ok(existsSync(join(out, "clean", d, "summary.txt")));
      const c = s.data!.clean!.domains[d];
      assert.ok(c.docs_out > 0 && c.docs_out <= c.docs_in);
      assert.ok(s.data!.tokens[d].train > 0 && s.data!.tokens[d].valid > 0, `${d} has train and held-out tokens`);
    }
    // the noisy e-mail is where cleaning removes most
    const removedShare = (d: string) => 1 - s.data!.clean!.domains[d].docs_out / s.data!.clean!.domains[d].docs_in;
    assert.ok(removedShare("web") > removedShare("math"));
    assert.equal(s.data!.tokenizer!.vocab_size, 512);
    const index = JSON.parse(readFileSync(join(out, "data", "tokens", "index.json"), "utf8"));
    assert.equal(index.tokenizer_sha256, s.data!.tokenizer!.sha256);

    // training followed the three phases, the last one extending the context
    assert.equal(s.train!.steps, 55);
    assert.deepEqual(s.train!.phases.map((p) => [p.name, p.first_step, p.last_step, p.rows, p.seq, p.rope_theta]),
      [["stable-1", 1, 20, 8, 64, 10000], ["stable-2", 21, 40, 8, 64, 10000], ["anneal", 41, 55, 4, 128, 40000]]);
    assert.ok(s.train!.last_loss! < s.train!.first_loss! - 1, `the loss falls: ${s.train!.first_loss} → ${s.train!.last_loss}`);
    const recs = metrics(out);
    assert.deepEqual(recs.filter((x) => x.type === "phase").map((x) => [x.phase, x.step, x.seq, x.rope_theta]),
      [["stable-1", 1, 64, 10000], ["stable-2", 21, 64, 10000], ["anneal", 41, 128, 40000]]);
    const lr = recs.filter((x) => x.type === "train").map((x) => x.lr as number);
    assert.ok(lr[39] > lr[45] && lr[45] > lr[54], "the learning rate decays through the annealing phase");
    assert.ok(recs.some((x) => x.type === "eval" && typeof x.val_loss_math === "number"), "held-out loss per domain during training");
    const ck = readdirSync(join(out, "checkpoints")).sort();
    assert.ok(ck.includes("step-00000040"), "the decay-start checkpoint is kept");
    const final = JSON.parse(readFileSync(join(out, "checkpoints", "step-00000055", "config.json"), "utf8"));
    assert.equal(final.model.rope_theta, 40000, "the annealed checkpoint stores the extended θ");

    // held-out loss per domain before and after annealing, at 64 tokens and on positions 64–127
    const h = s.held_out!;
    assert.equal(h.base_seq, 64);
    assert.equal(h.long_seq, 128);
    assert.deepEqual(h.checkpoints.map((c) => [c.step, c.rope_theta]), [[40, 10000], [55, 40000]]);
    const mean = (i: number, k: "base" | "tail") => DOMAINS.reduce((a, d) => a + h.checkpoints[i].domains[d][k]!, 0) / DOMAINS.length;
    assert.ok(mean(1, "base") < mean(0, "base"), "annealing lowers the held-out loss");
    assert.ok(mean(1, "tail") < mean(0, "tail"), "and the loss past the base context");
    assert.deepEqual(s.samples.map((x) => x.label), ["books", "math"]);
    for (const x of s.samples) assert.ok(x.text.startsWith(x.prompt) && x.text.length > x.prompt.length);
    for (const f of ["summary.json", "report.html", "recipe.json", "config.json"]) assert.ok(existsSync(join(out, f)), f);
    assert.deepEqual(JSON.parse(readFileSync(join(out, "summary.json"), "utf8")).train, s.train);

    // a re-run reuses every stage and trains no further
    const again = pretrain(["run", RECIPE, "--out", out]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /corpus\s+reused/);
    assert.match(again.stdout, /tokenize\s+reused/);
    assert.match(again.stdout, /train\s+reused\s+steps 55→55/);
    assert.match(again.stdout, /context extension: held-out loss at 128 tokens on positions 64–127/);

    // a stage whose settings changed is refused, naming the folder
    const changed = pretrain(["run", RECIPE, "--out", out, "--set", "prepare.tokenizer.vocab_size=600"]);
    assert.equal(changed.code, 1);
    assert.match(changed.stderr, new RegExp(`tokenizer stage in ${join(out, "tokenizer").replace(/[/\\]/g, ".")} was made from other settings`));

    // --until stops after a stage
    const early = join(root, "early");
    const u = pretrain(["run", RECIPE, "--out", early, "--until", "tokenizer", "--json"]);
    assert.equal(u.code, 0, u.stderr);
    assert.deepEqual((JSON.parse(u.stdout) as RunSummary).stages.map((x) => x.stage), ["corpus", "clean", "tokenizer"]);
    assert.ok(!existsSync(join(early, "data")) && !existsSync(join(early, "checkpoints")));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("pretrain run: --help and mistakes in the recipe", () => {
  assert.match(pretrain(["run", "--help"]).stdout, /Usage: pretrain run/);
  const bad = pretrain(["run", RECIPE, "--set", "prepare.tokenizer.vocab=3"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /unknown key "prepare\.tokenizer\.vocab"/);
  const both = pretrain(["run", RECIPE, "--set", 'data={"kind":"bytes","paths":["x"]}']);
  assert.equal(both.code, 1);
  assert.match(both.stderr, /remove the data section/);
  const scratch = mkdtempSync(join(tmpdir(), "pretrain-run-bad-"));
  const missing = pretrain(["run", RECIPE, "--out", scratch, "--set",
    'prepare.corpus={"files":{"web":["/nonexistent/mail"]}}', "--set", "prepare.clean=null"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /prepare\.corpus\.files\.web: \/nonexistent\/mail does not exist/);
  rmSync(scratch, { recursive: true, force: true });
  const until = pretrain(["run", RECIPE, "--until", "later"]);
  assert.equal(until.code, 2);
});
