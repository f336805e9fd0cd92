/**
 * `pretrain run`: a recipe end to end. Prepares the data (corpus → clean → tokenizer → tokenize, each stage
 * reused when an earlier run finished it), trains through the curriculum (resuming a run that stopped), then
 * measures what the recipe is for: held-out loss per domain before and after annealing, at the base and at the
 * extended context, proxy tasks, and samples. Everything lands in the run folder, with summary.json last.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Kernels } from "../kernels/types.js";
import { openDataSource } from "../data/open.js";
import { train, type TrainSummary } from "../train/trainer.js";
import { listCheckpoints } from "../train/checkpoint.js";
import { runPlan, type RunConfig } from "../train/config.js";
import { parameterCount } from "../model/layout.js";
import { readMetrics } from "../util/metrics.js";
import { writeFileAtomic } from "../util/atomic.js";
import { loadModel } from "../infer/load.js";
import { generate } from "../infer/generate.js";
import { compareAnnealing } from "../eval/annealing.js";
import type { LabeledResults } from "../eval/table.js";
import { buildReport } from "../report/report.js";
import type { Recipe } from "./config.js";
import { prepareData, type PreparedData, type StageReport } from "./prepare.js";
import { checkpointLoss, type CheckpointLoss, type HeldOutBatches } from "./heldout.js";

export const STAGES = ["corpus", "clean", "tokenizer", "tokenize", "train", "finish"] as const;
export type StageName = (typeof STAGES)[number];

export interface RunOptions {
  kernels: Kernels;
  threads: number;
  /** stop after this stage */
  until?: StageName;
  log: (message: string) => void;
  /** the recipe file and overrides, recorded in the summary */
  recipePath: string;
  overrides: string[];
}

export interface PhaseSummary {
  name: string;
  first_step: number;
  last_step: number;
  rows: number;
  seq: number;
  rope_theta: number;
  anneal: boolean;
  /** mean training loss over the phase's last tenth of steps */
  final_loss: number | null;
}

export interface RunSummary {
  recipe: string;
  overrides: string[];
  out_dir: string;
  parameters: number;
  stages: StageReport[];
  data: Pick<PreparedData, "domains" | "corpus" | "clean" | "tokenizer"> & { tokens: Record<string, { train: number; valid: number; bytes_per_token: number }> } | null;
  train: {
    steps: number;
    tokens: number;
    seconds: number;
    first_loss: number | null;
    last_loss: number | null;
    median_tokens_per_s: number | null;
    phases: PhaseSummary[];
    checkpoint: string | null;
  } | null;
  held_out: { base_seq: number; long_seq: number; bytes_per_token: Record<string, number>; checkpoints: CheckpointLoss[] } | null;
  tasks: LabeledResults[] | null;
  samples: { label: string; prompt: string; text: string }[];
  report: string | null;
  seconds: number;
}

const SUMMARY_FILE = "summary.json";

function stopAfter(o: RunOptions, stage: StageName): boolean {
  return o.until !== undefined && STAGES.indexOf(stage) >= STAGES.indexOf(o.until);
}

function phaseSummaries(cfg: RunConfig, records: Record<string, unknown>[]): PhaseSummary[] {
  const plan = runPlan(cfg);
  const trainRecs = records.filter((r) => r.type === "train" && !r.skipped && typeof r.loss === "number");
  if (!plan) return [];
  return plan.phases.map((p) => {
    const inPhase = trainRecs.filter((r) => (r.step as number) > p.startStep && (r.step as number) <= p.endStep);
    const tail = inPhase.slice(Math.floor(inPhase.length * 0.9));
    return {
      name: p.name, first_step: p.startStep + 1, last_step: p.endStep, rows: p.rows, seq: p.seq, rope_theta: p.ropeTheta,
      anneal: p.anneal, final_loss: tail.length ? tail.reduce((a, r) => a + (r.loss as number), 0) / tail.length : null,
    };
  });
}

/** Carries out a recipe. Returns the summary (also written to <out_dir>/summary.json). */
export async function runRecipe(cfg: RunConfig, recipe: Recipe, o: RunOptions): Promise<RunSummary> {
  const t0 = performance.now();
  mkdirSync(cfg.out_dir, { recursive: true });
  writeFileAtomic(join(cfg.out_dir, "recipe.json"), JSON.stringify({ recipe: o.recipePath, overrides: o.overrides, ...recipe }, null, 1) + "\n");
  const summary: RunSummary = {
    recipe: o.recipePath, overrides: o.overrides, out_dir: cfg.out_dir, parameters: parameterCount(cfg.model), stages: [], data: null,
    train: null, held_out: null, tasks: null, samples: [], report: null, seconds: 0,
  };
  const finish = () => {
    summary.seconds = (performance.now() - t0) / 1000;
    writeFileAtomic(join(cfg.out_dir, SUMMARY_FILE), JSON.stringify(summary, null, 1) + "\n");
    return summary;
  };

  // data
  if (recipe.prepare) {
    const until = o.until === "train" || o.until === "finish" ? undefined : o.until;
    const prepared = await prepareData(recipe.prepare, cfg.out_dir, { threads: o.threads, log: o.log, until });
    summary.stages.push(...prepared.stages);
    if (!prepared.tokens) return finish();
    summary.data = {
      domains: prepared.domains, corpus: prepared.corpus, clean: prepared.clean, tokenizer: prepared.tokenizer,
      tokens: Object.fromEntries(Object.entries(prepared.tokens.domains).map(([d, s]) => [d, {
        train: s.train.tokens, valid: s.valid.tokens, bytes_per_token: s.valid.bytes_per_token || s.train.bytes_per_token,
      }])),
    };
  }
  if (stopAfter(o, "tokenize")) return finish();

  // train
  const { source, tokenizer } = openDataSource(cfg);
  o.log(`train: ${summary.parameters.toLocaleString("en-US")}-parameter model, ${cfg.train.steps} steps; ${source.describe()}; kernels ${o.kernels.name}`);
  const resume = listCheckpoints(cfg.out_dir).some((e) => e.complete);
  const tt = performance.now();
  const r: TrainSummary = train({ config: cfg, kernels: o.kernels, source, tokenizer: tokenizer.toJSON(), resume });
  const records = readMetrics(join(cfg.out_dir, "metrics.jsonl"));
  const losses = records.filter((x) => x.type === "train" && !x.skipped && typeof x.loss === "number");
  const rates = losses.map((x) => x.tokens_per_s as number).filter((x) => x > 0).sort((a, b) => a - b);
  summary.train = {
    steps: r.step, tokens: r.tokens, seconds: r.seconds, first_loss: (losses[0]?.loss as number) ?? null,
    last_loss: (losses.at(-1)?.loss as number) ?? null, median_tokens_per_s: rates.length ? rates[rates.length >> 1] : null,
    phases: phaseSummaries(cfg, records), checkpoint: r.checkpoint,
  };
  const trainSeconds = (performance.now() - tt) / 1000;
  summary.stages.push({
    stage: "train", reused: r.startStep === r.step && r.step > 0, seconds: trainSeconds,
    line: `steps ${r.startStep}→${r.step}, ${r.tokens.toLocaleString("en-US")} tokens, loss ${summary.train.first_loss?.toFixed(3) ?? "?"} → ` +
      `${summary.train.last_loss?.toFixed(3) ?? "?"}`,
  });
  if (stopAfter(o, "train")) return finish();

  // finish: held-out loss per domain before and after annealing, at the base and the extended context
  const ft = performance.now();
  const f = recipe.finish;
  const plan = runPlan(cfg);
  const baseSeq = plan?.phases[0].seq ?? cfg.train.seq_len;
  const longSeq = plan?.maxSeq ?? baseSeq;
  if (source.validationByDomain) {
    const longRows = Math.max(1, Math.floor((cfg.train.batch_size * baseSeq) / longSeq));
    const data: HeldOutBatches = {
      baseSeq, longSeq,
      base: source.validationByDomain(cfg.train.batch_size, baseSeq, f.eval_batches),
      long: longSeq > baseSeq ? source.validationByDomain(longRows, longSeq, f.eval_batches) : new Map(),
    };
    const complete = listCheckpoints(cfg.out_dir).filter((e) => e.complete);
    const decay = cfg.schedule.decay_start;
    const before = decay === null ? undefined : complete.find((e) => e.step === decay);
    const checkpoints: CheckpointLoss[] = [];
    if (before && complete[0].step > before.step) {
      o.log(`finish: held-out loss per domain at step ${before.step} (before annealing) and ${complete[0].step}`);
      checkpoints.push(checkpointLoss(`before annealing (step ${before.step})`, before.dir, data, o.kernels));
    }
    checkpoints.push(checkpointLoss(`${before ? "after annealing" : "final"} (step ${complete[0].step})`, complete[0].dir, data, o.kernels));
    const bpt = Object.fromEntries(Object.entries(summary.data?.tokens ?? {}).map(([d, s]) => [d, s.bytes_per_token]));
    summary.held_out = { base_seq: baseSeq, long_seq: longSeq, bytes_per_token: bpt, checkpoints };
  }
  if (f.tasks.length) {
    o.log(`finish: proxy tasks ${f.tasks.join(", ")} before and after annealing, ${f.task_limit} examples each`);
    summary.tasks = compareAnnealing(cfg.out_dir, cfg.schedule.decay_start, f.tasks, f.task_limit, o.kernels)?.runs ?? null;
  }
  if (Object.keys(f.samples).length) {
    const { model } = loadModel(cfg.out_dir, o.kernels);
    for (const [label, prompt] of Object.entries(f.samples)) {
      const out = generate(model, tokenizer.encode(prompt), {
        maxTokens: f.sample_tokens, temperature: f.temperature, topK: 40, topP: 0.95, seed: 1, stopId: tokenizer.eosId,
      });
      summary.samples.push({ label, prompt, text: prompt + tokenizer.decode(out.tokens) });
    }
  }
  if (f.report) {
    const path = join(cfg.out_dir, "report.html");
    writeFileAtomic(path, buildReport(cfg.out_dir));
    summary.report = path;
  }
  summary.stages.push({ stage: "finish", reused: false, seconds: (performance.now() - ft) / 1000, line: "held-out loss, samples, report" });
  return finish();
}

