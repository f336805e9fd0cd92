/**
 * The plan of a run configuration, as `pretrain plan` prints it: the model, the phases with their steps, tokens,
 * batch shape, RoPE θ and FLOPs, the totals, memory per device and a time estimate.
 */
import type { RunConfig } from "../train/config.js";
import { runPlan } from "../train/config.js";
import { planCurriculum, type CurriculumPlan } from "../data/curriculum/plan.js";
import { resolvePhases } from "../data/curriculum/phases.js";
import { parameterCount } from "../model/layout.js";
import { formatBytes, memoryEstimate, sixNFlopsPerToken, yulanFlopsPerToken } from "./estimate.js";
import { lrMultiplier } from "../train/schedule.js";

export interface PhaseRow {
  name: string;
  firstStep: number;
  lastStep: number;
  steps: number;
  tokens: number;
  rows: number;
  seq: number;
  ropeTheta: number;
  anneal: boolean;
  /** learning-rate multiplier at the phase's first and last step */
  lrStart: number;
  lrEnd: number;
  /** FLOPs by the spec §13 formula at the phase's sequence length */
  flops: number;
  domains: number;
}

export interface RunPlanReport {
  parameters: number;
  /** FLOPs per token at the first phase's sequence length, both formulas */
  flopsPerToken: { yulan: number; sixN: number; seq: number };
  phases: PhaseRow[];
  totals: { steps: number; tokens: number; flops: number; flops6N: number };
  decayStart: number | null;
  /** memory per device for one micro-batch of the largest phase shape divided over `devices` */
  memory: { devices: number; rowsPerDevice: number; seq: number; weightsAndOptimizer: number; activations: number; total: number };
  time: { tokensPerSecond: number | null; seconds: number | null; flopsPerSecond: number | null };
  /** curriculum.auto_mixture when enabled: the mixtures after the first phase are adjusted at run time */
  autoMixture: { strength: number; min_share: number } | null;
}

export interface PlanOptions {
  /** devices the rows of a micro-batch are spread over (data parallel) */
  devices: number;
  /** achieved training throughput, tokens/s over all devices (for the time estimate) */
  tokensPerSecond?: number;
  /** achieved FLOP/s over all devices by the §13 formula (for the time estimate) */
  flopsPerSecond?: number;
}

function planOf(cfg: RunConfig): CurriculumPlan {
  const plan = runPlan(cfg);
  if (plan) return plan;
  const phases = resolvePhases([{ name: "train", tokens: cfg.train.steps * cfg.train.batch_size * cfg.train.seq_len * cfg.train.grad_accum, mixture: { data: 1 } }]);
  return planCurriculum(phases, { seq_len: cfg.train.seq_len, batch_size: cfg.train.batch_size, grad_accum: cfg.train.grad_accum, rope_theta: cfg.model.rope_theta });
}

export function planReport(cfg: RunConfig, o: PlanOptions): RunPlanReport {
  const plan = planOf(cfg);
  const c = cfg.model;
  const phases: PhaseRow[] = plan.phases.map((p) => ({
    name: p.name, firstStep: p.startStep + 1, lastStep: p.endStep, steps: p.steps, tokens: p.tokens, rows: p.rows, seq: p.seq,
    ropeTheta: p.ropeTheta, anneal: p.anneal, lrStart: lrMultiplier(p.startStep, cfg.schedule), lrEnd: lrMultiplier(p.endStep - 1, cfg.schedule),
    flops: p.tokens * yulanFlopsPerToken(c, p.seq), domains: Object.keys(p.domainTokens).length,
  }));
  const totals = {
    steps: plan.totalSteps, tokens: plan.totalTokens, flops: phases.reduce((a, p) => a + p.flops, 0),
    flops6N: plan.phases.reduce((a, p) => a + p.tokens * sixNFlopsPerToken(c, p.seq), 0),
  };
  const widest = plan.phases.reduce((a, p) => (p.rows * p.seq > a.rows * a.seq ? p : a));
  const rowsPerDevice = Math.ceil(widest.rows / o.devices);
  const mem = memoryEstimate(c, rowsPerDevice, widest.seq);
  let seconds: number | null = null;
  if (o.tokensPerSecond) seconds = totals.tokens / o.tokensPerSecond;
  else if (o.flopsPerSecond) seconds = totals.flops / o.flopsPerSecond;
  return {
    parameters: parameterCount(c),
    flopsPerToken: { yulan: yulanFlopsPerToken(c, plan.phases[0].seq), sixN: sixNFlopsPerToken(c, plan.phases[0].seq), seq: plan.phases[0].seq },
    phases, totals, decayStart: cfg.schedule.decay_start,
    memory: { devices: o.devices, rowsPerDevice, seq: widest.seq, ...mem },
    time: { tokensPerSecond: o.tokensPerSecond ?? null, seconds, flopsPerSecond: o.flopsPerSecond ?? null },
    autoMixture: cfg.curriculum?.auto_mixture.enabled
      ? { strength: cfg.curriculum.auto_mixture.strength, min_share: cfg.curriculum.auto_mixture.min_share } : null,
  };
}

const si = (x: number, unit = ""): string => {
  const p = [[1e18, "E"], [1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]] as const;
  for (const [v, s] of p) if (Math.abs(x) >= v) return `${(x / v).toFixed(x / v >= 100 ? 0 : 2)}${s}${unit}`;
  return `${x.toFixed(0)}${unit}`;
};

function duration(s: number): string {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.round((s % 3600) / 60);
  return d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : `${Math.max(1, m)} min`;
}

export function formatPlan(r: RunPlanReport): string {
  const lines = [
    `parameters: ${r.parameters.toLocaleString("en-US")} (${si(r.parameters)})`,
    `FLOPs per token at ${r.flopsPerToken.seq} tokens: ${r.flopsPerToken.yulan.toExponential(3)} by YuLan-Mini's formula ` +
      `(spec §13: 24·l·h² + 18·l·h·f + 16·s·l·h + 6·h·V, used below); ${r.flopsPerToken.sixN.toExponential(3)} by 6·N + 6·l·s·h`,
    "",
    "| phase | steps | tokens | rows × seq | RoPE θ | lr multiplier | domains | FLOPs |",
    "|---|---|---|---|---|---|---|---|",
    ...r.phases.map((p) => `| ${p.name}${p.anneal && !/anneal/i.test(p.name) ? " (anneal)" : ""} | ${p.firstStep}–${p.lastStep} (${p.steps}) | ${si(p.tokens)} | ` +
      `${p.rows} × ${p.seq} | ${p.ropeTheta} | ${p.lrStart.toFixed(3)} → ${p.lrEnd.toFixed(3)} | ${p.domains} | ${p.flops.toExponential(2)} |`),
    "",
    `total: ${r.totals.steps.toLocaleString("en-US")} steps, ${r.totals.tokens.toLocaleString("en-US")} tokens (${si(r.totals.tokens)}), ` +
      `${r.totals.flops.toExponential(3)} FLOPs (${r.totals.flops6N.toExponential(3)} by 6·N + attention)` +
      (r.decayStart !== null ? `; the learning-rate decay starts at step ${r.decayStart + 1}` : ""),
    `memory per device (float32 weights, gradients and Adam moments + activations of ${r.memory.rowsPerDevice} rows × ${r.memory.seq} tokens, ` +
      `${r.memory.devices} device${r.memory.devices === 1 ? "" : "s"}): ${formatBytes(r.memory.weightsAndOptimizer)} + ` +
      `${formatBytes(r.memory.activations)} = ${formatBytes(r.memory.total)}`,
  ];
  if (r.autoMixture && r.phases.length > 1) {
    lines.push(`mixtures: curriculum.auto_mixture is on (strength ${r.autoMixture.strength}, min_share ${r.autoMixture.min_share}): ` +
      "every phase after the first has its mixture adjusted at run time from the held-out loss per domain (steps and tokens as above)");
  }
  if (r.time.seconds !== null) {
    lines.push(`time: ${duration(r.time.seconds)} at ${r.time.tokensPerSecond ? `${si(r.time.tokensPerSecond)} tokens/s` : `${si(r.time.flopsPerSecond!, "FLOP/s")}`}`);
  } else lines.push("time: give --tokens-per-second or --flops-per-second for an estimate");
  return lines.join("\n") + "\n";
}
