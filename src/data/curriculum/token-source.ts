/**
 * The curriculum as the trainer's TokenSource: the trainer tells it the optimizer step (setStep) and asks the
 * step's batch shape and RoPE θ (shapeAt); next() returns the step's micro-batches in the phase's shape, and the
 * held-out loss is measured per domain, and with `curriculum.auto_mixture` the trainer's measure of it adjusts each
 * later phase's mixture (adjustMixture). The state is the CurriculumSource's: phase, mixer credits, stream cursors,
 * adjusted mixtures.
 */
import type { Batch } from "../../model/batch.js";
import type { BatchShape, MixtureAdjustment, TokenSource } from "../source.js";
import type { CurriculumSource } from "./source.js";

export class CurriculumTokenSource implements TokenSource {
  private step = 0;

  constructor(private readonly curriculum: CurriculumSource, private readonly label: string,
    private readonly validationDomains: readonly string[]) {}

  get vocabSize(): number {
    return this.curriculum.vocabSize;
  }

  setStep(step: number): void {
    this.step = step;
  }

  shapeAt(step: number): BatchShape {
    const p = this.curriculum.phaseAt(step);
    return { rows: p.rows, seq: p.seq, ropeTheta: p.ropeTheta, phase: p.name };
  }

  next(rows: number, seq: number): Batch {
    const b = this.curriculum.next(this.step);
    if (b.rows !== rows || b.seq !== seq) {
      throw new Error(`internal: step ${this.step + 1} was asked for ${rows}×${seq} but its phase gives ${b.rows}×${b.seq}`);
    }
    return b;
  }

  adjustMixture(step: number, measure: () => Record<string, number>): MixtureAdjustment | null {
    return this.curriculum.adjustMixture(step, measure);
  }

  validationByDomain(rows: number, seq: number, maxBatches: number): Map<string, Batch[]> {
    const out = new Map<string, Batch[]>();
    for (const d of this.validationDomains) {
      const batches = this.curriculum.validation(d, rows, seq, maxBatches);
      if (batches.length) out.set(d, batches);
    }
    return out;
  }

  validation(rows: number, seq: number, maxBatches: number): Batch[] {
    return [...this.validationByDomain(rows, seq, maxBatches).values()].flat();
  }

  state(): unknown {
    return this.curriculum.state();
  }

  restore(state: unknown): void {
    this.curriculum.restore(state);
  }

  describe(): string {
    return this.label;
  }
}
