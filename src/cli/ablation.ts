/** `pretrain ablation`: runs the stability ablation ladder (recipes/ablation) and prints the comparison table. */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { npmDocs, textFiles } from "../data/npm-docs.js";
import { defineCommand, UsageError } from "./args.js";
import { BACKEND_OPTION, JSON_OPTION, THREADS_OPTION, cliCommand, kernelsFor, note, type Command } from "./command.js";
import { ablationRecipes, ablationTable, runAblation } from "../train/ablation.js";

const spec = defineCommand({
  name: "pretrain ablation",
  summary: "run the stability ablation ladder (one run per recipe of a folder) and print the comparison table",
  usage: "pretrain ablation [options] [recipes-dir]",
  description:
    "Trains every recipe of the folder (default recipes/ablation: YuLan-Mini's stability ladder at proxy scale — " +
    "baseline, + QK-LayerNorm, − QK-LayerNorm + weight decay, + μP at 10× the learning rate, + depth μP, + WeSaR — and a " +
    "control) in name order on the same text (npm's documentation unless --corpus is given), then prints final loss, " +
    "spikes, divergence warnings and time per run. Runs live in <out>/<recipe name>; re-running continues unfinished " +
    "runs and only summarizes finished ones (--fresh starts over). `pretrain report <out>/<name>` shows one run.",
  options: {
    out: { type: "string", default: "runs/ablation", valueName: "<dir>", description: "folder for the runs, ablation.md and ablation.json" },
    corpus: { type: "string", multiple: true, valueName: "<path>", description: "text files or folders to train on instead of npm's docs" },
    steps: { type: "integer", description: "override every recipe's step count" },
    only: { type: "string", multiple: true, valueName: "<name>", description: "run only recipes whose file name contains this" },
    fresh: { type: "boolean", description: "delete earlier runs first" },
    backend: BACKEND_OPTION,
    threads: THREADS_OPTION,
    json: JSON_OPTION,
  },
  positionals: [{ name: "recipes-dir", description: "folder of run configurations (default recipes/ablation)", required: false }],
  examples: ["pretrain ablation", "pretrain ablation --only baseline --only wesar --steps 100"],
});

export const ablationCommand: Command = cliCommand("ablation", spec, (o, positionals) => {
  const dir = resolve(positionals["recipes-dir"] ?? "recipes/ablation");
  if (!existsSync(dir)) throw new UsageError(spec.name, `recipe folder ${dir} does not exist`);
  let recipes = ablationRecipes(dir);
  if (o.only.length) recipes = recipes.filter((r) => o.only.some((s) => r.slice(dir.length).includes(s)));
  if (recipes.length === 0) throw new UsageError(spec.name, `no recipes (.yaml, .yml, .json) selected in ${dir}`);
  const corpus: string[] = [];
  if (o.corpus.length) for (const c of o.corpus) textFiles(resolve(c), corpus);
  else corpus.push(...npmDocs());
  if (corpus.length === 0) throw new Error("the corpus holds no text files (.md, .txt, .rst)");
  const kernels = kernelsFor(o.backend, o.threads);
  const outRoot = resolve(o.out);
  mkdirSync(outRoot, { recursive: true });
  note(`ablation: ${recipes.length} recipes, ${corpus.length} text files, kernels ${kernels.name}`);
  const rows = runAblation({ recipes, corpus, outRoot, kernels, steps: o.steps, fresh: o.fresh, log: note });
  const table = ablationTable(rows);
  writeFileSync(join(outRoot, "ablation.md"), table + "\n");
  writeFileSync(join(outRoot, "ablation.json"), JSON.stringify(rows, null, 2) + "\n");
  if (o.json) process.stdout.write(JSON.stringify(rows, null, 2) + "\n");
  else process.stdout.write(`${table}\n\ntable: ${join(outRoot, "ablation.md")}\n`);
  return 0;
});
