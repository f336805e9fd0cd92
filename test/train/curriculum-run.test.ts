/**
 * Training through curriculum phases on a token-shard corpus: the phase decides rows, sequence length and RoPE θ
 * (context extension), a phase can place the decay window, held-out loss is logged per domain, the checkpoint
 * carries the θ it was trained with, and resume is exact across the phase boundary.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nativeKernels } from "../../src/kernels/native.js";
import { train } from "../../src/train/trainer.js";
import { openDataSource } from "../../src/data/open.js";
import { readMetrics } from "../../src/util/metrics.js";
import { loadModel } from "../../src/infer/load.js";
import { ConfigError } from "../../src/util/schema.js";
import { config, corpus, quiet } from "./curriculum-helpers.js";

const k = nativeKernels();

test("a curriculum run: phases set shape and RoPE θ, the decay starts with the annealing phase, per-domain held-out loss", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-curriculum-run-"));
  try {
    const paths = await corpus(dir);
    const cfg = config(dir, "run", paths);
    assert.equal(cfg.train.steps, 8, "5 stable steps + 3 annealing steps, from the plan");
    assert.equal(cfg.schedule.decay_start, 5);
    assert.equal(cfg.schedule.decay_steps, 3);
    const { source, tokenizer } = openDataSource(cfg);
    train({ config: cfg, kernels: k, source, tokenizer: tokenizer.toJSON(), ...quiet });
    const recs = readMetrics(join(cfg.out_dir, "metrics.jsonl"));
    assert.deepEqual(recs.filter((r) => r.type === "phase").map((r) => [r.step, r.phase, r.seq, r.rope_theta]),
      [[1, "stable", 16, 10000], [6, "anneal", 32, 40000]]);
    const steps = recs.filter((r) => r.type === "train");
    assert.equal(steps[5].tokens as number - (steps[4].tokens as number), 2 * 32, "annealing steps feed 2 × 32 tokens");
    const ev = recs.filter((r) => r.type === "eval");
    assert.ok(ev.length >= 2);
    for (const e of ev) {
      assert.equal(typeof e.val_loss_prose, "number");
      assert.equal(typeof e.val_loss_code, "number");
    }
    const lr = steps.map((r) => r.lr as number);
    assert.equal(lr[4], 1e-2, "the stable phase runs at the peak");
    assert.ok(Math.abs(lr[7] - 1e-2 * (1 - Math.sqrt(2 / 3))) < 1e-12 && lr[7] < lr[6] && lr[6] < lr[5], `1−√ decay over the annealing: ${lr}`);
    const loaded = loadModel(cfg.out_dir, k);
    assert.equal(loaded.model.config.rope_theta, 40000, "the annealed checkpoint carries the extended θ");
    assert.equal(loadModel(join(cfg.out_dir, "checkpoints", "step-00000004"), k).model.config.rope_theta, 10000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("resume is exact across the phase boundary (stop inside the stable phase, resume through the annealing)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-curriculum-resume-"));
  try {
    const paths = await corpus(dir);
    const straight = config(dir, "straight", paths);
    const o1 = openDataSource(straight);
    train({ config: straight, kernels: k, source: o1.source, tokenizer: o1.tokenizer.toJSON(), ...quiet });
    for (const stopAt of [4, 6]) {
      const split = config(dir, `split-${stopAt}`, paths);
      const a = openDataSource(split);
      train({ config: split, kernels: k, source: a.source, tokenizer: a.tokenizer.toJSON(), stopAfter: stopAt, ...quiet });
      const b = openDataSource(split);
      train({ config: split, kernels: k, source: b.source, tokenizer: b.tokenizer.toJSON(), resume: true, ...quiet });
      const losses = (d: string) => readMetrics(join(d, "metrics.jsonl")).filter((r) => r.type === "train").map((r) => r.loss);
      assert.deepEqual(losses(split.out_dir), losses(straight.out_dir), `losses with a stop after step ${stopAt}`);
      const phases = (d: string) => readMetrics(join(d, "metrics.jsonl")).filter((r) => r.type === "phase").map((r) => r.step);
      assert.deepEqual(phases(split.out_dir), [1, 6], "each phase announced once");
      const pa = loadModel(straight.out_dir, k).model.params;
      const pb = loadModel(split.out_dir, k).model.params;
      assert.ok(pa.every((v, i) => v === pb[i]), `weights identical with a stop after step ${stopAt}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("curriculum configuration errors name the key", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-curriculum-cfg-"));
  try {
    const paths = await corpus(dir);
    assert.throws(() => config(dir, "x", paths, { model: { num_layers: 1, d_model: 32, ffn_size: 64, num_heads: 2, vocab_size: 1024, max_seq_len: 16 } }),
      (e: Error) => e instanceof ConfigError && /raise model\.max_seq_len to at least 32/.test(e.message));
    assert.throws(() => config(dir, "x", paths, { data: { kind: "bytes", paths: [paths.tok] } }),
      /a curriculum mixes the domains of a shard corpus/);
    assert.throws(() => config(dir, "x", paths, { curriculum: { phases: [{ name: "a", tokens: 10, mixture: { prose: 1 } }], max_epochs: { prose: 0 } } }),
      /curriculum\.max_epochs\.prose/);
    assert.throws(() => config(dir, "x", paths, { curriculum: { phases: [{ name: "a", tokens: 10, mixture: { prose: 1 } }], auto_mixture: { enabled: true, strength: 2 } } }),
      /curriculum\.auto_mixture\.strength/);
    assert.throws(() => config(dir, "x", paths, { curriculum: { phases: [{ name: "a", tokens: 10, mixture: { prose: 1 } }], auto_mixture: { enabled: true, min_share: -0.1 } } }),
      /curriculum\.auto_mixture\.min_share/);
    assert.throws(() => config(dir, "x", paths, { curriculum: { phases: [{ name: "a", tokens: 10, mixture: { prose: 1 } }], auto_mixture: { enabled: true, strenght: 1 } } }),
      /unknown key "curriculum\.auto_mixture\.strenght"/);
    assert.equal(config(dir, "x", paths, { curriculum: { phases: [{ name: "a", tokens: 10, mixture: { prose: 1 } }], auto_mixture: { enabled: true } } })
      .curriculum!.auto_mixture.enabled, true, "the automatic mixture rule is accepted");
    const wrongTok = config(dir, "x", paths, { data: { kind: "shards", dir: paths.data, tokenizer: join(dir, "nope") } });
    assert.throws(() => openDataSource(wrongTok), /data\.tokenizer/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
