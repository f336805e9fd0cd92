/**
 * Training through curriculum phases on a token-shard corpus: the phase decides rows, sequence length and RoPE θ
 * (context extension), a phase can place the decay window, held-out loss is logged per domain, the checkpoint
 * carries the θ it was trained with, and resume is exact across the phase boundary.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nativeKernels } from "../../src/kernels/native.js";
import { resolveRunConfig, type RunConfig } from "../../src/train/config.js";
import { train } from "../../src/train/trainer.js";
import { openDataSource } from "../../src/data/open.js";
import { domainIndex, INDEX_FORMAT, makeDomainDir, SplitWriter, writeIndex, type DomainIndex } from "../../src/data/tokens/shard-set.js";
import { readMetrics } from "../../src/util/metrics.js";
import { loadModel } from "../../src/infer/load.js";
import { ConfigError } from "../../src/util/schema.js";
import { saveTokenizer } from "../../src/tokenizer/bpe/io.js";
import { smallTokenizer } from "../tokenizer/helpers.js";

const k = nativeKernels();

/** Two domains of real text, tokenized with the test tokenizer, EOS after each document. */
async function corpus(dir: string): Promise<{ data: string; tok: string }> {
  const tokenizer = await smallTokenizer();
  const tokDir = join(dir, "tok");
  saveTokenizer(tokDir, tokenizer);
  const sha = createHash("sha256").update(readFileSync(join(tokDir, "tokenizer.json"))).digest("hex");
  const data = join(dir, "shards");
  const texts: Record<string, string[]> = {
    prose: Array.from({ length: 60 }, (_, i) => `The ${i}th package is installed with npm install, which reads package.json and writes the lock file.`),
    code: Array.from({ length: 60 }, (_, i) => `export function f${i}(x: number): number {\n  return x * ${i} + ${i % 7};\n}\n`),
  };
  const domains: Record<string, DomainIndex> = {};
  for (const [d, docs] of Object.entries(texts)) {
    const meta = { vocab_size: tokenizer.vocabSize, tokenizer_sha256: sha, domain: d };
    const ddir = makeDomainDir(data, d);
    const train = new SplitWriter(ddir, "train", meta, 2000);
    const valid = new SplitWriter(ddir, "valid", meta, 2000);
    docs.forEach((t, i) => (i % 10 === 9 ? valid : train).add([...tokenizer.encode(t), tokenizer.eosId!]));
    domains[d] = domainIndex(train.close(), valid.close());
  }
  writeIndex(data, { format: INDEX_FORMAT, version: 1, vocab_size: tokenizer.vocabSize, eos_id: tokenizer.eosId!, tokenizer_sha256: sha, domains });
  return { data, tok: tokDir };
}

function config(dir: string, name: string, paths: { data: string; tok: string }, extra: Record<string, unknown> = {}): RunConfig {
  return resolveRunConfig({
    seed: 7, out_dir: join(dir, name),
    model: { num_layers: 1, d_model: 32, ffn_size: 64, num_heads: 2, num_kv_heads: 1, vocab_size: 1024, max_seq_len: 32,
      dim_model_base: 16, init_std: 0.02, bos_token_id: 1, eos_token_id: 2 },
    optimizer: { lr: 1e-2 },
    schedule: { warmup_steps: 2 },
    data: { kind: "shards", dir: paths.data, tokenizer: paths.tok },
    train: { batch_size: 2, seq_len: 16, eval_every: 3, eval_batches: 1, checkpoint_every: 2, keep_last: 10 },
    curriculum: {
      phases: [
        { name: "stable", tokens: 2 * 16 * 5, mixture: { prose: 3, code: 1 } },
        { name: "anneal", tokens: 2 * 32 * 3, mixture: { prose: 1, code: 1 }, seq_len: 32, rope_theta: 40000,
          decay_starts: true, anneal: true, doc_mask: true },
      ],
    },
    ...extra,
  });
}

const quiet = { log: () => {}, progress: null } as const;

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
    assert.throws(() => config(dir, "x", paths, { curriculum: { phases: [{ name: "a", tokens: 10, mixture: { prose: 1 } }], auto_mixture: { enabled: true } } }),
      /auto_mixture\.enabled: the automatic mixture rule is not implemented/);
    const wrongTok = config(dir, "x", paths, { data: { kind: "shards", dir: paths.data, tokenizer: join(dir, "nope") } });
    assert.throws(() => openDataSource(wrongTok), /data\.tokenizer/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
