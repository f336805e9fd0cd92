/**
 * Batches for a curriculum: at each step the phase decides the rows, the sequence length, the mixture and the
 * document masking; the mixer picks each row's domain; the domain's stream fills the row with seq+1 tokens
 * (documents packed back to back, each ending with EOS as tokenized). Everything that decides the next batch —
 * phase, mixer credits, every stream's cursor, the mixtures the automatic mixture rule adjusted — is the
 * checkpointed state, so resume is exact across phase boundaries.
 */
import type { Batch } from "../../model/batch.js";
import type { MixtureAdjustment } from "../source.js";
import type { AutoMixtureConfig } from "./config.js";
import type { ShardSet } from "../tokens/shard-set.js";
import { Mixer, type MixerState } from "./mixer.js";
import { phaseAt, type CurriculumPlan, type PhasePlan } from "./plan.js";
import { autoShares, shares, type PhaseConfig } from "./phases.js";
import { DomainStream, type StreamCursor } from "./stream.js";

export interface CurriculumState {
  kind: "curriculum";
  phase: number;
  mixer: MixerState;
  streams: Record<string, StreamCursor>;
  rows: Record<string, number>;
  /**
   * Phase index → the shares the automatic mixture rule gave it (absent in checkpoints written before the rule
   * existed: no adjustments).
   */
  adjusted?: Record<string, Record<string, number>>;
}

export class CurriculumSource {
  readonly vocabSize: number;
  private readonly streams = new Map<string, DomainStream>();
  private readonly mixer: Mixer;
  private phase = 0;
  private rowsByDomain: Record<string, number> = {};
  private buffers = new Map<string, { batch: Batch; row: Int32Array; segStart: Int32Array; positions: Int32Array }>();
  private validationCache = new Map<string, Batch[]>();
  /** phase index → shares set by the automatic mixture rule (sorted by domain, as shares() gives them) */
  private adjusted = new Map<number, [string, number][]>();

  constructor(private readonly set: ShardSet, readonly plan: CurriculumPlan, private readonly phases: PhaseConfig[],
    private readonly seed: number | string, private readonly maxEpochs: Record<string, number> = {},
    private readonly autoMixture: AutoMixtureConfig | null = null) {
    this.vocabSize = set.index.vocab_size;
    for (const p of phases) for (const d of Object.keys(p.mixture)) set.domain(d);
    this.mixer = new Mixer(shares(phases[0]));
  }

  private stream(domain: string): DomainStream {
    let s = this.streams.get(domain);
    if (!s) {
      s = new DomainStream(this.set, domain, "train", this.seed, this.maxEpochs[domain] ?? 1);
      this.streams.set(domain, s);
    }
    return s;
  }

  phaseAt(step: number): PhasePlan {
    return phaseAt(this.plan, step);
  }

  /** The shares phase `index` mixes by: adjusted ones when the automatic rule set them, else the declared ones. */
  sharesOf(index: number): [string, number][] {
    return this.adjusted.get(index) ?? shares(this.phases[index]);
  }

  /**
   * The automatic mixture rule: at the first step of a phase after the first (and only once per phase), measures
   * the held-out loss per domain and adjusts the phase's shares (autoShares). Null when the rule is off or the step
   * is not such a step. Call before the step's next().
   */
  adjustMixture(step: number, measure: () => Record<string, number>): MixtureAdjustment | null {
    if (!this.autoMixture?.enabled) return null;
    const p = this.phaseAt(step);
    if (p.index === 0 || step !== p.startStep || this.adjusted.has(p.index)) return null;
    const declared = shares(this.phases[p.index]);
    const measured = measure();
    const losses: Record<string, number> = {};
    for (const [d] of declared) if (Number.isFinite(measured[d])) losses[d] = measured[d];
    const next = autoShares(declared, losses, this.autoMixture.strength, this.autoMixture.min_share);
    this.adjusted.set(p.index, next);
    if (this.phase === p.index) this.mixer.setShares(next);
    return { phase: p.name, shares: Object.fromEntries(next), declared: Object.fromEntries(declared), losses };
  }

  private buffer(rows: number, seq: number) {
    const key = `${rows}x${seq}`;
    let b = this.buffers.get(key);
    if (!b) {
      const n = rows * seq;
      b = {
        batch: { rows, seq, ids: new Int32Array(n), targets: new Int32Array(n) },
        row: new Int32Array(seq + 1), segStart: new Int32Array(n), positions: new Int32Array(n),
      };
      this.buffers.set(key, b);
    }
    return b;
  }

  /** The micro-batch for the (0-based) global optimizer step `step`. */
  next(step: number): Batch {
    const p = this.phaseAt(step);
    if (p.index !== this.phase) {
      this.phase = p.index;
      this.mixer.setShares(this.sharesOf(p.index));
    }
    const { rows, seq } = p;
    const buf = this.buffer(rows, seq);
    const { batch, row } = buf;
    for (let r = 0; r < rows; r++) {
      const domain = this.mixer.next();
      this.rowsByDomain[domain] = (this.rowsByDomain[domain] ?? 0) + 1;
      let docStart = 0;
      const starts: number[] = [];
      this.stream(domain).read(row, 0, seq + 1, (pos) => starts.push(pos));
      let k = 0;
      for (let i = 0; i < seq; i++) {
        while (k < starts.length && starts[k] <= i) docStart = starts[k++];
        batch.ids[r * seq + i] = row[i];
        batch.targets[r * seq + i] = row[i + 1];
        buf.segStart[r * seq + i] = p.docMask ? docStart : 0;
        buf.positions[r * seq + i] = p.resetPositions ? i - docStart : i;
      }
    }
    batch.segStart = p.docMask ? buf.segStart : null;
    batch.positions = p.resetPositions ? buf.positions : null;
    return batch;
  }

  /** Held-out batches of one domain (its valid shards, in file order), the same on every call. */
  validation(domain: string, rows: number, seq: number, maxBatches: number): Batch[] {
    const key = `${domain}/${rows}x${seq}/${maxBatches}`;
    const cached = this.validationCache.get(key);
    if (cached) return cached;
    const d = this.set.domain(domain);
    const out: Batch[] = [];
    if (d.valid.length > 0) {
      const stream = new DomainStream(this.set, domain, "valid", this.seed, 1);
      const row = new Int32Array(seq + 1);
      const possible = Math.floor(d.tokens.valid / (seq + 1) / rows);
      for (let b = 0; b < Math.min(maxBatches, possible); b++) {
        const batch: Batch = { rows, seq, ids: new Int32Array(rows * seq), targets: new Int32Array(rows * seq) };
        for (let r = 0; r < rows; r++) {
          stream.read(row, 0, seq + 1);
          batch.ids.set(row.subarray(0, seq), r * seq);
          batch.targets.set(row.subarray(1), r * seq);
        }
        out.push(batch);
      }
    }
    this.validationCache.set(key, out);
    return out;
  }

  /** Rows produced so far by domain (the mixture actually fed). */
  rowsFed(): Record<string, number> {
    return { ...this.rowsByDomain };
  }

  /** Tokens read so far by domain and how many epochs each has started. */
  consumption(): Record<string, { tokens: number; epoch: number }> {
    return Object.fromEntries([...this.streams].map(([d, s]) => [d, { tokens: s.consumed, epoch: s.epoch }]));
  }

  state(): CurriculumState {
    return {
      kind: "curriculum", phase: this.phase, mixer: this.mixer.state(),
      streams: Object.fromEntries([...this.streams].map(([d, s]) => [d, s.state()])), rows: { ...this.rowsByDomain },
      adjusted: Object.fromEntries([...this.adjusted].map(([i, sh]) => [String(i), Object.fromEntries(sh)])),
    };
  }

  restore(state: unknown): void {
    const s = state as CurriculumState;
    if (!s || s.kind !== "curriculum") throw new Error(`cannot restore a curriculum from ${JSON.stringify(state)?.slice(0, 80)}`);
    this.phase = s.phase;
    this.adjusted = new Map(Object.entries(s.adjusted ?? {}).map(([i, sh]) =>
      [Number(i), Object.keys(sh).sort().map((d): [string, number] => [d, sh[d]])]));
    this.mixer.setShares(this.sharesOf(s.phase));
    this.mixer.restore(s.mixer);
    for (const [d, c] of Object.entries(s.streams)) this.stream(d).restore(c);
    this.rowsByDomain = { ...s.rows };
  }
}
