/**
 * Code generation with executable tests: n completions per problem (greedy when n = 1, else sampled at the given
 * temperature), each run with the problem's tests in the sandbox; pass@k by the unbiased estimator, averaged over
 * problems, for every requested k ≤ n. Python problems need a Python interpreter; without one the task is
 * reported as skipped, never as failed.
 */
import type { EvalLM } from "../lm/model-lm.js";
import { mean, passAtK } from "../metrics.js";
import type { CodeExample, CodeTask, EvalOptions, TaskResult } from "../types.js";
import { limited, makeResult } from "./common.js";
import { programFor, runnerOf, type CodeProgram } from "../sandbox/programs.js";
import { describeProtections, sandboxCapabilities } from "../sandbox/probe.js";
import { DEFAULT_LIMITS, type SandboxLimits, type SandboxResult } from "../sandbox/sandbox.js";
import { runSandboxJobsSync, type SandboxBatch } from "../sandbox/sync.js";

export type CodeExecutor = (programs: CodeProgram[], limits: SandboxLimits) => SandboxBatch;

export const sandboxExecutor: CodeExecutor = (programs, limits) => runSandboxJobsSync(programs.map((p) => p.job), limits, 2);

export function passed(p: CodeProgram, r: SandboxResult): boolean {
  return r.status === "ok" && r.stdout.includes(p.marker);
}

function limitsFrom(o: EvalOptions): SandboxLimits {
  return { ...DEFAULT_LIMITS, timeoutMs: o.timeoutMs, memoryMb: o.memoryMb };
}

export function evaluateCode(lm: EvalLM, task: CodeTask, o: EvalOptions, execute: CodeExecutor = sandboxExecutor): TaskResult {
  const t0 = performance.now();
  const examples = limited(task.examples, o.limit);
  const caps = sandboxCapabilities();
  if (examples.some((e) => runnerOf(e) === "python") && !caps.python) {
    return {
      ...makeResult(task, 0, 0, t0, {}), skipped: "Python tasks need a Python interpreter: none at /usr/bin/python3 " +
        "(install python3 or set PRETRAIN_PYTHON)",
    };
  }
  const n = Math.max(1, o.samples);
  const temperature = n > 1 ? o.temperature : 0;
  const programs: { ex: CodeExample; p: CodeProgram; completion: string }[] = [];
  o.onProgress?.(task.name, 0, examples.length);
  examples.forEach((ex, i) => {
    const completions = lm.generate(ex.prompt, {
      stop: task.stop, maxTokens: o.maxTokens ?? task.maxTokens, samples: n, temperature, topK: 0, topP: 0.95,
      seed: `${o.seed}:${task.name}:${ex.id}`,
    });
    completions.forEach((c, s) => programs.push({ ex, p: programFor(`${ex.id}#${s}`, ex, c), completion: c }));
    o.onProgress?.(task.name, i + 1, examples.length);
  });
  const batch = execute(programs.map((x) => x.p), limitsFrom(o));
  const statuses: Record<string, number> = {};
  const passCount = new Map<string, number>();
  const samples: Record<string, unknown>[] = [];
  batch.results.forEach((r, i) => {
    const { ex, p, completion } = programs[i];
    const ok = passed(p, r);
    const status = ok ? "passed" : r.status === "ok" ? "incomplete" : r.status === "error" ? "failed" : r.status;
    statuses[status] = (statuses[status] ?? 0) + 1;
    passCount.set(ex.id, (passCount.get(ex.id) ?? 0) + (ok ? 1 : 0));
    if (o.logSamples) samples.push({ id: ex.id, sample: i % n, status, completion, stderr: r.stderr.slice(0, 500) });
  });
  const metrics: Record<string, number> = {};
  for (const k of o.passK.filter((k) => k <= n)) {
    metrics[`pass@${k}`] = mean(examples.map((ex) => passAtK(n, passCount.get(ex.id) ?? 0, k)));
  }
  const runners = [...new Set(examples.map(runnerOf))];
  return makeResult(task, examples.length, 0, t0, metrics, {}, {
    details: {
      samples_per_problem: n, temperature, statuses,
      sandbox: Object.fromEntries(runners.map((rn) => [rn, describeProtections(batch.capabilities, rn)])),
    },
    ...(o.logSamples ? { samples } : {}),
  });
}

/** Runs every problem's reference solution: the check that a code task set is sound (all should pass). */
export function checkCanonical(task: CodeTask, limits: SandboxLimits = DEFAULT_LIMITS,
  execute: CodeExecutor = sandboxExecutor): { id: string; passed: boolean; status: string; stderr: string }[] {
  const programs = task.examples.map((ex) => programFor(ex.id, ex, ex.canonical));
  const batch = execute(programs, limits);
  return batch.results.map((r, i) => ({
    id: task.examples[i].id, passed: passed(programs[i], r), status: r.status, stderr: r.stderr.slice(0, 1000),
  }));
}
