/**
 * A training run's configuration: seed, output folder, model, optimizer, schedule, data and loop settings.
 * Read from YAML or JSON; every section is validated (unknown keys are errors) and resolved, and the resolved
 * form is what checkpoints store.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { resolveModelConfig, type ModelConfig } from "../model/config.js";
import { resolveOptimizer, type OptimizerConfig } from "./optimizer.js";
import { resolveSchedule, type ScheduleConfig } from "./schedule.js";
import { applyOverride, ConfigError, validate, type Schema } from "../util/schema.js";
import { resolveMonitor, type MonitorConfig } from "./monitor.js";
import { resolveSpikes, type SpikeConfig } from "./spikes.js";
import { resolveEvaluationConfig, type EvaluationConfig } from "../eval/callback.js";
import { resolveCurriculum, type CurriculumConfig } from "../data/curriculum/config.js";
import { planCurriculum, type CurriculumPlan } from "../data/curriculum/plan.js";
import { splitRecipe, type Recipe } from "../recipe/config.js";

export interface DataConfig {
  /**
   * "bytes": text files through the byte-level tokenizer; "text": text or JSONL files (or folders) through the
   * BPE tokenizer in `tokenizer` (docs/tokenizer.md), an end-of-text token after each document.
   */
  kind: "bytes" | "text" | "shards";
  /** kinds bytes and text: the files or folders */
  paths: string[];
  /** kind "shards": the tokenized corpus written by `pretrain data tokenize` (index.json and one folder per domain) */
  dir: string | null;
  val_fraction: number;
  /** kinds "text" and "shards": folder with tokenizer.json (relative paths are relative to the config file) */
  tokenizer: string | null;
  /** kind "text": the JSONL field holding a document's text */
  text_field: string;
}

export interface LoopConfig {
  steps: number;
  /** rows per micro-batch */
  batch_size: number;
  seq_len: number;
  /** micro-batches per optimizer step */
  grad_accum: number;
  /** held-out loss every N steps (0 = only at the end) */
  eval_every: number;
  eval_batches: number;
  /** checkpoint every N steps (0 = only at the end) */
  checkpoint_every: number;
  keep_last: number;
  /** also keep every checkpoint whose step is a multiple of this (null = none) */
  keep_every: number | null;
  /** save and keep a checkpoint at schedule.decay_start (the stable phase's end, where WSD decays branch off) */
  keep_decay_start: boolean;
  /** threads for the native kernels (null = all cores) */
  threads: number | null;
  /**
   * start a new run from these weights instead of the random init: a checkpoint, a run folder (its newest
   * checkpoint) or a Hugging Face Llama folder (`pretrain import` makes the same); the optimizer starts fresh
   * unless init_optimizer is set
   */
  init_from: string | null;
  /**
   * with init_from: also load the Adam moments (m, v) and the optimizer step (for the bias correction) from that
   * checkpoint of this toolkit, as an annealing branch continues the stable phase (`pretrain anneal` sets it)
   */
  init_optimizer: boolean;
}

export interface RunConfig {
  seed: number;
  out_dir: string;
  model: ModelConfig;
  optimizer: OptimizerConfig;
  schedule: ScheduleConfig;
  data: DataConfig;
  train: LoopConfig;
  /** stability monitor: hidden-state and gradient statistics, divergence warning (docs/stability.md) */
  monitor: MonitorConfig;
  /** loss and gradient-norm spike detection and its policy (docs/stability.md) */
  spikes: SpikeConfig;
  /** benchmark tasks run on the model every N steps during training (docs/eval.md) */
  evaluation: EvaluationConfig;
  /** curriculum phases over the domains of a shard corpus (docs/curriculum.md); null: one data stream */
  curriculum: CurriculumConfig | null;
}

/** A resolved run configuration's curriculum plan (steps per phase), or null without a curriculum. */
export function runPlan(cfg: RunConfig): CurriculumPlan | null {
  if (!cfg.curriculum) return null;
  return planCurriculum(cfg.curriculum.phases, {
    seq_len: cfg.train.seq_len, batch_size: cfg.train.batch_size, grad_accum: cfg.train.grad_accum, rope_theta: cfg.model.rope_theta,
  });
}

const DATA_SCHEMA: Schema = {
  kind: { kind: "enum", values: ["bytes", "text", "shards"], default: "bytes", doc: "data source kind" },
  dir: { kind: "string", nullable: true, default: null as unknown as string, doc: "kind shards: the tokenized corpus folder" },
  tokenizer: { kind: "string", nullable: true, default: null as unknown as string, doc: "kind text: folder with tokenizer.json" },
  text_field: { kind: "string", default: "text", doc: "kind text: JSONL field holding the text" },
  paths: { kind: "strings", default: [], doc: "text files (relative paths are relative to the config file)" },
  val_fraction: { kind: "number", min: 0, max: 0.5, default: 0.05, doc: "share of the tokens held out" },
};

const int = (min: number, def: number | null, doc: string, nullable = false) =>
  ({ kind: "number", integer: true, min, default: def, nullable, doc }) as const;

const LOOP_SCHEMA: Schema = {
  steps: int(1, null, "optimizer steps (with a curriculum: default the plan's total)", true),
  batch_size: int(1, 8, "rows per micro-batch"),
  seq_len: int(1, 256, "tokens per row"),
  grad_accum: int(1, 1, "micro-batches per optimizer step"),
  eval_every: int(0, 0, "held-out loss every N steps (0: only at the end)"),
  eval_batches: int(1, 4, "held-out batches per evaluation"),
  checkpoint_every: int(0, 0, "checkpoint every N steps (0: only at the end)"),
  keep_last: int(1, 3, "checkpoints kept"),
  keep_every: int(1, null, "also keep checkpoints at multiples of N steps", true),
  keep_decay_start: { kind: "boolean", default: true, doc: "save and keep a checkpoint where the learning-rate decay starts (the end of the stable phase, which annealing branches from)" },
  threads: int(1, null, "threads for the native kernels (null: all cores)", true),
  init_from: { kind: "string", nullable: true, default: null as unknown as string, doc: "start from these weights (checkpoint, run folder or Hugging Face folder; relative to the config file)" },
  init_optimizer: { kind: "boolean", default: false, doc: "with init_from: also load the Adam moments and optimizer step of that checkpoint" },
};

const RUN_SCHEMA: Schema = {
  seed: { kind: "number", integer: true, default: 42, doc: "seed of initialization and data order" },
  out_dir: { kind: "string", default: "runs/default", doc: "run folder (metrics, checkpoints)" },
  model: { kind: "any", doc: "model configuration" },
  optimizer: { kind: "any", default: {}, doc: "optimizer configuration" },
  schedule: { kind: "any", default: {}, doc: "learning-rate schedule" },
  data: { kind: "any", doc: "training data" },
  train: { kind: "any", doc: "loop settings" },
  monitor: { kind: "any", default: {}, doc: "stability monitor" },
  spikes: { kind: "any", default: {}, doc: "spike detection" },
  evaluation: { kind: "any", default: {}, doc: "in-training evaluation on benchmark or proxy tasks" },
  curriculum: { kind: "any", default: null, doc: "curriculum phases (data.kind shards)" },
};

export function resolveRunConfig(input: unknown, baseDir = process.cwd()): RunConfig {
  const raw = validate<Record<string, unknown>>(input, RUN_SCHEMA, "");
  const data = validate<DataConfig>(raw.data, DATA_SCHEMA, "data");
  data.paths = data.paths.map((p) => (isAbsolute(p) ? p : resolve(baseDir, p)));
  if (data.kind === "shards") {
    if (!data.dir) throw new ConfigError('data.dir is required with data.kind "shards": the folder `pretrain data tokenize` wrote');
    if (data.paths.length) throw new ConfigError('data.paths is for kinds "bytes" and "text"; with "shards" give data.dir');
    data.dir = isAbsolute(data.dir) ? data.dir : resolve(baseDir, data.dir);
  } else if (data.dir) throw new ConfigError('data.dir is for data.kind "shards"');
  if (data.kind !== "bytes" && !data.tokenizer) {
    throw new ConfigError(`data.tokenizer is required with data.kind "${data.kind}": a folder with tokenizer.json ` +
      "(train one with `pretrain tokenizer train`)");
  }
  if (data.tokenizer) data.tokenizer = isAbsolute(data.tokenizer) ? data.tokenizer : resolve(baseDir, data.tokenizer);
  const evaluation = resolveEvaluationConfig(raw.evaluation, "evaluation");
  if (evaluation.proxy_dir && !isAbsolute(evaluation.proxy_dir)) evaluation.proxy_dir = resolve(baseDir, evaluation.proxy_dir);
  const loop = validate<LoopConfig>(raw.train, LOOP_SCHEMA, "train");
  if (loop.init_from && !isAbsolute(loop.init_from)) loop.init_from = resolve(baseDir, loop.init_from);
  if (loop.init_optimizer && !loop.init_from) {
    throw new ConfigError("train.init_optimizer loads the optimizer state of the checkpoint in train.init_from, " +
      "but train.init_from is not set; set it to the checkpoint (or run folder) to continue from, or remove init_optimizer");
  }
  const model = resolveModelConfig(raw.model, "model");
  const curriculum = raw.curriculum === null ? null : resolveCurriculum(raw.curriculum, "curriculum");
  let schedule = raw.schedule as Record<string, unknown> | undefined;
  if (curriculum) {
    if (data.kind !== "shards") throw new ConfigError('a curriculum mixes the domains of a shard corpus: set data.kind "shards" and data.dir');
    const plan = planCurriculum(curriculum.phases, {
      seq_len: loop.seq_len, batch_size: loop.batch_size, grad_accum: loop.grad_accum, rope_theta: model.rope_theta,
    });
    if (plan.maxSeq > model.max_seq_len) {
      throw new ConfigError(`curriculum: a phase uses sequences of ${plan.maxSeq} tokens but model.max_seq_len is ` +
        `${model.max_seq_len}; raise model.max_seq_len to at least ${plan.maxSeq}`);
    }
    if (loop.steps === null) loop.steps = plan.totalSteps;
    // A phase marked decay_starts places the decay window when the schedule does not: from there to the end.
    if (plan.decayStart !== null && (schedule?.decay_start ?? null) === null) {
      schedule = { ...(schedule ?? {}), decay_start: plan.decayStart };
      if ((schedule.decay_steps ?? null) === null) schedule.decay_steps = Math.max(1, plan.totalSteps - plan.decayStart);
    }
  } else if (loop.steps === null) {
    throw new ConfigError("train.steps is required (a run without a curriculum has no plan to take it from)");
  }
  const outDir = raw.out_dir as string;
  return {
    seed: raw.seed as number,
    out_dir: isAbsolute(outDir) ? outDir : resolve(baseDir, outDir),
    model,
    optimizer: resolveOptimizer(raw.optimizer, "optimizer"),
    schedule: resolveSchedule(schedule, "schedule"),
    data,
    train: loop,
    monitor: resolveMonitor(raw.monitor, "monitor"),
    spikes: resolveSpikes(raw.spikes, "spikes"),
    evaluation,
    curriculum,
  };
}

/**
 * Reads a YAML or JSON recipe, applies dotted overrides ("train.steps=100"), and resolves its run configuration.
 * A recipe's `prepare` and `finish` sections (src/recipe/config.ts) are split off; with `prepare`, `data` points at
 * the shards and tokenizer it writes under out_dir.
 */
export function loadRecipe(path: string, overrides: string[] = [], outDirBase = process.cwd()): { config: RunConfig; recipe: Recipe } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new ConfigError(`config file ${path} cannot be read (does it exist?)`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ConfigError(`${path}: not valid YAML/JSON: ${(e as Error).message}`);
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw new ConfigError(`${path}: expected a mapping at the top level`);
  for (const o of overrides) applyOverride(doc as Record<string, unknown>, o);
  const base = dirname(resolve(path));
  const recipe = splitRecipe(doc as Record<string, unknown>, base, outDirBase);
  const config = resolveRunConfig(recipe.run, base);
  // out_dir is relative to where the command runs, not to the config file.
  const rawOut = recipe.run.out_dir;
  if (typeof rawOut === "string" && !isAbsolute(rawOut)) config.out_dir = resolve(outDirBase, rawOut);
  return { config, recipe };
}

/** Reads a YAML or JSON run config (or recipe), applies dotted overrides ("train.steps=100"), and resolves it. */
export function loadRunConfig(path: string, overrides: string[] = [], outDirBase = process.cwd()): RunConfig {
  return loadRecipe(path, overrides, outDirBase).config;
}
