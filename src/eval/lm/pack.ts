/**
 * Packing independent sequences into rows of a fixed length (first-fit decreasing), and rows into passes of a
 * token budget. Deterministic: ties are broken by input order, so the same requests always pack the same way.
 */

export interface PackedSegment {
  /** index of the sequence in the input */
  index: number;
  /** where it starts in its row */
  offset: number;
  length: number;
}

export interface PackedRow {
  segments: PackedSegment[];
  used: number;
}

/** Packs sequences of the given lengths (each ≤ rowLen) into as few rows as first-fit decreasing finds. */
export function packRows(lengths: readonly number[], rowLen: number): PackedRow[] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
  const rows: PackedRow[] = [];
  for (const i of order) {
    const n = lengths[i];
    if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`packRows: sequence ${i} has length ${n}`);
    if (n > rowLen) throw new RangeError(`packRows: sequence ${i} of ${n} tokens does not fit a row of ${rowLen}`);
    let row = rows.find((r) => r.used + n <= rowLen);
    if (!row) {
      row = { segments: [], used: 0 };
      rows.push(row);
    }
    row.segments.push({ index: i, offset: row.used, length: n });
    row.used += n;
  }
  return rows;
}

/** Groups rows into passes of at most `budget` tokens (at least one row per pass). */
export function batchRows<T>(rows: readonly T[], rowLen: number, budget: number): T[][] {
  const per = Math.max(1, Math.floor(budget / rowLen));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += per) out.push(rows.slice(i, i + per));
  return out;
}
