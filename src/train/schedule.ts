/**
 * The Warmup-Stable-Decay (WSD) learning-rate multiplier λ(s) of MiniCPM and YuLan-Mini (recipe spec §5), as a
 * pure function of s, the 0-based global optimizer step (the number of optimizer steps already taken; it is
 * restored from the checkpoint on resume, so a resumed run sees the same λ sequence). Each parameter group's
 * learning rate is its base lr × λ(s).
 *
 * Evaluation order:
 *  1. Decay window — if decay_start ≠ null and s ≥ decay_start:
 *       s' = min(s, clamp_step) when clamp_step ≠ null, else s
 *       p  = min(1, (s' − decay_start) / decay_steps)
 *       λ  = end + (start − end) · f(p), with f(p) =
 *              linear:      1 − p
 *              cosine:      (1 + cos πp) / 2
 *              1-sqrt:      1 − √p                      (Hägele et al. 2024; YuLan-Mini's annealing)
 *              exponential: 0.5^((min(s', decay_start + decay_steps) − decay_start) / half_life)   (MiniCPM)
 *     After the window (p = 1) λ holds its final value. The decay window takes precedence over warmup, so a
 *     decay that starts inside the warmup cuts it short.
 *  2. Warmup — else if s < warmup_steps: λ = s / warmup_steps. λ(0) = 0, as in Hugging Face's LambdaLR
 *     schedule that YuLan-Mini used: the very first update is taken with learning rate 0.
 *  3. Stable — else λ = 1.
 *
 * The exponential shape does not reach end_lambda at the end of the window (0.5^(decay_steps/half_life) of
 * the way remains); that is MiniCPM's definition.
 *
 * YuLan-Mini's clamp ("small hack for remaining steps", spec §5.3): its 1-sqrt window ran 243198 → 262198 but
 * the step count was clamped at 262000, so λ stops at 1 − √(18802/19000) ≈ 0.005224 instead of reaching 0.
 * Here clamp_step applies inside the decay window only (warmup happens once, long before).
 */
import { ConfigError, validate, type Schema } from "../util/schema.js";

export type DecayShape = "linear" | "cosine" | "exponential" | "1-sqrt";

export interface ScheduleConfig {
  warmup_steps: number;
  decay_start: number | null;
  decay_steps: number | null;
  decay_shape: DecayShape;
  start_lambda: number;
  end_lambda: number;
  half_life: number | null;
  clamp_step: number | null;
}

export type ScheduleConfigInput = Partial<ScheduleConfig>;

export const SCHEDULE_SCHEMA: Schema = {
  warmup_steps: { kind: "number", integer: true, min: 0, default: 0,
    doc: "linear warmup length in optimizer steps (λ = s/warmup_steps)" },
  decay_start: { kind: "number", integer: true, min: 0, nullable: true, default: null,
    doc: "global step where the decay begins (null: no decay)" },
  decay_steps: { kind: "number", integer: true, min: 1, nullable: true, default: null,
    doc: "length of the decay window in steps (required with decay_start)" },
  decay_shape: { kind: "enum", values: ["linear", "cosine", "exponential", "1-sqrt"], default: "1-sqrt",
    doc: "shape of the decay" },
  start_lambda: { kind: "number", min: 0, default: 1, doc: "λ at the start of the decay" },
  end_lambda: { kind: "number", min: 0, default: 0, doc: "λ the decay heads to" },
  half_life: { kind: "number", min: 0, exclusiveMin: true, nullable: true, default: null,
    doc: "half-life in steps of the exponential decay (required for exponential)" },
  clamp_step: { kind: "number", integer: true, min: 0, nullable: true, default: null,
    doc: "the step count used in the decay never exceeds this (YuLan-Mini: 262000)" },
};

/** Validates a schedule config (unknown keys, types, ranges, and the cross-field rules) and fills defaults. */
export function resolveSchedule(input: unknown, path = "schedule"): ScheduleConfig {
  const c = validate<ScheduleConfig>(input ?? {}, SCHEDULE_SCHEMA, path);
  const key = (k: string) => (path ? `${path}.${k}` : k);
  if (c.decay_start === null) {
    for (const k of ["decay_steps", "half_life", "clamp_step"] as const) {
      if (c[k] !== null) throw new ConfigError(`"${key(k)}" is set but "${key("decay_start")}" is null; set ` +
        `${key("decay_start")} to the step where the decay begins, or remove ${key(k)}`);
    }
    return c;
  }
  if (c.decay_steps === null) {
    throw new ConfigError(`"${key("decay_steps")}" is required when "${key("decay_start")}" is set ` +
      `(length of the decay window in steps, an integer ≥ 1)`);
  }
  if (c.decay_shape === "exponential" && c.half_life === null) {
    throw new ConfigError(`"${key("half_life")}" is required for decay_shape "exponential" ` +
      `(steps for λ to halve; MiniCPM-style)`);
  }
  if (c.decay_shape !== "exponential" && c.half_life !== null) {
    throw new ConfigError(`"${key("half_life")}" only applies to decay_shape "exponential", ` +
      `not "${c.decay_shape}"; remove it`);
  }
  if (c.clamp_step !== null && c.clamp_step < c.decay_start) {
    throw new ConfigError(`"${key("clamp_step")}" (${c.clamp_step}) must be ≥ "${key("decay_start")}" ` +
      `(${c.decay_start})`);
  }
  return c;
}

/** f(p) of the non-exponential shapes: the fraction of (start − end) that remains at progress p ∈ [0, 1]. */
function remaining(shape: Exclude<DecayShape, "exponential">, p: number): number {
  switch (shape) {
    case "linear":
      return 1 - p;
    case "cosine":
      return (1 + Math.cos(Math.PI * p)) / 2;
    case "1-sqrt":
      return 1 - Math.sqrt(p);
  }
}

/** λ(step): the learning-rate multiplier after `step` optimizer steps (see the file comment). */
export function lrMultiplier(step: number, cfg: ScheduleConfig): number {
  if (!Number.isInteger(step) || step < 0) {
    throw new RangeError(`lrMultiplier: step must be a non-negative integer, got ${step}`);
  }
  if (cfg.decay_start !== null && step >= cfg.decay_start) {
    const decaySteps = cfg.decay_steps;
    if (decaySteps === null) throw new ConfigError("schedule: decay_start is set without decay_steps");
    const s = cfg.clamp_step !== null ? Math.min(step, cfg.clamp_step) : step;
    const span = cfg.end_lambda - cfg.start_lambda;
    if (cfg.decay_shape === "exponential") {
      if (cfg.half_life === null) throw new ConfigError("schedule: exponential decay without half_life");
      const elapsed = Math.min(s, cfg.decay_start + decaySteps) - cfg.decay_start;
      return cfg.end_lambda - span * 0.5 ** (elapsed / cfg.half_life);
    }
    const p = Math.min(1, (s - cfg.decay_start) / decaySteps);
    return cfg.end_lambda - span * remaining(cfg.decay_shape, p);
  }
  if (step < cfg.warmup_steps) return step / cfg.warmup_steps;
  return 1;
}

/** A one-line human summary, e.g. for logs: "warmup 100 → stable → 1-sqrt decay 1→0 over steps 900–1000". */
export function describeSchedule(cfg: ScheduleConfig): string {
  const parts: string[] = [];
  if (cfg.warmup_steps > 0) parts.push(`warmup 0→1 over ${cfg.warmup_steps} steps`);
  if (cfg.decay_start === null) {
    parts.push("stable λ=1");
    return parts.join(" → ");
  }
  if (cfg.decay_start > 0) parts.push(`stable λ=1 until step ${cfg.decay_start}`);
  const end = cfg.decay_start + (cfg.decay_steps ?? 0);
  let decay = `${cfg.decay_shape} decay ${cfg.start_lambda}→${cfg.end_lambda}`;
  if (cfg.decay_shape === "exponential") decay += ` (half-life ${cfg.half_life} steps)`;
  decay += ` over steps ${cfg.decay_start}–${end}`;
  if (cfg.clamp_step !== null && cfg.clamp_step < end) {
    decay += `, clamped at step ${cfg.clamp_step} (final λ ${round(lrMultiplier(cfg.clamp_step, cfg))})`;
  }
  parts.push(decay);
  return parts.join(" → ");
}

function round(x: number): string {
  return Number(x.toPrecision(4)).toString();
}

/** YuLan-Mini's annealing schedule (phases 26–27, spec §5.3): 1-sqrt from step 243198 over 19000 steps, clamped at 262000. */
export function yulanMiniSchedule(): ScheduleConfig {
  return {
    warmup_steps: 0,
    decay_start: 243198,
    decay_steps: 19000,
    decay_shape: "1-sqrt",
    start_lambda: 1,
    end_lambda: 0,
    half_life: null,
    clamp_step: 262000,
  };
}
