/**
 * Curriculum phases: each sets a token budget and a mixture across domains, and may change the sequence length,
 * the rows per micro-batch, RoPE θ (context extension), document masking in packed rows, and where the
 * learning-rate decay starts (the decay may span phases, as YuLan-Mini's 1−√ decay spans phases 26–27).
 */
import { ConfigError, validate, type Schema } from "../../util/schema.js";

export interface PhaseConfig {
  name: string;
  /** token budget of the phase (tokens fed to the model, rows × seq_len per row) */
  tokens: number;
  /**
   * Domain → share. With mixture_unit "ratio" the shares are normalized; with "tokens" they are token counts
   * (as YuLan-Mini's phase files list them) and their sum must equal `tokens` within 1%.
   */
  mixture: Record<string, number>;
  mixture_unit: "ratio" | "tokens";
  /** null: keep the previous phase's value (the first phase takes the run's) */
  seq_len: number | null;
  batch_size: number | null;
  rope_theta: number | null;
  /** mask attention between documents packed in one row */
  doc_mask: boolean;
  /** with doc_mask: restart RoPE positions at each document */
  reset_positions: boolean;
  /** start the learning-rate decay window at this phase's first step */
  decay_starts: boolean;
  /** a phase of the annealing stage (for reports; the schedule and mixture make it one) */
  anneal: boolean;
}

const PHASE_SCHEMA: Schema = {
  name: { kind: "string", doc: "phase name" },
  tokens: { kind: "number", min: 1, doc: "token budget of the phase" },
  mixture: { kind: "any", doc: "domain → share (ratio or tokens)" },
  mixture_unit: { kind: "enum", values: ["ratio", "tokens"], default: "ratio", doc: "how mixture values are read" },
  seq_len: { kind: "number", integer: true, min: 1, nullable: true, default: null, doc: "sequence length (null: previous)" },
  batch_size: { kind: "number", integer: true, min: 1, nullable: true, default: null, doc: "rows per micro-batch (null: previous)" },
  rope_theta: { kind: "number", min: 1, nullable: true, default: null, doc: "RoPE base (null: previous)" },
  doc_mask: { kind: "boolean", default: false, doc: "mask attention across documents in a row" },
  reset_positions: { kind: "boolean", default: false, doc: "restart positions at each document (needs doc_mask)" },
  decay_starts: { kind: "boolean", default: false, doc: "the lr decay window starts at this phase" },
  anneal: { kind: "boolean", default: false, doc: "part of the annealing stage" },
};

export function resolvePhases(input: unknown, path = "phases"): PhaseConfig[] {
  if (!Array.isArray(input) || input.length === 0) throw new ConfigError(`${path} must be a non-empty list of phases`);
  const names = new Set<string>();
  return input.map((raw, i) => {
    const p = validate<PhaseConfig>(raw, PHASE_SCHEMA, `${path}[${i}]`);
    if (names.has(p.name)) throw new ConfigError(`${path}[${i}].name "${p.name}" is used twice`);
    names.add(p.name);
    const m = p.mixture as unknown;
    if (m === null || typeof m !== "object" || Array.isArray(m) || Object.keys(m).length === 0) {
      throw new ConfigError(`${path}[${i}].mixture must map domain names to shares, got ${JSON.stringify(m)}`);
    }
    for (const [d, v] of Object.entries(m as Record<string, unknown>)) {
      if (typeof v !== "number" || !(v >= 0) || !Number.isFinite(v)) {
        throw new ConfigError(`${path}[${i}].mixture.${d}: ${JSON.stringify(v)} is not a non-negative number`);
      }
    }
    const total = Object.values(p.mixture).reduce((a, b) => a + b, 0);
    if (!(total > 0)) throw new ConfigError(`${path}[${i}].mixture sums to 0`);
    if (p.mixture_unit === "tokens" && Math.abs(total - p.tokens) > 0.01 * p.tokens) {
      throw new ConfigError(`${path}[${i}]: the mixture lists ${total} tokens but the phase budget is ${p.tokens}`);
    }
    if (p.reset_positions && !p.doc_mask) throw new ConfigError(`${path}[${i}].reset_positions needs doc_mask: true`);
    return p;
  });
}

/** Normalized shares of a phase, in sorted domain order (zero shares dropped). */
export function shares(p: PhaseConfig): [string, number][] {
  const total = Object.values(p.mixture).reduce((a, b) => a + b, 0);
  return Object.keys(p.mixture).sort().filter((d) => p.mixture[d] > 0).map((d) => [d, p.mixture[d] / total]);
}

/**
 * The automatic mixture rule (docs/curriculum.md). `declared`: a phase's normalized shares (as shares() gives
 * them); `losses`: held-out loss per domain. Over the domains M with a share s_d > 0 and a finite loss L_d, the
 * loss-weighted share is q_d = S·s_d·L_d / Σ_{e∈M} s_e·L_e, where S = Σ_{e∈M} s_e (the measured domains' part of
 * the mixture, 1 when every domain has held-out data); the new share is (1 − strength)·s_d + strength·q_d, floored
 * at min_share·s_d. Domains without a loss keep s_d. All shares are then divided by their sum. Returned in the
 * order of `declared`; strength 0 returns the declared shares unchanged.
 */
export function autoShares(declared: [string, number][], losses: Record<string, number>, strength: number,
  minShare: number): [string, number][] {
  const measured = declared.filter(([d, s]) => s > 0 && Number.isFinite(losses[d]) && losses[d] >= 0);
  const mass = measured.reduce((a, [, s]) => a + s, 0);
  const weighted = measured.reduce((a, [d, s]) => a + s * losses[d], 0);
  if (strength === 0 || measured.length === 0 || !(weighted > 0)) return declared.map(([d, s]) => [d, s]);
  const next: [string, number][] = declared.map(([d, s]) => {
    if (!(s > 0 && Number.isFinite(losses[d]) && losses[d] >= 0)) return [d, s];
    const q = (mass * s * losses[d]) / weighted;
    return [d, Math.max((1 - strength) * s + strength * q, minShare * s)];
  });
  const total = next.reduce((a, [, s]) => a + s, 0);
  return next.map(([d, s]) => [d, s / total]);
}
