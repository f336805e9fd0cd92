/**
 * Reading a training or evaluation corpus for the tokenizer: which files, which domain each belongs to, and
 * reading them in chunks cut where the pre-tokenizer is guaranteed to cut anyway, so chunked processing gives
 * exactly the words of whole-file processing while memory stays bounded.
 *
 * Inputs are files or folders, each optionally prefixed with a domain name ("code=src/", "web=crawl.jsonl").
 * Without a prefix the domain is the file or folder name without its extension. Folders are searched
 * recursively (hidden entries skipped, names sorted) for the extensions in TEXT_EXTENSIONS; files named
 * directly are always read. "*.jsonl" files hold one JSON object per line whose "text" field (or the field
 * given) is a document; every other file is one plain-text document.
 *
 * Invalid UTF-8 is replaced by U+FFFD (one per maximal invalid subsequence, the WHATWG rule) and counted; a
 * byte order mark at the start of a file is dropped.
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { isUtf8 } from "node:buffer";
import { basename, extname, join, resolve } from "node:path";
import { classOf, LETTER } from "./unicode-classes.js";

export const TEXT_EXTENSIONS = [
  ".txt", ".text", ".md", ".markdown", ".rst", ".tex", ".jsonl",
  ".py", ".js", ".mjs", ".ts", ".c", ".h", ".cc", ".cpp", ".hpp", ".go", ".rs", ".java", ".sh", ".pl", ".pm",
];

export interface CorpusFile {
  path: string;
  domain: string;
  format: "text" | "jsonl";
  size: number;
}

export class CorpusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CorpusError";
  }
}

function formatOf(path: string): "text" | "jsonl" {
  return extname(path).toLowerCase() === ".jsonl" ? "jsonl" : "text";
}

function walk(dir: string, out: string[]): void {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (e) {
    throw new CorpusError(`cannot read folder ${dir}: ${(e as Error).message}`);
  }
  for (const name of names) {
    if (name.startsWith(".")) continue;
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) walk(p, out);
    else if (st.isFile() && TEXT_EXTENSIONS.includes(extname(name).toLowerCase())) out.push(p);
  }
}

/** Splits "domain=path" (only when `path` itself is not an existing file name containing "="). */
export function parseInput(spec: string): { domain: string | null; path: string } {
  const eq = spec.indexOf("=");
  if (eq > 0 && !statSync(spec, { throwIfNoEntry: false }) && /^[A-Za-z0-9_.-]+$/.test(spec.slice(0, eq))) {
    return { domain: spec.slice(0, eq), path: spec.slice(eq + 1) };
  }
  return { domain: null, path: spec };
}

/** The files of the inputs, in order (see the file comment). Errors name the input that is wrong. */
export function expandInputs(inputs: readonly string[]): CorpusFile[] {
  if (inputs.length === 0) throw new CorpusError("no input given: name text or JSONL files or folders with --in");
  const files: CorpusFile[] = [];
  for (const spec of inputs) {
    const { domain, path } = parseInput(spec);
    const abs = resolve(path);
    const st = statSync(abs, { throwIfNoEntry: false });
    if (!st) throw new CorpusError(`input ${path} does not exist`);
    const name = domain ?? basename(abs).replace(/\.(jsonl|txt|text|md|rst)$/i, "");
    if (st.isDirectory()) {
      const found: string[] = [];
      walk(abs, found);
      if (found.length === 0) {
        throw new CorpusError(`folder ${path} holds no text files (looked for ${TEXT_EXTENSIONS.join(" ")})`);
      }
      for (const f of found) files.push({ path: f, domain: name, format: formatOf(f), size: statSync(f).size });
    } else {
      files.push({ path: abs, domain: name, format: formatOf(abs), size: st.size });
    }
  }
  return files;
}

/** Is offset `i` of `bytes` (just after a "\n") followed by a letter? Then the pre-tokenizers always cut there. */
function letterAt(bytes: Uint8Array, i: number, end: number): boolean {
  if (i >= end) return false;
  const b = bytes[i];
  if (b < 0x80) return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
  // Decode one multi-byte UTF-8 sequence (invalid ones are simply not letters).
  let cp: number, n: number;
  if (b >= 0xc2 && b <= 0xdf) { cp = b & 0x1f; n = 1; }
  else if (b >= 0xe0 && b <= 0xef) { cp = b & 0x0f; n = 2; }
  else if (b >= 0xf0 && b <= 0xf4) { cp = b & 0x07; n = 3; }
  else return false;
  if (i + n >= end) return false;
  for (let k = 1; k <= n; k++) {
    const c = bytes[i + k];
    if ((c & 0xc0) !== 0x80) return false;
    cp = (cp << 6) | (c & 0x3f);
  }
  return cp <= 0x10ffff && classOf(cp) === LETTER;
}

/**
 * Where to cut `bytes[0, end)` so the first part can be processed on its own: for JSONL after the last
 * newline; for text after the last newline that is followed by a letter (a newline ends every match of the
 * Qwen2, Llama 3 and GPT-2 regexes that contains it, and no match starts with a newline and continues into a
 * letter). Returns -1 when there is no such place.
 */
export function safeCut(bytes: Uint8Array, end: number, format: "text" | "jsonl"): number {
  for (let i = end - 1; i >= 0; i--) {
    if (bytes[i] !== 0x0a) continue;
    if (format === "jsonl" || letterAt(bytes, i + 1, end)) return i + 1;
  }
  return -1;
}

export interface Chunk {
  /** byte offset of the chunk in its file */
  offset: number;
  bytes: Uint8Array;
}

/**
 * Reads a file in chunks of about `chunkBytes`, each ending at a safe cut (see safeCut); a chunk grows until
 * a cut is found or the file ends. The chunks of a file are the same for any caller (deterministic).
 */
export function* fileChunks(file: CorpusFile, chunkBytes = 4 << 20): Generator<Chunk> {
  let fd: number;
  try {
    fd = openSync(file.path, "r");
  } catch (e) {
    throw new CorpusError(`cannot read ${file.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    let buf = new Uint8Array(chunkBytes + 4096);
    let have = 0; // bytes carried over in buf
    let offset = 0; // file offset of buf[0]
    let eof = false;
    while (!eof || have > 0) {
      if (!eof) {
        if (buf.length - have < chunkBytes) {
          const bigger = new Uint8Array(have + chunkBytes + 4096);
          bigger.set(buf.subarray(0, have));
          buf = bigger;
        }
        let n: number;
        try {
          n = readSync(fd, buf, have, Math.min(chunkBytes, buf.length - have), offset + have);
        } catch (e) {
          throw new CorpusError(`cannot read ${file.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
        if (n === 0) eof = true;
        have += n;
      }
      if (have === 0) break;
      const cut = eof ? have : safeCut(buf, have, file.format);
      if (cut <= 0) continue; // no safe cut yet: read more (the buffer grows)
      yield { offset, bytes: buf.slice(0, cut) };
      buf.copyWithin(0, cut, have);
      have -= cut;
      offset += cut;
    }
  } finally {
    closeSync(fd);
  }
}

const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** Decodes UTF-8, replacing invalid sequences by U+FFFD; `replaced` counts the replacements made. */
export function decodeCounted(bytes: Uint8Array, dropBom: boolean): { text: string; replaced: number } {
  let text = decoder.decode(bytes);
  if (dropBom && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (isUtf8(bytes)) return { text, replaced: 0 };
  // U+FFFD in the output = genuine ones (bytes EF BF BD in the input) + replacements.
  let inText = 0;
  for (let i = text.indexOf("\ufffd"); i >= 0; i = text.indexOf("\ufffd", i + 1)) inText++;
  let genuine = 0;
  for (let i = 0; i + 2 < bytes.length; i++) if (bytes[i] === 0xef && bytes[i + 1] === 0xbf && bytes[i + 2] === 0xbd) genuine++;
  return { text, replaced: inText - genuine };
}

export interface DocumentStats {
  docs: number;
  /** JSONL lines that are not JSON objects with a string text field */
  badLines: number;
  /** documents whose text held lone surrogates (only possible from JSON escapes), replaced by U+FFFD */
  loneSurrogates: number;
}

// With the "u" flag a surrogate pair is one code point, so these match only unpaired surrogates.
const LONE_SURROGATE = /[\ud800-\udfff]/u;
const LONE_SURROGATES = /[\ud800-\udfff]/gu;

/**
 * The documents of a decoded chunk: the text itself for plain text (counted as a new document only when
 * `startsDocument`, i.e. for a file's first chunk), one per line for JSONL.
 */
export function documentsOf(text: string, format: "text" | "jsonl", textField: string, stats: DocumentStats, each: (doc: string) => void,
  startsDocument = true): void {
  if (format === "text") {
    // A plain-text file is one document, however many chunks it is read in.
    if (startsDocument) stats.docs++;
    if (text.length) each(text);
    return;
  }
  let from = 0;
  while (from < text.length) {
    let nl = text.indexOf("\n", from);
    if (nl < 0) nl = text.length;
    const line = text.slice(from, nl).trim();
    from = nl + 1;
    if (!line) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      stats.badLines++;
      continue;
    }
    const doc = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[textField] : undefined;
    if (typeof doc !== "string") {
      stats.badLines++;
      continue;
    }
    stats.docs++;
    if (LONE_SURROGATE.test(doc)) {
      stats.loneSurrogates++;
      each(doc.replace(LONE_SURROGATES, "\ufffd"));
    } else each(doc);
  }
}

/**
 * Cuts decoded text into pieces of about `size` characters at places where the pre-tokenizers cut anyway
 * (after a newline followed by a letter); a piece grows until such a place exists.
 */
export function textUnits(text: string, size: number): string[] {
  const out: string[] = [];
  let from = 0;
  while (text.length - from > size) {
    let cut = -1;
    for (let i = text.indexOf("\n", from + size); i >= 0 && i + 1 < text.length; i = text.indexOf("\n", i + 1)) {
      if (classOf(text.codePointAt(i + 1)!) === LETTER) {
        cut = i + 1;
        break;
      }
    }
    if (cut < 0) break;
    out.push(text.slice(from, cut));
    from = cut;
  }
  if (from < text.length) out.push(text.slice(from));
  return out;
}

/** A deterministic uniform number in [0, 1) from integers (for sampling documents by rate). */
export function unitHash(seed: number, a: number, b: number, c: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const x of [a, b % 0x100000000, Math.floor(b / 0x100000000), c]) {
    h = Math.imul(h ^ (x >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return (h >>> 0) / 0x100000000;
}
