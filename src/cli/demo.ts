/**
 * `pretrain demo`: the single-domain demo (the multi-domain recipe is `pretrain run recipes/demo.yaml`, npm start). Trains a byte-level BPE tokenizer on a corpus of
 * plain-English documentation found on every machine with npm (npm's own docs), then the demo recipe with it,
 * shows the loss falling under the warmup-stable-decay schedule (also in bits per byte, the unit that compares
 * tokenizers), then samples from and scores with the trained checkpoint. `--tokenizer bytes` runs the
 * byte-level recipe instead. Re-running continues (or just reports) the same run.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { npmDocs, textFiles } from "../data/npm-docs.js";
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
import { trainTokenizer } from "../tokenizer/bpe/train.js";
import { loadTokenizer, saveTokenizer } from "../tokenizer/bpe/io.js";
import { annealingCheckpoints, compareAnnealing } from "../eval/annealing.js";

/** The offline proxy tasks the demo compares before and after annealing (docs/eval.md), examples per task. */
const ANNEALING_TASKS = ["proxy-cloze-book", "proxy-wordnet-mc", "proxy-arith", "proxy-js-code", "proxy-needle", "proxy-ppl"];
const ANNEALING_LIMIT = 20;

const spec = defineCommand({
  name: "pretrain demo",
  summary: "the single-domain demo: a tokenizer and a small model on npm's documentation, then sample and score",
  usage: "pretrain demo [options]",
  options: {
    out: { type: "string", default: "runs/npm-docs", valueName: "<dir>", description: "run folder (an existing run is continued)" },
    corpus: { type: "string", multiple: true, valueName: "<path>", description: "text files or folders to train on instead of npm's docs" },
    steps: { type: "integer", description: "override the recipe's step count" },
    tokenizer: { type: "string", choices: ["bpe", "bytes"], default: "bpe", description: "BPE (trained on the corpus first) or byte-level" },
    "vocab-size": { type: "integer", default: 2048, description: "BPE vocabulary size (the model's is rounded up to a multiple of 64)" },
    "no-eval": { type: "boolean", description: "skip the proxy-task comparison before and after annealing" },
    backend: BACKEND_OPTION,
    threads: THREADS_OPTION,
  },
  positionals: [],
  examples: ["pretrain demo", "pretrain demo --corpus ./my-notes --out runs/notes", "pretrain demo --tokenizer bytes --out runs/npm-docs-bytes"],
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

export const demoCommand: Command = cliCommand("demo", spec, async (o) => {
  const files: string[] = [];
  if (o.corpus.length) for (const c of o.corpus) textFiles(resolve(c), files);
  else files.push(...npmDocs());
  if (files.length === 0) throw new Error("the corpus holds no text files (.md, .txt, .rst)");
  const overrides = [`data.paths=${JSON.stringify(files)}`, `out_dir=${JSON.stringify(o.out)}`];
  if (o.steps !== undefined) overrides.push(`train.steps=${o.steps}`);
  let recipe = "npm-docs-bytes.yaml";
  if (o.tokenizer === "bpe") {
    // The tokenizer lives in the run folder, so a re-run (resume) uses the same one.
    const tokDir = resolve(o.out, "tokenizer");
    if (!existsSync(join(tokDir, "tokenizer.json"))) {
      note(`demo: training a ${o["vocab-size"]}-token byte-level BPE tokenizer on the corpus → ${tokDir}`);
      const { tokenizer, report } = await trainTokenizer({ inputs: files, vocabSize: o["vocab-size"], threads: o.threads });
      saveTokenizer(tokDir, tokenizer, report);
      note(`demo: tokenizer trained in ${report.seconds.total.toFixed(1)} s (${report.merges} merges, ${report.distinct_words} distinct words)`);
    } else note(`demo: using the tokenizer of this run, ${tokDir}`);
    const vocab = loadTokenizer(tokDir).vocabSize;
    // The model's embedding must cover every id; a multiple of 64 keeps the matrix shapes friendly.
    overrides.push(`data.tokenizer=${JSON.stringify(tokDir)}`, `model.vocab_size=${Math.ceil(vocab / 64) * 64}`);
    recipe = "npm-docs.yaml";
  }
  const cfg = loadRunConfig(join(packageRoot(), "recipes", recipe), overrides);
  const kernels = kernelsFor(o.backend, o.threads);
  const { source, tokenizer, heldOutBytesPerToken } = openDataSource(cfg, `${files.length} files`);
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
  const probeIds = tokenizer.encode(probe);
  const scored = scoreTokens(model, probeIds);
  // Every token but the first is scored; its bytes are what the bits are spread over.
  const probeBytes = Buffer.byteLength(tokenizer.decode(probeIds.subarray(1)), "utf8");
  const unit = o.tokenizer === "bpe" ? "nats/token" : "nats/byte";
  const bpb = (nats: number) => (nats / Math.LN2 / heldOutBytesPerToken).toFixed(3);
  const lines = [
    "",
    "== demo summary ==",
    `steps ${r.step} (this invocation ${r.startStep}→${r.step}), ${r.tokens.toLocaleString("en-US")} tokens` +
      ` (${tokenizer.vocabSize}-token ${o.tokenizer === "bpe" ? "BPE" : "byte-level"} tokenizer, ${heldOutBytesPerToken.toFixed(2)} bytes/token held out)`,
    `train loss ${first?.toFixed(3) ?? "?"} → ${(trainLoss.at(-1)?.loss as number | undefined)?.toFixed(3) ?? "?"} (${unit})`,
    `held-out loss: ${evals.map((e) => `${e.step}:${(e.val_loss as number).toFixed(3)}`).join("  ")} (${unit})`,
    `held-out bits per byte: ${evals.map((e) => `${e.step}:${bpb(e.val_loss as number)}`).join("  ")}`,
    rates.length ? `median throughput ${Math.round(rates[rates.length >> 1]).toLocaleString("en-US")} tokens/s` : "",
    `bits per byte on a probe sentence: ${(-scored.sum / Math.LN2 / probeBytes).toFixed(3)}`,
    `sample (temperature 0.7, seed 1): ${JSON.stringify(prompt + tokenizer.decode(sample.tokens))}`,
    `checkpoint: ${r.checkpoint}`,
    `next: pretrain generate --model ${cfg.out_dir} --prompt "npm " · pretrain score --model ${cfg.out_dir} --text "..."`,
  ];
  process.stdout.write(lines.filter((l) => l !== "").join("\n") + "\n");
  if (!o["no-eval"]) annealingTable(cfg.out_dir, cfg.schedule.decay_start, kernels);
  return 0;
});

function annealingTable(runDir: string, decayStart: number | null, kernels: ReturnType<typeof kernelsFor>): void {
  if (!annealingCheckpoints(runDir, decayStart)) {
    note("demo: no checkpoint at the decay start and after it, so no before/after-annealing comparison");
    return;
  }
  note(`demo: proxy tasks before and after annealing, ${ANNEALING_LIMIT} examples each`);
  const c = compareAnnealing(runDir, decayStart, ANNEALING_TASKS, ANNEALING_LIMIT, kernels)!;
  process.stdout.write(`\nproxy tasks (offline stand-ins, not the benchmarks they imitate; docs/eval.md):\n\n${c.table}\n` +
    `(${c.file}; \`pretrain eval compare\` runs more tasks or examples)\n`);
}
