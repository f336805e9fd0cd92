/**
 * The annealing branch in the library: train.init_optimizer loads the Adam moments and the optimizer step of the
 * source checkpoint (compared tensor by tensor, and by behaviour: the branched annealing run ends with exactly the
 * weights of the full run), deriveAnnealConfig builds the annealing run's configuration, and the refusals are clear.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nativeKernels } from "../../src/kernels/native.js";
import { resolveRunConfig, type RunConfig } from "../../src/train/config.js";
import { initFromWeights, initOptimizerFrom, train, TrainingError } from "../../src/train/trainer.js";
import { deriveAnnealConfig } from "../../src/train/anneal.js";
import { openDataSource } from "../../src/data/open.js";
import { Model } from "../../src/model/model.js";
import { AdamW } from "../../src/train/optimizer.js";
import {
  CHECKPOINT_FORMAT, CHECKPOINT_VERSION, loadCheckpointTensors, readCheckpointInfo, saveCheckpoint,
} from "../../src/train/checkpoint.js";
import { loadModel } from "../../src/infer/load.js";
import { ConfigError } from "../../src/util/schema.js";
import { annealCorpus, annealRecipe } from "../helpers/anneal-corpus.js";

const k = nativeKernels();
const quiet = { log: () => {}, progress: null } as const;

function run(cfg: RunConfig, log: (m: string) => void = () => {}): void {
  const { source, tokenizer } = openDataSource(cfg);
  train({ config: cfg, kernels: k, source, tokenizer: tokenizer.toJSON(), log, progress: null });
}

test("train.init_optimizer loads the source's Adam moments and step; the branched annealing run equals the full run", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-anneal-lib-"));
  try {
    const corpus = await annealCorpus(dir);
    const recipe = resolveRunConfig(annealRecipe(dir, corpus));
    assert.equal(recipe.schedule.decay_start, 5);
    run(recipe);
    const decayStart = join(recipe.out_dir, "checkpoints", "step-00000005");

    // Directly: the moments after loading are the source's, tensor for tensor, and so is the step.
    const model = new Model({ ...recipe.model }, k);
    const opt = new AdamW(k, recipe.optimizer, recipe.model, model.layout, model.params, model.grads!);
    model.init(1);
    initFromWeights(model, decayStart);
    const msg = initOptimizerFrom(opt, model, decayStart);
    assert.match(msg, /Adam moments m and v of \d+ tensors, optimizer step 5/);
    const ref = new Model({ ...recipe.model }, k);
    const m = new Float32Array(model.layout.size);
    const v = new Float32Array(model.layout.size);
    loadCheckpointTensors(decayStart, ref.layout, ref.params, { m, v });
    assert.equal(opt.step, readCheckpointInfo(decayStart).state.optimizer_step);
    assert.ok(m.some((x) => x !== 0) && v.some((x) => x !== 0), "the source has non-zero moments");
    assert.ok(m.every((x, i) => x === opt.m[i]) && v.every((x, i) => x === opt.v[i]), "m and v equal the source's");

    // By behaviour: the annealing phase's data, θ, sequence length and λ sequence are those of the full run, so
    // with the optimizer state carried over the branch ends on the full run's weights bit for bit.
    const d = deriveAnnealConfig(recipe, { from: decayStart, outDir: join(dir, "anneal") });
    assert.equal(d.config.train.steps, 3);
    assert.equal(d.config.train.init_optimizer, true);
    assert.deepEqual([d.config.schedule.warmup_steps, d.config.schedule.decay_start, d.config.schedule.decay_steps,
      d.config.schedule.decay_shape, d.config.schedule.end_lambda], [0, 0, 3, "1-sqrt", 0.1]);
    assert.deepEqual(d.config.curriculum!.phases.map((p) => [p.name, p.seq_len, p.batch_size, p.rope_theta]), [["anneal", 32, 2, 40000]]);
    const messages: string[] = [];
    run(d.config, (m) => messages.push(m));
    assert.ok(messages.some((m) => /loaded the optimizer state of .*step-00000005.*optimizer step 5/.test(m)), messages.join("\n"));
    const full = loadModel(recipe.out_dir, k).model;
    const branched = loadModel(d.config.out_dir, k).model;
    assert.equal(branched.config.rope_theta, 40000);
    assert.ok(full.params.every((x, i) => x === branched.params[i]), "branch = full run, bit for bit");

    // Without the optimizer state (a fresh Adam: bias correction from step 1, zero moments) the weights differ.
    const fresh = resolveRunConfig({ ...JSON.parse(JSON.stringify(d.config)), out_dir: join(dir, "fresh"),
      train: { ...d.config.train, init_optimizer: false } });
    run(fresh);
    const freshParams = loadModel(fresh.out_dir, k).model.params;
    assert.ok(freshParams.some((x, i) => x !== full.params[i]), "a fresh optimizer gives other weights");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("train.init_optimizer refusals: without init_from (ConfigError), from a checkpoint without optimizer state", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-anneal-lib-err-"));
  try {
    const corpus = await annealCorpus(dir);
    const raw = annealRecipe(dir, corpus);
    assert.throws(() => resolveRunConfig({ ...raw, train: { ...(raw.train as object), init_optimizer: true } }),
      (e: Error) => e instanceof ConfigError && /train\.init_optimizer .*train\.init_from is not set/.test(e.message));
    assert.throws(() => resolveRunConfig({ ...raw, train: { ...(raw.train as object), init_optimizer: "yes" } }),
      (e: Error) => e instanceof ConfigError && /init_optimizer/.test(e.message));
    // A weights-only checkpoint, as `pretrain import` writes one.
    const recipe = resolveRunConfig(raw);
    const model = new Model({ ...recipe.model }, k);
    model.init(3);
    const weightsOnly = saveCheckpoint(join(dir, "imported"), {
      layout: model.layout, params: model.params, moments: null, config: { model: recipe.model },
      state: { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, step: 0, tokens_seen: 0, optimizer_step: 0,
        lr_multiplier: 0, data: null, callbacks: {}, elapsed_seconds: 0, created_at: new Date().toISOString() },
    });
    const cfg = resolveRunConfig({ ...raw, out_dir: join(dir, "x"), train: { ...(raw.train as object), init_from: weightsOnly, init_optimizer: true } });
    const { source } = openDataSource(cfg);
    assert.throws(() => train({ config: cfg, kernels: k, source, ...quiet }),
      (e: Error) => e instanceof TrainingError && /init_optimizer: .*optimizer\.safetensors: missing; this checkpoint holds no optimizer state/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("deriveAnnealConfig: phases by flag or by name, inherited shapes written out, clamp_step moved, clear errors", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pretrain-anneal-derive-"));
  try {
    const corpus = await annealCorpus(dir);
    const raw = annealRecipe(dir, corpus);
    const three = resolveRunConfig({
      ...raw,
      schedule: { warmup_steps: 2, decay_start: 5, decay_steps: 7, clamp_step: 11 },
      curriculum: { phases: [
        { name: "stable", tokens: 2 * 16 * 5, mixture: { prose: 1 }, rope_theta: 20000 },
        { name: "a1", tokens: 2 * 32 * 3, mixture: { code: 1 }, seq_len: 32, anneal: true },
        { name: "a2", tokens: 2 * 32 * 4, mixture: { code: 1, prose: 1 }, anneal: true },
      ] },
    });
    const d = deriveAnnealConfig(three, { from: join(dir, "nowhere") });
    assert.equal(d.config.out_dir, `${three.out_dir}-anneal`);
    assert.ok(d.defaultOut);
    assert.equal(d.config.train.steps, 7);
    assert.deepEqual(d.config.curriculum!.phases.map((p) => [p.name, p.seq_len, p.rope_theta]), [["a1", 32, 20000], ["a2", 32, 20000]],
      "θ and seq inherited from earlier phases are kept");
    assert.equal(d.config.schedule.clamp_step, 6, "recipe step 11 is annealing step 11 − 5");
    assert.match(d.notes.join("\n"), /clamp_step 11 of the recipe becomes 6/);
    const only = deriveAnnealConfig(three, { from: dir, phases: ["a2"], outDir: join(dir, "b") });
    assert.deepEqual(only.config.curriculum!.phases.map((p) => p.name), ["a2"]);
    assert.equal(only.config.schedule.decay_steps, 4);
    assert.throws(() => deriveAnnealConfig(three, { from: dir, phases: ["a3"] }),
      (e: Error) => e instanceof ConfigError && /no phase "a3" \(its phases: stable, a1, a2\)/.test(e.message));
    const noAnneal = resolveRunConfig({ ...raw, curriculum: { phases: [{ name: "stable", tokens: 160, mixture: { prose: 1 } }] } });
    assert.throws(() => deriveAnnealConfig(noAnneal, { from: dir }),
      (e: Error) => e instanceof ConfigError && /no phase marked anneal: true .*--phases/.test(e.message));
    const noCurriculum = resolveRunConfig({ ...raw, curriculum: null, train: { ...(raw.train as object), steps: 3 } });
    assert.throws(() => deriveAnnealConfig(noCurriculum, { from: dir }), /has no curriculum section/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
