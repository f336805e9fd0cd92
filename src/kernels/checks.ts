/** Argument checks shared by the kernel implementations. */

/** Throws a RangeError naming the first id outside [0, vocab). */
export function checkIds(ids: Int32Array, rows: number, vocab: number): void {
  if (ids.length < rows) throw new RangeError(`token ids: need ${rows}, got ${ids.length}`);
  for (let r = 0; r < rows; r++) {
    const id = ids[r];
    if (id < 0 || id >= vocab) {
      throw new RangeError(`token id ${id} at position ${r} is outside the vocabulary [0, ${vocab})`);
    }
  }
}
