/**
 * The training loop end to end on a tiny model: exact resume (straight run vs. stop + resume, loss sequences
 * and final weights byte for byte), fallback past a damaged checkpoint, and a clean stop on NaN.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { referenceKernels } from "../../src/kernels/reference.js";
import { resolveRunConfig, type RunConfig } from "../../src/train/config.js";
import { train, TrainingError, type TrainerCallback } from "../../src/train/trainer.js";
import { readByteCorpus, TokenStreamSource } from "../../src/data/text-source.js";
import { ByteTokenizer } from "../../src/tokenizer/bytes.js";
import { listCheckpoints } from "../../src/train/checkpoint.js";
import { readMetrics } from "../../src/util/metrics.js";
import { seeded } from "../helpers/random.js";

const k = referenceKernels("f32");
const tok = new ByteTokenizer();

function corpus(dir: string): string {
  const u = seeded(5);
  const words = ["the", "model", "learns", "data", "of", "a", "small", "lab", "and", "tokens", "schedule", "decay"];
  let text = "";
  while (text.length < 20000) text += words[Math.floor(u() * words.length)] + (u() < 0.1 ? ".\n" : " ");
  const p = join(dir, "corpus.txt");
  writeFileSync(p, text);
  return p;
}

function runConfig(dir: string, outName: string, overrides: Record<string, unknown> = {}): RunConfig {
  return resolveRunConfig({
    seed: 3,
    out_dir: join(dir, outName),
    model: { num_layers: 2, d_model: 16, ffn_size: 24, num_heads: 2, num_kv_heads: 1, vocab_size: 259, max_seq_len: 32,
      dim_model_base: 8, init_std: 0.02 },
    optimizer: { lr: 1e-2 },
    schedule: { warmup_steps: 2, decay_start: 5, decay_steps: 3, decay_shape: "1-sqrt" },
    data: { paths: [join(dir, "corpus.txt")], val_fraction: 0.1 },
    train: { steps: 8, batch_size: 2, seq_len: 16, eval_every: 4, checkpoint_every: 2, keep_last: 2 },
    ...overrides,
  });
}

function source(cfg: RunConfig): TokenStreamSource {
  return new TokenStreamSource(readByteCorpus(cfg.data.paths, tok.eosId), tok.vocabSize, cfg.seed, cfg.data.val_fraction);
}

const quiet = { log: () => {}, progress: null } as const;

function losses(outDir: string): number[] {
  return readMetrics(join(outDir, "metrics.jsonl")).filter((r) => r.type === "train").map((r) => r.loss as number);
}

test("resume is exact: 8 steps straight equal 4 steps, stop, resume, 4 steps (losses and weights byte for byte)", () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-resume-"));
  try {
    corpus(dir);
    const a = runConfig(dir, "straight");
    const ra = train({ config: a, kernels: k, source: source(a), tokenizer: tok.toJSON(), ...quiet });
    assert.equal(ra.step, 8);
    const b = runConfig(dir, "resumed");
    const rb1 = train({ config: b, kernels: k, source: source(b), stopAfter: 4, ...quiet });
    assert.equal(rb1.step, 4);
    const rb2 = train({ config: b, kernels: k, source: source(b), resume: true, ...quiet });
    assert.equal(rb2.startStep, 4);
    assert.equal(rb2.step, 8);
    const la = losses(a.out_dir);
    const lb = losses(b.out_dir);
    assert.equal(la.length, 8);
    assert.deepEqual(lb, la);
    assert.ok(la[7] < la[0], `the loss should fall: ${la.join(", ")}`);
    for (const file of ["model.safetensors", "optimizer.safetensors"]) {
      const fa = readFileSync(join(ra.checkpoint!, file));
      const fb = readFileSync(join(rb2.checkpoint!, file));
      assert.ok(fa.equals(fb), `${file} differs between the straight and the resumed run`);
    }
    assert.deepEqual(listCheckpoints(a.out_dir).map((e) => e.step), [8, 6, 5], "keep_last 2, plus the decay start (step 5)");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("resume falls back past a truncated checkpoint and names it", () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-resume-"));
  try {
    corpus(dir);
    const cfg = runConfig(dir, "run", { train: { steps: 6, batch_size: 2, seq_len: 16, checkpoint_every: 2, keep_last: 3 } });
    train({ config: cfg, kernels: k, source: source(cfg), stopAfter: 4, ...quiet });
    const newest = listCheckpoints(cfg.out_dir)[0];
    assert.equal(newest.step, 4);
    const file = join(newest.dir, "model.safetensors");
    truncateSync(file, 100);
    const messages: string[] = [];
    const r = train({ config: cfg, kernels: k, source: source(cfg), resume: true, log: (m) => messages.push(m), progress: null });
    assert.equal(r.startStep, 2);
    assert.equal(r.step, 6);
    assert.ok(messages.some((m) => m.includes(file) && m.includes("truncated")), messages.join("\n"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a NaN stops the run before the update with a clear message; the last checkpoint stays intact", () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-nan-"));
  try {
    corpus(dir);
    const cfg = runConfig(dir, "run");
    const poison: TrainerCallback = {
      name: "poison",
      onStepEnd(ctx) {
        if (ctx.step === 3) ctx.model.params[5] = NaN;
      },
    };
    assert.throws(
      () => train({ config: cfg, kernels: k, source: source(cfg), callbacks: [poison], ...quiet }),
      (e: unknown) => e instanceof TrainingError && /step 4: the loss is NaN/.test(e.message) && /step-00000002/.test(e.message),
    );
    const entries = listCheckpoints(cfg.out_dir);
    assert.deepEqual(entries.map((e) => [e.step, e.complete]), [[2, true]]);
    // And the run resumes from it.
    const r = train({ config: cfg, kernels: k, source: source(cfg), resume: true, ...quiet });
    assert.equal(r.startStep, 2);
    assert.equal(r.step, 8);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("starting a fresh run over a folder with checkpoints is refused", () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-fresh-"));
  try {
    corpus(dir);
    const cfg = runConfig(dir, "run", { train: { steps: 2, batch_size: 2, seq_len: 16 } });
    train({ config: cfg, kernels: k, source: source(cfg), ...quiet });
    assert.throws(() => train({ config: cfg, kernels: k, source: source(cfg), ...quiet }), /already holds checkpoints/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the checkpoint where the decay starts is saved and never pruned (train.keep_decay_start)", () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-decay-ck-"));
  try {
    corpus(dir);
    const on = runConfig(dir, "on");
    train({ config: on, kernels: k, source: source(on), ...quiet });
    assert.deepEqual(listCheckpoints(on.out_dir).filter((e) => e.complete).map((e) => e.step), [8, 6, 5]);
    const off = runConfig(dir, "off", { train: { steps: 8, batch_size: 2, seq_len: 16, eval_every: 4, checkpoint_every: 2, keep_last: 2, keep_decay_start: false } });
    train({ config: off, kernels: k, source: source(off), ...quiet });
    assert.deepEqual(listCheckpoints(off.out_dir).filter((e) => e.complete).map((e) => e.step), [8, 6]);
    assert.deepEqual(losses(on.out_dir), losses(off.out_dir), "an extra checkpoint does not change the run");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("train.init_from starts a new run from a checkpoint's weights (fresh optimizer) and refuses weights that do not fit", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-init-from-"));
  try {
    corpus(dir);
    const a = runConfig(dir, "a");
    train({ config: a, kernels: k, source: source(a), ...quiet });
    // One step at learning rate 0 (the first warmup step) leaves the weights exactly as loaded.
    const b = runConfig(dir, "b", {
      schedule: { warmup_steps: 5 },
      train: { steps: 1, batch_size: 2, seq_len: 16, eval_every: 0, checkpoint_every: 0, keep_last: 1, init_from: a.out_dir },
    });
    const messages: string[] = [];
    train({ config: b, kernels: k, source: source(b), log: (m) => messages.push(m), progress: null });
    assert.ok(messages.some((m) => /initialized from .*step-00000008/.test(m)), messages.join("\n"));
    const { loadModel } = await import("../../src/infer/load.js");
    const pa = loadModel(a.out_dir, k).model.params;
    const pb = loadModel(b.out_dir, k).model.params;
    assert.ok(pa.length === pb.length && pa.every((v, i) => v === pb[i]), "the new run starts from a's weights");
    const wide = runConfig(dir, "c", {
      model: { num_layers: 2, d_model: 32, ffn_size: 24, num_heads: 2, num_kv_heads: 1, vocab_size: 259, max_seq_len: 32, dim_model_base: 8 },
      train: { steps: 1, batch_size: 2, seq_len: 16, init_from: a.out_dir },
    });
    assert.throws(() => train({ config: wide, kernels: k, source: source(wide), ...quiet }),
      (e: Error) => e instanceof TrainingError && /model\.layers\.0\.self_attn\.q_proj\.weight is 16×16, the run needs 32×32/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
