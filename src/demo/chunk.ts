/**
 * Cutting a long text into documents of at most `maxBytes` UTF-8 bytes at natural boundaries. Each chunk is a
 * verbatim piece of the text (only the separator whitespace at a cut is dropped). Boundaries come in levels,
 * strongest first (paragraph ends, then line ends, then sentence ends, then spaces). The target size splits
 * what is left into equal chunks (so a full chunk is not followed by a 20-byte tail); each cut is made at the
 * strongest level that has a boundary between half the target and the limit, at the one nearest the target.
 * Only a stretch with no boundary at all is cut mid-word (at a code point).
 */

/** A boundary: a global regular expression matching the separator the text is cut at. */
export type Level = RegExp;

export const PARAGRAPHS: Level = /\n[ \t]*\n\s*/g;
export const LINES: Level = /\n/g;
/** after . ! ? (and closing quotes or brackets), before whitespace and a capital, a digit or an opening quote */
export const SENTENCES: Level = /(?<=[.!?]["'”’)\]]*)\s+(?=["'“‘(]?[A-Z0-9])/g;
export const WORDS: Level = /\s+/g;

export const PROSE: readonly Level[] = [PARAGRAPHS, LINES, SENTENCES, WORDS];

/** UTF-8 bytes of text[0..i) for every i in [0, text.length] (a low surrogate gets its pair's offset). */
function byteOffsets(text: string): Int32Array {
  const out = new Int32Array(text.length + 1);
  let b = 0;
  for (let i = 0; i < text.length; i++) {
    out[i] = b;
    const c = text.charCodeAt(i);
    if (c < 0x80) b += 1;
    else if (c < 0x800) b += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      out[i + 1] = b; // not a place to cut; a cut there is never chosen since no separator matches inside a pair
      b += 4;
      i++;
    } else b += 3;
  }
  out[text.length] = b;
  return out;
}

/** The largest e with off[e] - off[s] ≤ maxBytes, never inside a surrogate pair. */
function windowEnd(text: string, off: Int32Array, s: number, maxBytes: number): number {
  let lo = s;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (off[mid] - off[s] <= maxBytes) lo = mid;
    else hi = mid - 1;
  }
  if (lo > s && lo < text.length && (text.charCodeAt(lo) & 0xfc00) === 0xdc00) lo--;
  return lo;
}

const tidyChunk = (s: string) => s.replace(/^(?:[ \t]*\n)+/, "").trimEnd();

export function chunkText(text: string, maxBytes: number, levels: readonly Level[] = PROSE): string[] {
  if (!(maxBytes >= 16)) throw new RangeError(`chunkText: maxBytes must be at least 16, got ${maxBytes}`);
  const out: string[] = [];
  if (text.length * 3 <= maxBytes) {
    const t = tidyChunk(text);
    return t.trim() === "" ? [] : [t];
  }
  const off = byteOffsets(text);
  const push = (s: string) => {
    const t = tidyChunk(s);
    if (t.trim() !== "") out.push(t);
  };
  let s = 0;
  while (s < text.length) {
    const e = windowEnd(text, off, s, maxBytes);
    if (e >= text.length) {
      push(text.slice(s));
      break;
    }
    // Bytes left decide the chunk size that splits the rest evenly.
    const left = off[text.length] - off[s];
    const target = left / Math.ceil(left / maxBytes);
    const window = text.slice(s, e);
    let cut: { at: number; next: number } | null = null;
    let fallback: { at: number; next: number; bytes: number } | null = null;
    for (const level of levels) {
      const re = new RegExp(level.source, level.flags.includes("g") ? level.flags : level.flags + "g");
      let best: { at: number; next: number; dist: number } | null = null;
      for (let m = re.exec(window); m !== null; m = re.exec(window)) {
        if (m[0].length === 0) re.lastIndex++;
        const bytes = off[s + m.index] - off[s];
        if (bytes === 0) continue;
        const next = s + m.index + m[0].length;
        if (!fallback || bytes > fallback.bytes) fallback = { at: s + m.index, next, bytes };
        if (bytes < target / 2) continue;
        const dist = Math.abs(bytes - target);
        if (!best || dist < best.dist) best = { at: s + m.index, next, dist };
      }
      if (best) {
        cut = best;
        break;
      }
    }
    cut ??= fallback ?? { at: e, next: e };
    push(text.slice(s, cut.at));
    s = cut.next;
  }
  return out;
}
