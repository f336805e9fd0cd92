/**
 * The plan of a curriculum: where each phase starts and ends in global optimizer steps, how many tokens it feeds,
 * and its per-domain token targets. Steps per phase = ⌈tokens / tokens per step⌉ (as YuLan-Mini's trainer set
 * max_steps per phase), so a phase feeds at least its budget.
 */
import type { PhaseConfig } from "./phases.js";
import { shares } from "./phases.js";

export interface PhasePlan {
  index: number;
  name: string;
  startStep: number;
  /** exclusive */
  endStep: number;
  steps: number;
  rows: number;
  seq: number;
  ropeTheta: number;
  tokensPerStep: number;
  /** tokens actually fed: steps × tokens per step */
  tokens: number;
  domainTokens: Record<string, number>;
  docMask: boolean;
  resetPositions: boolean;
  anneal: boolean;
  decayStarts: boolean;
}

export interface CurriculumPlan {
  phases: PhasePlan[];
  totalSteps: number;
  totalTokens: number;
  /** first step of the decay window when a phase starts it, else null */
  decayStart: number | null;
  maxSeq: number;
}

export interface PlanDefaults {
  seq_len: number;
  batch_size: number;
  grad_accum: number;
  rope_theta: number;
}

export function planCurriculum(phases: PhaseConfig[], d: PlanDefaults): CurriculumPlan {
  let seq = d.seq_len;
  let rows = d.batch_size;
  let theta = d.rope_theta;
  let step = 0;
  let decayStart: number | null = null;
  const out: PhasePlan[] = [];
  phases.forEach((p, index) => {
    seq = p.seq_len ?? seq;
    rows = p.batch_size ?? rows;
    theta = p.rope_theta ?? theta;
    const tokensPerStep = rows * seq * d.grad_accum;
    const steps = Math.ceil(p.tokens / tokensPerStep);
    const tokens = steps * tokensPerStep;
    if (p.decay_starts && decayStart === null) decayStart = step;
    out.push({
      index, name: p.name, startStep: step, endStep: step + steps, steps, rows, seq, ropeTheta: theta, tokensPerStep, tokens,
      domainTokens: Object.fromEntries(shares(p).map(([dom, s]) => [dom, s * tokens])),
      docMask: p.doc_mask, resetPositions: p.reset_positions, anneal: p.anneal, decayStarts: p.decay_starts,
    });
    step += steps;
  });
  return {
    phases: out, totalSteps: step, totalTokens: out.reduce((a, p) => a + p.tokens, 0), decayStart,
    maxSeq: Math.max(...out.map((p) => p.seq)),
  };
}

/** The phase a (0-based) global step belongs to; steps past the end belong to the last phase. */
export function phaseAt(plan: CurriculumPlan, step: number): PhasePlan {
  for (const p of plan.phases) if (step < p.endStep) return p;
  return plan.phases[plan.phases.length - 1];
}
