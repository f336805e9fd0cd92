/**
 * An annealing branch (docs/curriculum.md, "Branching an annealing run"): from a recipe with a curriculum and a
 * checkpoint of its stable phase, the configuration of a new run that trains only the annealing phases, continuing
 * the stable run's weights and optimizer state, with the whole run as the decay window. `pretrain anneal` runs it.
 *
 * The derived run:
 *  - curriculum: the recipe's phases marked `anneal: true` (or the ones named), in the recipe's order; each phase's
 *    rows, sequence length and RoPE θ are written out as the recipe's plan gives them, so a value a phase
 *    inherited from an earlier (now absent) phase stays what it was;
 *  - schedule: no warmup, the decay window from step 0 over all the run's steps, the recipe's shape, start and end
 *    λ (and its clamp_step, moved by the first annealing phase's start step);
 *  - train.steps: the plan total of those phases; train.init_from: the checkpoint; train.init_optimizer: true;
 *  - out_dir: the one given, else the recipe's out_dir with "-anneal" appended.
 * Everything else (model, optimizer with its peak lr, data, seed, monitor, spikes, evaluation) is the recipe's.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { resolveRunConfig, runPlan, type RunConfig } from "./config.js";
import type { PhasePlan } from "../data/curriculum/plan.js";
import { ConfigError } from "../util/schema.js";
import { CheckpointError, listCheckpoints, readCheckpointInfo, resolveCheckpointPath } from "./checkpoint.js";

export interface AnnealOptions {
  /** the checkpoint (or run folder) of the stable phase to branch from */
  from: string;
  /** phase names to run instead of those marked `anneal: true` */
  phases?: string[];
  /** the annealing run's folder (default: the recipe's out_dir + "-anneal") */
  outDir?: string;
}

export interface AnnealDerivation {
  config: RunConfig;
  /** the selected phases as the recipe's plan places them (global steps of the recipe) */
  recipePhases: PhasePlan[];
  /** whether out_dir is the default one */
  defaultOut: boolean;
  /** things worth telling the user (clamp_step moved or dropped) */
  notes: string[];
}

/** The default folder of a recipe's annealing run. */
export function defaultAnnealDir(recipe: RunConfig): string {
  return `${recipe.out_dir.replace(/[\\/]+$/, "")}-anneal`;
}

/** The configuration of the annealing run branching from `o.from` (see the file comment). */
export function deriveAnnealConfig(recipe: RunConfig, o: AnnealOptions): AnnealDerivation {
  const plan = runPlan(recipe);
  if (!recipe.curriculum || !plan) {
    throw new ConfigError("the recipe has no curriculum section; pretrain anneal runs a recipe's annealing phases " +
      "(curriculum phases marked anneal: true) from a checkpoint of its stable phase (docs/curriculum.md)");
  }
  const names = plan.phases.map((p) => p.name);
  let chosen: PhasePlan[];
  if (o.phases && o.phases.length > 0) {
    const unknown = o.phases.filter((n) => !names.includes(n));
    if (unknown.length) {
      throw new ConfigError(`--phases: the recipe's curriculum has no phase ${unknown.map((n) => `"${n}"`).join(", ")} ` +
        `(its phases: ${names.join(", ")})`);
    }
    chosen = plan.phases.filter((p) => o.phases!.includes(p.name));
  } else {
    chosen = plan.phases.filter((p) => p.anneal);
    if (chosen.length === 0) {
      throw new ConfigError(`the recipe's curriculum has no phase marked anneal: true (its phases: ${names.join(", ")}); ` +
        "mark the annealing phases with anneal: true, or name the phases to run with --phases");
    }
  }
  const phases = chosen.map((p) => ({
    ...recipe.curriculum!.phases[p.index], seq_len: p.seq, batch_size: p.rows, rope_theta: p.ropeTheta,
  }));
  const steps = chosen.reduce((a, p) => a + p.steps, 0);
  const notes: string[] = [];
  let clamp: number | null = null;
  if (recipe.schedule.clamp_step !== null) {
    const moved = recipe.schedule.clamp_step - chosen[0].startStep;
    if (moved > 0 && moved < steps) {
      clamp = moved;
      notes.push(`schedule.clamp_step ${recipe.schedule.clamp_step} of the recipe becomes ${moved} in the annealing run ` +
        `(the recipe's step ${chosen[0].startStep} is its step 0)`);
    } else {
      notes.push(`schedule.clamp_step ${recipe.schedule.clamp_step} of the recipe falls ${moved <= 0 ? "before" : "after"} ` +
        "the annealing phases; the annealing run does not clamp");
    }
  }
  const outDir = o.outDir !== undefined ? resolve(o.outDir) : defaultAnnealDir(recipe);
  const doc = {
    ...recipe,
    out_dir: outDir,
    schedule: { ...recipe.schedule, warmup_steps: 0, decay_start: 0, decay_steps: steps, clamp_step: clamp },
    train: { ...recipe.train, steps, init_from: resolve(o.from), init_optimizer: true },
    curriculum: { ...recipe.curriculum, phases },
  };
  // Resolved again from its JSON form, so the derived run is validated exactly as a recipe would be.
  const config = resolveRunConfig(JSON.parse(JSON.stringify(doc)), dirname(outDir));
  return { config, recipePhases: chosen, defaultOut: o.outDir === undefined, notes };
}

export interface AnnealSource {
  dir: string;
  step: number;
  optimizerStep: number;
  lrMultiplier: number;
  /** a warning when the checkpoint does not look like the start of a decay */
  warning: string | null;
}

/**
 * What `from` names, when it is a checkpoint of this toolkit (null for anything else: the trainer then says what
 * is wrong with it). Warns when the checkpoint was saved inside a decay, pointing at the run's kept checkpoints.
 */
export function describeAnnealSource(from: string): AnnealSource | null {
  let dir: string;
  try {
    dir = resolveCheckpointPath(from);
    if (!existsSync(resolve(dir, "state.json"))) return null;
    const info = readCheckpointInfo(dir, false);
    const lambda = info.state.lr_multiplier;
    let warning: string | null = null;
    if (lambda < 0.999) {
      const run = basename(dirname(dir)) === "checkpoints" ? dirname(dirname(dir)) : null;
      const kept = run ? listCheckpoints(run).filter((e) => e.keep && e.complete && e.dir !== dir).map((e) => e.dir) : [];
      warning = `${dir} was saved inside a learning-rate decay (λ ${lambda.toPrecision(3)} at step ${info.state.step}); ` +
        "an annealing run normally branches from the checkpoint where the decay starts" +
        (kept.length ? ` (kept in this run: ${kept.join(", ")})` : " (train.keep_decay_start keeps it)");
    }
    return { dir, step: info.state.step, optimizerStep: info.state.optimizer_step, lrMultiplier: lambda, warning };
  } catch (e) {
    if (e instanceof CheckpointError) return null;
    throw e;
  }
}

/**
 * On --resume: what differs between the derived configuration and the one the interrupted run wrote
 * (<out>/config.json), among the settings the derivation decides. Empty when they agree or nothing was written.
 */
export function differsFromStored(config: RunConfig): string[] {
  const path = resolve(config.out_dir, "config.json");
  if (!existsSync(path)) return [];
  let stored: Partial<RunConfig>;
  try {
    stored = JSON.parse(readFileSync(path, "utf8")) as Partial<RunConfig>;
  } catch {
    return [];
  }
  const out: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(stored.train?.init_from, config.train.init_from)) {
    out.push(`train.init_from: the run started from ${stored.train?.init_from}, now ${config.train.init_from}`);
  }
  if (!same(stored.schedule, config.schedule)) out.push("schedule");
  if (!same(stored.curriculum, config.curriculum)) out.push("curriculum");
  if (!same(stored.train?.steps, config.train.steps)) out.push(`train.steps: ${stored.train?.steps} → ${config.train.steps}`);
  return out;
}
