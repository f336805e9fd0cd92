/**
 * Pre-tokenization: cutting text into "words" before BPE, so merges never cross a word boundary.
 *
 * Our tokenizers use the Qwen2 split regex (the same one Qwen2/2.5, DeepSeek-R1-distill-Qwen and several others
 * ship, and that llama.cpp knows as pre-tokenizer "qwen2"):
 *
 *   (?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 *
 * In words: English contractions; a run of letters with at most one leading non-letter, non-digit character (so
 * " the", "(foo" and "_bar" are words); every digit on its own (so "2024" is four words and arithmetic sees each
 * digit); a run of punctuation/symbols with an optional leading space and any newlines right after it; whitespace
 * up to and including the last newline of a run; other whitespace runs minus their last character (which then
 * leads the next word), or the whole run at the end of the text.
 *
 * The regex is implemented here by hand, alternative by alternative, over a per-code-point class table (see
 * unicode-classes.ts), which is several times faster than a RegExp and lets us use Oniguruma's \s (Unicode
 * White_Space) rather than JavaScript's. The GPT-2 regex (Hugging Face ByteLevel with use_regex=true) and the
 * Llama 3 regex (digits in groups of up to three) are implemented the same way, to read existing tokenizers.
 * Other Split patterns fall back to a JavaScript RegExp.
 */
import { astralClass, classTable, LETTER, NUMBER, OTHER, SPACE } from "./unicode-classes.js";

/** The pattern our tokenizers write into tokenizer.json (the form llama.cpp quotes for its "qwen2" pre-type). */
export const QWEN2_PATTERN =
  "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/** The same regex as Qwen2's own tokenizer.json writes it (case-insensitive group). */
export const QWEN2_PATTERN_ORIGINAL =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
export const LLAMA3_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
export const LLAMA3_PATTERN_EXPANDED =
  "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/** GPT-2's regex, which Hugging Face ByteLevel applies when use_regex is true. */
export const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/** A growable list of piece end offsets (exclusive), reused across calls to avoid garbage. */
export class Ends {
  a = new Int32Array(256);
  n = 0;

  push(end: number): void {
    if (this.n === this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = end;
  }
}

export interface Splitter {
  /** A short name ("qwen2", "gpt2", "llama3", "digits", "regex") for messages and the GGUF pre-type. */
  readonly name: string;
  /**
   * Cuts text[start, end) into pieces that cover it, appending each piece's end offset to `out` in order
   * (pieces are never empty).
   */
  split(text: string, start: number, end: number, out: Ends): void;
}

const table = classTable();

/** Class of the character at i (text[i] starts it); surrogate pairs are one astral character. */
function classAt(text: string, i: number, end: number): number {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdfff) return table[c];
  if (c <= 0xdbff && i + 1 < end) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return astralClass(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000);
  }
  return OTHER; // a lone surrogate
}

/** Code units taken by the character at i (2 for a surrogate pair, else 1). */
function widthAt(text: string, i: number, end: number): number {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff || i + 1 >= end) return 1;
  const d = text.charCodeAt(i + 1);
  return d >= 0xdc00 && d <= 0xdfff ? 2 : 1;
}

/** End of the run of characters of class `k` starting at i. */
function runEnd(text: string, i: number, end: number, k: number): number {
  while (i < end && classAt(text, i, end) === k) i += widthAt(text, i, end);
  return i;
}

/** Length of the contraction ('s 't 're 've 'm 'll 'd) at i, or 0; `anyCase` as (?i:…) / [sS]. */
function contraction(text: string, i: number, end: number, anyCase: boolean): number {
  if (i + 1 >= end) return 0;
  const fold = anyCase ? 0x20 : 0;
  const a = text.charCodeAt(i + 1);
  // ORing 0x20 folds exactly the ASCII capitals onto the small letters tested here (no other code unit lands there).
  const la = a | fold;
  if (la === 0x73 || la === 0x74 || la === 0x6d || la === 0x64) return anyCase || a === la ? 2 : 0; // s t m d
  if (i + 2 >= end) return 0;
  const b = text.charCodeAt(i + 2);
  const lb = b | fold;
  if (!anyCase && (a !== la || b !== lb)) return 0;
  if ((la === 0x72 && lb === 0x65) || (la === 0x76 && lb === 0x65) || (la === 0x6c && lb === 0x6c)) return 3; // re ve ll
  return 0;
}

/**
 * The Qwen2 regex (maxDigits 1) and the Llama 3 regex (maxDigits 3), which differ only in \p{N} vs \p{N}{1,3}.
 * Each branch below is one alternative of the regex, tried in the regex's order.
 */
export class Qwen2Splitter implements Splitter {
  readonly name: string;
  constructor(private readonly maxDigits: 1 | 3 = 1) {
    this.name = maxDigits === 1 ? "qwen2" : "llama3";
  }

  split(text: string, start: number, end: number, out: Ends): void {
    let i = start;
    while (i < end) {
      const c = text.charCodeAt(i);
      const k = classAt(text, i, end);
      // (?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])
      if (c === 0x27) {
        const n = contraction(text, i, end, true);
        if (n) {
          out.push((i += n));
          continue;
        }
      }
      // [^\r\n\p{L}\p{N}]?\p{L}+
      if (k === LETTER) {
        out.push((i = runEnd(text, i, end, LETTER)));
        continue;
      }
      if (c !== 0x0d && c !== 0x0a && k !== NUMBER) {
        const j = i + widthAt(text, i, end);
        if (j < end && classAt(text, j, end) === LETTER) {
          out.push((i = runEnd(text, j, end, LETTER)));
          continue;
        }
      }
      // \p{N} or \p{N}{1,3}
      if (k === NUMBER) {
        let n = 0;
        do {
          i += widthAt(text, i, end);
          n++;
        } while (n < this.maxDigits && i < end && classAt(text, i, end) === NUMBER);
        out.push(i);
        continue;
      }
      // " ?[^\s\p{L}\p{N}]+[\r\n]*"
      if (k === OTHER || (c === 0x20 && i + 1 < end && classAt(text, i + 1, end) === OTHER)) {
        let j = runEnd(text, k === OTHER ? i : i + 1, end, OTHER);
        while (j < end && (text.charCodeAt(j) === 0x0d || text.charCodeAt(j) === 0x0a)) j++;
        out.push((i = j));
        continue;
      }
      // k is SPACE here: "\s*[\r\n]+", then "\s+(?!\S)", then "\s+". Whitespace is all in the BMP (and the
      // table has OTHER for surrogate code units).
      let j = i;
      let lastNewline = -1;
      while (j < end && table[text.charCodeAt(j)] === SPACE) {
        const cj = text.charCodeAt(j);
        if (cj === 0x0d || cj === 0x0a) lastNewline = j;
        j++;
      }
      if (lastNewline >= 0) i = lastNewline + 1;
      else if (j - i >= 2 && j < end) i = j - 1;
      else i = j;
      out.push(i);
    }
  }
}

/** GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
export class Gpt2Splitter implements Splitter {
  readonly name = "gpt2";

  split(text: string, start: number, end: number, out: Ends): void {
    let i = start;
    while (i < end) {
      const c = text.charCodeAt(i);
      const k = classAt(text, i, end);
      if (c === 0x27) {
        const n = contraction(text, i, end, false);
        if (n) {
          out.push((i += n));
          continue;
        }
      }
      if (k === SPACE && c === 0x20 && i + 1 < end) {
        // " ?X+" for X = letters, numbers, other: a single space joins the run after it.
        const k2 = classAt(text, i + 1, end);
        if (k2 !== SPACE) {
          out.push((i = runEnd(text, i + 1, end, k2)));
          continue;
        }
      }
      if (k !== SPACE) {
        out.push((i = runEnd(text, i, end, k)));
        continue;
      }
      let j = i;
      while (j < end && table[text.charCodeAt(j)] === SPACE) j++;
      i = j - i >= 2 && j < end ? j - 1 : j;
      out.push(i);
    }
  }
}

/** Hugging Face's Digits pre-tokenizer: numbers (\p{N}) isolated one by one, or as whole runs. */
export class DigitsSplitter implements Splitter {
  readonly name = "digits";
  constructor(private readonly individual: boolean) {}

  split(text: string, start: number, end: number, out: Ends): void {
    let i = start;
    while (i < end) {
      const number = classAt(text, i, end) === NUMBER;
      if (number && this.individual) i += widthAt(text, i, end);
      else {
        let j = i;
        while (j < end && (classAt(text, j, end) === NUMBER) === number) j += widthAt(text, j, end);
        i = j;
      }
      out.push(i);
    }
  }
}

/**
 * A Split pre-tokenizer with any other pattern, through a JavaScript RegExp (flags "gu"), with Hugging Face's
 * behaviour "Isolated": matches and the gaps between them are pieces. Differences from Oniguruma that remain:
 * \s here is JavaScript's (it matches U+FEFF and not U+0085), and (?i:…) groups are not available.
 */
export class RegexSplitter implements Splitter {
  readonly name = "regex";
  private readonly re: RegExp;

  constructor(readonly pattern: string) {
    try {
      this.re = new RegExp(pattern, "gu");
    } catch (e) {
      throw new Error(`the Split pattern ${JSON.stringify(pattern)} is not a valid JavaScript regex ` +
        `(${(e as Error).message}); only the Qwen2, Llama 3 and GPT-2 patterns are built in`);
    }
  }

  split(text: string, start: number, end: number, out: Ends): void {
    const re = this.re;
    const s = text.slice(start, end);
    re.lastIndex = 0;
    let prev = 0;
    for (let m = re.exec(s); m !== null; m = re.exec(s)) {
      if (m[0].length === 0) {
        re.lastIndex += widthAt(s, re.lastIndex, s.length);
        continue;
      }
      if (m.index > prev) out.push(start + m.index);
      prev = m.index + m[0].length;
      out.push(start + prev);
    }
    if (prev < s.length) out.push(end);
  }
}

/** Applies splitters one after the other: every piece of one is cut again by the next (HF "Sequence"). */
export class SequenceSplitter implements Splitter {
  readonly name: string;
  private readonly scratch: Ends[];

  constructor(private readonly steps: Splitter[]) {
    this.name = steps.map((s) => s.name).join("+");
    this.scratch = steps.map(() => new Ends());
  }

  split(text: string, start: number, end: number, out: Ends): void {
    this.run(0, text, start, end, out);
  }

  private run(level: number, text: string, start: number, end: number, out: Ends): void {
    if (level === this.steps.length) {
      out.push(end);
      return;
    }
    const buf = this.scratch[level];
    buf.n = 0;
    this.steps[level].split(text, start, end, buf);
    // The next level reuses its own buffer, so copy this level's ends before descending.
    const ends = buf.a.slice(0, buf.n);
    let from = start;
    for (const e of ends) {
      this.run(level + 1, text, from, e, out);
      from = e;
    }
  }
}

/** The whole segment as one piece (a pre-tokenizer that does not split, e.g. ByteLevel with use_regex false). */
export class WholeSplitter implements Splitter {
  readonly name = "none";
  split(_text: string, start: number, end: number, out: Ends): void {
    if (end > start) out.push(end);
  }
}
