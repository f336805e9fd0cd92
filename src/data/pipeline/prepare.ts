/** Everything an executor needs before running tasks: the loaded pipeline, its phases and the plan in force. */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../util/atomic.js";
import { listInputFiles } from "../readers/index.js";
import { buildSteps, loadPipeline, type LoadedPipeline } from "./config.js";
import { compilePhases, defaultWorldSize, ensurePlan, incompleteRanks, makePlan, PlanError, type Phase, type Plan } from "./plan.js";
import { formatSummary, mergeStats, type Summary } from "./stats.js";
import type { BarrierStep } from "./step.js";

export interface Prepared {
  pipeline: LoadedPipeline;
  phases: Phase[];
  plan: Plan;
  stepNames: string[];
}

/**
 * Loads the pipeline and writes or checks the plan. `worldSize` (from the command line or the scheduler) wins
 * over executor.tasks; without either, an existing plan's size is used, else one task per file (at most 64).
 */
export function prepare(path: string, overrides: string[], worldSize: number | null): Prepared {
  const pipeline = loadPipeline(path, overrides);
  const steps = buildSteps(pipeline);
  const phases = compilePhases(steps);
  const files = listInputFiles(pipeline.config.input, pipeline.baseDir);
  if (files.length === 0) throw new PlanError(`no input files found under ${pipeline.config.input.paths.join(", ")} (formats: jsonl, parquet, text with ${pipeline.config.input.text_extensions.join(" ")})`);
  let w = worldSize ?? pipeline.config.executor.tasks;
  if (w === null) {
    const existing = join(pipeline.outDir, "plan.json");
    w = existsSync(existing) ? (JSON.parse(readFileSync(existing, "utf8")) as Plan).world_size : defaultWorldSize(files.length);
  }
  const plan = ensurePlan(pipeline.outDir, makePlan(pipeline.config, files, w, phases));
  writeFileAtomic(join(pipeline.outDir, "pipeline.json"), JSON.stringify({ path: pipeline.path, config: pipeline.config }, null, 1) + "\n");
  return { pipeline, phases, plan, stepNames: steps.map((s) => s.name) };
}

/** The phases' needs: a phase may start only when every rank of the phase before it is complete. */
export function checkDependencies(p: Prepared, phaseIndex: number): void {
  if (phaseIndex === 0) return;
  const before = p.phases[phaseIndex - 1];
  const missing = incompleteRanks(p.pipeline.outDir, before, p.plan.world_size);
  if (missing.length > 0) {
    throw new PlanError(`phase ${p.phases[phaseIndex].name} needs phase ${before.name} complete on every rank; ` +
      `missing ranks: ${missing.slice(0, 10).join(", ")}${missing.length > 10 ? ` and ${missing.length - 10} more` : ""}`);
  }
}

export function allComplete(p: Prepared): boolean {
  return p.phases.every((ph) => incompleteRanks(p.pipeline.outDir, ph, p.plan.world_size).length === 0);
}

/** Merges the stats of every task into stats.json and returns the summary. */
export function writeSummary(p: Prepared, wallSeconds: number | null): Summary {
  const s = mergeStats(p.pipeline.outDir, p.plan.pipeline, p.plan.world_size, p.stepNames, wallSeconds);
  writeFileAtomic(join(p.pipeline.outDir, "stats.json"), JSON.stringify(s, null, 1) + "\n");
  writeFileAtomic(join(p.pipeline.outDir, "summary.txt"), formatSummary(s));
  return s;
}

/** Removes intermediate files once every phase is complete (unless output.keep_work). */
export function cleanWork(p: Prepared): void {
  if (!p.pipeline.config.output.keep_work && allComplete(p)) rmSync(join(p.pipeline.outDir, "work"), { recursive: true, force: true });
}

export function describePhases(p: Prepared): string {
  const steps = buildSteps(p.pipeline);
  return p.phases.map((ph) => {
    if (ph.kind === "stage") {
      const names = steps.slice(ph.from!, ph.to!).map((s) => s.name);
      if (ph.startBarrier != null) names.unshift(`${steps[ph.startBarrier].name} (filter)`);
      if (ph.endBarrier != null) names.push(`${steps[ph.endBarrier].name} (signatures)`);
      return `${ph.index}  ${ph.name.padEnd(22)} ${ph.stage === 0 ? "read → " : "intermediate → "}${names.join(" → ")}${ph.endBarrier == null ? " → output" : ""}`;
    }
    const b = steps[ph.barrier!] as BarrierStep;
    const g = b.phases[ph.globalIndex!];
    return `${ph.index}  ${ph.name.padEnd(22)} global work of ${b.name} on ${g.tasks(p.plan.world_size)} of ${p.plan.world_size} ranks`;
  }).join("\n");
}
