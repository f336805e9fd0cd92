/**
 * Training metrics as JSON Lines: one JSON object per line, appended as the run goes. The file is opened in
 * append mode and each line is handed to the OS in a single write, so a crash leaves at most one torn last
 * line and concurrent readers (a live plot, `tail -f`) never see half-interleaved records.
 *
 * JSON has no NaN or Infinity, and a NaN loss is exactly what a metrics log must not lose, so non-finite
 * numbers are written as the strings "NaN", "Infinity" and "-Infinity", and `readMetrics` turns those strings
 * back into numbers.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from "node:fs";
import { writeFileAtomic } from "./atomic.js";

export type MetricRecord = Record<string, unknown>;

export class MetricsFormatError extends Error {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, problem: string) {
    super(`${file}:${line}: ${problem}`);
    this.name = "MetricsFormatError";
    this.file = file;
    this.line = line;
  }
}

function encodeNonFinite(_key: string, value: unknown): unknown {
  if (typeof value === "number" && !Number.isFinite(value)) {
    return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
  }
  return value;
}

function decodeNonFinite(_key: string, value: unknown): unknown {
  if (value === "NaN") return NaN;
  if (value === "Infinity") return Infinity;
  if (value === "-Infinity") return -Infinity;
  return value;
}

export class MetricsWriter {
  readonly path: string;
  private fd: number | null;

  /** Opens (creating if needed) `path` for appending. */
  constructor(path: string) {
    this.path = path;
    this.fd = openSync(path, "a");
  }

  /** Appends one record as one line. */
  write(record: MetricRecord): void {
    if (this.fd === null) throw new Error(`MetricsWriter(${this.path}): write after close`);
    if (record === null || typeof record !== "object" || Array.isArray(record)) {
      throw new TypeError(`MetricsWriter(${this.path}): a record must be a plain object, got ${JSON.stringify(record)}`);
    }
    const line = Buffer.from(`${JSON.stringify(record, encodeNonFinite)}\n`, "utf8");
    let off = writeSync(this.fd, line);
    // A short write only happens in trouble (disk full, signals); finish the line rather than leave it torn.
    while (off < line.length) off += writeSync(this.fd, line, off);
  }

  /** Makes the lines written so far durable (e.g. right after a checkpoint). */
  sync(): void {
    if (this.fd !== null) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}

export interface ReadMetricsOptions {
  /**
   * Skip a malformed last line that has no final newline: the signature of a crash in the middle of a write.
   * Default false (every malformed line is an error).
   */
  allowTornLastLine?: boolean;
}

interface ParsedLine {
  record: MetricRecord;
  text: string;
}

function parseLines(path: string, options: ReadMetricsOptions): { lines: ParsedLine[]; torn: boolean } {
  const text = readFileSync(path, "utf8");
  const raw = text.split("\n");
  const endsWithNewline = text.endsWith("\n");
  if (endsWithNewline) raw.pop(); // the empty string after the final newline
  const lines: ParsedLine[] = [];
  let torn = false;
  for (let i = 0; i < raw.length; i++) {
    const lineText = raw[i].endsWith("\r") ? raw[i].slice(0, -1) : raw[i];
    if (lineText.trim() === "") continue;
    const isTornCandidate = i === raw.length - 1 && !endsWithNewline;
    let value: unknown;
    try {
      value = JSON.parse(lineText, decodeNonFinite);
    } catch (e) {
      if (isTornCandidate && options.allowTornLastLine) {
        torn = true;
        continue;
      }
      throw new MetricsFormatError(path, i + 1, `malformed JSON (${(e as Error).message})` +
        (isTornCandidate ? "; the last line has no newline, so the run probably crashed while writing it" : ""));
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new MetricsFormatError(path, i + 1, `expected a JSON object, got ${lineText.slice(0, 60)}`);
    }
    lines.push({ record: value as MetricRecord, text: lineText });
  }
  return { lines, torn };
}

/** Parses a metrics file; a malformed line is a MetricsFormatError naming its 1-based line number. Blank lines are skipped. */
export function readMetrics(path: string, options: ReadMetricsOptions = {}): MetricRecord[] {
  return parseLines(path, options).lines.map((l) => l.record);
}

/**
 * Rewrites the file atomically, keeping only records for which `keep` returns true (in order, their lines
 * byte for byte). Used when a run resumes from an earlier checkpoint, so the log does not contain steps that
 * will be redone: `truncateMetrics(p, (r) => typeof r.step !== "number" || r.step <= resumedStep)`.
 * A torn last line (crash mid-write) is dropped and counted as removed. A missing file is left missing and
 * counts as empty. Call it before opening a MetricsWriter on the file: a writer opened earlier would keep
 * appending to the replaced file.
 */
export function truncateMetrics(path: string, keep: (record: MetricRecord) => boolean): { kept: number; removed: number } {
  if (!existsSync(path)) return { kept: 0, removed: 0 };
  const { lines, torn } = parseLines(path, { allowTornLastLine: true });
  const kept = lines.filter((l) => keep(l.record));
  writeFileAtomic(path, kept.map((l) => `${l.text}\n`).join(""));
  return { kept: kept.length, removed: lines.length - kept.length + (torn ? 1 : 0) };
}

/**
 * Rewrites the file atomically with `fn` applied to every record: a record `fn` returns unchanged (the same
 * object) keeps its line byte for byte, a new object is written in its place, null drops it. Returns how many
 * records changed or were dropped. Used when a rollback marks the records of the abandoned steps. A torn last
 * line is dropped. Call it while no MetricsWriter has the file open.
 */
export function mapMetrics(path: string, fn: (record: MetricRecord) => MetricRecord | null): number {
  if (!existsSync(path)) return 0;
  const { lines } = parseLines(path, { allowTornLastLine: true });
  let changed = 0;
  const out: string[] = [];
  for (const l of lines) {
    const r = fn(l.record);
    if (r === l.record) {
      out.push(`${l.text}\n`);
      continue;
    }
    changed++;
    if (r !== null) out.push(`${JSON.stringify(r, encodeNonFinite)}\n`);
  }
  writeFileAtomic(path, out.join(""));
  return changed;
}
