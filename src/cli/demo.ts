/**
 * `pretrain demo` (what `npm start` runs): the foundation's end-to-end job. Trains the demo recipe on a corpus of
 * plain-English documentation found on every machine with npm (npm's own docs), shows the loss falling under the
 * warmup-stable-decay schedule, then samples from and scores with the trained checkpoint. Re-running continues
 * (or just reports) the same run.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineCommand } from "./args.js";
import { BACKEND_OPTION, THREADS_OPTION, kernelsFor, note, cliCommand, type Command } from "./command.js";
import { loadRunConfig } from "../train/config.js";
import { train } from "../train/trainer.js";
import { openDataSource } from "../data/open.js";
import { listCheckpoints } from "../train/checkpoint.js";
import { loadModel } from "../infer/load.js";
import { generate } from "../infer/generate.js";
import { scoreTokens } from "../infer/score.js";
import { parameterCount } from "../model/layout.js";
import { readMetrics } from "../util/metrics.js";

const spec = defineCommand({
  name: "pretrain demo",
  summary: "train the demo recipe end to end on npm's documentation, then sample and score (npm start)",
  usage: "pretrain demo [options]",
  options: {
    out: { type: "string", default: "runs/demo", valueName: "<dir>", description: "run folder (an existing run is continued)" },
    corpus: { type: "string", multiple: true, valueName: "<path>", description: "text files or folders to train on instead of npm's docs" },
    steps: { type: "integer", description: "override the recipe's step count" },
    backend: BACKEND_OPTION,
    threads: THREADS_OPTION,
  },
  positionals: [],
  examples: ["npm start", "pretrain demo --corpus ./my-notes --out runs/notes"],
});

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = resolve(dir, "..");
    if (up === dir) throw new Error("cannot find the package root");
    dir = up;
  }
  return dir;
}

function textFiles(path: string, out: string[]): void {
  const st = statSync(path);
  if (st.isFile()) {
    out.push(path);
    return;
  }
  for (const name of readdirSync(path).sort()) {
    const p = join(path, name);
    const s = statSync(p);
    if (s.isDirectory()) textFiles(p, out);
    else if (/\.(md|txt|rst)$/i.test(name) && s.size > 0) out.push(p);
  }
}

/** npm's markdown documentation: about 0.6 MB of English prose shipped with every npm. */
function npmDocs(): string[] {
  const r = spawnSync("npm", ["root", "-g"], { encoding: "utf8" });
  const root = r.status === 0 ? r.stdout.trim() : "";
  const candidates = [join(root, "npm", "docs", "content"), join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "docs", "content")];
  for (const c of candidates) {
    if (c && existsSync(c)) {
      const files: string[] = [];
      textFiles(c, files);
      if (files.length) return files;
    }
  }
  throw new Error("could not find npm's documentation to train on; give text files with --corpus <path>");
}

export const demoCommand: Command = cliCommand("demo", spec, (o) => {
  const files: string[] = [];
  if (o.corpus.length) for (const c of o.corpus) textFiles(resolve(c), files);
  else files.push(...npmDocs());
  if (files.length === 0) throw new Error("the corpus holds no text files (.md, .txt, .rst)");
  const overrides = [`data.paths=${JSON.stringify(files)}`, `out_dir=${JSON.stringify(o.out)}`];
  if (o.steps !== undefined) overrides.push(`train.steps=${o.steps}`);
  const cfg = loadRunConfig(join(packageRoot(), "recipes", "demo-bytes.yaml"), overrides);
  const kernels = kernelsFor(o.backend, o.threads);
  const { source, tokenizer } = openDataSource(cfg, `${files.length} files`);
  note(`demo: ${parameterCount(cfg.model).toLocaleString("en-US")}-parameter model, ${source.describe()}`);
  note(`demo: kernels ${kernels.name}, output in ${cfg.out_dir}`);
  const resume = listCheckpoints(cfg.out_dir).some((e) => e.complete);
  const r = train({ config: cfg, kernels, source, tokenizer: tokenizer.toJSON(), resume });

  const records = readMetrics(join(cfg.out_dir, "metrics.jsonl"));
  const trainLoss = records.filter((x) => x.type === "train");
  const evals = records.filter((x) => x.type === "eval");
  const first = trainLoss[0]?.loss as number | undefined;
  const rates = trainLoss.map((x) => x.tokens_per_s as number).sort((a, b) => a - b);
  const { model } = loadModel(cfg.out_dir, kernels);
  const prompt = "npm install ";
  const sample = generate(model, tokenizer.encode(prompt), {
    maxTokens: 160, temperature: 0.7, topK: 40, topP: 0.95, seed: 1, stopId: tokenizer.eosId,
  });
  const probe = "The package.json file describes the package and its dependencies.";
  const scored = scoreTokens(model, tokenizer.encode(probe));
  const lines = [
    "",
    "== demo summary ==",
    `steps ${r.step} (this invocation ${r.startStep}→${r.step}), ${r.tokens.toLocaleString("en-US")} tokens`,
    `train loss ${first?.toFixed(3) ?? "?"} → ${(trainLoss.at(-1)?.loss as number | undefined)?.toFixed(3) ?? "?"} (nats/byte)`,
    `held-out loss: ${evals.map((e) => `${e.step}:${(e.val_loss as number).toFixed(3)}`).join("  ")}`,
    rates.length ? `median throughput ${Math.round(rates[rates.length >> 1]).toLocaleString("en-US")} tokens/s` : "",
    `bits per byte on a probe sentence: ${(-scored.sum / scored.count / Math.LN2).toFixed(3)}`,
    `sample (temperature 0.7, seed 1): ${JSON.stringify(prompt + tokenizer.decode(sample.tokens))}`,
    `checkpoint: ${r.checkpoint}`,
    `next: pretrain generate --model ${cfg.out_dir} --prompt "npm " · pretrain score --model ${cfg.out_dir} --text "..."`,
  ];
  process.stdout.write(lines.filter((l) => l !== "").join("\n") + "\n");
  return 0;
});
