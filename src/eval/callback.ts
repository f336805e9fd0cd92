/**
 * In-training evaluation: a TrainerCallback that runs chosen tasks every N optimizer steps on the model being
 * trained and writes one record per task into the run's metrics file:
 *   {"type": "eval_task", "step": 500, "task": "proxy-cloze-book", "kind": "cloze", "n": 100, "shots": 0,
 *    "seconds": 3.2, "examples_per_s": 31, "acc": 0.12, "ppl": 950.1, ...}
 * Evaluation only reads the weights (its activations, KV cache and RNG are its own), so it does not change the
 * training run: a run with evaluation follows the same trajectory as one without, and resumes the same way.
 *
 * Run configuration section (validated by EVALUATION_SCHEMA):
 *   evaluation:
 *     every: 500                        # steps between evaluations (0 = off)
 *     tasks: [proxy-cloze-book, proxy-wordnet-mc, proxy-ppl]
 *     limit: 100                        # examples per task (null = all)
 *     shots: null                       # null = each task's default
 *     seed: 1234
 *     max_tokens: null                  # generation budget override
 *     proxy_dir: null                   # read proxies from a build-proxies folder instead of building them
 */
import type { Model } from "../model/model.js";
import type { Tokenizer } from "../tokenizer/index.js";
import type { StepContext, TrainerCallback } from "../train/trainer.js";
import type { MetricRecord } from "../util/metrics.js";
import { validate, type Schema } from "../util/schema.js";
import { evaluateTask } from "./harness.js";
import { ModelLM } from "./lm/model-lm.js";
import { resolveTasks } from "./registry.js";
import type { Task, TaskResult } from "./types.js";

export interface EvaluationConfig {
  every: number;
  tasks: string[];
  limit: number | null;
  shots: number | null;
  seed: number;
  max_tokens: number | null;
  proxy_dir: string | null;
}

export const EVALUATION_SCHEMA: Schema = {
  every: { kind: "number", integer: true, min: 0, default: 0, doc: "optimizer steps between evaluations (0 = off)" },
  tasks: {
    kind: "strings", default: ["proxy-cloze-book", "proxy-wordnet-mc", "proxy-ppl"],
    doc: "task specifications, as for `pretrain eval --tasks`",
  },
  limit: { kind: "number", integer: true, min: 1, nullable: true, default: 100, doc: "examples per task (null = all)" },
  shots: { kind: "number", integer: true, min: 0, nullable: true, default: null, doc: "few-shot examples (null = each task's default)" },
  seed: { kind: "number", integer: true, default: 1234, doc: "seed of few-shot selection and sampling" },
  max_tokens: { kind: "number", integer: true, min: 1, nullable: true, default: null, doc: "override of each generative task's new-token budget" },
  proxy_dir: { kind: "string", nullable: true, default: null as unknown as string, doc: "folder written by `pretrain eval build-proxies` (null = build in memory)" },
};

export function resolveEvaluationConfig(input: unknown = {}, path = "evaluation"): EvaluationConfig {
  const c = validate<EvaluationConfig>(input ?? {}, EVALUATION_SCHEMA, path);
  return { ...c, tasks: [...c.tasks] };
}

/** One metrics-file record of a task result. */
export function evalRecord(step: number, r: TaskResult): MetricRecord {
  const rec: MetricRecord = {
    type: "eval_task", step, task: r.task, kind: r.kind, n: r.n, shots: r.shots, seconds: r.seconds,
    examples_per_s: r.examples_per_s,
  };
  if (r.proxy_of) rec.proxy_of = r.proxy_of;
  if (r.skipped) rec.skipped = r.skipped;
  for (const [k, v] of Object.entries(r.metrics)) rec[k] = v;
  return rec;
}

export class EvalCallback implements TrainerCallback {
  readonly name = "evaluation";
  private tasks: Task[] | null = null;
  private lms = new WeakMap<Model, ModelLM>();

  constructor(readonly config: EvaluationConfig, private readonly tokenizer: Tokenizer,
    private readonly message: (m: string) => void = () => {}) {}

  onStepEnd(ctx: StepContext): void {
    if (this.config.every > 0 && ctx.step % this.config.every === 0) this.evaluate(ctx.model, ctx.step, (r) => ctx.log(r));
  }

  /** Runs every task now (also usable at the end of training) and logs one record per task. */
  evaluate(model: Model, step: number, log: (record: MetricRecord) => void): TaskResult[] {
    this.tasks ??= resolveTasks(this.config.tasks, this.config.proxy_dir ? { proxyDir: this.config.proxy_dir } : {});
    let lm = this.lms.get(model);
    if (!lm) {
      lm = new ModelLM(model, this.tokenizer);
      this.lms.set(model, lm);
    }
    const results: TaskResult[] = [];
    for (const t of this.tasks) {
      const r = evaluateTask(lm, t, {
        limit: this.config.limit, shots: this.config.shots, seed: this.config.seed, maxTokens: this.config.max_tokens,
      });
      log(evalRecord(step, r));
      const main = Object.entries(r.metrics).filter(([k]) => !k.includes("/")).slice(0, 3)
        .map(([k, v]) => `${k}=${v.toFixed(4)}`).join(" ");
      this.message(`eval step ${step}: ${r.task} ${r.skipped ? `skipped (${r.skipped})` : main} (${r.seconds.toFixed(1)} s)`);
      results.push(r);
    }
    return results;
  }
}
