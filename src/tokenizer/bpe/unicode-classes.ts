/**
 * The character classes the pre-tokenizer regexes use — \p{L} (letters), \p{N} (numbers) and \s — as one byte
 * per code point, so the hand-written splitters classify a character with one array read instead of a regex.
 *
 * \s follows Oniguruma (the regex engine of Hugging Face `tokenizers`) and llama.cpp, which both use the Unicode
 * White_Space property: it includes U+0085 (NEXT LINE) and excludes U+FEFF (BYTE ORDER MARK), unlike
 * JavaScript's \s, which does the opposite. The table comes from this engine's own Unicode data (V8/ICU; Node 20
 * has Unicode 15), so code points assigned in later Unicode versions may be classified differently by other
 * implementations; everything assigned by Unicode 15 agrees.
 * Lone UTF-16 surrogates are OTHER (they are neither letters, numbers nor space in any of the three).
 */

export const OTHER = 0;
export const LETTER = 1;
export const NUMBER = 2;
export const SPACE = 3;

let table: Uint8Array | null = null;
const BLOCK_BITS = 12;
/** Which 4096-code-point blocks of the table are filled (the BMP at once, astral blocks on first use). */
const filled = new Uint8Array(0x110000 >> BLOCK_BITS);
const LETTERS = /\p{L}+/gu;
const NUMBERS = /\p{N}+/gu;
const SPACES = /\p{White_Space}+/gu;

/** Marks every code point matched by `re` (a global, unicode regex) in code points [lo, hi). */
function mark(t: Uint8Array, re: RegExp, value: number, lo: number, hi: number): void {
  const cps: number[] = [];
  for (let cp = lo; cp < hi; cp++) if (cp < 0xd800 || cp > 0xdfff) cps.push(cp);
  const s = String.fromCodePoint(...cps);
  // Map string offsets back to code points: walk both in step.
  let offset = 0;
  let k = 0;
  for (const m of s.matchAll(re)) {
    const start = m.index!;
    while (offset < start) {
      offset += cps[k] > 0xffff ? 2 : 1;
      k++;
    }
    const end = start + m[0].length;
    while (offset < end) {
      t[cps[k]] = value;
      offset += cps[k] > 0xffff ? 2 : 1;
      k++;
    }
  }
}

function fill(t: Uint8Array, block: number): void {
  const lo = block << BLOCK_BITS;
  const hi = lo + (1 << BLOCK_BITS);
  mark(t, LETTERS, LETTER, lo, hi);
  mark(t, NUMBERS, NUMBER, lo, hi);
  mark(t, SPACES, SPACE, lo, hi);
  filled[block] = 1;
}

/**
 * The class table: index it with a BMP code unit directly; astral code points must go through `astralClass`,
 * which fills their block on first use (most astral blocks are never needed).
 */
export function classTable(): Uint8Array {
  if (table) return table;
  const t = new Uint8Array(0x110000);
  for (let b = 0; b < 0x10000 >> BLOCK_BITS; b++) fill(t, b);
  table = t;
  return t;
}

/** The class of an astral code point (U+10000 and up). */
export function astralClass(cp: number): number {
  const t = table ?? classTable();
  const block = cp >> BLOCK_BITS;
  if (!filled[block]) fill(t, block);
  return t[cp];
}

/** The class of any code point. */
export function classOf(cp: number): number {
  return cp < 0x10000 ? classTable()[cp] : astralClass(cp);
}
