/**
 * Stability monitoring end to end: the spike detector and the divergence detector on their own, then real runs
 * with injected trouble — a corrupted batch, an exploded learning rate, a NaN — under each spike policy (warn,
 * skip, rollback), the early warning before the loss shows a divergence, the monitor's records, and exact resume
 * with the detectors' state and across a rollback.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getKernels } from "../../src/kernels/index.js";
import { keepOnResume, train, type StepContext, type TrainerCallback } from "../../src/train/trainer.js";
import { listCheckpoints, readCheckpointInfo } from "../../src/train/checkpoint.js";
import { resolveSpikes, SpikeDetector, windowStats } from "../../src/train/spikes.js";
import { DivergenceDetector, fitLine, resolveDivergence } from "../../src/train/divergence.js";
import type { MetricRecord } from "../../src/util/metrics.js";
import { CorruptingSource, plainSource, quiet, records, tinyConfig, trainRecords, writeCorpus } from "./stability-helpers.js";

// One thread: these models are tiny, and the result is the same for any thread count.
const k = getKernels("native", 1);

function withDir(prefix: string, fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    writeCorpus(dir);
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A context carrying just what the detectors read. */
function fakeCtx(step: number, loss: number, gradNorm: number, logged: MetricRecord[]): StepContext {
  return {
    step, record: { type: "train", step, loss, grad_norm: gradNorm } as StepContext["record"],
    log: (r: MetricRecord) => logged.push(r),
  } as unknown as StepContext;
}

test("spike detector: z-score over a rolling window, upward only, after min_history; state round-trips", () => {
  const det = new SpikeDetector(resolveSpikes({ policy: "skip", window: 8, min_history: 5, loss_z: 4, grad_z: null }), { log: () => {} });
  const logged: MetricRecord[] = [];
  const noise = [3.0, 3.1, 2.9, 3.05, 2.95, 3.0, 3.1, 2.9];
  // too little history: even a huge value passes
  for (let i = 0; i < 4; i++) assert.equal(det.beforeUpdate(fakeCtx(i + 1, noise[i], 1, logged)), undefined);
  assert.equal(det.beforeUpdate(fakeCtx(5, 50, 1, logged)), undefined, "4 steps of history < min_history 5");
  for (let i = 5; i < 8; i++) det.beforeUpdate(fakeCtx(i + 1, noise[i], 1, logged));
  // the window now holds noise[0..7] and 50: the 50 inflates σ, so look at a clean detector instead
  const clean = new SpikeDetector(resolveSpikes({ policy: "skip", window: 8, min_history: 5, loss_z: 4, grad_z: null }), { log: () => {} });
  for (let i = 0; i < 8; i++) clean.beforeUpdate(fakeCtx(i + 1, noise[i], 1, logged));
  const { mean, std } = windowStats(noise);
  assert.equal(clean.beforeUpdate(fakeCtx(9, mean + 3.9 * std, 1, logged)), undefined, "z 3.9 < 4");
  assert.equal(clean.beforeUpdate(fakeCtx(10, 2.0, 1, logged)), undefined, "a drop is not a spike");
  const saved = clean.state();
  const before = logged.length;
  assert.equal(clean.beforeUpdate(fakeCtx(11, 10, 1, logged)), "skip");
  const spike = logged.slice(before).find((r) => r.type === "spike")!;
  assert.equal(spike.metric, "loss");
  assert.ok((spike.z as number) > 4);
  assert.equal(spike.action, "skip");
  // the spike stayed out of the window: restoring the saved state and judging again gives the same answer
  const again = new SpikeDetector(clean.config, { log: () => {} });
  again.restore(JSON.parse(JSON.stringify(saved)));
  assert.deepEqual(again.judge(11, 10, 1).map((s) => s.z), clean.judge(11, 10, 1).map((s) => s.z));
  // a run of outliers ends with the new level accepted
  const runOf = new SpikeDetector(resolveSpikes({ policy: "skip", window: 8, min_history: 5, max_consecutive: 3, grad_z: null }), { log: () => {} });
  for (let i = 0; i < 8; i++) runOf.beforeUpdate(fakeCtx(i + 1, noise[i], 1, logged));
  assert.equal(runOf.beforeUpdate(fakeCtx(9, 9, 1, logged)), "skip");
  assert.equal(runOf.beforeUpdate(fakeCtx(10, 9, 1, logged)), "skip");
  assert.equal(runOf.beforeUpdate(fakeCtx(11, 9, 1, logged)), undefined, "third consecutive: accepted");
  assert.ok(logged.some((r) => r.type === "spike_reset" && r.step === 11));
  assert.equal(runOf.state().loss.length, 1, "history restarts at the new level");
});

test("divergence detector: exponential growth in time and with depth is caught, healthy growth is not", () => {
  assert.deepEqual(fitLine([1, 3, 5, 7]), { slope: 2, r2: 1 });
  const cfg = resolveDivergence({ window: 6, step_factor: 4, layer_factor: 2, cooldown: 5 }, "d");
  const L = 4;
  const profile = (scale: number, perLayer: (l: number) => number) => {
    const ms = new Float64Array(2 * L + 1);
    for (let p = 0; p <= 2 * L; p++) ms[p] = scale * perLayer(p / 2);
    return ms;
  };
  const additive = (l: number) => (l === 0 ? 0.01 : 1 + l); // a tiny embedding, then branches adding up
  // healthy: slow growth in time, additive in depth (with the usual big first-layer jump)
  const healthy = new DivergenceDetector(cfg, 0);
  for (let t = 1; t <= 30; t++) assert.deepEqual(healthy.observe(t, profile(1.02 ** t, additive), L), [], `step ${t}`);
  // growth in time: ×1.5 a step is ×7.6 over a 6-step window
  const inTime = new DivergenceDetector(cfg, 0);
  const kinds: string[] = [];
  for (let t = 1; t <= 12; t++) for (const w of inTime.observe(t, profile(t < 5 ? 1 : 1.5 ** (t - 4), additive), L)) kinds.push(`${t}:${w.kind}`);
  assert.ok(kinds.length >= 1 && kinds[0].endsWith(":steps"), kinds.join(" "));
  assert.equal(kinds.filter((x) => x.endsWith("steps")).length, 1, "the cooldown holds back repeats");
  // not before start_step
  const late = new DivergenceDetector(cfg, 100);
  for (let t = 1; t <= 12; t++) assert.deepEqual(late.observe(t, profile(1.5 ** t, additive), L), []);
  // growth with depth: ×3 per layer
  const deep = new DivergenceDetector(cfg, 0);
  const w = deep.observe(1, profile(1, (l) => 3 ** l), L);
  assert.equal(w.length, 1);
  assert.equal(w[0].kind, "layers");
  assert.ok(Math.abs(w[0].factor - 3) < 1e-9);
  // NaN anywhere is reported at once
  const bad = new DivergenceDetector(cfg, 1000);
  const ms = profile(1, additive);
  ms[3] = NaN;
  assert.equal(bad.observe(1, ms, L)[0].kind, "non-finite");
  // state round-trips through JSON
  const copy = new DivergenceDetector(cfg, 0);
  copy.restore(JSON.parse(JSON.stringify(inTime.state())));
  assert.deepEqual(copy.state(), inTime.state());
});

test("policy warn: a corrupted batch is reported as a spike and trained on", () => {
  withDir("pretrain-spike-warn-", (dir) => {
    const cfg = tinyConfig(dir, "run", { train: { steps: 26 }, spikes: { policy: "warn", window: 10, min_history: 8 } });
    // step 22 reads training rows 42 and 43
    const src = new CorruptingSource(cfg, new Set([42]));
    const messages: string[] = [];
    train({ config: cfg, kernels: k, source: src, log: (m) => messages.push(m), progress: null });
    assert.equal(src.corrupted, 1);
    const spikes = records(cfg.out_dir, "spike");
    assert.ok(spikes.some((s) => s.step === 22 && s.metric === "loss" && s.action === "warn"), JSON.stringify(spikes));
    assert.ok(spikes.every((s) => s.step === 22), "only the corrupted step is a spike");
    assert.ok(messages.some((m) => /step 22: loss spike/.test(m)), messages.join("\n"));
    const t22 = trainRecords(cfg.out_dir).find((r) => r.step === 22)!;
    assert.equal(t22.skipped, undefined, "warn trains on");
    assert.deepEqual(readCheckpointInfo(listCheckpoints(cfg.out_dir)[0].dir).state.skipped_batches, []);
  });
});

/** Captures the parameters each step sees before its update. */
function paramsAt(steps: number[]): { cb: TrainerCallback; seen: Map<number, Float32Array> } {
  const seen = new Map<number, Float32Array>();
  return {
    seen,
    cb: { name: "capture", beforeUpdate(ctx) {
      if (steps.includes(ctx.step)) seen.set(ctx.step, Float32Array.from(ctx.model.params));
    } },
  };
}

test("policy skip: the corrupted batch's update is skipped and the batch recorded (metrics and checkpoint)", () => {
  withDir("pretrain-spike-skip-", (dir) => {
    const cfg = tinyConfig(dir, "run", { train: { steps: 26 }, spikes: { policy: "skip", window: 10, min_history: 8 } });
    const src = new CorruptingSource(cfg, new Set([42]));
    const cap = paramsAt([22, 23, 24]);
    train({ config: cfg, kernels: k, source: src, callbacks: [cap.cb], ...quiet });
    const t = trainRecords(cfg.out_dir);
    assert.equal(t.find((r) => r.step === 22)!.skipped, true);
    assert.ok(t.filter((r) => r.skipped).length === 1, "only step 22 is skipped");
    assert.deepEqual(cap.seen.get(23), cap.seen.get(22), "step 22 changed no parameter");
    assert.notDeepEqual(cap.seen.get(24), cap.seen.get(23), "step 23 trained");
    const skips = records(cfg.out_dir, "skip");
    assert.equal(skips.length, 1);
    assert.deepEqual(skips[0].data, { kind: "token-stream", seq: 16, epoch: 0, index: 42 });
    const state = readCheckpointInfo(listCheckpoints(cfg.out_dir)[0].dir).state;
    assert.deepEqual(state.skipped_batches, [{ kind: "skip", step: 22, batches: 1, data: { kind: "token-stream", seq: 16, epoch: 0, index: 42 } }]);
    assert.ok((t.at(-1)!.loss as number) < (t[0].loss as number) - 1, "training went on");
  });
});

/** Multiplies the learning rate by `factor` for one update, once per process (a transient fault). */
function explodeOnce(cfg: { optimizer: { lr: number } }, step: number, factor: number): TrainerCallback & { fired: number } {
  let saved = 0;
  const cb = {
    name: "explode", fired: 0,
    beforeUpdate(ctx: StepContext) {
      if (ctx.step === step && cb.fired === 0) {
        cb.fired++;
        saved = cfg.optimizer.lr;
        cfg.optimizer.lr *= factor;
      }
    },
    onStepEnd(ctx: StepContext) {
      if (ctx.step === step && saved) {
        cfg.optimizer.lr = saved;
        saved = 0;
      }
    },
  };
  return cb;
}

test("policy rollback: an exploded learning rate is undone by reloading the last checkpoint and skipping the batches since", () => {
  withDir("pretrain-spike-rollback-", (dir) => {
    const cfg = tinyConfig(dir, "run", { train: { steps: 24, checkpoint_every: 4 },
      spikes: { policy: "rollback", window: 10, min_history: 8 } });
    // the update of step 14 uses 1000× the learning rate; step 15 shows it
    const boom = explodeOnce(cfg, 14, 1000);
    const messages: string[] = [];
    const r = train({ config: cfg, kernels: k, source: plainSource(cfg), callbacks: [boom], log: (m) => messages.push(m), progress: null });
    assert.equal(boom.fired, 1);
    assert.equal(r.step, 24);
    assert.equal(r.rollbacks, 1);
    const rb = records(cfg.out_dir, "rollback");
    assert.equal(rb.length, 1);
    assert.equal(rb[0].from_step, 15);
    assert.equal(rb[0].step, 12, "back to the checkpoint of step 12");
    assert.equal(rb[0].batches, 3, "the batches of steps 13, 14 and 15 are skipped");
    assert.deepEqual(rb[0].data_from, { kind: "token-stream", seq: 16, epoch: 0, index: 24 });
    assert.deepEqual(rb[0].data_to, { kind: "token-stream", seq: 16, epoch: 0, index: 30 });
    assert.ok(messages.some((m) => /step 15: .*rolled back to .*step-00000012/.test(m)), messages.join("\n"));
    // the abandoned steps keep their records, marked; the surviving history has each step once
    const abandoned = records(cfg.out_dir, "train").filter((x) => x.abandoned === 1).map((x) => x.step);
    assert.deepEqual(abandoned, [13, 14, 15]);
    const t = trainRecords(cfg.out_dir);
    assert.deepEqual(t.map((x) => x.step), Array.from({ length: 24 }, (_, i) => i + 1));
    const spike = records(cfg.out_dir, "spike").find((s) => s.step === 15);
    assert.ok(spike && spike.action === "rollback" && spike.abandoned === 1);
    // after the rollback the loss is back where it was, not where the explosion sent it
    const lossAt = (s: number) => t.find((x) => x.step === s)!.loss as number;
    assert.ok(lossAt(24) < lossAt(12) + 0.3, `loss 12 ${lossAt(12)}, 24 ${lossAt(24)}`);
    const state = readCheckpointInfo(listCheckpoints(cfg.out_dir)[0].dir).state;
    assert.equal(state.rollbacks, 1);
    assert.deepEqual(state.skipped_batches?.map((s) => [s.kind, s.step, s.batches]), [["rollback", 15, 3]]);
  });
});

test("policy rollback: a NaN loss rolls back instead of stopping the run", () => {
  withDir("pretrain-spike-nan-", (dir) => {
    const cfg = tinyConfig(dir, "run", { train: { steps: 12, checkpoint_every: 4 }, spikes: { policy: "rollback" } });
    let poisoned = 0;
    const poison: TrainerCallback = { name: "poison", onStepEnd(ctx) {
      if (ctx.step === 6 && poisoned++ === 0) ctx.model.params[5] = NaN;
    } };
    const r = train({ config: cfg, kernels: k, source: plainSource(cfg), callbacks: [poison], ...quiet });
    assert.equal(r.step, 12);
    const rb = records(cfg.out_dir, "rollback");
    assert.equal(rb.length, 1);
    assert.equal(rb[0].from_step, 7);
    assert.equal(rb[0].step, 4);
    assert.match(rb[0].reason as string, /the loss is NaN/);
    assert.ok(trainRecords(cfg.out_dir).every((x) => Number.isFinite(x.loss)));
  });
});

test("resume is exact with the spike detector's state: a skip after the resume point happens as uninterrupted", () => {
  withDir("pretrain-spike-resume-", (dir) => {
    const over = { train: { steps: 26, checkpoint_every: 4 }, spikes: { policy: "skip", window: 10, min_history: 8 } } as const;
    const a = tinyConfig(dir, "straight", over);
    const ra = train({ config: a, kernels: k, source: new CorruptingSource(a, new Set([42])), ...quiet });
    const b = tinyConfig(dir, "resumed", over);
    // stop at step 16: on resume only 5 steps of new history precede the corrupted step 22, fewer than
    // min_history; the spike is caught there only because the window comes back from the checkpoint
    train({ config: b, kernels: k, source: new CorruptingSource(b, new Set([42])), stopAfter: 16, ...quiet });
    const rb = train({ config: b, kernels: k, source: new CorruptingSource(b, new Set([42])), resume: true, ...quiet });
    assert.equal(rb.startStep, 16);
    const la = trainRecords(a.out_dir);
    const lb = trainRecords(b.out_dir);
    assert.deepEqual(lb.map((x) => [x.step, x.loss, x.skipped]), la.map((x) => [x.step, x.loss, x.skipped]));
    assert.equal(lb.find((x) => x.step === 22)!.skipped, true);
    for (const f of ["model.safetensors", "optimizer.safetensors"]) {
      assert.ok(readFileSync(join(ra.checkpoint!, f)).equals(readFileSync(join(rb.checkpoint!, f))), `${f} differs`);
    }
    const sa = readCheckpointInfo(ra.checkpoint!).state;
    const sb = readCheckpointInfo(rb.checkpoint!).state;
    assert.deepEqual(sb.callbacks, sa.callbacks, "monitor and spike detector states");
    assert.deepEqual(sb.skipped_batches, sa.skipped_batches);
    assert.deepEqual(records(b.out_dir, "monitor").map((r) => r.step), records(a.out_dir, "monitor").map((r) => r.step));
  });
});

test("resume is exact across a rollback, and the metrics file keeps the abandoned steps once", () => {
  withDir("pretrain-rollback-resume-", (dir) => {
    const over = { train: { steps: 24, checkpoint_every: 4 }, spikes: { policy: "rollback", window: 10, min_history: 8 } } as const;
    const a = tinyConfig(dir, "straight", over);
    const ra = train({ config: a, kernels: k, source: plainSource(a), callbacks: [explodeOnce(a, 14, 1000)], ...quiet });
    const b = tinyConfig(dir, "resumed", over);
    // 16 steps of progress: the rollback at step 15 goes back to 12, then 13–16 again; stop there
    const rb1 = train({ config: b, kernels: k, source: plainSource(b), callbacks: [explodeOnce(b, 14, 1000)], stopAfter: 16, ...quiet });
    assert.equal(rb1.step, 16);
    assert.equal(rb1.rollbacks, 1);
    const rb2 = train({ config: b, kernels: k, source: plainSource(b), callbacks: [explodeOnce(b, 14, 1000)], resume: true, ...quiet });
    assert.equal(rb2.startStep, 16);
    assert.equal(rb2.rollbacks, 1);
    assert.deepEqual(trainRecords(b.out_dir).map((x) => x.loss), trainRecords(a.out_dir).map((x) => x.loss));
    const abandoned = (d: string) => records(d, "train").filter((x) => x.abandoned !== undefined).map((x) => x.step);
    assert.deepEqual(abandoned(b.out_dir), abandoned(a.out_dir));
    assert.equal(records(b.out_dir, "rollback").length, 1);
    for (const f of ["model.safetensors", "optimizer.safetensors"]) {
      assert.ok(readFileSync(join(ra.checkpoint!, f)).equals(readFileSync(join(rb2.checkpoint!, f))), `${f} differs`);
    }
  });
});

test("monitor records: every statistic, per layer, with gradient norms that add up to the global norm", () => {
  withDir("pretrain-monitor-", (dir) => {
    const cfg = tinyConfig(dir, "run", { train: { steps: 10 }, monitor: { every: 5 } });
    train({ config: cfg, kernels: k, source: plainSource(cfg), ...quiet });
    const mons = records(cfg.out_dir, "monitor");
    assert.deepEqual(mons.map((r) => r.step), [1, 5, 10]);
    const L = cfg.model.num_layers;
    const trainRecs = trainRecords(cfg.out_dir);
    for (const m of mons) {
      const hidden = m.hidden as Record<string, { rms: number | number[]; var: number | number[] }>;
      for (const key of ["resid_attn", "resid_mlp", "norm_in", "norm_post", "attn_out", "attn_branch", "mlp_branch"]) {
        for (const stat of ["rms", "var"] as const) {
          const v = hidden[key][stat] as number[];
          assert.equal(v.length, L, `${key}.${stat}`);
          assert.ok(v.every((x) => Number.isFinite(x) && x >= 0), `${key}.${stat}: ${v}`);
        }
      }
      for (const key of ["embed", "final_norm"]) assert.ok((hidden[key].rms as number) > 0);
      const att = m.attention as { logit_max: number[]; entropy: number[] };
      assert.equal(att.logit_max.length, L);
      // entropy of attention over at most 16 keys: between 0 and log 16
      assert.ok(att.entropy.every((e) => e > 0 && e <= Math.log(16) + 1e-6), `${att.entropy}`);
      const params = m.params as Record<string, { grad_norm: number; weight_norm: number; update_ratio: number | null }>;
      for (const g of ["embed", "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "bias", "norm", "gates"]) {
        assert.ok(g in params, `group ${g}`);
      }
      const total = Math.sqrt(Object.values(params).reduce((a, p) => a + p.grad_norm ** 2, 0));
      const global = trainRecs.find((r) => r.step === m.step)!.grad_norm as number;
      assert.ok(Math.abs(total - global) <= 1e-4 * global, `groups ${total} vs global ${global}`);
      // step 1 has λ(0) = 0: no update at all; later steps move every matrix a little
      if (m.step === 1) assert.equal(params.q_proj.update_ratio, 0);
      else assert.ok(params.q_proj.update_ratio! > 1e-5 && params.q_proj.update_ratio! < 0.5);
      assert.equal(Object.keys(m.gates as object).length, 8 * L + 2);
      assert.equal((m.layers as { grad_norm: number[] }).grad_norm.length, L);
      assert.ok((m.monitor_seconds as number) >= 0);
    }
    assert.ok(trainRecs.every((r) => (r.hidden_rms as number) > 0), "every step carries hidden_rms");
  });
});

test("the divergence warning comes before the loss shows it (a learning rate growing 30% a step)", () => {
  withDir("pretrain-divergence-", (dir) => {
    writeCorpus(dir, 200000);
    const cfg = tinyConfig(dir, "run", {
      model: { num_layers: 4, d_model: 32, ffn_size: 64, num_heads: 4, num_kv_heads: 2, max_seq_len: 64, dim_model_base: 16 },
      train: { steps: 82, batch_size: 4, seq_len: 32, checkpoint_every: 0 }, schedule: { warmup_steps: 10 },
      monitor: { every: 0, divergence: { start_step: 30 } }, spikes: { policy: "warn", window: 30, min_history: 10 },
    });
    const ramp: TrainerCallback = { name: "ramp", beforeUpdate(ctx) {
      if (ctx.step >= 60) cfg.optimizer.lr *= 1.3;
    } };
    train({ config: cfg, kernels: k, source: plainSource(cfg), callbacks: [ramp], ...quiet });
    const warnings = records(cfg.out_dir, "divergence");
    const lossSpikes = records(cfg.out_dir, "spike").filter((s) => s.metric === "loss");
    assert.ok(warnings.length > 0, "a divergence warning");
    assert.ok(lossSpikes.length > 0, "the loss does blow up");
    const warnedAt = warnings[0].step as number;
    const spikedAt = lossSpikes[0].step as number;
    assert.equal(warnings[0].kind, "steps");
    assert.ok(warnedAt > 60 && warnedAt + 5 <= spikedAt, `warned at ${warnedAt}, loss spike at ${spikedAt}`);
    // and at the warning the loss was still at its usual level
    const t = trainRecords(cfg.out_dir);
    const before = t.filter((r) => (r.step as number) > 40 && (r.step as number) <= 60).map((r) => r.loss as number);
    const at = t.find((r) => r.step === warnedAt)!.loss as number;
    assert.ok(at < Math.max(...before) + 0.2, `loss ${at} at the warning vs ${Math.max(...before)} before the ramp`);
  });
});

test("keepOnResume: records of rollbacks before the checkpoint survive a resume, later ones do not", () => {
  const recs: MetricRecord[] = [
    { type: "train", step: 12 }, { type: "train", step: 13, abandoned: 1 }, { type: "spike", step: 15, abandoned: 1 },
    { type: "rollback", step: 12, rollback: 1, from_step: 15 }, { type: "train", step: 13 }, { type: "train", step: 16 },
    { type: "train", step: 17 }, { type: "eval", step: 16 }, { note: "no step" },
  ];
  const kept = (step: number, rollbacks: number) => recs.filter(keepOnResume(step, rollbacks)).map((r) => `${r.type}:${r.step ?? "-"}${r.abandoned ? "a" : ""}`);
  // a checkpoint written after the rollback (step 16, 1 rollback): the abandoned steps are history
  assert.deepEqual(kept(16, 1), ["train:12", "train:13a", "spike:15a", "rollback:12", "train:13", "train:16", "eval:16", "undefined:-"]);
  // the checkpoint the rollback went back to (step 12, written before it): the resumed run will redo it all
  assert.deepEqual(kept(12, 0), ["train:12", "undefined:-"]);
});
