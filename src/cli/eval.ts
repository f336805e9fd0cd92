/**
 * `pretrain eval`: the evaluation harness. Sub-commands:
 *   run (the default)  evaluate a checkpoint, run folder or exported folder on tasks → table + results.json
 *   compare            the same tasks on several checkpoints, side by side (before/after annealing)
 *   build-proxies      write the offline proxy tasks, exclude.jsonl for decontamination, a manifest
 *   history            the in-training evaluation records of a run's metrics file, as a table
 *   check-code         run the reference solutions of code tasks in the sandbox, and show its protections
 *   list               task names, benchmark formats, sandbox protections on this machine
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { defineCommand, UsageError } from "./args.js";
import { BACKEND_OPTION, JSON_OPTION, THREADS_OPTION, kernelsFor, note, cliCommand, type Command } from "./command.js";
import { Progress } from "../util/progress.js";
import { readMetrics } from "../util/metrics.js";
import { resolveCheckpointPath } from "../train/checkpoint.js";
import { evaluateTasks, type EvalResults } from "../eval/harness.js";
import { openModel, type OpenOptions } from "../eval/compare.js";
import { resolveTasks } from "../eval/registry.js";
import { FORMATS } from "../eval/registry.js";
import { PROXY_NAMES, PROXY_SUMMARIES } from "../eval/proxies/index.js";
import { writeProxies } from "../eval/proxies/build.js";
import { compareTable, historyTable, resultsTable, type LabeledResults } from "../eval/table.js";
import { EvalDataError } from "../eval/loaders/records.js";
import { DEFAULT_EVAL_OPTIONS, type EvalOptions, type Task } from "../eval/types.js";
import { checkCanonical } from "../eval/tasks/code.js";
import { describeProtections, sandboxCapabilities } from "../eval/sandbox/probe.js";
import { DEFAULT_LIMITS } from "../eval/sandbox/sandbox.js";
import { existsSync, statSync } from "node:fs";

const TASK_OPTIONS = {
  tasks: {
    type: "string", multiple: true, valueName: "<specs>",
    description: "tasks, comma-separated or repeated: proxies, a proxy name, <format>:<path>[@<fewshot>], " +
      "<name>=<format>:<path>, a .jsonl task file or a .json task list (see `pretrain eval list`)",
  },
  shots: { type: "integer", description: "few-shot examples per query (default: each task's own)" },
  limit: { type: "integer", description: "evaluate only the first N examples of each task" },
  seed: { type: "integer", default: DEFAULT_EVAL_OPTIONS.seed, description: "seed of few-shot selection and sampling" },
  samples: { type: "integer", default: 1, description: "code tasks: completions per problem (1 = greedy)" },
  temperature: { type: "number", default: DEFAULT_EVAL_OPTIONS.temperature, description: "code tasks: sampling temperature when --samples > 1" },
  "pass-k": { type: "string", default: "1,5,10", valueName: "<list>", description: "code tasks: k values of pass@k (those ≤ --samples)" },
  "max-tokens": { type: "integer", description: "generation budget of generative and code tasks (default: each task's own)" },
  "timeout-ms": { type: "integer", default: DEFAULT_EVAL_OPTIONS.timeoutMs, description: "code tasks: wall-clock limit per program" },
  "memory-mb": { type: "integer", default: DEFAULT_EVAL_OPTIONS.memoryMb, description: "code tasks: memory limit per program (MiB)" },
  "proxy-dir": { type: "string", valueName: "<dir>", description: "read proxy tasks from a build-proxies folder instead of building them" },
  "needle-lengths": { type: "string", valueName: "<list>", description: "proxy-needle haystack lengths in tokens (default 64,128,…,8192; longer than the context = skipped)" },
  "needle-per-cell": { type: "integer", description: "proxy-needle: needles per (length, depth) cell (default 4)" },
  context: { type: "integer", description: "evaluate with RoPE tables extended to this many positions (context extension without training)" },
  "rope-theta": { type: "number", description: "RoPE θ to use with --context (default: the model's)" },
  "prefix-token": { type: "string", choices: ["auto", "eos", "bos", "none"], default: "auto", description: "token before every context (auto: end-of-text, else BOS)" },
  "log-samples": { type: "boolean", description: "keep per-example predictions in the results JSON" },
  "share-prefixes": {
    type: "boolean", default: true,
    description: "score options that share a context from one KV-cached context pass (--no-share-prefixes: pack every request into rows)",
  },
  backend: BACKEND_OPTION,
  threads: THREADS_OPTION,
  json: JSON_OPTION,
} as const;

const runSpec = defineCommand({
  name: "pretrain eval",
  summary: "evaluate a model on benchmark files and offline proxy tasks (sub-commands: run, compare, build-proxies, history, check-code, list)",
  usage: "pretrain eval [run] --model <checkpoint|run|hf-folder> --tasks <specs> [options]",
  description: "Task kinds: log-likelihood, multiple choice (acc, acc_norm by bytes), last-word cloze, generation with " +
    "answer extraction, code with executable tests (pass@k, sandboxed), long-context needle retrieval, perplexity and " +
    "bits per byte by domain. Other sub-commands: `pretrain eval compare|build-proxies|history|check-code|list --help`.",
  options: {
    model: { type: "string", valueName: "<path>", description: "checkpoint directory, run directory (newest checkpoint) or exported Hugging Face folder" },
    ...TASK_OPTIONS,
    out: { type: "string", valueName: "<file>", description: "write the results JSON here" },
  },
  positionals: [],
  examples: [
    "pretrain eval --model runs/demo --tasks proxies --limit 100 --out results.json",
    "pretrain eval --model runs/demo --tasks hellaswag:hellaswag_val.jsonl,gsm8k:test.jsonl@train.jsonl --shots 5",
    "pretrain eval --model runs/demo --tasks proxy-js-code --samples 10 --temperature 0.8",
  ],
});

const compareSpec = defineCommand({
  name: "pretrain eval compare",
  summary: "evaluate several checkpoints on the same tasks and print them side by side",
  usage: "pretrain eval compare <checkpoint>... --tasks <specs> [options]",
  description: "Each argument is a checkpoint directory, a run directory (its newest checkpoint) or an exported folder; " +
    "the table has one column per model, e.g. before and after annealing.",
  options: { ...TASK_OPTIONS, out: { type: "string", valueName: "<file>", description: "write every run's results as a JSON list" } },
  positionals: [{ name: "models", description: "checkpoints to compare, in column order", variadic: true }],
  examples: ["pretrain eval compare runs/x/checkpoints/step-00000300 runs/x/checkpoints/step-00000400 --tasks proxies --limit 100"],
});

const buildSpec = defineCommand({
  name: "pretrain eval build-proxies",
  summary: "write the offline proxy tasks, the held-out text to exclude from training, and a manifest",
  usage: "pretrain eval build-proxies --out <dir> [--train-text <dir>] [--n N]",
  description: "Builds every proxy task deterministically from text in node_modules (Moby-Dick, State of the Union " +
    "speeches, WordNet 3.1) and writes <dir>/<task>.jsonl, <dir>/exclude.jsonl (every held-out document, for the " +
    "decontamination step) and <dir>/manifest.json. --train-text writes the text that is not held out.",
  options: {
    out: { type: "string", valueName: "<dir>", description: "output folder" },
    "train-text": { type: "string", valueName: "<dir>", description: "also write the non-held-out text here, one document per file" },
    n: { type: "integer", description: "cap the examples of each task (default: all)" },
    json: JSON_OPTION,
  },
  positionals: [],
  examples: ["pretrain eval build-proxies --out evals/proxies --train-text data/proxy-train"],
});

const historySpec = defineCommand({
  name: "pretrain eval history",
  summary: "the in-training evaluation of a run (eval_task records of metrics.jsonl) as a table",
  usage: "pretrain eval history <run-dir>",
  options: { json: JSON_OPTION },
  positionals: [{ name: "run", description: "run folder (or its metrics.jsonl)" }],
});

const checkSpec = defineCommand({
  name: "pretrain eval check-code",
  summary: "run the reference solutions of code tasks in the sandbox (they should all pass)",
  usage: "pretrain eval check-code [--tasks <specs>]",
  options: {
    tasks: { type: "string", multiple: true, default: ["proxy-js-code"], valueName: "<specs>", description: "code tasks to check" },
    "timeout-ms": { type: "integer", default: DEFAULT_LIMITS.timeoutMs, description: "wall-clock limit per program" },
    json: JSON_OPTION,
  },
  positionals: [],
  examples: ["pretrain eval check-code", "pretrain eval check-code --tasks humaneval:HumanEval.jsonl"],
});

const listSpec = defineCommand({
  name: "pretrain eval list",
  summary: "proxy tasks, benchmark formats and the sandbox protections available here",
  usage: "pretrain eval list",
  options: { json: JSON_OPTION },
  positionals: [],
});

function parseList(s: string | undefined, what: string, cmd: string): number[] | undefined {
  if (s === undefined) return undefined;
  const xs = s.split(",").map((x) => Number(x.trim()));
  if (xs.some((x) => !Number.isInteger(x) || x < 1)) throw new UsageError(cmd, `${what} must be a comma-separated list of positive integers`);
  return xs;
}

type TaskOpts = {
  tasks: string[]; shots?: number; limit?: number; seed: number; samples: number; temperature: number; "pass-k": string;
  "max-tokens"?: number; "timeout-ms": number; "memory-mb": number; "proxy-dir"?: string; "needle-lengths"?: string;
  "needle-per-cell"?: number; context?: number; "rope-theta"?: number; "prefix-token": string; "log-samples": boolean;
  "share-prefixes": boolean;
  backend: string; threads?: number;
};

function tasksFrom(o: TaskOpts, cmd: string): Task[] {
  if (o.tasks.length === 0) throw new UsageError(cmd, "--tasks is required (e.g. --tasks proxies)");
  const lengths = parseList(o["needle-lengths"], "--needle-lengths", cmd);
  return resolveTasks(o.tasks, {
    ...(o["proxy-dir"] ? { proxyDir: o["proxy-dir"] } : {}),
    proxy: { needle: { ...(lengths ? { lengths } : {}), ...(o["needle-per-cell"] ? { perCell: o["needle-per-cell"] } : {}) } },
  });
}

function evalOptions(o: TaskOpts, cmd: string, progress: (task: string, done: number, total: number) => void): Partial<EvalOptions> {
  if (o.samples < 1) throw new UsageError(cmd, "--samples must be ≥ 1");
  return {
    shots: o.shots ?? null, limit: o.limit ?? null, seed: o.seed, samples: o.samples, temperature: o.temperature,
    passK: parseList(o["pass-k"], "--pass-k", cmd)!, maxTokens: o["max-tokens"] ?? null, timeoutMs: o["timeout-ms"],
    memoryMb: o["memory-mb"], logSamples: o["log-samples"], onProgress: progress,
  };
}

function openOptions(o: TaskOpts): OpenOptions {
  return {
    prefixToken: o["prefix-token"] as OpenOptions["prefixToken"], sharePrefixes: o["share-prefixes"],
    ...(o.context !== undefined ? { context: o.context } : {}), ...(o["rope-theta"] !== undefined ? { ropeTheta: o["rope-theta"] } : {}),
  };
}

/** Progress lines per task on stderr. */
function progressReporter(): { update: (task: string, done: number, total: number) => void; finish: () => void } {
  let cur: Progress | null = null;
  let name = "";
  return {
    update(task, done, total) {
      if (task !== name) {
        cur?.finish();
        cur = new Progress({ label: `eval ${task}`, total, unit: "examples", intervalMs: 5000 });
        name = task;
      }
      cur!.update(done);
    },
    finish() {
      cur?.finish();
      cur = null;
      name = "";
    },
  };
}

function runOne(path: string, tasks: Task[], o: TaskOpts, cmd: string): EvalResults {
  const { lm, info } = openModel(path, kernelsFor(o.backend, o.threads), openOptions(o));
  note(`eval: ${path} (${info.kind}${info.step !== null ? `, step ${info.step}` : ""}, context ${info.context}, ` +
    `tokenizer ${info.tokenizer}), ${tasks.length} task(s)`);
  const p = progressReporter();
  const res = evaluateTasks(lm, tasks, info, evalOptions(o, cmd, p.update));
  p.finish();
  return res;
}

function guard(fn: () => number): number {
  try {
    return fn();
  } catch (e) {
    if (e instanceof EvalDataError) {
      process.stderr.write(`pretrain eval: error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

const runCommand = cliCommand("eval", runSpec, (o) => guard(() => {
  if (!o.model) throw new UsageError(runSpec.name, "--model is required");
  const tasks = tasksFrom(o, runSpec.name);
  const res = runOne(o.model, tasks, o, runSpec.name);
  if (o.out) {
    writeFileSync(o.out, JSON.stringify(res, null, 2) + "\n");
    note(`eval: results written to ${o.out}`);
  }
  process.stdout.write(o.json ? JSON.stringify(res, null, 2) + "\n" : resultsTable(res));
  return 0;
}));

const compareCommand = cliCommand("eval compare", compareSpec, (o, pos) => guard(() => {
  const tasks = tasksFrom(o, compareSpec.name);
  const runs: LabeledResults[] = pos.models.map((m) => {
    const results = runOne(m, tasks, o, compareSpec.name);
    return { label: results.model.step !== null ? `step ${results.model.step}` : m, results };
  });
  if (o.out) {
    writeFileSync(o.out, JSON.stringify(runs, null, 2) + "\n");
    note(`eval: results written to ${o.out}`);
  }
  if (o.json) process.stdout.write(JSON.stringify(runs, null, 2) + "\n");
  else {
    const header = runs.map((r) => `${r.label}: ${r.results.model.path}`).join("\n");
    process.stdout.write(`${header}\n\n${compareTable(runs)}`);
  }
  return 0;
}));

const buildCommand = cliCommand("eval build-proxies", buildSpec, (o) => guard(() => {
  if (!o.out) throw new UsageError(buildSpec.name, "--out is required");
  const t0 = performance.now();
  const r = writeProxies(o.out, { ...(o.n !== undefined ? { n: o.n } : {}), ...(o["train-text"] ? { trainText: o["train-text"] } : {}) });
  const seconds = (performance.now() - t0) / 1000;
  if (o.json) process.stdout.write(JSON.stringify({ ...r, seconds }, null, 2) + "\n");
  else {
    const lines = [`proxy tasks written to ${r.dir} in ${seconds.toFixed(1)} s:`,
      ...r.tasks.map((t) => `  ${t.name.padEnd(18)} ${t.kind.padEnd(16)} ${String(t.examples).padStart(5)} examples  ${t.file}`),
      `exclude.jsonl: ${r.excludeDocuments} held-out documents (${(r.excludeBytes / 1e6).toFixed(2)} MB) for the decontamination step`,
      ...(o["train-text"] ? [`non-held-out text: ${r.trainTextFiles} files in ${o["train-text"]}`] : [])];
    process.stdout.write(lines.join("\n") + "\n");
  }
  return 0;
}));

const historyCommand = cliCommand("eval history", historySpec, (o, pos) => guard(() => {
  let path = pos.run;
  if (existsSync(path) && statSync(path).isDirectory()) {
    path = existsSync(join(path, "metrics.jsonl")) ? join(path, "metrics.jsonl") : join(resolveCheckpointPath(path), "..", "..", "metrics.jsonl");
  }
  const records = readMetrics(path);
  if (o.json) process.stdout.write(JSON.stringify(records.filter((r) => r.type === "eval_task"), null, 2) + "\n");
  else process.stdout.write(historyTable(records));
  return 0;
}));

const checkCommand = cliCommand("eval check-code", checkSpec, (o) => guard(() => {
  const tasks = resolveTasks(o.tasks);
  const out: Record<string, unknown> = {};
  let failed = 0;
  for (const t of tasks) {
    if (t.kind !== "code") throw new UsageError(checkSpec.name, `${t.name} is not a code task`);
    const rows = checkCanonical(t, { ...DEFAULT_LIMITS, timeoutMs: o["timeout-ms"] });
    out[t.name] = rows;
    const bad = rows.filter((r) => !r.passed);
    failed += bad.length;
    if (!o.json) {
      note(`${t.name}: ${rows.length - bad.length}/${rows.length} reference solutions pass`);
      for (const b of bad) note(`  ${b.id}: ${b.status} ${b.stderr.split("\n").slice(-3).join(" ").slice(0, 300)}`);
    }
  }
  if (o.json) process.stdout.write(JSON.stringify(out, null, 2) + "\n");
  return failed === 0 ? 0 : 1;
}));

const listCommand = cliCommand("eval list", listSpec, (o) => {
  const caps = sandboxCapabilities();
  const info = {
    proxies: PROXY_NAMES.map((n) => ({ name: n, summary: PROXY_SUMMARIES[n] })), formats: FORMATS,
    sandbox: { capabilities: caps, node: describeProtections(caps, "node"), python: describeProtections(caps, "python") },
  };
  if (o.json) {
    process.stdout.write(JSON.stringify(info, null, 2) + "\n");
    return 0;
  }
  const lines = ["Proxy tasks (offline; named as proxies, never as the benchmarks they imitate):",
    ...info.proxies.map((p) => `  ${p.name.padEnd(18)} ${p.summary}`), "  proxies            all of the above", "",
    `Benchmark formats (--tasks <format>:<path>[@<fewshot path>]): ${FORMATS.join(", ")}`, "",
    `Sandbox on this machine (python: ${caps.python ?? "none"}):`];
  for (const runner of ["node", "python"] as const) {
    lines.push(`  ${runner}:`);
    for (const p of describeProtections(caps, runner)) lines.push(`    [${p.active ? "x" : " "}] ${p.protection.padEnd(40)} ${p.how}`);
  }
  for (const n of caps.notes) lines.push(`  note: ${n}`);
  process.stdout.write(lines.join("\n") + "\n");
  return 0;
});

const SUBCOMMANDS: Record<string, Command> = {
  run: runCommand, compare: compareCommand, "build-proxies": buildCommand, history: historyCommand,
  "check-code": checkCommand, list: listCommand,
};

export const evalCommand: Command = {
  name: "eval",
  summary: "evaluation harness: benchmark files, offline proxy tasks, sandboxed code execution, checkpoint comparison",
  run(argv) {
    const [first, ...rest] = argv;
    if (first !== undefined && first in SUBCOMMANDS) return SUBCOMMANDS[first].run(rest);
    return runCommand.run(argv);
  },
};
