/** Pieces every task evaluator uses: the examples to run, the number of shots, progress, and the result record. */
import type { EvalOptions, Task, TaskResult } from "../types.js";

export function limited<E>(examples: readonly E[], limit: number | null): E[] {
  return limit === null || limit >= examples.length ? [...examples] : examples.slice(0, Math.max(0, limit));
}

export function shotsFor(task: Task, o: EvalOptions): number {
  return o.shots ?? task.defaultShots ?? 0;
}

/** Splits work into chunks so progress can be reported between them (each chunk is one batched call). */
export function chunks<E>(items: readonly E[], size: number): E[][] {
  const out: E[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

export function makeResult(task: Task, n: number, shots: number, t0: number, metrics: Record<string, number>,
  stderr: Record<string, number> = {}, extra: Partial<TaskResult> = {}): TaskResult {
  const seconds = (performance.now() - t0) / 1000;
  const clean = (r: Record<string, number>) =>
    Object.fromEntries(Object.entries(r).filter(([, v]) => typeof v === "number" && !Number.isNaN(v)));
  return {
    task: task.name, kind: task.kind, proxy_of: task.proxyOf ?? null, source: task.source, n, shots,
    metrics: clean(metrics), stderr: clean(stderr), seconds, examples_per_s: seconds > 0 ? n / seconds : 0, ...extra,
  };
}
