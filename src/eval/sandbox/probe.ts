/**
 * What the sandbox can use on this machine, found by trying it once per process:
 *  - Linux namespaces through util-linux `unshare` (user, network, mount and PID namespaces, without privileges
 *    where the kernel allows unprivileged user namespaces): no network, a read-only view of every file system
 *    but a private size-limited tmpfs work folder, and every process of the run killed with it;
 *  - `prlimit` for resource limits (address space, CPU seconds, file size, open files, processes, no core dumps);
 *  - Node's permission model (--permission, or --experimental-permission on Node 20): file reads and writes only
 *    in the work folder, no child processes, no worker threads, no native addons;
 *  - running as an unprivileged user (nobody) when the harness itself runs as root;
 *  - a Python interpreter for Python tasks (/usr/bin/python3, or PRETRAIN_PYTHON).
 * PRETRAIN_SANDBOX_NAMESPACES=0 turns the namespaces off (to check the fall-back).
 */
import { spawnSync } from "node:child_process";
import { accessSync, chownSync, constants, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface SandboxCapabilities {
  platform: string;
  /** path of unshare when user+net+mount+pid namespaces work for the sandbox user; null otherwise */
  unshare: string | null;
  prlimit: string | null;
  sh: string | null;
  /** Node's permission flag, or null when this Node has none */
  nodePermission: "--permission" | "--experimental-permission" | null;
  /** uid/gid the program runs as (65534 when the harness runs as root), null = the harness's own */
  uid: number | null;
  gid: number | null;
  python: string | null;
  /** why a protection is missing */
  notes: string[];
}

/**
 * The shell script that runs as PID 1 of the new namespaces: mounts a private tmpfs on the work folder, copies
 * the program in, makes every other mount read-only, then runs the program as a child (not exec: PID 1 ignores
 * signals it has no handler for, so a program running as PID 1 could not even crash normally) and exits with its
 * status (128 + signal number when it was killed by a signal).
 * Arguments: <src> <work> <tmpfs MiB> <command...>
 */
export const SETUP_SCRIPT = `set -e
src="$1"; work="$2"; size="$3"; shift 3
mount -t tmpfs -o "size=\${size}m,mode=0700" tmpfs "$work"
cp -R "$src/." "$work/"
for m in $(awk '{print $2}' /proc/self/mounts); do
  case "$m" in "$work"|/proc|/proc/*) continue;; esac
  mount -o remount,bind,ro "$m" 2>/dev/null || true
done
cd "$work"
set +e
"$@"
exit $?
`;

function findExecutable(name: string): string | null {
  for (const dir of ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"]) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

export function unshareArgs(unshare: string, sh: string): string[] {
  return [unshare, "--user", "--map-root-user", "--net", "--mount", "--pid", "--fork", "--kill-child=SIGKILL",
    "--mount-proc", sh, "-c", SETUP_SCRIPT, "pretrain-sandbox"];
}

let cached: SandboxCapabilities | null = null;

export function sandboxCapabilities(refresh = false): SandboxCapabilities {
  if (cached && !refresh) return cached;
  const notes: string[] = [];
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const uid = isRoot ? 65534 : null;
  const gid = isRoot ? 65534 : null;
  const flags = process.allowedNodeEnvironmentFlags;
  const nodePermission = flags.has("--permission") ? "--permission"
    : flags.has("--experimental-permission") ? "--experimental-permission" : null;
  if (!nodePermission) notes.push("this Node has no permission model (Node ≥ 20 has one)");
  const prlimit = process.platform === "linux" ? findExecutable("prlimit") : null;
  if (!prlimit) notes.push("prlimit not found: no address-space, CPU, file-size or process limits");
  const sh = findExecutable("sh");
  let unshare: string | null = null;
  const wanted = process.env.PRETRAIN_SANDBOX_NAMESPACES !== "0";
  const candidate = process.platform === "linux" && wanted ? findExecutable("unshare") : null;
  if (!wanted) notes.push("namespaces turned off by PRETRAIN_SANDBOX_NAMESPACES=0");
  else if (!candidate || !sh) notes.push("unshare or sh not found: no network, mount or PID namespaces");
  else {
    const dir = mkdtempSync(join(tmpdir(), "pretrain-sandbox-probe-"));
    try {
      const src = join(dir, "src");
      const work = join(dir, "work");
      mkdirSync(src);
      mkdirSync(work);
      if (uid !== null) for (const p of [dir, src, work]) chownSync(p, uid, gid!);
      const [cmd, ...args] = unshareArgs(candidate, sh);
      const r = spawnSync(cmd, [...args, src, work, "1", sh, "-c", "exit 0"], {
        cwd: dir, timeout: 10_000, encoding: "utf8", ...(uid !== null ? { uid, gid: gid! } : {}),
        env: { PATH: "/usr/bin:/bin" },
      });
      if (r.status === 0) unshare = candidate;
      else {
        notes.push(`unprivileged namespaces are not available here (${(r.stderr || r.error?.message || `status ${r.status}`).trim().split("\n")[0]}); ` +
          "no network isolation, read-only mounts or PID namespace");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const pyEnv = process.env.PRETRAIN_PYTHON;
  const python = pyEnv ? (existsSync(pyEnv) ? pyEnv : null) : existsSync("/usr/bin/python3") ? "/usr/bin/python3" : null;
  cached = { platform: process.platform, unshare, prlimit, sh, nodePermission, uid, gid, python, notes };
  return cached;
}

export interface Protection {
  protection: string;
  active: boolean;
  how: string;
}

/** The protections a run gets with these capabilities, for reports and the documentation. */
export function describeProtections(c: SandboxCapabilities, runner: "node" | "python"): Protection[] {
  const ns = c.unshare !== null;
  const perm = runner === "node" && c.nodePermission !== null;
  const nprocApplies = c.prlimit !== null && (ns || c.uid !== null);
  return [
    { protection: "separate process", active: true, how: "child process; a crash or abort only ends the child" },
    { protection: "wall-clock time limit", active: true, how: "SIGKILL to the process group" + (ns ? " and the PID namespace" : "") },
    { protection: "CPU time limit", active: c.prlimit !== null, how: "RLIMIT_CPU (prlimit)" },
    {
      protection: "memory limit", active: runner === "node" || c.prlimit !== null,
      how: [runner === "node" ? "--max-old-space-size" : "", c.prlimit ? "RLIMIT_AS (prlimit)" : ""].filter(Boolean).join(" + "),
    },
    {
      protection: "no child processes / fork bombs", active: perm || nprocApplies,
      how: [perm ? "Node permission model (no child_process, no worker_threads)" : "",
        nprocApplies ? "RLIMIT_NPROC" : "", ns ? "PID namespace killed as a whole" : "process group killed"].filter(Boolean).join(" + "),
    },
    { protection: "no network", active: ns, how: ns ? "empty network namespace (no interface is up)" : "none" },
    {
      protection: "no writes outside the temporary folder", active: ns || perm,
      how: [ns ? "every mount read-only except a private tmpfs work folder" : "", perm ? "Node --allow-fs-write=<work folder>" : "",
        c.uid !== null ? "unprivileged uid" : ""].filter(Boolean).join(" + ") || "none",
    },
    { protection: "file size limit", active: c.prlimit !== null || ns, how: [c.prlimit ? "RLIMIT_FSIZE" : "", ns ? "tmpfs size" : ""].filter(Boolean).join(" + ") },
    { protection: "output size limit", active: true, how: "the harness stops reading and kills the run past the cap" },
    { protection: "temporary folder removed", active: true, how: "removed after every run" + (ns ? " (the tmpfs vanishes with the namespace)" : "") },
  ];
}
