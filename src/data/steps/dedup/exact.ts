/**
 * Exact deduplication by content hash (96 bits of MD5 of the text, optionally after case and whitespace
 * folding), in three phases:
 *   signatures  every rank hashes its documents into partitions by hash (sorted runs on disk);
 *   find        rank p merges partition p over all ranks: in a group of equal hashes the first document (lowest
 *               rank, then position) is kept and the others are written to the removal lists of their ranks;
 *   filter      every rank drops the documents on its removal list ("dedup_exact.duplicate").
 */
import { createHash } from "node:crypto";
import type { Document } from "../../document.js";
import type { BarrierStep, GlobalPhase, StepContext } from "../../pipeline/step.js";
import { validate, type Schema } from "../../../util/schema.js";
import { COMMON_FIELDS, type CommonOptions } from "../common.js";
import { loadRemovals, mergeRuns, RunWriter, writeRankInfo, writeRemovals, pad } from "./runs.js";
import { join } from "node:path";

export const EXACT_SCHEMA: Schema = {
  ...COMMON_FIELDS,
  fold_case: { kind: "boolean", default: false, doc: "compare texts case-insensitively" },
  fold_whitespace: { kind: "boolean", default: true, doc: "compare texts with runs of whitespace as one space, trimmed" },
  max_records_in_memory: { kind: "number", integer: true, min: 1000, default: 4_000_000, doc: "records buffered before a sorted run is written" },
};

interface ExactOptions extends CommonOptions {
  fold_case: boolean;
  fold_whitespace: boolean;
  max_records_in_memory: number;
}

const STRIDE = 4; // 3 hash words + document index
const KEY = 3;

export function contentKey(text: string, o: Pick<ExactOptions, "fold_case" | "fold_whitespace">): Uint32Array {
  let t = text;
  if (o.fold_whitespace) t = t.replace(/\s+/g, " ").trim();
  if (o.fold_case) t = t.toLowerCase();
  const d = createHash("md5").update(t, "utf8").digest();
  return new Uint32Array([d.readUInt32BE(0), d.readUInt32BE(4), d.readUInt32BE(8)]);
}

export function createExactDedup(raw: unknown, name: string): BarrierStep {
  const o = validate<ExactOptions>(raw, EXACT_SCHEMA, `steps.${name}`);
  let writer: RunWriter | null = null;
  const rec = new Uint32Array(STRIDE);
  const runsDir = (ctx: StepContext) => join(ctx.workDir, "runs");

  const find: GlobalPhase = {
    name: "find",
    tasks: (w) => w,
    run(rank, worldSize, ctx) {
      const byRank = new Map<number, number[]>();
      let prev: Uint32Array | null = null;
      let keptRank = 0;
      let keptIdx = 0;
      let groups = 0;
      let removed = 0;
      mergeRuns(runsDir(ctx), rank, STRIDE, KEY, (r, fromRank) => {
        if (prev !== null && prev[0] === r[0] && prev[1] === r[1] && prev[2] === r[2]) {
          let list = byRank.get(fromRank);
          if (!list) byRank.set(fromRank, (list = []));
          list.push(r[3], keptRank, keptIdx);
          removed++;
        } else {
          prev = Uint32Array.from(r.subarray(0, KEY));
          keptRank = fromRank;
          keptIdx = r[3];
          groups++;
        }
      });
      writeRemovals(ctx.workDir, `part-${pad(rank)}`, byRank);
      ctx.count("distinct", groups);
      ctx.count("duplicates", removed);
    },
  };

  return {
    kind: "barrier", name, type: "dedup_exact", domains: o.domains,
    phases: [find],
    signature(doc: Document, index: number, ctx: StepContext) {
      writer ??= new RunWriter(runsDir(ctx), ctx.rank, ctx.worldSize, STRIDE, KEY, o.max_records_in_memory);
      if (o.domains !== null && !o.domains.includes(doc.meta.domain)) return;
      const k = contentKey(doc.text, o);
      rec[0] = k[0];
      rec[1] = k[1];
      rec[2] = k[2];
      rec[3] = index;
      writer.add(k[0] % ctx.worldSize, rec);
    },
    finishSignatures(count: number, ctx: StepContext) {
      writer ??= new RunWriter(runsDir(ctx), ctx.rank, ctx.worldSize, STRIDE, KEY, o.max_records_in_memory);
      writer.spill();
      writeRankInfo(ctx.workDir, ctx.rank, { docs: count, runs: writer.files.length });
      writer = null;
    },
    async openFilter(ctx: StepContext) {
      const removals = loadRemovals(ctx.workDir, ctx.rank);
      return (index: number) => {
        const r = removals.get(index);
        return r ? { reason: "dedup_exact.duplicate", detail: `duplicate of rank ${r[0]} document ${r[1]}` } : null;
      };
    },
  };
}
