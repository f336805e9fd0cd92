/**
 * `pretrain anneal --from <checkpoint> <recipe>`: the annealing phase as a run of its own, branching from a
 * checkpoint of the stable phase (src/train/anneal.ts derives its configuration; the trainer runs it).
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { defineCommand, UsageError } from "./args.js";
import { BACKEND_OPTION, JSON_OPTION, THREADS_OPTION, kernelsFor, note, cliCommand, type Command } from "./command.js";
import { loadRunConfig, runPlan } from "../train/config.js";
import { train } from "../train/trainer.js";
import { openDataSource } from "../data/open.js";
import { describeSchedule, lrMultiplier } from "../train/schedule.js";
import { parameterCount } from "../model/layout.js";
import { defaultAnnealDir, deriveAnnealConfig, describeAnnealSource, differsFromStored } from "../train/anneal.js";
import { readMetrics } from "../util/metrics.js";

const spec = defineCommand({
  name: "pretrain anneal",
  summary: "run a recipe's annealing phases from a checkpoint of its stable phase (weights and optimizer state)",
  usage: "pretrain anneal --from <checkpoint | run folder> [options] <recipe>",
  description:
    "Branches an annealing run off a stable run, as WSD training does: a new run in --out (default: the recipe's " +
    "out_dir with \"-anneal\" appended) that starts from the weights, the Adam moments and the optimizer step of " +
    "--from (train.init_from with train.init_optimizer), and trains only the recipe's curriculum phases marked " +
    "anneal: true (or those named by --phases). Each of them keeps its mixture, rows, sequence length and RoPE θ, so " +
    "the mixture switches to the annealing data and the context is extended where the phases say so. The schedule " +
    "has no warmup and decays over the whole annealing run with the recipe's shape and end λ (1−√ by default) from " +
    "the recipe's peak learning rate; train.steps is the plan total of the annealing phases. The data streams start " +
    "at the beginning of each domain's data. The derived configuration is written to <out>/config.json. --set " +
    "overrides apply to the recipe before the annealing run is derived from it. --from names a checkpoint, or a run " +
    "folder (its newest complete checkpoint); a Hugging Face folder has no optimizer state and is refused.",
  options: {
    from: { type: "string", valueName: "<path>", description: "checkpoint of the stable phase (usually the one where the decay starts), or a run folder (its newest checkpoint)" },
    out: { type: "string", valueName: "<dir>", description: "folder of the annealing run (default: the recipe's out_dir + \"-anneal\")" },
    set: { type: "string", multiple: true, valueName: "<key=value>", description: "override a recipe value before the derivation, e.g. --set train.eval_every=50" },
    phases: { type: "string", multiple: true, valueName: "<name,name>", description: "run these curriculum phases instead of those marked anneal: true (comma-separated or repeated)" },
    resume: { type: "boolean", description: "continue an interrupted annealing run from its newest complete checkpoint (--from may then be left out)" },
    "stop-after": { type: "integer", valueName: "<n>", description: "stop after n steps of this invocation (resumable)" },
    backend: BACKEND_OPTION,
    threads: THREADS_OPTION,
    json: JSON_OPTION,
  },
  positionals: [{ name: "recipe", description: "the run configuration of the stable run, with a curriculum (.yaml, .yml or .json)" }],
  examples: [
    "pretrain anneal --from runs/demo/checkpoints/step-00000350 recipes/my-curriculum.yaml",
    "pretrain anneal --from runs/x/checkpoints/step-00004000 my.yaml --out runs/x-anneal-b --phases anneal-b",
    "pretrain anneal my.yaml --out runs/x-anneal-b --resume",
  ],
});

/** The held-out loss records of a run's last evaluation at `step` (overall and per domain). */
function heldOut(metricsPath: string, step: number): { loss: number | null; domains: Record<string, number> } {
  if (!existsSync(metricsPath)) return { loss: null, domains: {} };
  const ev = readMetrics(metricsPath).filter((r) => r.type === "eval" && r.step === step && r.abandoned === undefined).pop();
  if (!ev) return { loss: null, domains: {} };
  const domains: Record<string, number> = {};
  for (const [k, v] of Object.entries(ev)) if (k.startsWith("val_loss_") && typeof v === "number") domains[k.slice(9)] = v;
  return { loss: typeof ev.val_loss === "number" ? ev.val_loss : null, domains };
}

export const annealCommand: Command = cliCommand("anneal", spec, (o, positionals) => {
  const recipe = loadRunConfig(positionals.recipe, o.set);
  const phases = o.phases.flatMap((p) => p.split(",")).map((p) => p.trim()).filter(Boolean);
  let from = o.from;
  if (from === undefined) {
    // A resumed run knows where it branched from.
    const stored = join(o.out !== undefined ? resolve(o.out) : defaultAnnealDir(recipe), "config.json");
    if (o.resume && existsSync(stored)) {
      from = (JSON.parse(readFileSync(stored, "utf8")) as { train?: { init_from?: string } }).train?.init_from ?? undefined;
    }
    if (from === undefined) {
      throw new UsageError(spec.name, "--from is required: the checkpoint of the stable phase to branch from");
    }
  }
  const d = deriveAnnealConfig(recipe, { from, phases, outDir: o.out });
  const cfg = d.config;
  const kernels = kernelsFor(o.backend, o.threads ?? cfg.train.threads ?? undefined);
  const src = describeAnnealSource(from);
  if (src?.warning) note(`warning: ${src.warning}`);
  if (o.resume) {
    const diff = differsFromStored(cfg);
    if (diff.length) note(`warning: the annealing run in ${cfg.out_dir} was started with other settings: ${diff.join("; ")}`);
  }
  const plan = runPlan(cfg)!;
  note(`anneal: ${plan.phases.map((p) => `${p.name} (${p.steps} steps, ${p.rows} rows × ${p.seq} tokens, RoPE θ ${p.ropeTheta})`).join(", ")}` +
    ` from ${src ? `${src.dir} (step ${src.step}, optimizer step ${src.optimizerStep})` : from}`);
  note(`run folder: ${cfg.out_dir}${d.defaultOut ? " (the recipe's out_dir + \"-anneal\"; --out to choose)" : ""}`);
  for (const n of d.notes) note(n);
  note(`model: ${parameterCount(cfg.model).toLocaleString("en-US")} parameters, ${cfg.model.num_layers} layers, ` +
    `d_model ${cfg.model.d_model}; kernels ${kernels.name}`);
  const { source, tokenizer } = openDataSource(cfg);
  note(`data: ${source.describe()}`);
  note(`schedule: ${describeSchedule(cfg.schedule)}`);
  const r = train({
    config: cfg, kernels, source, tokenizer: tokenizer.toJSON(), resume: o.resume, stopAfter: o["stop-after"],
  });
  const metricsPath = join(r.outDir, "metrics.jsonl");
  const held = heldOut(metricsPath, r.step);
  const lambdaFirst = lrMultiplier(0, cfg.schedule);
  const lambdaLast = lrMultiplier(Math.max(0, r.step - 1), cfg.schedule);
  const summary = {
    ...r, from: src?.dir ?? resolve(from), recipe: resolve(positionals.recipe), steps: cfg.train.steps,
    phases: plan.phases.map((p) => ({ name: p.name, steps: p.steps, rows: p.rows, seq: p.seq, rope_theta: p.ropeTheta })),
    lr_multiplier: { first: lambdaFirst, last: lambdaLast }, held_out: held.domains, config: join(r.outDir, "config.json"),
  };
  if (o.json) {
    process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
    return 0;
  }
  const domains = Object.entries(held.domains).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(", ");
  const finished = r.step >= cfg.train.steps;
  process.stdout.write(
    `${finished ? "annealed" : "annealing stopped"}: steps ${r.startStep}→${r.step} of ${cfg.train.steps} in ${r.seconds.toFixed(1)} s ` +
    `(${plan.phases.map((p) => `${p.name}: ${p.rows} rows × ${p.seq} tokens, RoPE θ ${p.ropeTheta}`).join("; ")})\n` +
    `from: ${summary.from}\n` +
    `learning-rate multiplier ${lambdaFirst.toPrecision(3)} → ${lambdaLast.toPrecision(3)} (${cfg.schedule.decay_shape}, ` +
    `end λ ${cfg.schedule.end_lambda})\n` +
    `loss ${r.lastLoss.toFixed(4)}${held.loss !== null ? `, held-out loss ${held.loss.toFixed(4)}` : ""}` +
    `${domains ? ` (${domains})` : ""}\n` +
    `checkpoint: ${r.checkpoint}\nconfig: ${summary.config}\nmetrics: ${metricsPath}\n` +
    (finished ? "" : `continue with: pretrain anneal ${positionals.recipe} --out ${r.outDir} --resume\n`));
  return 0;
});
