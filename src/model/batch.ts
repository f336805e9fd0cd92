/** A batch of packed rows: token ids, next-token targets, and optional per-document positions and mask. */

export interface Batch {
  rows: number;
  seq: number;
  /** [rows·seq] token ids. */
  ids: Int32Array;
  /** [rows·seq] the token each position predicts; −1 = no loss at that position. */
  targets: Int32Array;
  /** [rows·seq] RoPE positions; default 0..seq−1 in every row. */
  positions?: Int32Array | null;
  /** [rows·seq] first visible key position of each query (per-document attention mask); default none. */
  segStart?: Int32Array | null;
}

/** Positions 0..seq−1 in every row. */
export function defaultPositions(rows: number, seq: number): Int32Array {
  const p = new Int32Array(rows * seq);
  for (let r = 0; r < rows; r++) for (let i = 0; i < seq; i++) p[r * seq + i] = i;
  return p;
}

/** Checks a batch against the model's limits; throws a RangeError that says what is wrong. */
export function checkBatch(b: Batch, vocab: number, maxSeq: number): void {
  const n = b.rows * b.seq;
  if (!Number.isInteger(b.rows) || !Number.isInteger(b.seq) || b.rows < 1 || b.seq < 1) {
    throw new RangeError(`batch: rows (${b.rows}) and seq (${b.seq}) must be positive integers`);
  }
  if (b.ids.length < n || b.targets.length < n) {
    throw new RangeError(`batch: ids and targets need ${n} entries (rows·seq), got ${b.ids.length} and ${b.targets.length}`);
  }
  for (let i = 0; i < n; i++) {
    const t = b.targets[i];
    if (t < -1 || t >= vocab) throw new RangeError(`batch: target ${t} at position ${i} is outside [−1, ${vocab})`);
  }
  if (b.positions) {
    if (b.positions.length < n) throw new RangeError(`batch: positions need ${n} entries, got ${b.positions.length}`);
    for (let i = 0; i < n; i++) {
      const p = b.positions[i];
      if (p < 0 || p >= maxSeq) {
        throw new RangeError(`batch: position ${p} at ${i} is outside [0, max_seq_len = ${maxSeq})`);
      }
    }
  } else if (b.seq > maxSeq) {
    throw new RangeError(`batch: sequence length ${b.seq} exceeds max_seq_len ${maxSeq}`);
  }
  if (b.segStart) {
    if (b.segStart.length < n) throw new RangeError(`batch: segStart needs ${n} entries, got ${b.segStart.length}`);
    for (let r = 0; r < b.rows; r++) {
      for (let i = 0; i < b.seq; i++) {
        const s = b.segStart[r * b.seq + i];
        if (s < 0 || s > i) throw new RangeError(`batch: segStart ${s} at row ${r}, position ${i} must be in [0, ${i}]`);
      }
    }
  }
}
