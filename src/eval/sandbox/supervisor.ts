/**
 * The sandbox supervisor: a separate Node process that runs a batch of sandbox jobs and prints their results as
 * JSON. It lets synchronous code (the training loop's callbacks, the synchronous harness) run untrusted programs
 * with the asynchronous machinery of sandbox.ts: the caller blocks on this process (sync.ts), which enforces
 * every per-job limit itself.
 *
 * stdin: {"jobs": SandboxJob[], "limits": SandboxLimits, "concurrency": number}
 * stdout: {"results": SandboxResult[], "capabilities": SandboxCapabilities}
 */
import { sandboxCapabilities } from "./probe.js";
import { runSandboxJobs, type SandboxJob, type SandboxLimits } from "./sandbox.js";

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const input = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
    jobs: SandboxJob[]; limits: SandboxLimits; concurrency: number;
  };
  const capabilities = sandboxCapabilities();
  const results = await runSandboxJobs(input.jobs, input.limits, input.concurrency, capabilities);
  process.stdout.write(JSON.stringify({ results, capabilities }));
}

main().catch((e: unknown) => {
  process.stderr.write(`sandbox supervisor: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exitCode = 1;
});
