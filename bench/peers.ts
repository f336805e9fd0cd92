/** Running the Python peers (numpy/OpenBLAS, PyTorch) and reading their JSON output. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const PYTHON = "/usr/bin/python3";

export function peerPath(root: string, name: string): string {
  return join(root, "bench", "peers", name);
}

/** Runs a peer script; returns its JSON lines, or the reason it could not run. */
export function runPeer(root: string, script: string, args: string[], timeoutS = 900): { ok: true; lines: Record<string, unknown>[] } | { ok: false; why: string } {
  if (!existsSync(PYTHON)) return { ok: false, why: `${PYTHON} not found (install Debian's python3-numpy / python3-torch)` };
  const r = spawnSync(PYTHON, [peerPath(root, script), ...args], { encoding: "utf8", timeout: timeoutS * 1000 });
  if (r.error) return { ok: false, why: r.error.message };
  if (r.status !== 0) return { ok: false, why: (r.stderr || r.stdout || `exit ${r.status}`).trim().split("\n").slice(-3).join(" | ") };
  const lines = r.stdout.split("\n").filter((l) => l.trim().startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { ok: true, lines };
}

/**
 * The OpenBLAS core type that matches the vector unit the native kernels use (Debian's OpenBLAS may not detect the
 * CPU): with PRETRAIN_SIMD=avx2 on an AVX-512 machine, OpenBLAS gets its AVX2 kernels too, for a like-for-like ratio.
 */
export function bestOpenBlasCore(nativeLevel?: string): string | null {
  if (nativeLevel === "avx2") return "Haswell";
  if (nativeLevel === "portable") return null;
  let flags = "";
  try {
    flags = readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("flags")) ?? "";
  } catch {
    return null;
  }
  if (/\bavx512f\b/.test(flags)) return "SkylakeX";
  if (/\bavx2\b/.test(flags) && /\bfma\b/.test(flags)) return "Haswell";
  return null;
}

export function cpuModel(): string {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("model name"));
    return line ? line.split(":")[1].trim() : "unknown CPU";
  } catch {
    return "unknown CPU";
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/**
 * A peer kept running between requests (numpy_gemm.py --serve), so the benchmark can alternate between the
 * native kernel and the peer shape by shape and compare them under the same machine conditions.
 */
export class PeerServer {
  private pending: ((line: string) => void)[] = [];
  private buffered: string[] = [];
  private closed = false;

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (!line.trim().startsWith("{")) return;
      const waiter = this.pending.shift();
      if (waiter) waiter(line);
      else this.buffered.push(line);
    });
    child.on("exit", () => {
      this.closed = true;
      for (const w of this.pending.splice(0)) w("");
    });
  }

  static async start(root: string, script: string, args: string[]): Promise<PeerServer | string> {
    if (!existsSync(PYTHON)) return `${PYTHON} not found (install Debian's python3-numpy)`;
    const child = spawn(PYTHON, [peerPath(root, script), ...args, "--serve"], { stdio: ["pipe", "pipe", "pipe"] });
    let err = "";
    child.stderr!.on("data", (d) => (err += String(d)));
    const server = new PeerServer(child);
    const ready = await server.next();
    if (!ready) return (err.trim().split("\n").slice(-2).join(" | ") || "the peer exited") as string;
    return server;
  }

  private next(): Promise<Record<string, unknown> | null> {
    const line = this.buffered.shift();
    if (line !== undefined) return Promise.resolve(JSON.parse(line));
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolveLine) => this.pending.push((l) => resolveLine(l ? JSON.parse(l) : null)));
  }

  async request(line: string): Promise<Record<string, unknown>> {
    this.child.stdin!.write(line + "\n");
    const r = await this.next();
    if (!r) throw new Error(`peer exited while answering "${line}"`);
    return r;
  }

  close(): void {
    this.child.stdin!.end();
  }
}
