/** Running the Python peers (numpy/OpenBLAS, PyTorch) and reading their JSON output. */
import { spawnSync } from "node:child_process";
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

/** The OpenBLAS core type that matches this CPU's widest vector unit (Debian's OpenBLAS may not detect it). */
export function bestOpenBlasCore(): string | null {
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
