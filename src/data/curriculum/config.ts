/**
 * The `curriculum` section of a run configuration: the phases (phases.ts), how many passes over each domain's data
 * are allowed, and the optional automatic mixture rule. Validated here; the plan (plan.ts) turns it into steps.
 */
import { ConfigError, validate, type Schema } from "../../util/schema.js";
import { resolvePhases, type PhaseConfig } from "./phases.js";

export interface AutoMixtureConfig {
  /** adjust the next phase's mixture from per-domain held-out loss (off by default; docs/curriculum.md) */
  enabled: boolean;
  /** how far a domain's share moves toward its loss-weighted share, 0–1 */
  strength: number;
  /** no domain's share falls below this fraction of its declared share */
  min_share: number;
}

export interface CurriculumConfig {
  phases: PhaseConfig[];
  /** passes over a domain's data allowed (default 1: never repeat) */
  max_epochs: Record<string, number>;
  auto_mixture: AutoMixtureConfig;
}

const CURRICULUM_SCHEMA: Schema = {
  phases: { kind: "any", doc: "list of phases" },
  max_epochs: { kind: "any", default: {}, doc: "domain → passes over its data allowed (default 1)" },
  auto_mixture: { kind: "any", default: {}, doc: "automatic mixture adjustment between phases" },
};

const AUTO_SCHEMA: Schema = {
  enabled: { kind: "boolean", default: false, doc: "adjust each next phase's mixture from per-domain held-out loss" },
  strength: { kind: "number", min: 0, max: 1, default: 0.5, doc: "0: keep the declared mixture; 1: fully loss-weighted" },
  min_share: { kind: "number", min: 0, max: 1, default: 0.5, doc: "floor as a fraction of the declared share" },
};

export function resolveCurriculum(input: unknown, path = "curriculum"): CurriculumConfig {
  const raw = validate<Record<string, unknown>>(input, CURRICULUM_SCHEMA, path);
  const epochs = raw.max_epochs as unknown;
  if (epochs === null || typeof epochs !== "object" || Array.isArray(epochs)) {
    throw new ConfigError(`${path}.max_epochs must map domain names to a number of passes`);
  }
  for (const [d, v] of Object.entries(epochs as Record<string, unknown>)) {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
      throw new ConfigError(`${path}.max_epochs.${d}: ${JSON.stringify(v)} is not a whole number of passes ≥ 1`);
    }
  }
  const auto = validate<AutoMixtureConfig>(raw.auto_mixture, AUTO_SCHEMA, `${path}.auto_mixture`);
  return {
    phases: resolvePhases(raw.phases, `${path}.phases`),
    max_epochs: { ...(epochs as Record<string, number>) },
    auto_mixture: auto,
  };
}
