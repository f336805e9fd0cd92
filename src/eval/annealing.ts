/**
 * Proxy tasks before and after annealing. YuLan-Mini reports its benchmarks at intermediate checkpoints; the
 * trainer keeps the checkpoint where the decay starts (train.keep_decay_start), and this evaluates it and the
 * final one side by side (written to <run>/eval-annealing.json).
 */
import { join } from "node:path";
import type { Kernels } from "../kernels/types.js";
import { listCheckpoints, type CheckpointEntry } from "../train/checkpoint.js";
import { writeFileAtomic } from "../util/atomic.js";
import { evaluateCheckpoints } from "./compare.js";
import { resolveTasks } from "./registry.js";
import { compareTable, type LabeledResults } from "./table.js";

export const ANNEALING_FILE = "eval-annealing.json";

/** The kept checkpoint at the decay start and the newest one, or null when the run has not both. */
export function annealingCheckpoints(runDir: string, decayStart: number | null): { before: CheckpointEntry; after: CheckpointEntry } | null {
  const complete = listCheckpoints(runDir).filter((e) => e.complete);
  const before = decayStart === null ? undefined : complete.find((e) => e.step === decayStart);
  const after = complete[0];
  if (!before || !after || after.step <= before.step) return null;
  return { before, after };
}

export interface AnnealingComparison {
  runs: LabeledResults[];
  table: string;
  file: string;
}

export function compareAnnealing(runDir: string, decayStart: number | null, tasks: readonly string[], limit: number,
  kernels: Kernels): AnnealingComparison | null {
  const pair = annealingCheckpoints(runDir, decayStart);
  if (!pair) return null;
  const runs = evaluateCheckpoints([pair.before.dir, pair.after.dir], resolveTasks(tasks), kernels, { limit, seed: 1234 });
  runs[0].label = `before annealing (step ${pair.before.step})`;
  runs[1].label = `after annealing (step ${pair.after.step})`;
  const file = join(runDir, ANNEALING_FILE);
  writeFileAtomic(file, JSON.stringify(runs, null, 2) + "\n");
  return { runs, table: compareTable(runs), file };
}
