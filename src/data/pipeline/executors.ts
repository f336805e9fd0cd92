/**
 * Executors. Local: every phase in order, its unfinished ranks spread over a pool of worker threads (all cores by
 * default); outputs do not depend on the number of workers because the work is split by ranks, fixed by the plan.
 * Array: one rank of one phase in this process, for a batch scheduler's job array (SLURM: one array job per
 * phase, each depending on the previous one); rank and world size from flags or SLURM_ARRAY_TASK_ID /
 * SLURM_ARRAY_TASK_COUNT.
 */
import { Worker } from "node:worker_threads";
import { cpus } from "node:os";
import { Progress, type ProgressStream } from "../../util/progress.js";
import { PlanError, incompleteRanks } from "./plan.js";
import { allComplete, checkDependencies, cleanWork, prepare, writeSummary, type Prepared } from "./prepare.js";
import { runTask } from "./task.js";
import type { Summary } from "./stats.js";
import type { BarrierStep } from "./step.js";
import { buildSteps } from "./config.js";

export interface LocalOptions {
  overrides?: string[];
  workers?: number | null;
  worldSize?: number | null;
  stream?: ProgressStream;
  log?: (message: string) => void;
}

export class TaskError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TaskError";
  }
}

/** Ranks of a phase that have work; the others are marked complete at once. */
function ranksWithWork(p: Prepared, phaseIndex: number): number {
  const ph = p.phases[phaseIndex];
  if (ph.kind === "stage") return p.plan.world_size;
  const b = buildSteps(p.pipeline)[ph.barrier!] as BarrierStep;
  return b.phases[ph.globalIndex!].tasks(p.plan.world_size);
}

export async function runLocal(path: string, o: LocalOptions = {}): Promise<{ prepared: Prepared; summary: Summary; ranTasks: number }> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  const p = prepare(path, o.overrides ?? [], o.worldSize ?? null);
  const W = p.plan.world_size;
  const nWorkers = Math.max(1, Math.min(o.workers ?? p.pipeline.config.executor.workers ?? cpus().length, W));
  let ranTasks = 0;
  let workers: Worker[] = [];
  const startWorkers = async () => {
    workers = await Promise.all(Array.from({ length: nWorkers }, () => new Promise<Worker>((resolve, reject) => {
      const w = new Worker(new URL("./worker.js", import.meta.url), { workerData: { path, overrides: o.overrides ?? [], worldSize: W } });
      const onMsg = (m: { type: string }) => {
        if (m.type === "ready") {
          w.off("message", onMsg);
          resolve(w);
        }
      };
      w.on("message", onMsg);
      w.once("error", reject);
    })));
  };
  try {
    for (const ph of p.phases) {
      const withWork = ranksWithWork(p, ph.index);
      const pending = incompleteRanks(p.pipeline.outDir, ph, W);
      if (pending.length === 0) continue;
      checkDependencies(p, ph.index);
      const working = pending.filter((r) => r < withWork);
      // ranks without work in a global phase complete in this thread
      for (const r of pending.filter((r) => r >= withWork)) await runTask(p.pipeline, p.plan, p.phases, ph.index, r);
      if (working.length === 0) continue;
      if (workers.length === 0) await startWorkers();
      ranTasks += working.length;
      await runPhase(p, ph.index, working, workers, o.stream, log);
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  const summary = writeSummary(p, (performance.now() - t0) / 1000);
  cleanWork(p);
  return { prepared: p, summary, ranTasks };
}

async function runPhase(p: Prepared, phaseIndex: number, ranks: number[], workers: Worker[], stream: ProgressStream | undefined,
  log: (m: string) => void): Promise<void> {
  const ph = p.phases[phaseIndex];
  const stage0 = ph.kind === "stage" && ph.stage === 0;
  const total = stage0 ? p.plan.files.filter((f) => ranks.includes(f.rank)).reduce((a, f) => a + f.bytes, 0) : null;
  const progress = new Progress({ label: ph.name, total: stage0 ? total : ranks.length, unit: stage0 ? "bytes" : "tasks", stream });
  const docs = new Map<number, number>();
  const bytes = new Map<number, number>();
  let done = 0;
  const queue = [...ranks];
  let failure: Error | null = null;
  const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const redraw = () => progress.update(stage0 ? sum(bytes) : done, { docs: sum(docs), tasks: `${done}/${ranks.length}` });
  await Promise.all(workers.map((w) => new Promise<void>((resolve) => {
    const next = () => {
      const rank = queue.shift();
      if (rank === undefined || failure) {
        w.off("message", onMsg);
        resolve();
        return;
      }
      w.postMessage({ type: "task", phase: phaseIndex, rank });
    };
    const onMsg = (m: { type: string; rank: number; docs: number; bytes: number; message: string; name: string; stack?: string }) => {
      if (m.type === "progress") {
        docs.set(m.rank, m.docs);
        bytes.set(m.rank, m.bytes);
        redraw();
      } else if (m.type === "log") {
        log(m.message);
      } else if (m.type === "done") {
        done++;
        redraw();
        next();
      } else if (m.type === "error") {
        failure ??= new TaskError(`phase ${ph.name}, rank ${m.rank} failed: ${m.name}: ${m.message}`);
        log(m.stack ?? m.message);
        next();
      }
    };
    w.on("message", onMsg);
    next();
  })));
  progress.finish(failure ? "failed" : undefined);
  if (failure) throw failure;
}

export interface ArrayOptions {
  overrides?: string[];
  rank: number;
  worldSize: number;
  /** phase name or index; null: the only phase, else an error listing them */
  phase: string | null;
  stream?: ProgressStream;
  log?: (message: string) => void;
}

/** Rank and world size from flags, falling back to SLURM's job-array variables. */
export function arrayRankFromEnv(rank: number | undefined, worldSize: number | undefined, env = process.env): { rank: number; worldSize: number } {
  const r = rank ?? (env.SLURM_ARRAY_TASK_ID !== undefined ? Number(env.SLURM_ARRAY_TASK_ID) - Number(env.SLURM_ARRAY_TASK_MIN ?? 0) : undefined);
  const w = worldSize ?? (env.SLURM_ARRAY_TASK_COUNT !== undefined ? Number(env.SLURM_ARRAY_TASK_COUNT) : undefined);
  if (r === undefined || w === undefined || !Number.isInteger(r) || !Number.isInteger(w)) {
    throw new PlanError("the array executor needs --rank and --world-size, or SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT in the environment");
  }
  if (r < 0 || r >= w) throw new PlanError(`rank ${r} is outside 0..${w - 1}`);
  return { rank: r, worldSize: w };
}

export async function runArrayTask(path: string, o: ArrayOptions): Promise<{ prepared: Prepared; ran: boolean; summary: Summary | null }> {
  const p = prepare(path, o.overrides ?? [], o.worldSize);
  let index: number;
  if (o.phase === null) {
    if (p.phases.length > 1) {
      throw new PlanError(`this pipeline has ${p.phases.length} phases; run them one after another with --phase ` +
        `(${p.phases.map((ph) => `${ph.index}=${ph.name}`).join(", ")}), each as its own job array depending on the previous one`);
    }
    index = 0;
  } else {
    const byName = p.phases.find((ph) => ph.name === o.phase);
    index = byName ? byName.index : /^\d+$/.test(o.phase) ? Number(o.phase) : -1;
    if (index < 0 || index >= p.phases.length) throw new PlanError(`unknown phase "${o.phase}"; phases: ${p.phases.map((ph) => `${ph.index}=${ph.name}`).join(", ")}`);
  }
  checkDependencies(p, index);
  const ph = p.phases[index];
  const progress = new Progress({ label: `${ph.name} rank ${o.rank}`, unit: "docs", stream: o.stream });
  const stats = await runTask(p.pipeline, p.plan, p.phases, index, o.rank, {
    progress: (docs) => progress.update(docs), log: o.log,
  });
  progress.finish(stats === null ? "already complete" : undefined);
  let summary: Summary | null = null;
  if (allComplete(p)) {
    summary = writeSummary(p, null);
    cleanWork(p);
  }
  return { prepared: p, ran: stats !== null, summary };
}
