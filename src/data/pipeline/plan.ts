/**
 * Phases, the file→rank plan, and completion markers.
 *
 * The steps are cut at every barrier (dedup) step into stages; a barrier contributes its global phases between
 * the stage that computes its signatures and the stage that starts with its filter:
 *   stage-0 (read → steps → signatures of barrier A) · A.phase1 · A.phase2 · stage-1 (filter A → steps → ...) ...
 * Every phase runs as `worldSize` ranks; a rank writes `completions/<phase>/rank-NNNNN` when done, so a relaunch
 * runs only unfinished ranks. The plan (which input file goes to which rank) is written once to plan.json; a
 * relaunch with another number of tasks, other input files or other steps is refused.
 */
import { createHash } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempPathFor, writeFileAtomic } from "../../util/atomic.js";
import type { InputFile } from "../readers/index.js";
import type { PipelineConfig } from "./config.js";
import type { Step } from "./step.js";

export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlanError";
  }
}

export interface Phase {
  index: number;
  /** "stage-0", "minhash.buckets", ... */
  name: string;
  kind: "stage" | "global";
  /** stage: the stage number; its transform steps are steps[from, to) */
  stage?: number;
  from?: number;
  to?: number;
  /** stage: the barrier whose filter starts it, and the barrier whose signatures end it (null: final output) */
  startBarrier?: number | null;
  endBarrier?: number | null;
  /** global: the barrier step and which of its phases */
  barrier?: number;
  globalIndex?: number;
}

export function compilePhases(steps: Step[]): Phase[] {
  const phases: Phase[] = [];
  let stage = 0;
  let from = 0;
  let startBarrier: number | null = null;
  for (let i = 0; i <= steps.length; i++) {
    const s = steps[i];
    if (i < steps.length && s.kind !== "barrier") continue;
    phases.push({ index: phases.length, name: `stage-${stage}`, kind: "stage", stage, from, to: i, startBarrier, endBarrier: i < steps.length ? i : null });
    if (i === steps.length) break;
    const b = s as Extract<Step, { kind: "barrier" }>;
    b.phases.forEach((g, gi) => phases.push({ index: phases.length, name: `${b.name}.${g.name}`, kind: "global", barrier: i, globalIndex: gi }));
    stage++;
    from = i + 1;
    startBarrier = i;
  }
  return phases;
}

export interface Plan {
  version: 1;
  pipeline: string;
  world_size: number;
  /** hash of the input, output and steps sections: what the outputs depend on */
  config_hash: string;
  phases: string[];
  files: { rel: string; bytes: number; format: string; rank: number }[];
}

/** Files per rank: largest first onto the least loaded rank (ties: lowest rank), then in name order. */
export function assignFiles(files: InputFile[], worldSize: number): number[] {
  const load = new Array(worldSize).fill(0);
  const rank = new Array(files.length).fill(0);
  const order = files.map((_, i) => i).sort((a, b) => files[b].bytes - files[a].bytes || a - b);
  for (const i of order) {
    let best = 0;
    for (let r = 1; r < worldSize; r++) if (load[r] < load[best]) best = r;
    rank[i] = best;
    load[best] += Math.max(1, files[i].bytes);
  }
  return rank;
}

export function configHash(c: PipelineConfig): string {
  const relevant = { input: c.input, output: { ...c.output, keep_work: undefined }, steps: c.steps };
  return createHash("sha256").update(JSON.stringify(relevant)).digest("hex").slice(0, 16);
}

export function defaultWorldSize(files: number): number {
  return Math.max(1, Math.min(files, 64));
}

export function makePlan(c: PipelineConfig, files: InputFile[], worldSize: number, phases: Phase[]): Plan {
  const ranks = assignFiles(files, worldSize);
  return {
    version: 1, pipeline: c.name, world_size: worldSize, config_hash: configHash(c), phases: phases.map((p) => p.name),
    files: files.map((f, i) => ({ rel: f.rel, bytes: f.bytes, format: f.format, rank: ranks[i] })),
  };
}

/**
 * Writes the plan if there is none (atomically, first writer wins: concurrent array tasks may race here), or
 * checks that the existing one matches. Returns the plan in force.
 */
export function ensurePlan(outDir: string, plan: Plan): Plan {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, "plan.json");
  if (!existsSync(path)) {
    const tmp = tempPathFor(path);
    writeFileSync(tmp, JSON.stringify(plan, null, 1) + "\n");
    try {
      linkSync(tmp, path); // fails if another task created it first
    } catch (e) {
      if ((e as { code?: string }).code !== "EEXIST") throw e;
    } finally {
      unlinkSync(tmp);
    }
  }
  const existing = JSON.parse(readFileSync(path, "utf8")) as Plan;
  if (existing.world_size !== plan.world_size) {
    throw new PlanError(`${outDir} was planned for ${existing.world_size} tasks (plan.json) but this launch has ${plan.world_size}; ` +
      `relaunch with ${existing.world_size} tasks (--world-size ${existing.world_size} or executor.tasks: ${existing.world_size}) to finish it, or use a new output folder`);
  }
  if (existing.config_hash !== plan.config_hash || existing.phases.join() !== plan.phases.join()) {
    throw new PlanError(`${outDir} holds a run of a different pipeline configuration (input, output or steps changed since plan.json was written); ` +
      `use a new output folder, or delete ${outDir} to start over`);
  }
  const a = existing.files.map((f) => `${f.rel}:${f.bytes}`).join("\n");
  const b = plan.files.map((f) => `${f.rel}:${f.bytes}`).join("\n");
  if (a !== b) {
    const before = new Set(existing.files.map((f) => f.rel));
    const now = new Set(plan.files.map((f) => f.rel));
    const added = [...now].filter((f) => !before.has(f));
    const removed = [...before].filter((f) => !now.has(f));
    const changed = plan.files.filter((f) => before.has(f.rel) && existing.files.find((g) => g.rel === f.rel)!.bytes !== f.bytes).map((f) => f.rel);
    throw new PlanError(`the input files changed since ${join(outDir, "plan.json")} was written ` +
      `(added: ${added.slice(0, 3).join(", ") || "none"}; removed: ${removed.slice(0, 3).join(", ") || "none"}; changed size: ${changed.slice(0, 3).join(", ") || "none"}); ` +
      `use a new output folder, or delete it to start over`);
  }
  return existing;
}

export function rankName(rank: number): string {
  return `rank-${String(rank).padStart(5, "0")}`;
}

export function phaseDir(p: Phase): string {
  return `${String(p.index).padStart(2, "0")}-${p.name}`;
}

export function completionPath(outDir: string, p: Phase, rank: number): string {
  return join(outDir, "completions", phaseDir(p), rankName(rank));
}

export function isComplete(outDir: string, p: Phase, rank: number): boolean {
  return existsSync(completionPath(outDir, p, rank));
}

export function markComplete(outDir: string, p: Phase, rank: number): void {
  const path = completionPath(outDir, p, rank);
  mkdirSync(join(outDir, "completions", phaseDir(p)), { recursive: true });
  writeFileAtomic(path, new Date().toISOString() + "\n");
}

export function incompleteRanks(outDir: string, p: Phase, worldSize: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < worldSize; r++) if (!isComplete(outDir, p, r)) out.push(r);
  return out;
}
