/**
 * The automatic mixture rule in training runs: at the first step of the second phase the trainer measures the
 * held-out loss per domain, the phase's mixture moves toward the domains with the higher loss (a `mixture` record
 * and a log line say so), the rows fed follow the adjusted shares, resume is exact inside the adjusted phase, and
 * without the rule (the default) nothing changes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nativeKernels } from "../../src/kernels/native.js";
import { train } from "../../src/train/trainer.js";
import { openDataSource } from "../../src/data/open.js";
import { readMetrics, type MetricRecord } from "../../src/util/metrics.js";
import { loadModel } from "../../src/infer/load.js";
import { autoShares } from "../../src/data/curriculum/phases.js";
import type { CurriculumState } from "../../src/data/curriculum/source.js";
import type { TokenSource } from "../../src/data/source.js";
import { config, corpus, quiet } from "./curriculum-helpers.js";

const k = nativeKernels();

const records = (dir: string, type: string): MetricRecord[] => readMetrics(join(dir, "metrics.jsonl")).filter((r) => r.type === type);
const losses = (dir: string) => records(dir, "train").map((r) => r.loss);
const sameWeights = (a: string, b: string): boolean => {
  const pa = loadModel(a, k).model.params;
  const pb = loadModel(b, k).model.params;
  return pa.length === pb.length && pa.every((v, i) => v === pb[i]);
};

/** Counts the measurements a source asks for (wraps its adjustMixture). */
function countMeasures(source: TokenSource): { n: number } {
  const count = { n: 0 };
  const inner = source.adjustMixture!.bind(source);
  source.adjustMixture = (step, measure) => inner(step, () => {
    count.n++;
    return measure();
  });
  return count;
}

test("auto_mixture: the second phase's mixture moves toward the domain with the higher held-out loss, and the rows follow it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-auto-mixture-run-"));
  try {
    const paths = await corpus(dir);
    // Phase two: 10 steps × 4 rows at a declared 1 : 1, fully loss-weighted (strength 1, no floor). The RoPE θ and
    // the held-out batches stay as in phase one, so the measurement equals the eval record at the boundary.
    const cfg = config(dir, "run", paths, {
      train: { batch_size: 2, seq_len: 16, eval_every: 5, eval_batches: 1, checkpoint_every: 0 },
      curriculum: {
        phases: [
          { name: "stable", tokens: 2 * 16 * 5, mixture: { prose: 3, code: 1 } },
          { name: "second", tokens: 4 * 16 * 10, mixture: { prose: 1, code: 1 }, batch_size: 4 },
        ],
        max_epochs: { prose: 4, code: 4 },
        auto_mixture: { enabled: true, strength: 1, min_share: 0 },
      },
    });
    assert.equal(cfg.train.steps, 15);
    const { source, tokenizer } = openDataSource(cfg);
    // The rows fed by domain when the adjustment happens (before the phase's first batch).
    const boundary: { rows: Record<string, number> | null } = { rows: null };
    const inner = source.adjustMixture!.bind(source);
    source.adjustMixture = (step, measure) => {
      const r = inner(step, measure);
      if (r) boundary.rows = { ...(source.state() as CurriculumState).rows };
      return r;
    };
    const messages: string[] = [];
    train({ config: cfg, kernels: k, source, tokenizer: tokenizer.toJSON(), ...quiet, log: (m) => messages.push(m) });

    const mix = records(cfg.out_dir, "mixture");
    assert.equal(mix.length, 1, "one adjustment: the second phase's");
    const m = mix[0] as { step: number; phase: string; shares: Record<string, number>; declared: Record<string, number>; val_loss_by_domain: Record<string, number> };
    assert.equal(m.step, 6, "at the second phase's first step");
    assert.equal(m.phase, "second");
    assert.deepEqual(m.declared, { code: 0.5, prose: 0.5 });
    const L = m.val_loss_by_domain;
    const ev = records(cfg.out_dir, "eval").find((r) => r.step === 5)!;
    assert.equal(L.prose, ev.val_loss_prose, "the same per-domain held-out loss as the eval at step 5");
    assert.equal(L.code, ev.val_loss_code);
    assert.notEqual(L.prose, L.code);
    const [hi, lo] = L.code > L.prose ? ["code", "prose"] : ["prose", "code"];
    assert.ok(m.shares[hi] > 0.5 && m.shares[lo] < 0.5, `the higher-loss domain gains rows: ${JSON.stringify(m)}`);
    assert.deepEqual(m.shares, Object.fromEntries(autoShares([["code", 0.5], ["prose", 0.5]], L, 1, 0)));
    assert.ok(messages.some((s) => /^phase second: mixture adjusted from the held-out loss per domain: code 0\.\d{3} \(declared 0\.500\)/.test(s)),
      messages.join("\n"));
    // The records come in order: the phase, then its mixture, then the step.
    const order = readMetrics(join(cfg.out_dir, "metrics.jsonl")).filter((r) => r.step === 6).map((r) => r.type);
    assert.deepEqual(order.slice(0, 3), ["phase", "mixture", "train"]);

    // Rows of phase two: 40, at the adjusted shares to within one row per domain.
    const end = (source.state() as CurriculumState).rows;
    const before = boundary.rows!;
    assert.equal(before.prose + before.code, 10);
    for (const d of ["code", "prose"]) {
      const fed = end[d] - (before[d] ?? 0);
      assert.ok(Math.abs(fed - 40 * m.shares[d]) <= 1, `${d}: ${fed} rows for a share of ${m.shares[d]}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("auto_mixture: resume is exact inside the adjusted phase and at its boundary, and never measures twice", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-auto-mixture-resume-"));
  try {
    const paths = await corpus(dir);
    const base = config(dir, "unused", paths);
    const auto = { curriculum: { phases: base.curriculum!.phases, auto_mixture: { enabled: true, strength: 0.9, min_share: 0.3 } } };
    const straight = config(dir, "straight", paths, auto);
    const o = openDataSource(straight);
    train({ config: straight, kernels: k, source: o.source, tokenizer: o.tokenizer.toJSON(), ...quiet });
    const want = records(straight.out_dir, "mixture");
    assert.equal(want.length, 1);
    assert.equal(want[0].step, 6);
    for (const stopAt of [4, 5, 6]) {
      const split = config(dir, `split-${stopAt}`, paths, auto);
      const a = openDataSource(split);
      train({ config: split, kernels: k, source: a.source, tokenizer: a.tokenizer.toJSON(), stopAfter: stopAt, ...quiet });
      const b = openDataSource(split);
      const measures = countMeasures(b.source);
      train({ config: split, kernels: k, source: b.source, tokenizer: b.tokenizer.toJSON(), resume: true, ...quiet });
      assert.equal(measures.n, stopAt < 6 ? 1 : 0, `measurements after a resume at step ${stopAt}`);
      assert.deepEqual(records(split.out_dir, "mixture"), want, `one identical mixture record with a stop after step ${stopAt}`);
      assert.deepEqual(losses(split.out_dir), losses(straight.out_dir), `losses with a stop after step ${stopAt}`);
      assert.ok(sameWeights(split.out_dir, straight.out_dir), `weights identical with a stop after step ${stopAt}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("auto_mixture off (the default): no measuring, no mixture record; strength 0 measures but trains identically", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-auto-mixture-off-"));
  try {
    const paths = await corpus(dir);
    const off = config(dir, "off", paths);
    assert.equal(off.curriculum!.auto_mixture.enabled, false);
    const a = openDataSource(off);
    const offMeasures = countMeasures(a.source);
    train({ config: off, kernels: k, source: a.source, tokenizer: a.tokenizer.toJSON(), ...quiet });
    assert.equal(offMeasures.n, 0);
    assert.equal(records(off.out_dir, "mixture").length, 0);
    assert.deepEqual((a.source.state() as CurriculumState).adjusted, {});

    // Strength 0: the rule measures (between steps, forward only) and keeps the declared mixture; training is
    // bit for bit the run without the rule, so measuring changes neither the data nor the model.
    const zero = config(dir, "zero", paths, {
      curriculum: { phases: off.curriculum!.phases, auto_mixture: { enabled: true, strength: 0 } },
    });
    const b = openDataSource(zero);
    train({ config: zero, kernels: k, source: b.source, tokenizer: b.tokenizer.toJSON(), ...quiet });
    const mix = records(zero.out_dir, "mixture");
    assert.equal(mix.length, 1);
    assert.deepEqual(mix[0].shares, mix[0].declared);
    assert.deepEqual(losses(zero.out_dir), losses(off.out_dir));
    assert.ok(sameWeights(zero.out_dir, off.out_dir));
    assert.deepEqual((b.source.state() as CurriculumState).rows, (a.source.state() as CurriculumState).rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
