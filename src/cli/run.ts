/** `pretrain run`: a recipe end to end (src/recipe/run.ts) — what `npm start` runs with recipes/demo.yaml. */
import { defineCommand, UsageError } from "./args.js";
import { BACKEND_OPTION, JSON_OPTION, THREADS_OPTION, kernelsFor, note, cliCommand, type Command } from "./command.js";
import { loadRecipe } from "../train/config.js";
import { runRecipe, STAGES, type StageName } from "../recipe/run.js";
import { formatRunSummary } from "../recipe/format.js";
import { defaultThreads } from "../tokenizer/bpe/workers.js";

const spec = defineCommand({
  name: "pretrain run",
  summary: "carry out a recipe end to end: corpus → clean → tokenizer → tokenize → curriculum training → annealing → evaluation",
  usage: "pretrain run [options] <recipe>",
  description:
    "Runs every stage of a recipe into its run folder (out_dir): the `prepare` section builds the corpus, cleans each " +
    "domain with the data pipeline, trains the tokenizer and writes token shards; training follows the curriculum " +
    "phases (annealing and context extension included); the `finish` section measures held-out loss per domain before " +
    "and after annealing, at the base and the extended context, runs proxy tasks and samples text. A re-run reuses the " +
    "stages that are done (a stage whose settings changed is refused, naming the folder to delete) and resumes training " +
    "from its newest checkpoint. The summary is printed and written to <out_dir>/summary.json. See docs/recipes.md.",
  options: {
    out: { type: "string", valueName: "<dir>", description: "run folder (overrides out_dir)" },
    set: { type: "string", multiple: true, valueName: "<key=value>", description: "override a recipe value, e.g. --set train.eval_every=50" },
    until: { type: "string", choices: [...STAGES], description: "stop after this stage" },
    backend: BACKEND_OPTION,
    threads: THREADS_OPTION,
    json: JSON_OPTION,
  },
  positionals: [{ name: "recipe", description: "recipe file (.yaml, .yml or .json)" }],
  examples: [
    "pretrain run recipes/demo.yaml          # npm start",
    "pretrain run recipes/demo-smoke.yaml --out runs/smoke",
    "pretrain run recipes/demo.yaml --until tokenize     # prepare the data only",
  ],
});

export const runCommand: Command = cliCommand("run", spec, async (o, positionals) => {
  const overrides = [...o.set];
  if (o.out !== undefined) overrides.push(`out_dir=${JSON.stringify(o.out)}`);
  if (o.threads !== undefined && o.threads < 1) throw new UsageError(spec.name, `--threads must be at least 1, got ${o.threads}`);
  const { config, recipe } = loadRecipe(positionals.recipe, overrides);
  const threads = o.threads ?? config.train.threads ?? defaultThreads();
  const summary = await runRecipe(config, recipe, {
    kernels: kernelsFor(o.backend, threads), threads, until: o.until as StageName | undefined, log: note,
    recipePath: positionals.recipe, overrides,
  });
  process.stdout.write(o.json ? JSON.stringify(summary, null, 2) + "\n" : formatRunSummary(summary));
  return 0;
});
