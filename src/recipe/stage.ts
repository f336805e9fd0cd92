/**
 * Stages of `pretrain run` leave a marker (stage.json) in their folder when they finish, with a hash of their
 * settings chained to the hash of the stage before. A re-run skips a stage whose marker matches, and refuses one
 * whose settings changed (the folder would otherwise mix old and new output, and later stages would be stale).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { writeFileAtomic } from "../util/atomic.js";
import { ConfigError } from "../util/schema.js";

export const STAGE_FILE = "stage.json";

export interface StageRecord {
  stage: string;
  hash: string;
  seconds: number;
  completed_at: string;
  summary: unknown;
}

/** The hash of a stage: its settings and the hash of the stage it reads from. */
export function stageHash(previous: string, settings: unknown): string {
  return createHash("sha256").update(previous).update("\n").update(JSON.stringify(settings)).digest("hex").slice(0, 16);
}

export function readStage(dir: string): StageRecord | null {
  const p = join(dir, STAGE_FILE);
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, "utf8")) as StageRecord;
  } catch (e) {
    throw new ConfigError(`${p} is not valid JSON (${(e as Error).message}); delete ${dir} to redo that stage`);
  }
}

export interface StageOutcome<T> {
  record: StageRecord;
  /** true when the stage was done by an earlier run and skipped */
  reused: boolean;
  summary: T;
}

/**
 * Runs `work` unless `dir` holds a finished stage with the same hash. A finished stage with another hash is a
 * ConfigError that names the folder to delete.
 */
export async function runStage<T>(name: string, dir: string, hash: string, work: () => Promise<T> | T): Promise<StageOutcome<T>> {
  const done = readStage(dir);
  if (done) {
    if (done.hash === hash) return { record: done, reused: true, summary: done.summary as T };
    throw new ConfigError(`the ${name} stage in ${dir} was made from other settings (or from other input) than this recipe's; ` +
      `delete ${dir} and the stages after it to redo them, or give the run another out_dir`);
  }
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const summary = await work();
  const record: StageRecord = {
    stage: name, hash, seconds: (performance.now() - t0) / 1000, completed_at: new Date().toISOString(), summary,
  };
  writeFileAtomic(join(dir, STAGE_FILE), JSON.stringify(record, null, 1) + "\n");
  return { record, reused: false, summary };
}
