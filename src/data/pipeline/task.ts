/**
 * One task: one phase for one rank. A stage phase streams its documents (the rank's input files for stage 0,
 * the previous stage's intermediate shards after that) through its steps and into the next barrier's signatures
 * plus an intermediate shard, or into the output. A global phase runs a barrier's global work for this rank.
 * The task writes its stats, then its completion marker; everything it writes is named after its rank, so a
 * relaunch overwrites a failed attempt cleanly.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Document, ReadItem } from "../document.js";
import { utf8Length, snippet } from "../document.js";
import { readInputFile, type InputFile } from "../readers/index.js";
import { JsonlShardWriter } from "../writers/jsonl.js";
import { writeFileAtomic } from "../../util/atomic.js";
import type { LoadedPipeline } from "./config.js";
import { buildSteps } from "./config.js";
import { markComplete, isComplete, phaseDir, rankName, type Phase, type Plan } from "./plan.js";
import { emptyStepStats, emptyTaskStats, type StepStats, type TaskStats } from "./stats.js";
import type { BarrierStep, Step, StepContext, TransformStep } from "./step.js";
import { DocumentSink } from "./sink.js";

export interface TaskHooks {
  /** called now and then with documents read and input bytes consumed so far in this task */
  progress?(docs: number, bytes: number): void;
  log?(message: string): void;
}

/** The input of a stage for a rank: its planned files (stage 0) or the previous stage's intermediate shards. */
export function stageInputs(p: LoadedPipeline, plan: Plan, phase: Phase, rank: number): InputFile[] {
  if (phase.stage === 0) {
    return plan.files.filter((f) => f.rank === rank).map((f) => ({ path: join(p.baseDir, f.rel), rel: f.rel, bytes: f.bytes, format: f.format as InputFile["format"] }));
  }
  const dir = join(p.outDir, "work", `stage-${phase.stage! - 1}`);
  if (!existsSync(dir)) return [];
  const prefix = `${rankName(rank)}-`;
  return readdirSync(dir).filter((n) => n.startsWith(prefix) && n.endsWith(".jsonl.zst")).sort()
    .map((n) => ({ path: join(dir, n), rel: `work/stage-${phase.stage! - 1}/${n}`, bytes: 0, format: "jsonl" as const }));
}

/** Removes what an earlier attempt of this task may have left (files named after the rank). */
function cleanRank(dirs: string[], rank: number): void {
  const prefix = rankName(rank);
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (name.startsWith(prefix) || (name.startsWith(`.${prefix}`) && name.includes(".tmp-"))) rmSync(p, { recursive: true, force: true });
    }
  }
}

class Context implements StepContext {
  private reportWriter: JsonlShardWriter | null = null;
  constructor(readonly rank: number, readonly worldSize: number, readonly outDir: string, readonly step: string,
    readonly stats: StepStats, private readonly removedSink: JsonlShardWriter | null, private readonly reportName: string,
    private readonly hooks: TaskHooks) {}
  get workDir(): string {
    return join(this.outDir, "work", this.step);
  }
  remove(doc: Document, reason: string, detail?: string): void {
    this.stats.removed[reason] = (this.stats.removed[reason] ?? 0) + 1;
    this.removedSink?.write({ id: doc.id, text: doc.text, meta: doc.meta, removed_by: this.step, reason, detail });
  }
  count(key: string, n = 1): void {
    this.stats.counters[key] = (this.stats.counters[key] ?? 0) + n;
  }
  report(record: unknown): void {
    if (this.reportWriter === null) {
      this.reportWriter = JsonlShardWriter.create({ dir: join(this.outDir, "reports", this.step), prefix: this.reportName, compression: "none" });
    }
    this.reportWriter.write(record);
  }
  log(message: string): void {
    this.hooks.log?.(message);
  }
  close(): void {
    this.reportWriter?.close();
  }
}

/** Runs one task; returns its stats (null when it was already complete). */
export async function runTask(p: LoadedPipeline, plan: Plan, phases: Phase[], phaseIndex: number, rank: number,
  hooks: TaskHooks = {}): Promise<TaskStats | null> {
  const phase = phases[phaseIndex];
  const W = plan.world_size;
  if (isComplete(p.outDir, phase, rank)) return null;
  const t0 = performance.now();
  const stats = emptyTaskStats(phase.name, rank);
  const steps = buildSteps(p);
  const out = p.outDir;
  const contexts: Context[] = [];
  const ctxFor = (s: Step, removed: JsonlShardWriter | null) => {
    const st = (stats.steps[s.name] ??= emptyStepStats(s.type));
    const c = new Context(rank, W, out, s.name, st, removed, `${rankName(rank)}-${phase.name}`, hooks);
    contexts.push(c);
    return c;
  };

  if (phase.kind === "global") {
    const b = steps[phase.barrier!] as BarrierStep;
    const g = b.phases[phase.globalIndex!];
    cleanRank([join(out, "reports", b.name)], rank);
    if (rank < g.tasks(W)) {
      const ctx = ctxFor(b, null);
      const t = performance.now();
      await g.run(rank, W, ctx);
      ctx.stats.seconds += (performance.now() - t) / 1000;
    }
    for (const c of contexts) c.close();
    return finishTask(out, phase, rank, stats, t0);
  }

  // a stage
  const transforms = steps.slice(phase.from!, phase.to!) as TransformStep[];
  const start = phase.startBarrier != null ? (steps[phase.startBarrier] as BarrierStep) : null;
  const end = phase.endBarrier != null ? (steps[phase.endBarrier] as BarrierStep) : null;
  const last = end === null;
  cleanRank([
    ...(phase.stage === 0 ? [join(out, "rejected")] : []), join(out, "removed", phaseDir(phase)),
    ...transforms.map((s) => join(out, "reports", s.name)),
    ...(last ? [join(out, "output")] : [join(out, "work", `stage-${phase.stage}`)]),
  ], rank);
  if (last && p.config.output.partition_by && existsSync(join(out, "output"))) {
    for (const d of readdirSync(join(out, "output"))) cleanRank([join(out, "output", d)], rank);
  }

  const rejected = phase.stage === 0 ? await JsonlShardWriter.open({ dir: join(out, "rejected"), prefix: rankName(rank), compression: "none" }) : null;
  const removed = p.config.output.keep_removed
    ? await JsonlShardWriter.open({ dir: join(out, "removed", phaseDir(phase)), prefix: rankName(rank), compression: "zstd" }) : null;
  const sink = last
    ? await DocumentSink.open(p.config.output, join(out, "output"), rankName(rank))
    : await DocumentSink.intermediate(join(out, "work", `stage-${phase.stage}`), rankName(rank));

  const startCtx = start ? ctxFor(start, removed) : null;
  const stepCtx = transforms.map((s) => ctxFor(s, removed));
  const endCtx = end ? ctxFor(end, removed) : null;
  const filter = start ? await start.openFilter(startCtx!) : null;
  for (let i = 0; i < transforms.length; i++) await transforms[i].init?.(stepCtx[i]);
  if (end) await end.init?.(endCtx!);

  let inIndex = 0;
  let outIndex = 0;
  let docsRead = 0;
  let bytesDone = 0;
  let lastProgress = 0;

  const handle = async (doc: Document): Promise<void> => {
    let d: Document | null = doc;
    if (filter) {
      const st = startCtx!.stats;
      const bytes = utf8Length(d.text);
      const t = performance.now();
      const verdict = filter(inIndex++);
      st.seconds += (performance.now() - t) / 1000;
      if (verdict) {
        startCtx!.remove(d, verdict.reason, verdict.detail);
        return;
      }
      st.docs_out++;
      st.bytes_out += bytes;
    }
    for (let i = 0; i < transforms.length && d !== null; i++) {
      const s = transforms[i];
      if (s.domains !== null && !s.domains.includes(d.meta.domain)) continue;
      const st = stepCtx[i].stats;
      st.docs_in++;
      st.bytes_in += utf8Length(d.text);
      const t = performance.now();
      d = await s.process(d, stepCtx[i]);
      st.seconds += (performance.now() - t) / 1000;
      if (d !== null) {
        st.docs_out++;
        st.bytes_out += utf8Length(d.text);
      }
    }
    if (d === null) return;
    if (end) {
      const st = endCtx!.stats;
      st.docs_in++;
      st.bytes_in += utf8Length(d.text);
      const t = performance.now();
      end.signature(d, outIndex++, endCtx!);
      st.seconds += (performance.now() - t) / 1000;
    }
    sink.write(d);
  };

  const files = stageInputs(p, plan, phase, rank);
  // read statistics describe the input: only stage 0 reads it (later stages read intermediate shards)
  const read = phase.stage === 0 ? stats.read : { files: 0, docs: 0, bytes: 0, rejected: {} as Record<string, number> };
  for (const f of files) {
    read.files++;
    let fileBytes = 0;
    const items: AsyncGenerator<ReadItem> = readInputFile(f, phase.stage === 0 ? p.config.input : INTERMEDIATE_INPUT);
    for await (const item of items) {
      fileBytes += item.bytes;
      read.bytes += item.bytes;
      if ("rejected" in item) {
        const r = item.rejected;
        read.rejected[r.reason] = (read.rejected[r.reason] ?? 0) + 1;
        rejected?.write({ ...r, sample: r.sample === undefined ? undefined : snippet(r.sample, 300) });
        continue;
      }
      read.docs++;
      docsRead++;
      await handle(item.doc);
      if (hooks.progress && docsRead - lastProgress >= 200) {
        lastProgress = docsRead;
        hooks.progress(docsRead, bytesDone + (f.bytes ? Math.min(f.bytes, fileBytes) : 0));
      }
    }
    bytesDone += f.bytes || fileBytes;
    hooks.progress?.(docsRead, bytesDone);
  }

  for (let i = 0; i < transforms.length; i++) await transforms[i].finish?.(stepCtx[i]);
  if (end) {
    const t = performance.now();
    await end.finishSignatures(outIndex, endCtx!);
    endCtx!.stats.seconds += (performance.now() - t) / 1000;
  }
  const written = sink.close();
  if (last) {
    stats.write.docs += written.docs;
    stats.write.bytes += written.bytes;
    stats.write.files += written.files;
  }
  rejected?.close();
  removed?.close();
  for (const c of contexts) c.close();
  return finishTask(out, phase, rank, stats, t0);
}

/** How intermediate shards are read back: our own JSONL (id, text, meta). */
const INTERMEDIATE_INPUT = {
  paths: [], format: "jsonl" as const, text_field: "text", id_field: "id", domain: "web", domain_field: null, meta_fields: [],
  text_extensions: [], max_line_bytes: 1 << 30, max_file_bytes: 1 << 30, parquet_batch_rows: 10_000,
};

function finishTask(out: string, phase: Phase, rank: number, stats: TaskStats, t0: number): TaskStats {
  stats.seconds = (performance.now() - t0) / 1000;
  const dir = join(out, "stats", phaseDir(phase));
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, `${rankName(rank)}.json`), JSON.stringify(stats, null, 1) + "\n");
  markComplete(out, phase, rank);
  return stats;
}
