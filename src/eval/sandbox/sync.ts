/**
 * Running sandbox jobs from synchronous code: one supervisor process (supervisor.ts) per batch, which runs the
 * jobs concurrently under their limits and returns every result. The supervisor's own time limit is a last
 * resort well above the jobs' limits; the per-job limits are what normally ends a run.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { SandboxCapabilities } from "./probe.js";
import { DEFAULT_LIMITS, type SandboxJob, type SandboxLimits, type SandboxResult } from "./sandbox.js";

export interface SandboxBatch {
  results: SandboxResult[];
  capabilities: SandboxCapabilities;
}

export function runSandboxJobsSync(jobs: readonly SandboxJob[], limits: SandboxLimits = DEFAULT_LIMITS,
  concurrency = 2): SandboxBatch {
  const supervisor = fileURLToPath(new URL("./supervisor.js", import.meta.url));
  const c = Math.max(1, concurrency);
  const waves = Math.ceil(jobs.length / c);
  const r = spawnSync(process.execPath, [supervisor], {
    input: JSON.stringify({ jobs, limits, concurrency: c }),
    encoding: "utf8",
    maxBuffer: jobs.length * (limits.keepOutputBytes * 12 + 8192) + (1 << 20),
    timeout: waves * (limits.timeoutMs + 10_000) + 30_000,
    killSignal: "SIGKILL",
    env: process.env,
  });
  if (r.error) throw new Error(`sandbox supervisor failed: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`sandbox supervisor exited with status ${r.status}: ${r.stderr.trim().slice(0, 2000)}`);
  return JSON.parse(r.stdout) as SandboxBatch;
}
