/**
 * The stability ablation ladder (spec §6.4) at proxy scale: runs a folder of recipes one after another on the same
 * data and summarizes each run from its metrics file — final training and held-out loss, spikes, divergence
 * warnings, the largest gradient norm, hidden-state RMS and attention logit seen, and the time taken. A run that
 * stops on a NaN is reported as diverged at that step; a finished run is only summarized again.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import type { Kernels } from "../kernels/types.js";
import { loadRunConfig } from "./config.js";
import { train, TrainingError } from "./trainer.js";
import { openDataSource } from "../data/open.js";
import { listCheckpoints } from "./checkpoint.js";
import { readMetrics, type MetricRecord } from "../util/metrics.js";
import type { ProgressStream } from "../util/progress.js";

export interface AblationRow {
  name: string;
  recipe: string;
  outDir: string;
  steps: number;
  /** mean training loss of the last 10 steps */
  finalLoss: number;
  /** the last held-out loss */
  valLoss: number | null;
  lossSpikes: number;
  gradSpikes: number;
  divergenceWarnings: number;
  /** step of the first divergence warning */
  firstWarning: number | null;
  maxGradNorm: number;
  maxHiddenRms: number;
  maxAttentionLogit: number | null;
  /** step at which the run stopped on a NaN or Inf */
  divergedAt: number | null;
  seconds: number;
  tokensPerSecond: number;
}

/** The recipes of a folder (*.yaml, *.yml, *.json), in name order. */
export function ablationRecipes(dir: string): string[] {
  return readdirSync(dir).filter((f) => /\.(ya?ml|json)$/i.test(f)).sort().map((f) => join(dir, f));
}

/** A row from a run's metrics file (divergedAt is filled by the caller). */
export function summarizeRun(name: string, recipe: string, outDir: string): AblationRow {
  const path = join(outDir, "metrics.jsonl");
  const recs: MetricRecord[] = existsSync(path) ? readMetrics(path, { allowTornLastLine: true }) : [];
  const live = recs.filter((r) => r.abandoned === undefined);
  const trainRecs = live.filter((r) => r.type === "train" && Number.isFinite(r.loss as number));
  const last = trainRecs.slice(-10);
  const evals = live.filter((r) => r.type === "eval");
  const spikes = live.filter((r) => r.type === "spike");
  const warnings = live.filter((r) => r.type === "divergence");
  let maxLogit: number | null = null;
  for (const m of live.filter((r) => r.type === "monitor")) {
    const att = m.attention as { logit_max?: number[] } | undefined;
    for (const v of att?.logit_max ?? []) if (maxLogit === null || v > maxLogit) maxLogit = v;
  }
  const lastRec = trainRecs.at(-1);
  const seconds = (lastRec?.elapsed_seconds as number | undefined) ?? 0;
  const tokens = (lastRec?.tokens as number | undefined) ?? 0;
  return {
    name, recipe, outDir, steps: (lastRec?.step as number | undefined) ?? 0,
    finalLoss: last.length ? last.reduce((a, r) => a + (r.loss as number), 0) / last.length : NaN,
    valLoss: (evals.at(-1)?.val_loss as number | undefined) ?? null,
    lossSpikes: spikes.filter((s) => s.metric === "loss").length,
    gradSpikes: spikes.filter((s) => s.metric === "grad_norm").length,
    divergenceWarnings: warnings.length,
    firstWarning: (warnings[0]?.step as number | undefined) ?? null,
    maxGradNorm: Math.max(0, ...trainRecs.map((r) => r.grad_norm as number).filter(Number.isFinite)),
    maxHiddenRms: Math.max(0, ...trainRecs.map((r) => (r.hidden_rms as number | undefined) ?? 0).filter(Number.isFinite)),
    maxAttentionLogit: maxLogit,
    divergedAt: null,
    seconds,
    tokensPerSecond: seconds > 0 ? tokens / seconds : 0,
  };
}

export interface AblationOptions {
  recipes: string[];
  /** text files to train on (data.paths of every recipe) */
  corpus: string[];
  /** folder for the runs (one sub-folder per recipe) */
  outRoot: string;
  kernels: Kernels;
  /** override train.steps (and scale nothing else) */
  steps?: number;
  /** start every run from scratch (delete what a previous invocation left) */
  fresh?: boolean;
  log: (message: string) => void;
  progress?: ProgressStream | null;
}

export function runAblation(o: AblationOptions): AblationRow[] {
  const rows: AblationRow[] = [];
  for (const recipe of o.recipes) {
    const name = basename(recipe).replace(/\.(ya?ml|json)$/i, "");
    const outDir = join(o.outRoot, name);
    if (o.fresh) rmSync(outDir, { recursive: true, force: true });
    const overrides = [`data.paths=${JSON.stringify(o.corpus)}`, `out_dir=${JSON.stringify(outDir)}`];
    if (o.steps !== undefined) overrides.push(`train.steps=${o.steps}`);
    const cfg = loadRunConfig(recipe, overrides);
    const { source, tokenizer } = openDataSource(cfg);
    const resume = listCheckpoints(cfg.out_dir).some((e) => e.complete);
    o.log(`ablation: ${name} → ${cfg.out_dir}${resume ? " (continuing)" : ""}`);
    let divergedAt: number | null = null;
    try {
      train({ config: cfg, kernels: o.kernels, source, tokenizer: tokenizer.toJSON(), resume, log: o.log, progress: o.progress });
    } catch (e) {
      if (!(e instanceof TrainingError)) throw e;
      const m = /^step (\d+):/.exec(e.message);
      divergedAt = m ? Number(m[1]) : -1;
      o.log(`ablation: ${name} stopped: ${e.message.split(".")[0]}`);
    }
    const row = summarizeRun(name, recipe, cfg.out_dir);
    if (divergedAt === null) {
      // a NaN of an earlier invocation: the last train record then carries a non-finite loss
      const recs = readMetrics(join(cfg.out_dir, "metrics.jsonl"), { allowTornLastLine: true });
      const bad = recs.find((r) => r.type === "train" && r.abandoned === undefined && !Number.isFinite(r.loss as number));
      if (bad) divergedAt = bad.step as number;
    }
    row.divergedAt = divergedAt;
    rows.push(row);
  }
  return rows;
}

const f = (x: number | null, d = 3) => (x === null || !Number.isFinite(x) ? "—" : x.toFixed(d));

/** The summary as a Markdown table. */
export function ablationTable(rows: AblationRow[]): string {
  const head = "| run | steps | final train loss | held-out loss | loss spikes | grad-norm spikes | divergence warnings (first) | " +
    "max grad norm | max hidden RMS | max attention logit | diverged | time |";
  const lines = [head, "|---|---|---|---|---|---|---|---|---|---|---|---|"];
  for (const r of rows) {
    lines.push(`| ${r.name} | ${r.steps} | ${f(r.finalLoss)} | ${f(r.valLoss)} | ${r.lossSpikes} | ${r.gradSpikes} | ` +
      `${r.divergenceWarnings}${r.firstWarning !== null ? ` (step ${r.firstWarning})` : ""} | ${f(r.maxGradNorm, 2)} | ` +
      `${f(r.maxHiddenRms, 1)} | ${f(r.maxAttentionLogit, 1)} | ${r.divergedAt !== null ? `at step ${r.divergedAt}` : "no"} | ` +
      `${formatSeconds(r.seconds)} |`);
  }
  return lines.join("\n");
}

function formatSeconds(s: number): string {
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.round(s - 60 * m)).padStart(2, "0")}`;
}
