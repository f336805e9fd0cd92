/**
 * Statistics: every task writes stats/<phase>/rank-NNNNN.json; `mergeStats` adds them up into one summary
 * (stats.json) and `formatSummary` prints the table: documents and bytes in and out per step, removals by
 * rule, time and throughput.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { formatCount } from "../../util/progress.js";

export interface StepStats {
  type: string;
  docs_in: number;
  docs_out: number;
  bytes_in: number;
  bytes_out: number;
  removed: Record<string, number>;
  counters: Record<string, number>;
  seconds: number;
}

export interface TaskStats {
  phase: string;
  rank: number;
  seconds: number;
  read: { files: number; docs: number; bytes: number; rejected: Record<string, number> };
  steps: Record<string, StepStats>;
  write: { docs: number; bytes: number; files: number };
}

export interface Summary {
  pipeline: string;
  world_size: number;
  tasks: number;
  wall_seconds: number | null;
  read: TaskStats["read"];
  steps: Record<string, StepStats>;
  write: TaskStats["write"];
}

export function emptyStepStats(type: string): StepStats {
  return { type, docs_in: 0, docs_out: 0, bytes_in: 0, bytes_out: 0, removed: {}, counters: {}, seconds: 0 };
}

export function emptyTaskStats(phase: string, rank: number): TaskStats {
  return { phase, rank, seconds: 0, read: { files: 0, docs: 0, bytes: 0, rejected: {} }, steps: {}, write: { docs: 0, bytes: 0, files: 0 } };
}

function addMap(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/** Adds every task's stats under <outDir>/stats; steps keep the pipeline's order. */
export function mergeStats(outDir: string, pipeline: string, worldSize: number, stepOrder: string[], wallSeconds: number | null): Summary {
  const s: Summary = {
    pipeline, world_size: worldSize, tasks: 0, wall_seconds: wallSeconds, read: { files: 0, docs: 0, bytes: 0, rejected: {} },
    steps: Object.fromEntries(stepOrder.map((n) => [n, emptyStepStats("")])), write: { docs: 0, bytes: 0, files: 0 },
  };
  const root = join(outDir, "stats");
  if (!existsSync(root)) return s;
  for (const phase of readdirSync(root).sort()) {
    const dir = join(root, phase);
    for (const f of readdirSync(dir).sort()) {
      if (!f.endsWith(".json")) continue;
      const t = JSON.parse(readFileSync(join(dir, f), "utf8")) as TaskStats;
      s.tasks++;
      s.read.files += t.read.files;
      s.read.docs += t.read.docs;
      s.read.bytes += t.read.bytes;
      addMap(s.read.rejected, t.read.rejected);
      s.write.docs += t.write.docs;
      s.write.bytes += t.write.bytes;
      s.write.files += t.write.files;
      for (const [name, st] of Object.entries(t.steps)) {
        const m = (s.steps[name] ??= emptyStepStats(st.type));
        m.type = st.type;
        m.docs_in += st.docs_in;
        m.docs_out += st.docs_out;
        m.bytes_in += st.bytes_in;
        m.bytes_out += st.bytes_out;
        m.seconds += st.seconds;
        addMap(m.removed, st.removed);
        addMap(m.counters, st.counters);
      }
    }
  }
  return s;
}

const mb = (b: number) => (b / 1e6).toFixed(1);

/** The summary as a text table (one line per step, then removals by rule). */
export function formatSummary(s: Summary): string {
  const rejected = Object.values(s.read.rejected).reduce((a, b) => a + b, 0);
  const lines: string[] = [
    `pipeline ${s.pipeline}: ${s.world_size} tasks` + (s.wall_seconds !== null ? `, ${s.wall_seconds.toFixed(1)} s wall` : ""),
    `read   ${s.read.files} files, ${s.read.docs} documents, ${mb(s.read.bytes)} MB; rejected ${rejected}` +
      (rejected ? ` (${Object.entries(s.read.rejected).map(([k, v]) => `${k}: ${v}`).join(", ")})` : ""),
    "",
    "step                     type           docs in   docs out    removed    MB in   MB out   seconds   docs/s    MB/s",
  ];
  for (const [name, st] of Object.entries(s.steps)) {
    const removed = Object.values(st.removed).reduce((a, b) => a + b, 0);
    const rate = st.seconds > 0 ? formatCount(st.docs_in / st.seconds) : "-";
    const mbs = st.seconds > 0 ? (st.bytes_in / 1e6 / st.seconds).toFixed(2) : "-";
    lines.push(`${name.padEnd(24)} ${st.type.padEnd(13)} ${String(st.docs_in).padStart(9)} ${String(st.docs_out).padStart(10)} ${String(removed).padStart(10)} ${mb(st.bytes_in).padStart(8)} ${mb(st.bytes_out).padStart(8)} ${st.seconds.toFixed(2).padStart(9)} ${rate.padStart(8)} ${mbs.padStart(7)}`);
  }
  lines.push(`write  ${s.write.docs} documents, ${mb(s.write.bytes)} MB in ${s.write.files} files`);
  const reasons = Object.entries(s.steps).flatMap(([name, st]) => Object.entries(st.removed).map(([r, n]) => [name, r, n] as const));
  if (reasons.length) {
    lines.push("", "removed by rule:");
    for (const [name, r, n] of reasons.sort((a, b) => b[2] - a[2])) lines.push(`  ${String(n).padStart(8)}  ${r}  (${name})`);
  }
  return lines.join("\n") + "\n";
}
