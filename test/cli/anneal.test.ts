/**
 * `pretrain anneal` as a user runs it: a stable run with `pretrain train`, then the annealing phase branched from
 * the checkpoint where the decay starts — only the annealing phase runs, λ decays 1−√ from 1 toward end_lambda,
 * the phase raises θ and the sequence length, the final checkpoint stores the raised θ, and the weights equal the
 * full run's — plus an interrupted annealing run resumed, the refusals, and --help.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readMetrics } from "../../src/util/metrics.js";
import { loadModel } from "../../src/infer/load.js";
import { referenceKernels } from "../../src/kernels/reference.js";
import { annealCorpus, annealRecipe, writeRecipe } from "../helpers/anneal-corpus.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

function pretrain(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8", env: { ...process.env, PRETRAIN_THREADS: "1" } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const params = (path: string) => loadModel(path, referenceKernels("f32")).model.params;
const lambda = (i: number) => 0.1 + 0.9 * (1 - Math.sqrt(i / 3));

test("pretrain anneal --help, and the command list names it", () => {
  const h = pretrain(["anneal", "--help"]);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /Usage: pretrain anneal --from <checkpoint \| run folder> \[options\] <recipe>/);
  for (const o of ["--from", "--out", "--set", "--phases", "--resume", "--backend", "--threads"]) assert.match(h.stdout, new RegExp(`${o}\\b`));
  assert.match(h.stdout, /Examples:\n {2}pretrain anneal --from /);
  assert.match(pretrain(["--help"]).stdout, /\banneal\b/);
});

test("stable run → pretrain anneal from the decay-start checkpoint → resume an interrupted annealing run", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-cli-anneal-"));
  try {
    const corpus = await annealCorpus(dir);
    const recipe = writeRecipe(join(dir, "recipe.json"), annealRecipe(dir, corpus));
    const stable = join(dir, "stable");
    const t = pretrain(["train", recipe, "--json"]);
    assert.equal(t.code, 0, t.stderr);
    assert.equal(JSON.parse(t.stdout).step, 8, "the recipe's full run: 5 stable + 3 annealing steps");
    const decayStart = join(stable, "checkpoints", "step-00000005");
    assert.ok(existsSync(decayStart), "the checkpoint where the decay starts is kept");

    // (a) Only the annealing phase runs, in <out_dir>-anneal by default.
    const a = pretrain(["anneal", "--from", decayStart, recipe, "--json"]);
    assert.equal(a.code, 0, a.stderr);
    const out = `${stable}-anneal`;
    const s = JSON.parse(a.stdout);
    assert.equal(s.outDir, out);
    assert.equal(s.step, 3);
    assert.deepEqual(s.phases, [{ name: "anneal", steps: 3, rows: 2, seq: 32, rope_theta: 40000 }]);
    assert.equal(s.lr_multiplier.first, 1);
    assert.ok(Math.abs(s.lr_multiplier.last - lambda(2)) < 1e-12);
    assert.equal(typeof s.held_out.code, "number", "held-out loss of the annealing domain");
    assert.match(a.stderr, /loaded the optimizer state of .*step-00000005: Adam moments m and v of \d+ tensors, optimizer step 5/);
    assert.match(a.stderr, /run folder: .*stable-anneal \(the recipe's out_dir \+ "-anneal"/);
    const recs = readMetrics(join(out, "metrics.jsonl"));
    assert.deepEqual(recs.filter((r) => r.type === "phase").map((r) => [r.step, r.phase, r.rows, r.seq, r.rope_theta]),
      [[1, "anneal", 2, 32, 40000]]);
    const lrs = recs.filter((r) => r.type === "train").map((r) => (r.lr as number) / 1e-2);
    assert.equal(lrs.length, 3);
    lrs.forEach((l, i) => assert.ok(Math.abs(l - lambda(i)) < 1e-12, `λ(${i}) = ${l}, expected ${lambda(i)}: 1−√ from 1 toward 0.1`));
    const derived = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
    assert.deepEqual([derived.train.steps, derived.train.init_from, derived.train.init_optimizer], [3, decayStart, true]);
    assert.deepEqual([derived.schedule.warmup_steps, derived.schedule.decay_start, derived.schedule.decay_steps,
      derived.schedule.decay_shape, derived.schedule.end_lambda], [0, 0, 3, "1-sqrt", 0.1]);
    const final = JSON.parse(readFileSync(join(out, "checkpoints", "step-00000003", "config.json"), "utf8"));
    assert.equal(final.model.rope_theta, 40000, "the annealed checkpoint stores the raised θ");
    // Same data, θ, λ and optimizer state as the full run's annealing phase: the same weights, bit for bit.
    const full = params(stable);
    const annealed = params(out);
    assert.ok(full.every((x, i) => x === annealed[i]), "annealing branch = the full run's annealing phase");

    // An interrupted annealing run continues with --resume (it remembers --from).
    const b = join(dir, "anneal-b");
    const stop = pretrain(["anneal", "--from", decayStart, recipe, "--out", b, "--stop-after", "1"]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /annealing stopped: steps 0→1 of 3/);
    assert.match(stop.stdout, /continue with: pretrain anneal .* --resume/);
    const again = pretrain(["anneal", "--from", decayStart, recipe, "--out", b]);
    assert.equal(again.code, 1, "a second start into a folder with checkpoints is refused");
    assert.match(again.stderr, /already holds checkpoints of a run; pass --resume/);
    const resumed = pretrain(["anneal", recipe, "--out", b, "--resume"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /annealed: steps 1→3 of 3/);
    assert.match(resumed.stdout, /learning-rate multiplier 1\.00 → 0\.265 \(1-sqrt, end λ 0\.1\)/);
    assert.match(resumed.stdout, /held-out loss \d+\.\d+ \(code \d+\.\d+\)/);
    assert.match(resumed.stdout, /checkpoint: .*anneal-b[/\\]checkpoints[/\\]step-00000003/);
    const pb = params(b);
    assert.ok(full.every((x, i) => x === pb[i]), "stop + resume = straight");

    // --from a run folder takes its newest checkpoint, here one inside the decay: a warning names the kept one.
    const c = pretrain(["anneal", "--from", stable, recipe, "--out", join(dir, "anneal-c"), "--stop-after", "1"]);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stderr, /warning: .*step-00000008 was saved inside a learning-rate decay .*kept in this run: .*step-00000005/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("pretrain anneal refusals: a Hugging Face folder, a recipe without annealing phases, unknown --phases, no --from", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-cli-anneal-err-"));
  try {
    const corpus = await annealCorpus(dir);
    const raw = annealRecipe(dir, corpus);
    const recipe = writeRecipe(join(dir, "recipe.json"), raw);
    assert.equal(pretrain(["train", recipe, "--stop-after", "5"]).code, 0);
    const ck = join(dir, "stable", "checkpoints", "step-00000005");
    const hf = join(dir, "hf");
    const e = pretrain(["export", "--from", ck, "--out", hf]);
    assert.equal(e.code, 0, e.stderr);
    const fromHf = pretrain(["anneal", "--from", hf, recipe, "--out", join(dir, "x")]);
    assert.equal(fromHf.code, 1);
    assert.match(fromHf.stderr, /pretrain: error: train\.init_optimizer: .*hf is a Hugging Face folder: it holds weights only, no optimizer state/);

    const phases = (raw.curriculum as { phases: Record<string, unknown>[] }).phases.map((p) => ({ ...p, anneal: false }));
    const plain = writeRecipe(join(dir, "plain.json"), { ...raw, curriculum: { phases } });
    const none = pretrain(["anneal", "--from", ck, plain, "--out", join(dir, "y")]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no phase marked anneal: true \(its phases: stable, anneal\).*--phases/);
    // Naming the phase runs it all the same.
    const named = pretrain(["anneal", "--from", ck, plain, "--out", join(dir, "y"), "--phases", "anneal", "--json"]);
    assert.equal(named.code, 0, named.stderr);
    assert.equal(JSON.parse(named.stdout).step, 3);
    const unknown = pretrain(["anneal", "--from", ck, recipe, "--out", join(dir, "z"), "--phases", "anneal,cooldown"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /--phases: the recipe's curriculum has no phase "cooldown"/);
    const noFrom = pretrain(["anneal", recipe, "--out", join(dir, "w")]);
    assert.equal(noFrom.code, 2);
    assert.match(noFrom.stderr, /--from is required/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
