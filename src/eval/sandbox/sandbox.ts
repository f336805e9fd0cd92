/**
 * Runs untrusted generated code (a Node or Python program with its tests) in a separate process with every
 * protection the machine offers (probe.ts), and always comes back with a result: the harness survives infinite
 * loops, fork bombs, huge outputs, allocation bombs and crashes of the child, and leaves nothing behind.
 */
import { spawn } from "node:child_process";
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sandboxCapabilities, unshareArgs, type SandboxCapabilities } from "./probe.js";

export type Runner = "node" | "python";

export interface SandboxJob {
  id: string;
  runner: Runner;
  /** file name (no folders) → content */
  files: Record<string, string>;
  /** the file to run */
  main: string;
}

export interface SandboxLimits {
  /** wall-clock limit */
  timeoutMs: number;
  /** heap (Node) / address space (Python) in MiB; Node's address space gets 1 GiB more for V8's reservations */
  memoryMb: number;
  /** stdout + stderr bytes after which the run is killed */
  maxOutputBytes: number;
  /** bytes of each stream kept in the result */
  keepOutputBytes: number;
  /** processes and threads the program may have (RLIMIT_NPROC, inside its own namespace or uid) */
  maxProcesses: number;
  /** largest file the program may write, and the size of its tmpfs work folder (MiB) */
  maxFileMb: number;
}

export const DEFAULT_LIMITS: SandboxLimits = {
  timeoutMs: 5000, memoryMb: 256, maxOutputBytes: 1 << 20, keepOutputBytes: 16 << 10, maxProcesses: 64, maxFileMb: 16,
};

export type SandboxStatus = "ok" | "error" | "timeout" | "memory" | "output-limit" | "crashed" | "sandbox-error";

export interface SandboxResult {
  id: string;
  status: SandboxStatus;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** some output was cut to keepOutputBytes */
  truncated: boolean;
  durationMs: number;
}

const SIGNALS: Record<number, string> = {
  1: "SIGHUP", 2: "SIGINT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL",
  11: "SIGSEGV", 13: "SIGPIPE", 15: "SIGTERM", 24: "SIGXCPU", 25: "SIGXFSZ",
};

const MEMORY_MARKERS = /heap out of memory|Array buffer allocation failed|MemoryError|Cannot allocate memory|std::bad_alloc|out of memory/i;

function safeName(name: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith(".")) throw new RangeError(`sandbox: bad file name ${JSON.stringify(name)}`);
  return name;
}

/** The command line: [namespaces + setup] [prlimit] runner. */
export function sandboxCommand(job: SandboxJob, dir: string, src: string, work: string, limits: SandboxLimits,
  caps: SandboxCapabilities): string[] {
  const MiB = 1024 * 1024;
  let runner: string[];
  if (job.runner === "node") {
    const perm = caps.nodePermission ? [caps.nodePermission, `--allow-fs-read=${work}`, `--allow-fs-write=${work}`] : [];
    runner = [process.execPath, ...perm, `--max-old-space-size=${limits.memoryMb}`, "--no-warnings", join(work, job.main)];
  } else {
    if (!caps.python) throw new Error("sandbox: no Python interpreter (install python3 or set PRETRAIN_PYTHON)");
    runner = [caps.python, "-I", "-B", job.main];
  }
  const ns = caps.unshare !== null && caps.sh !== null;
  const lim: string[] = [];
  if (caps.prlimit) {
    const as = (job.runner === "node" ? limits.memoryMb + 1024 : limits.memoryMb) * MiB;
    lim.push(caps.prlimit, `--as=${as}`, `--cpu=${Math.ceil(limits.timeoutMs / 1000) + 1}`,
      `--fsize=${limits.maxFileMb * MiB}`, "--nofile=256", "--core=0");
    // RLIMIT_NPROC counts every process of the user; it is only meaningful in a namespace or for a uid of our own.
    if (ns || caps.uid !== null) lim.push(`--nproc=${limits.maxProcesses}`);
    lim.push("--");
  }
  if (!ns) return [...lim, ...runner];
  return [...unshareArgs(caps.unshare!, caps.sh!), src, work, String(limits.maxFileMb), ...lim, ...runner];
}

function classify(code: number | null, signal: string | null, stderr: string, namespaced: boolean,
  killedFor: "timeout" | "output-limit" | null): { status: SandboxStatus; signal: string | null } {
  if (killedFor) return { status: killedFor, signal: "SIGKILL" };
  let sig = signal;
  // In namespaces the program runs under a shell, which reports a signal death as exit status 128 + n.
  if (!sig && namespaced && code !== null && code > 128 && code < 160) sig = SIGNALS[code - 128] ?? `signal ${code - 128}`;
  if (MEMORY_MARKERS.test(stderr)) return { status: "memory", signal: sig };
  if (sig === "SIGXCPU") return { status: "timeout", signal: sig };
  if (sig) return { status: "crashed", signal: sig };
  return { status: code === 0 ? "ok" : "error", signal: null };
}

export async function runInSandbox(job: SandboxJob, limits: SandboxLimits = DEFAULT_LIMITS,
  caps: SandboxCapabilities = sandboxCapabilities()): Promise<SandboxResult> {
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "pretrain-sandbox-"));
  const ns = caps.unshare !== null && caps.sh !== null;
  const src = join(dir, "src");
  const work = ns ? join(dir, "work") : src;
  try {
    mkdirSync(src);
    if (ns) mkdirSync(work);
    for (const [name, content] of Object.entries(job.files)) writeFileSync(join(src, safeName(name)), content);
    if (caps.uid !== null) {
      for (const p of [dir, src, ...(ns ? [work] : []), ...Object.keys(job.files).map((f) => join(src, f))]) {
        chownSync(p, caps.uid, caps.gid!);
      }
    }
    const [cmd, ...args] = sandboxCommand(job, dir, src, work, limits, caps);
    return await new Promise<SandboxResult>((resolve) => {
      let out = "";
      let err = "";
      let total = 0;
      let truncated = false;
      let killedFor: "timeout" | "output-limit" | null = null;
      let settled = false;
      const child = spawn(cmd, args, {
        cwd: ns ? dir : work, detached: true, stdio: ["ignore", "pipe", "pipe"],
        env: { PATH: "/usr/bin:/bin", HOME: work, TMPDIR: work, LANG: "C.UTF-8", PYTHONIOENCODING: "utf-8" },
        ...(caps.uid !== null ? { uid: caps.uid, gid: caps.gid! } : {}),
      });
      const killGroup = () => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      };
      const finish = (r: Omit<SandboxResult, "id" | "durationMs" | "stdout" | "stderr" | "truncated">) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(hardStop);
        killGroup();
        resolve({ id: job.id, ...r, stdout: out, stderr: err, truncated, durationMs: performance.now() - t0 });
      };
      const take = (which: "out" | "err") => (chunk: Buffer) => {
        total += chunk.length;
        const cur = which === "out" ? out : err;
        if (cur.length < limits.keepOutputBytes) {
          const add = chunk.toString("utf8", 0, Math.min(chunk.length, limits.keepOutputBytes - cur.length));
          if (which === "out") out += add;
          else err += add;
        }
        if (chunk.length > 0 && (which === "out" ? out : err).length >= limits.keepOutputBytes) truncated = true;
        if (total > limits.maxOutputBytes && !killedFor) {
          killedFor = "output-limit";
          killGroup();
        }
      };
      child.stdout!.on("data", take("out"));
      child.stderr!.on("data", take("err"));
      const timer = setTimeout(() => {
        killedFor = "timeout";
        killGroup();
      }, limits.timeoutMs);
      // Should the pipes stay open after the kill (a descendant holding them), give up waiting after a while.
      const hardStop = setTimeout(() => {
        killGroup();
        finish({ status: killedFor ?? "timeout", exitCode: null, signal: "SIGKILL" });
      }, limits.timeoutMs + 5000);
      child.on("error", (e) => {
        err += `\n[sandbox] ${e.message}`;
        finish({ status: "sandbox-error", exitCode: null, signal: null });
      });
      child.on("close", (code, signal) => {
        const c = classify(code, signal, err, ns, killedFor);
        finish({ status: c.status, exitCode: code, signal: c.signal });
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs jobs with at most `concurrency` at a time; results in job order. */
export async function runSandboxJobs(jobs: readonly SandboxJob[], limits: SandboxLimits = DEFAULT_LIMITS,
  concurrency = 2, caps: SandboxCapabilities = sandboxCapabilities()): Promise<SandboxResult[]> {
  const results: SandboxResult[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await runInSandbox(jobs[i], limits, caps);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, jobs.length)) }, worker));
  return results;
}
