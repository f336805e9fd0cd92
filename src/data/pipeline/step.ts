/**
 * What a pipeline step is. Most steps are per-document transforms (`process`: return the document, possibly
 * changed, or null after calling `ctx.remove` with the rule that fired). Dedup steps are barriers
 * (`BarrierStep`): they see every document before any is let through, so the runner splits the pipeline at them
 * into stages with global phases in between (see runner.ts).
 */
import type { Document } from "../document.js";

export interface StepContext {
  readonly rank: number;
  readonly worldSize: number;
  /** the output folder of the run */
  readonly outDir: string;
  /** a folder private to this step (under <out>/work/<step name>/), shared by all ranks */
  readonly workDir: string;
  /** records that `doc` was removed because of `reason` (a rule name such as "gopher_quality.min_words") */
  remove(doc: Document, reason: string, detail?: string): void;
  /** adds to a named counter of this step (lines removed, documents per bucket, ...) */
  count(key: string, n?: number): void;
  /** writes one record to this step's report (reports/<step>/rank-NNNNN.jsonl) */
  report(record: unknown): void;
  log(message: string): void;
}

export interface StepBase {
  /** unique within the pipeline; stats and reports are keyed by it */
  readonly name: string;
  readonly type: string;
  /** domains this step applies to (null: all); other documents pass through untouched */
  readonly domains: readonly string[] | null;
  /** called once per task before the first document (load models, build indexes) */
  init?(ctx: StepContext): Promise<void> | void;
  /** called once per task after the last document */
  finish?(ctx: StepContext): Promise<void> | void;
}

export interface TransformStep extends StepBase {
  readonly kind: "transform";
  process(doc: Document, ctx: StepContext): Document | null | Promise<Document | null>;
}

/** A global phase of a barrier step: runs as `tasks` ranks (rank ≥ tasks: nothing to do). */
export interface GlobalPhase {
  /** "buckets", "clusters", ... (the phase is named "<step>.<name>") */
  readonly name: string;
  /** how many ranks have work, given the world size */
  tasks(worldSize: number): number;
  run(rank: number, worldSize: number, ctx: StepContext): Promise<void> | void;
}

export interface BarrierStep extends StepBase {
  readonly kind: "barrier";
  /** signature phase: sees every document reaching the step, in order; `index` counts them per rank from 0 */
  signature(doc: Document, index: number, ctx: StepContext): void;
  /** signature phase: the last document of this rank has been seen (flush sorted runs to disk) */
  finishSignatures(count: number, ctx: StepContext): Promise<void> | void;
  /** the phases between the signatures and the filter, in order */
  readonly phases: readonly GlobalPhase[];
  /**
   * filter phase: a predicate over the document indexes of this rank (in the same order as in the signature
   * phase); returns null to keep, or the removal reason and detail
   */
  openFilter(ctx: StepContext): Promise<(index: number) => { reason: string; detail?: string } | null>;
}

export type Step = TransformStep | BarrierStep;
