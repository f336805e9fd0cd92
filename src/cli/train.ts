/** `pretrain train`: run (or resume) a training run from a YAML/JSON run configuration. */
import { resolve } from "node:path";
import { defineCommand } from "./args.js";
import { BACKEND_OPTION, JSON_OPTION, THREADS_OPTION, kernelsFor, note, cliCommand, type Command } from "./command.js";
import { loadRunConfig } from "../train/config.js";
import { train } from "../train/trainer.js";
import { openDataSource } from "../data/open.js";
import { describeSchedule } from "../train/schedule.js";
import { parameterCount } from "../model/layout.js";

const spec = defineCommand({
  name: "pretrain train",
  summary: "train a model from a run configuration (YAML or JSON)",
  usage: "pretrain train [options] <config>",
  description:
    "Trains with AdamW (μP parameter groups), the warmup-stable-decay schedule and global-norm clipping, logging " +
    "every step to <out>/metrics.jsonl and saving checkpoints under <out>/checkpoints/. With --resume the run " +
    "continues exactly from its newest complete checkpoint (damaged ones are skipped with a warning).",
  options: {
    resume: { type: "boolean", description: "continue from the newest complete checkpoint in the output folder" },
    out: { type: "string", valueName: "<dir>", description: "output folder (overrides out_dir)" },
    set: { type: "string", multiple: true, valueName: "<key=value>", description: "override a config value, e.g. --set train.steps=100" },
    steps: { type: "integer", description: "total optimizer steps (overrides train.steps)" },
    "stop-after": { type: "integer", valueName: "<n>", description: "stop after n steps of this invocation (resumable)" },
    "init-from": { type: "string", valueName: "<path>", description: "start from these weights: a checkpoint, run folder or Hugging Face folder (sets train.init_from)" },
    backend: BACKEND_OPTION,
    threads: THREADS_OPTION,
    json: JSON_OPTION,
  },
  positionals: [{ name: "config", description: "run configuration file (.yaml, .yml or .json)" }],
  examples: [
    "pretrain train recipes/npm-docs-bytes.yaml",
    "pretrain train recipes/npm-docs-bytes.yaml --resume",
    "pretrain train recipes/npm-docs-bytes.yaml --set optimizer.lr=0.005 --out runs/lr5e-3",
    "pretrain train my-anneal.yaml --init-from runs/demo/checkpoints/step-00000350",
  ],
});

export const trainCommand: Command = cliCommand("train", spec, (o, positionals) => {
  const overrides = [...o.set];
  if (o.out !== undefined) overrides.push(`out_dir=${JSON.stringify(o.out)}`);
  if (o.steps !== undefined) overrides.push(`train.steps=${o.steps}`);
  if (o["init-from"] !== undefined) overrides.push(`train.init_from=${JSON.stringify(resolve(o["init-from"]))}`);
  const cfg = loadRunConfig(positionals.config, overrides);
  const kernels = kernelsFor(o.backend, o.threads ?? cfg.train.threads ?? undefined);
  const { source, tokenizer } = openDataSource(cfg);
  note(`model: ${parameterCount(cfg.model).toLocaleString("en-US")} parameters, ${cfg.model.num_layers} layers, ` +
    `d_model ${cfg.model.d_model}; kernels ${kernels.name}`);
  note(`data: ${source.describe()}`);
  note(`schedule: ${describeSchedule(cfg.schedule)}`);
  const r = train({
    config: cfg, kernels, source, tokenizer: tokenizer.toJSON(), resume: o.resume, stopAfter: o["stop-after"],
  });
  if (o.json) {
    process.stdout.write(JSON.stringify(r, null, 2) + "\n");
  } else {
    process.stdout.write(`trained steps ${r.startStep}→${r.step} in ${r.seconds.toFixed(1)} s; ` +
      `loss ${r.lastLoss.toFixed(4)}${r.valLoss !== null ? `, held-out loss ${r.valLoss.toFixed(4)}` : ""}\n` +
      `checkpoint: ${r.checkpoint}\nmetrics: ${r.outDir}/metrics.jsonl\n`);
  }
  return 0;
});
